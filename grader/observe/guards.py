"""Run-time guards around one call of a student function: ruled-out calls, autograd use, time.

The signals derive from BaseException, so a student's `except Exception: pass` cannot swallow
them, and each is also written down before it is raised, so even `except BaseException` cannot
hide that it happened.
"""
from __future__ import annotations

import contextlib
import importlib
import signal
import types
import warnings
from typing import Any, Iterator

import torch
from torch.overrides import TorchFunctionMode

from grader.i18n import N_
from grader.observe.own_time import OwnClock


MAX_BACKWARD_ROOTS = 8
REARM_SECONDS = 0.005
OWN_CLOCK = OwnClock()


class GraderSignal(BaseException):
    """Base of the grader's in-child interruptions."""


class ForbiddenCall(GraderSignal):
    def __init__(self, name: str):
        super().__init__(f"{name} is not allowed in this exercise")
        self.name = name


DEADLINE = N_("ran past its time limit of {seconds} s")  # the parent says it again in its language


class Deadline(GraderSignal):
    def __init__(self, seconds: float):
        super().__init__(DEADLINE.format(seconds=format(seconds, "g")))
        self.seconds = seconds


class Watch:
    """What happened during one guarded call."""

    def __init__(self) -> None:
        self.autograd_calls = 0
        self.backward_roots: list[Any] = []
        self.trace: Any = None
        self.forbidden: list[str] = []
        self.deadline = False


@contextlib.contextmanager
def deadline(seconds: float, watch: Watch) -> Iterator[None]:
    """Interrupt Python code (loops, sleep) after `seconds` of the process's own time
    (observe/own_time.py), so a busy machine gives a call no less time than an idle one; the
    parent kills what this misses."""
    started = OWN_CLOCK.now()

    def expire(signum, frame):
        left = seconds - (OWN_CLOCK.now() - started)
        if left > REARM_SECONDS:  # the wall clock ran ahead while the process waited for a CPU
            signal.setitimer(signal.ITIMER_REAL, left)
            return
        watch.deadline = True
        raise Deadline(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _CountingEngine:
    """Stands in front of autograd's C++ engine and counts the backward passes it runs.

    Every way into autograd ends in `Variable._execution_engine.run_backward`: Tensor.backward,
    torch.autograd.backward and .grad under any name or alias (`from torch.autograd import grad
    as G` before or after the grader's set-up), torch.autograd.functional and torch.func. So
    counting here sees them all, where patching one attribute sees only that spelling.
    """

    def __init__(self, engine: Any):
        self._engine = engine
        self.calls = 0
        self.watches: list[Watch] = []

    def run_backward(self, *args: Any, **kwargs: Any) -> Any:
        """Run the pass; its warnings are re-issued for the caller's line, as without this
        stand-in (not for this file, whose source the sandbox may or may not let one read)."""
        self.calls += 1
        for watch in self.watches:
            if len(watch.backward_roots) < MAX_BACKWARD_ROOTS:
                watch.backward_roots.extend(args[0] if args else kwargs.get("tensors", ()))
        traced = [(watch.trace, watch.trace.enter(args, kwargs)) for watch in self.watches if watch.trace]
        caught: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = self._engine.run_backward(*args, **kwargs)
        except BaseException as exc:
            for trace, entry in traced:
                if entry is not None:
                    trace.failed(entry, exc)
            raise
        else:
            for trace, entry in traced:
                if entry is not None:
                    trace.left(entry)
            return result
        finally:
            for warning in caught:
                warnings.warn(warning.message, warning.category, stacklevel=2)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)


def engine() -> _CountingEngine:
    """The counting engine, put in front of autograd's on first use (the child does it before
    the first cell, so even a reference to the engine taken by student code counts)."""
    from torch.autograd.variable import Variable

    engine = Variable._execution_engine
    if not isinstance(engine, _CountingEngine):
        engine = Variable._execution_engine = _CountingEngine(engine)
    return engine


@contextlib.contextmanager
def count_autograd(watch: Watch) -> Iterator[None]:
    """Count backward passes (`autograd-not-used` needs to know whether any ran) and keep the
    tensors they started from: the graph a student backpropagated through is evidence."""
    counter = engine()
    before = counter.calls
    counter.watches.append(watch)
    try:
        yield
    finally:
        counter.watches.remove(watch)
        watch.autograd_calls += counter.calls - before


class _ForbidTorch(TorchFunctionMode):
    """Catches ruled-out torch functions however they are reached (`c = torch.cos; c(x)`)."""

    def __init__(self, functions: dict[Any, str], watch: Watch):
        super().__init__()
        self.functions = functions
        self.watch = watch

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = self.functions.get(func)
        if name is not None:
            self.watch.forbidden.append(name)
            raise ForbiddenCall(name)
        return func(*args, **(kwargs or {}))


def _resolve(rule: str) -> list[tuple[Any, str, Any, str]]:
    """(owner, attribute, original, rule) for every callable a rule rules out."""
    if rule.startswith("Tensor."):
        attribute = rule.split(".", 1)[1]
        targets = [(torch.Tensor, attribute), (torch.Tensor, attribute + "_")]
        return [(o, a, getattr(o, a), rule) for o, a in targets if hasattr(o, a)]
    module_name, _, attribute = rule.rpartition(".")
    try:
        target = importlib.import_module(rule)
    except ImportError:
        target = None
    if isinstance(target, types.ModuleType):
        return [(target, name, getattr(target, name), rule) for name in dir(target)
                if not name.startswith("_") and isinstance(getattr(target, name, None), types.FunctionType)]
    try:
        owner = importlib.import_module(module_name)
    except ImportError:
        return []
    return [(owner, attribute, getattr(owner, attribute), rule)] if hasattr(owner, attribute) else []


@contextlib.contextmanager
def forbid(rules: tuple[str, ...], namespace: dict[str, Any], watch: Watch) -> Iterator[None]:
    """Make every ruled-out callable raise ForbiddenCall while the student's function runs."""
    if not rules:
        yield
        return
    targets = [t for rule in rules for t in _resolve(rule)]
    by_identity = {id(original): rule for _, _, original, rule in targets}
    torch_functions = {original: rule for owner, _, original, rule in targets
                       if owner is torch or owner is torch.Tensor or owner is torch.special}

    def raiser(rule):
        def forbidden(*args, **kwargs):
            watch.forbidden.append(rule)
            raise ForbiddenCall(rule)
        return forbidden

    patched = [(owner, name, original) for owner, name, original, rule in targets
               if owner is not torch and owner is not torch.special]
    aliases = {key: value for key, value in namespace.items() if id(value) in by_identity}
    try:
        for owner, name, original in patched:
            setattr(owner, name, raiser(by_identity[id(original)]))
        for key, value in aliases.items():
            namespace[key] = raiser(by_identity[id(value)])
        if torch_functions:  # a torch function mode puts Python in front of every torch call
            with _ForbidTorch(torch_functions, watch):
                yield
        else:
            yield
    finally:
        for owner, name, original in patched:
            setattr(owner, name, original)
        namespace.update(aliases)
