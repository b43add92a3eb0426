"""The grader's own errors, one family so the CLI can map each to an exit status.

    GraderError
    ├── PackError          the exercises, solutions or config are wrong (exit 3): an instructor fixes it
    │                      (carries every PackProblem found in one pass)
    └── SubmissionError    the submission cannot be read at all (exit 2): a student re-exports it
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PackProblem:
    """One mistake in the pack, located like a compiler error: file:line:column: field: message."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class GraderError(Exception):
    """Base of every error the grader raises on purpose."""


class PackError(GraderError, ValueError):
    """The exercise pack is broken; every problem found is in `problems`."""

    def __init__(self, problems: list[PackProblem]):
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the exercise pack"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class SubmissionError(GraderError, ValueError):
    """The submission cannot be read (not a notebook, not UTF-8, not a file)."""
