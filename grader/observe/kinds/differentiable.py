"""differentiable: the gradient of the output's sum with respect to the first tracked input."""
from __future__ import annotations

from typing import Any

import torch

from grader.observe.call import Call
from grader.observe.encode import encode


def observe(call: Call) -> dict[str, Any]:
    result = call.result
    tracked = [v for v in call.args.values() if isinstance(v, torch.Tensor) and v.requires_grad]
    if not isinstance(result, torch.Tensor) or not result.requires_grad or not tracked:
        return {"value": encode(result), "gradient": encode(None)}
    grads = torch.autograd.grad(result.sum(), tracked, allow_unused=True)
    return {"value": encode(result), "gradient": encode(grads[0])}
