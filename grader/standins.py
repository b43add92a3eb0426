"""Harmless stand-ins for modules a notebook imports but grading must not depend on.

`from d2l import torch as d2l` is in every d2l notebook; the real package pulls in torchvision,
pandas and a network download. Its plotting helpers are re-created here so a figure drawn with
`d2l.plot` is graded like any other; every other attribute is an inert object that accepts any
call. The same inert module stands in for each name in config.yaml's `stub_modules`.
"""
from __future__ import annotations

import sys
import types
from typing import Any


class Inert:
    """Accepts any call, attribute, index, iteration or `with`, and does nothing."""

    def __init__(self, name: str = "stand-in"):
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> "Inert":
        return Inert(self._name + "()")

    def __getattr__(self, name: str) -> "Inert":
        if name.startswith("__"):
            raise AttributeError(name)
        return Inert(f"{self._name}.{name}")

    def __getitem__(self, key: Any) -> "Inert":
        return Inert(self._name + "[]")

    def __iter__(self):
        return iter(())

    def __enter__(self) -> "Inert":
        return self

    def __exit__(self, *exc: Any) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<stand-in {self._name}>"


class InertModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return Inert(f"{self.__name__}.{name}")


def _plain(values: Any) -> Any:
    if hasattr(values, "detach"):
        return values.detach().cpu().numpy()
    return values


def _d2l_torch_module() -> types.ModuleType:
    import matplotlib.pyplot as plt
    import numpy as np
    import torch

    module = InertModule("d2l.torch")
    module.plt, module.np, module.torch = plt, np, torch
    for name in ("ones", "zeros", "tensor", "arange", "meshgrid", "sin", "sinh", "cos", "cosh",
                 "tanh", "linspace", "exp", "log", "normal", "rand", "randn", "matmul", "int32",
                 "int64", "float32", "concat", "stack", "abs", "eye", "sigmoid", "batch_matmul"):
        setattr(module, name, getattr(torch, "cat" if name == "concat" else
                                      "bmm" if name == "batch_matmul" else name))
    # The book's framework-neutral helpers, as d2l/torch.py defines them.
    module.numpy = lambda x, *args, **kwargs: x.detach().numpy(*args, **kwargs)
    module.size = lambda x, *args, **kwargs: x.numel(*args, **kwargs)
    module.reshape = lambda x, *args, **kwargs: x.reshape(*args, **kwargs)
    module.to = lambda x, *args, **kwargs: x.to(*args, **kwargs)
    module.reduce_sum = lambda x, *args, **kwargs: x.sum(*args, **kwargs)
    module.reduce_mean = lambda x, *args, **kwargs: x.mean(*args, **kwargs)
    module.argmax = lambda x, *args, **kwargs: x.argmax(*args, **kwargs)
    module.astype = lambda x, *args, **kwargs: x.type(*args, **kwargs)
    module.transpose = lambda x, *args, **kwargs: x.t(*args, **kwargs)

    def use_svg_display() -> None:
        """The book switches Jupyter to SVG; headless grading has nothing to switch."""

    def set_figsize(figsize=(3.5, 2.5)) -> None:
        plt.rcParams["figure.figsize"] = figsize

    def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend) -> None:
        axes.set_xlabel(xlabel), axes.set_ylabel(ylabel)
        axes.set_xscale(xscale), axes.set_yscale(yscale)
        axes.set_xlim(xlim), axes.set_ylim(ylim)
        if legend:
            axes.legend(legend)
        axes.grid()

    def plot(X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
             xscale="linear", yscale="linear", fmts=("-", "m--", "g-.", "r:"),
             figsize=(3.5, 2.5), axes=None) -> None:
        """d2l's `plot`, as the book defines it: one or several curves on one Axes."""
        def has_one_axis(values):
            return (hasattr(values, "ndim") and values.ndim == 1
                    or isinstance(values, list) and not hasattr(values[0], "__len__"))

        if has_one_axis(X):
            X = [X]
        if Y is None:
            X, Y = [[]] * len(X), X
        elif has_one_axis(Y):
            Y = [Y]
        if len(X) != len(Y):
            X = X * len(Y)
        set_figsize(figsize)
        if axes is None:
            axes = plt.gca()
        axes.cla()
        for x, y, fmt in zip(X, Y, fmts):
            x, y = _plain(x), _plain(y)
            axes.plot(x, y, fmt) if len(x) else axes.plot(y, fmt)
        set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)

    for function in (use_svg_display, set_figsize, set_axes, plot):
        setattr(module, function.__name__, function)
    return module


def install(names: tuple[str, ...]) -> None:
    """Put stand-ins into sys.modules before any student cell runs."""
    for name in names:
        if name == "d2l":
            package = InertModule("d2l")
            package.__path__ = []
            package.torch = _d2l_torch_module()
            sys.modules["d2l"], sys.modules["d2l.torch"] = package, package.torch
            continue
        parent, _, child = name.rpartition(".")
        module = InertModule(name)
        module.__path__ = []
        if name in ("IPython.display", "IPython"):
            module.display = display
        if name == "IPython":
            module.version_info = (8, 24, 0)
            module.get_ipython = _no_ipython
        sys.modules[name] = module
        if parent and parent in sys.modules:
            setattr(sys.modules[parent], child, module)


def _no_ipython() -> None:
    """matplotlib and tqdm ask whether they run under IPython: they do not."""


def display(*objects: Any, **kwargs: Any) -> None:
    """Jupyter's display(): there is no screen, so show nothing (figures are captured apart)."""
