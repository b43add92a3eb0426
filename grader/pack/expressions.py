"""Small math expressions in `x` from the pack (`torch.sin(x)`, `x**3`), checked before use.

Instructors write functions the grader passes to students (`f` for `second_derivative`) and the
curves a figure must show. The pack is trusted, but a typo should be a pack error with a clear
message, not a NameError inside a student's sandbox, so only a small grammar is accepted.
"""
from __future__ import annotations

import ast
import functools
from types import CodeType
from typing import Any, Callable

from grader.source import pysource

_ALLOWED_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Load, ast.Constant,
    ast.Attribute, ast.Subscript, ast.Slice, ast.Tuple, ast.List, ast.keyword,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.MatMult, ast.USub, ast.UAdd, ast.Mod,
    ast.FloorDiv,
)
_NAMES = ("x", "torch", "math")


def parse(source: str) -> ast.Expression:
    """Parse and check an expression; ValueError names what is not allowed."""
    try:
        tree = pysource.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"is not a valid expression ({exc.msg}): {source!r}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ValueError(f"uses {type(node).__name__}, which expressions do not allow: {source!r}")
        if isinstance(node, ast.Name) and node.id not in _NAMES:
            raise ValueError(f"uses the name {node.id!r}; only x, torch and math are known: {source!r}")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ValueError(f"uses the private attribute {node.attr!r}: {source!r}")
    return tree


@functools.lru_cache(maxsize=256)
def _compiled(source: str) -> CodeType:
    """Checked and compiled once per process: a child builds the same input function for
    every case of a check."""
    return pysource.compile_tree(parse(source), f"<expression {source}>", "eval")


def compile_function(source: str, namespace: dict[str, Any]) -> Callable[[Any], Any]:
    """A one-argument function computing the expression; `namespace` supplies torch and math."""
    code = _compiled(source)
    scope = dict(namespace)

    def function(x: Any) -> Any:
        return eval(code, {"__builtins__": {}}, {**scope, "x": x})  # noqa: S307 - checked grammar

    function.__name__ = "f"
    function.__qualname__ = f"f = lambda x: {source}"
    return function
