"""Observe one call of a function on one case: the same code for the solution and the student.

The parent runs a probe on the reference solution and the child runs the identical probe on the
student's function; comparing the two plain-data observations is the whole of grading. A probe
never decides pass or fail. What is recorded after the call is the check kind's (observe/kinds/).
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable

import torch

from grader.observe import autograd_graph, guards, trace
from grader.observe.call import Call
from grader.observe.exceptions import error_record
from grader.observe.inputs import build_inputs
from grader.observe.kinds import OBSERVERS
from grader.pack.kinds import KINDS, Kind


def observe(kind: str, function: Callable, specs: dict[str, dict], seed: int,
            options: dict[str, Any], *, student: str = "", forbid: tuple[str, ...] = (),
            namespace: dict[str, Any] | None = None, seconds: float | None = None) -> dict[str, Any]:
    """Call `function` as the check kind needs and return what was seen, as plain data."""
    watch = guards.Watch()
    args = build_inputs(specs, seed, student, float64=KINDS[kind].float64,
                        track=_tracked(KINDS[kind], options, specs))
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
                observation.update(OBSERVERS[kind](Call(function, result, args, specs, seed, student, options)))
            watch.autograd_calls = calls
        observation["outcome"] = "returned"
    except BaseException as exc:  # the student's code may raise anything, SystemExit included
        observation.update(outcome="raised", error={**error_record(exc), "phase": phase})
        if phase == "call" and watch.backward_roots and options.get("trace", True):  # its graph shows why
            observation["graph"] = _graph((), watch.backward_roots, args)
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


def _tracked(kind: Kind, options: dict[str, Any], specs: dict[str, dict]) -> tuple[str, ...]:
    """The inputs passed with requires_grad on: the check's `wrt`, or every tensor input."""
    if kind.track == "wrt":
        return tuple(options.get("wrt", ()))
    if kind.track == "tensors":
        return tuple(name for name, spec in specs.items() if "fn" not in spec and "number" not in spec)
    return ()
