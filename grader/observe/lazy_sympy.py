"""torch's shape check of a gradient argument, without importing sympy to compare plain ints.

`y.backward(gradient=g)` and `torch.autograd.grad(y, x, grad_outputs=g)` go through
`torch.autograd._make_grads`, and `torch._check*` (torch.unravel_index, ...) through
`torch._check_with`; both import `torch.fx.experimental.symbolic_shapes` (and so sympy:
0.2–1.5 s of CPU, on the command line's critical path twice, in the grader's references and
in the child) only to call `expect_true(sym_eq(out.shape, g.size()))` or `expect_true(cond)`.
`install()` wraps both so that, while that module is not imported, they find in its place a
stand-in whose `sym_eq`/`expect_true` do exactly what torch's do on ints and bools and hand
anything symbolic (SymInt, SymBool: only under tracing) and any other attribute to the real
module, imported then. The stand-in is in `sys.modules` only during such a call: whoever else
imports the module, a student or torch itself, gets the real one; once it is imported, the
wrapped functions run untouched.
"""
from __future__ import annotations

import functools
import importlib
import operator
import sys
import types
from typing import Any

import torch

NAME = "torch.fx.experimental.symbolic_shapes"


class _StandIn(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system asking for __path__: no package, no import
            raise AttributeError(name)
        return getattr(_real(), name)

    @staticmethod
    def sym_eq(x: Any, y: Any) -> Any:
        if isinstance(x, (tuple, list)) and isinstance(y, (list, tuple)):
            if len(x) != len(y):
                return False
            return functools.reduce(operator.and_, map(_StandIn.sym_eq, x, y), True)
        if type(x) is int and type(y) is int:
            return x == y
        return _real().sym_eq(x, y)

    @staticmethod
    def expect_true(a: Any, skip: int = 0) -> bool:
        if type(a) is bool:
            return a
        return _real().expect_true(a, skip + 1)


STAND_IN = _StandIn(NAME)


def _real() -> types.ModuleType:
    if sys.modules.get(NAME) is STAND_IN:
        del sys.modules[NAME]
    return importlib.import_module(NAME)


def install() -> None:
    """Idempotent; call after `import torch`, before the first gradient argument or check."""
    for owner, name in ((torch.autograd, "_make_grads"), (torch, "_check_with")):
        function = getattr(owner, name)
        if not getattr(function, "_without_sympy", False):
            setattr(owner, name, _with_stand_in(function))


def _with_stand_in(original: Any) -> Any:
    @functools.wraps(original)
    def call(*args: Any, **kwargs: Any) -> Any:
        if NAME in sys.modules:
            return original(*args, **kwargs)
        sys.modules[NAME] = STAND_IN
        try:
            return original(*args, **kwargs)
        finally:
            if sys.modules.get(NAME) is STAND_IN:
                del sys.modules[NAME]

    call._without_sympy = True  # type: ignore[attr-defined]
    return call
