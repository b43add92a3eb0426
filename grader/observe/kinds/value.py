"""value and raises: the returned value itself (raises looks at how the call ended instead)."""
from __future__ import annotations

from typing import Any

from grader.observe.call import Call
from grader.observe.encode import encode


def observe(call: Call) -> dict[str, Any]:
    return {"value": encode(call.result)}
