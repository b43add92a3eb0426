"""properties: the returned tensor with its autograd flags, and its .grad after result.sum().backward()."""
from __future__ import annotations

from typing import Any

import torch

from grader.observe.call import Call, grad_of
from grader.observe.encode import encode
from grader.observe.exceptions import error_record


def observe(call: Call) -> dict[str, Any]:
    result = call.result
    observed: dict[str, Any] = {"value": encode(result)}
    if call.options.get("backward_fills_grad") and isinstance(result, torch.Tensor):
        try:
            result.sum().backward()
            observed["grad_after_backward"] = encode(grad_of(result))
        except Exception as exc:
            observed["backward_error"] = error_record(exc)
    return observed
