"""An exception as plain data (an error record): type, message, bases and the student's own line.

Made where the exception happened (the child, or the kernel for check()); the parent decodes it
(observe/records.py) and judge/diagnose.py turns it into a sentence.
"""
from __future__ import annotations

import linecache
import traceback
from typing import Any

from grader.observe import guards


def error_record(exc: BaseException) -> dict[str, Any]:
    """Type, message and the student's own line: frames from `<cell N>` files only."""
    student_frames = [(frame.f_code, line or 0) for frame, line in traceback.walk_tb(exc.__traceback__)
                      if frame.f_code.co_filename.startswith("<cell")]
    error: dict[str, Any] = {"type": type(exc).__name__, "message": _message(exc),
                             "bases": [c.__name__ for c in type(exc).__mro__[1:-1]]}
    if isinstance(exc, guards.GraderSignal):
        error["signal"] = type(exc).__name__
    if student_frames:
        frames = [(code.co_filename, line, code.co_name,
                   linecache.getline(code.co_filename, line).strip() if line else "")
                  for code, line in student_frames[-6:]]
        filename, line, _, text = frames[-1]
        error.update(cell=int(filename[6:-1]), line=line, source_line=text,
                     trace=[f"{f[1:-1]}, line {n}, in {name}: {src}" for f, n, name, src in frames])
    return error


def _message(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:
        text = "<the exception's message could not be shown>"
    return text if len(text) <= 2000 else text[:1000] + " … " + text[-500:]
