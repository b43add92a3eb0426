"""The code a TA compares: what the pack gave everyone, and the student's code without comments.

The student's side is cut out of the notebook while grading (source/excerpt.py); the pack's side
is the exercise's stub and the whole reference solution file, whose fingerprints are subtracted
before comparing.
"""
from __future__ import annotations

import io
import tokenize
from pathlib import Path

from grader.pack.load import Pack


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
