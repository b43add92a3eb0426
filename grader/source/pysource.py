"""Parsing Python source behind one lock.

CPython 3.11's AST constructor is not thread-safe (gh-106905: "AST constructor recursion depth
mismatch"), and batch grading parses submissions in several threads at once; without the lock,
about 1% of a class failed to grade at --jobs 2.
"""
from __future__ import annotations

import ast
import threading
from types import CodeType

_LOCK = threading.Lock()


def parse(source: str, mode: str = "exec") -> ast.AST:
    with _LOCK:
        return ast.parse(source, mode=mode)


def compile_tree(tree: ast.AST, filename: str, mode: str) -> CodeType:
    with _LOCK:
        return compile(tree, filename, mode)
