"""The student's function as written, cut out of the notebook for the report and for class insight.

The function and every student function it calls (as SourceIndex.closure finds them), in
notebook order, so a TA reads the code that ran.
"""
from __future__ import annotations

import ast

from grader.source.static import SourceIndex
from grader.source.submission import Cell

MAX_SOURCE = 6000


def function_source(name: str | None, index: SourceIndex, cells: tuple[Cell, ...]) -> str:
    """The function and its helpers, in notebook order; "" when the exercise names none."""
    if not name:
        return ""
    code = {cell.index: cell.code for cell in cells}
    found = sorted(index.closure(name), key=lambda item: (item[0], item[1].lineno))
    parts = [ast.get_source_segment(code[cell], node) or "" for cell, node in found]
    return "\n\n".join(p for p in parts if p)[:MAX_SOURCE]
