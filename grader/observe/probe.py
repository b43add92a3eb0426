"""Observe one call of a function on one case: the same code for the solution and the student.

The parent runs a probe on the reference solution and the child runs the identical probe on the
student's function; comparing the two plain-data observations is the whole of grading. A probe
never decides pass or fail.
"""
from __future__ import annotations

import contextlib
import linecache
import traceback
from typing import Any, Callable

import torch

from grader.observe import autograd_graph, guards, trace
from grader.observe.encode import encode
from grader.observe.inputs import argument_seed, build_inputs, build_one

FD_EPSILON = 1e-6


def observe(kind: str, function: Callable, specs: dict[str, dict], seed: int,
            options: dict[str, Any], *, student: str = "", forbid: tuple[str, ...] = (),
            namespace: dict[str, Any] | None = None, seconds: float | None = None) -> dict[str, Any]:
    """Call `function` as the check kind needs and return what was seen, as plain data."""
    watch = guards.Watch()
    track = _tracked(kind, options, specs)
    args = build_inputs(specs, seed, student, float64=(kind == "gradcheck"), track=track)
    torch.default_generator.manual_seed(seed)
    observation: dict[str, Any] = {}
    watch.trace = trace.Trace(args, function) if trace.wanted(kind, options) else None
    phase = "call"
    try:
        with contextlib.ExitStack() as stack:
            if seconds:
                stack.enter_context(guards.deadline(seconds, watch))
            with guards.count_autograd(watch), guards.forbid(forbid, namespace or {}, watch):
                result = function(*args.values())
            phase = "observe"
            if watch.trace:
                watch.trace.returned(result)
            if options.get("trace", True):
                observation["graph"] = _graph(result, watch.backward_roots, args)
            calls = watch.autograd_calls
            with torch.enable_grad():
                observation.update(_after_call(kind, result, args, specs, seed, student, options, function))
            watch.autograd_calls = calls
        observation["outcome"] = "returned"
    except BaseException as exc:  # the student's code may raise anything, SystemExit included
        observation.update(outcome="raised", error={**describe_error(exc), "phase": phase})
    observation["autograd_calls"] = watch.autograd_calls
    if watch.trace:
        observation["trace"] = watch.trace.to_plain()
    if watch.forbidden:
        observation["forbidden"] = sorted(set(watch.forbidden))
    if watch.deadline:
        observation["deadline"] = True
    return observation


def _graph(result: Any, backward_roots: list[Any], args: dict[str, Any]) -> dict[str, Any]:
    """The autograd graph behind what the function returned and what it backpropagated from,
    inputs named as the exercise names them."""
    returned = result if isinstance(result, (tuple, list)) else (result,)
    roots = {("result" if len(returned) == 1 else f"result[{i}]"): item
             for i, item in enumerate(list(returned)[:guards.MAX_BACKWARD_ROOTS])}
    roots.update((f"backward {i + 1}", tensor)
                 for i, tensor in enumerate(backward_roots[:guards.MAX_BACKWARD_ROOTS]))
    return autograd_graph.to_plain(autograd_graph.walk(roots, args))


def _tracked(kind: str, options: dict[str, Any], specs: dict[str, dict]) -> tuple[str, ...]:
    if kind == "grad":
        return tuple(options.get("wrt", ()))
    if kind in ("differentiable", "gradcheck"):
        return tuple(name for name, spec in specs.items() if "fn" not in spec and "number" not in spec)
    return ()


def _after_call(kind, result, args, specs, seed, student, options, function) -> dict[str, Any]:
    if kind in ("value", "raises"):
        return {"value": encode(result)}
    if kind == "grad":
        return {"value": encode(_gradient(result, args, options, seed, student))}
    if kind == "input_grad":
        return {"value": encode(getattr(args[options["input"]], "grad", None))}
    if kind == "properties":
        return _properties(result, options)
    if kind == "differentiable":
        return _differentiable(result, args)
    if kind == "gradcheck":
        return _gradcheck(function, result, args)
    raise ValueError(f"no probe for check kind {kind!r}")


def _gradient(result, args, options, seed, student):
    if not isinstance(result, torch.Tensor):
        raise TypeError(f"the function returned {type(result).__name__}, not a tensor")
    wrt = [args[name] for name in options["wrt"]]
    grad_outputs = None
    if "gradient" in options:
        grad_outputs = build_one(options["gradient"], argument_seed(seed, "gradient", student))
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


def _properties(result, options) -> dict[str, Any]:
    observed: dict[str, Any] = {"value": encode(result)}
    if options.get("backward_fills_grad") and isinstance(result, torch.Tensor):
        try:
            result.sum().backward()
            observed["grad_after_backward"] = encode(result.grad)
        except Exception as exc:
            observed["backward_error"] = describe_error(exc)
    return observed


def _differentiable(result, args) -> dict[str, Any]:
    tracked = [v for v in args.values() if isinstance(v, torch.Tensor) and v.requires_grad]
    if not isinstance(result, torch.Tensor) or not result.requires_grad or not tracked:
        return {"value": encode(result), "gradient": encode(None)}
    grads = torch.autograd.grad(result.sum(), tracked, allow_unused=True)
    return {"value": encode(result), "gradient": encode(grads[0])}


def _gradcheck(function, result, args) -> dict[str, Any]:
    """Autograd's Jacobian and central differences, both from the student's own function."""
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
                shifted.append(torch.as_tensor(function(*{**args, name: probe.reshape(x.shape)}.values()),
                                               dtype=torch.float64).reshape(-1))
            numeric[:, column] = (shifted[0] - shifted[1]) / (2 * FD_EPSILON)
    return {"value": encode(result), "analytic": encode(analytic), "numeric": encode(numeric),
            "output_requires_grad": bool(result.requires_grad)}


def describe_error(exc: BaseException) -> dict[str, Any]:
    """Type, message and the student's own line: frames from `<cell N>` files only."""
    student_frames = [(frame.f_code, line or 0) for frame, line in traceback.walk_tb(exc.__traceback__)
                      if frame.f_code.co_filename.startswith("<cell")]
    error: dict[str, Any] = {"type": type(exc).__name__, "message": _message(exc),
                             "bases": [c.__name__ for c in type(exc).__mro__[1:-1]]}
    if isinstance(exc, guards.GraderSignal):
        error["signal"] = type(exc).__name__
    if student_frames:
        frames = [(code.co_filename, line, code.co_name,
                   linecache.getline(code.co_filename, line).strip() if line else "")
                  for code, line in student_frames[-6:]]
        filename, line, _, text = frames[-1]
        error.update(cell=int(filename[6:-1]), line=line, source_line=text,
                     trace=[f"{f[1:-1]}, line {n}, in {name}: {src}" for f, n, name, src in frames])
    return error


def _message(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:
        text = "<the exception's message could not be shown>"
    return text if len(text) <= 2000 else text[:1000] + " … " + text[-500:]
