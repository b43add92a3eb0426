"""gradcheck: autograd's Jacobian and central differences, both from the student's own function.

No reference is needed: the function is checked against itself, in float64 (the kind's flag).
"""
from __future__ import annotations

from typing import Any

import torch

from grader.observe.call import Call
from grader.observe.encode import encode

FD_EPSILON = 1e-6


def observe(call: Call) -> dict[str, Any]:
    result, args = call.result, call.args
    tracked = [(n, v) for n, v in args.items() if isinstance(v, torch.Tensor) and v.requires_grad]
    if not isinstance(result, torch.Tensor) or not tracked:
        return {"value": encode(result), "analytic": encode(None), "numeric": encode(None)}
    name, x = tracked[0]
    out = result.reshape(-1)
    analytic = torch.zeros(out.numel(), x.numel(), dtype=torch.float64)
    if result.requires_grad:
        for row in range(out.numel()):
            (grad,) = torch.autograd.grad(out[row], x, retain_graph=True, allow_unused=True)
            if grad is not None:
                analytic[row] = grad.reshape(-1)
    numeric = torch.zeros_like(analytic)
    with torch.no_grad():
        flat = x.detach().reshape(-1)
        for column in range(flat.numel()):
            shifted = []
            for sign in (1, -1):
                probe = flat.clone()
                probe[column] += sign * FD_EPSILON
                shifted.append(torch.as_tensor(call.function(*{**args, name: probe.reshape(x.shape)}.values()),
                                               dtype=torch.float64).reshape(-1))
            numeric[:, column] = (shifted[0] - shifted[1]) / (2 * FD_EPSILON)
    return {"value": encode(result), "analytic": encode(analytic), "numeric": encode(numeric),
            "output_requires_grad": bool(result.requires_grad)}
