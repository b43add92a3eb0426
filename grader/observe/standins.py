"""Harmless stand-ins for modules a notebook imports but grading must not depend on.

`from d2l import torch as d2l` is in every d2l notebook; the real package pulls in torchvision,
pandas and a network download, so d2l_standin re-creates the helpers the book's chapters 2–3
use. Every other attribute is an inert object that accepts any call; the same inert module
stands in for each name in config.yaml's `stub_modules`.
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


def install(names: tuple[str, ...]) -> None:
    """Put stand-ins into sys.modules before any student cell runs."""
    for name in names:
        if name == "d2l":
            package = InertModule("d2l")
            package.__path__ = []
            from grader.observe import d2l_standin

            package.torch = d2l_standin.module()
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
