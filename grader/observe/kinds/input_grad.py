"""input_grad: the .grad the function left on one of its inputs (it calls backward itself)."""
from __future__ import annotations

from typing import Any

from grader.observe.call import Call, grad_of
from grader.observe.encode import encode


def observe(call: Call) -> dict[str, Any]:
    return {"value": encode(grad_of(call.args[call.options["input"]]))}
