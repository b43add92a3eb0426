"""grad: the gradient of the returned tensor with respect to the `wrt` inputs, first or second order.

A non-scalar result is weighted by the check's `gradient` input (seeded like the others), else by
ones, as y.backward(gradient=v) would; the second order differentiates the sum of the first.
"""
from __future__ import annotations

from typing import Any

import torch

from grader.observe.call import Call
from grader.observe.encode import encode
from grader.observe.inputs import argument_seed, build_one


def observe(call: Call) -> dict[str, Any]:
    return {"value": encode(_gradient(call))}


def _gradient(call: Call) -> Any:
    result, options = call.result, call.options
    if not isinstance(result, torch.Tensor):
        raise TypeError(f"the function returned {type(result).__name__}, not a tensor")
    wrt = [call.args[name] for name in options["wrt"]]
    grad_outputs = None
    if "gradient" in options:
        grad_outputs = build_one(options["gradient"], argument_seed(call.seed, "gradient", call.student))
        grad_outputs = grad_outputs.to(result.dtype)
    elif result.dim() > 0:
        grad_outputs = torch.ones_like(result)
    first = torch.autograd.grad(result, wrt, grad_outputs=grad_outputs, create_graph=options.get("order", 1) == 2,
                                allow_unused=True)
    if options.get("order", 1) == 1:
        return tuple(first) if len(first) > 1 else first[0]
    total = sum(g.sum() for g in first if g is not None)
    second = torch.autograd.grad(total, wrt, allow_unused=True)
    return tuple(second) if len(second) > 1 else second[0]
