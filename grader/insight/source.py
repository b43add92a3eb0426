"""The code a TA compares: the student's function as written, and what the pack gave everyone.

The student's side is cut out of the notebook while grading (the function and every student
function it calls, as SourceIndex.closure finds them); the pack's side is the exercise's stub
and the whole reference solution file, whose fingerprints are subtracted before comparing.
"""
from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

from grader.pack.load import Exercise, Pack
from grader.source.static import SourceIndex
from grader.source.submission import Cell

MAX_SOURCE = 6000


def function_source(exercise: Exercise, index: SourceIndex, cells: tuple[Cell, ...]) -> str:
    """The exercise's function and its helpers, in notebook order; "" when it has none."""
    if not exercise.function:
        return ""
    code = {cell.index: cell.code for cell in cells}
    found = sorted(index.closure(exercise.function), key=lambda item: (item[0], item[1].lineno))
    parts = [ast.get_source_segment(code[cell], node) or "" for cell, node in found]
    return "\n\n".join(p for p in parts if p)[:MAX_SOURCE]


def given_code(pack: Pack) -> dict[str, str]:
    """Per exercise: its stub and its reference solution file, the code no student owns."""
    given = {}
    for exercise in pack.exercises:
        solution = pack.solutions_dir / f"{exercise.solution}.py"
        given[exercise.id] = exercise.stub + "\n" + _read(solution)
    return given


def without_comments(source: str) -> str:
    """The code with comments and blank lines removed: an example that names no one."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
                  if t.type != tokenize.COMMENT]
        text = tokenize.untokenize(tokens)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        text = "\n".join(line.split("#", 1)[0] for line in source.splitlines())
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
