"""Wrong answers grouped by what they did: the same wrong values on the same cases.

A group is what a lecturer re-teaches: how many students, the diagnosis the grader gave
them, the numbers one of them got, and one example of code with comments removed (which can
carry a name). A mistake one student alone made is theirs, not the class's, so groups have
at least MIN_STUDENTS.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Sequence

from grader.judge.behaviour import wrong_tokens
from grader.insight.source import without_comments
from grader.model import ExerciseResult, Report

MIN_STUDENTS = 2
MAX_DETAILS = 400

ResultOf = Callable[[str, str], ExerciseResult]  # (student, exercise id) -> that student's result


@dataclass(frozen=True)
class Mistake:
    exercise: str
    students: int
    share: float
    diagnosis: str
    observed: str
    example: str


def results_in(reports: Sequence[Report]) -> ResultOf:
    """Each student's result of an exercise, from reports in memory."""
    by_student = {r.student: r for r in reports}
    return lambda student, exercise: next(e for e in by_student[student].exercises if e.id == exercise)


class MistakeTally:
    """Shared mistakes counted one student's result at a time, in any order.

    A class of thousands must not be held in memory to find them: per exercise and wrong
    behaviour it keeps a 64-bit digest, a count and the first student by name (whose answer is
    the group's example, fetched by `groups` at the end), ~200 bytes per distinct wrong answer
    and nothing for a right one.
    """

    def __init__(self) -> None:
        self.attempts: dict[str, int] = {}
        self._groups: dict[str, dict[int, tuple[int, str]]] = {}

    def add(self, student: str, result: ExerciseResult) -> None:
        self.attempts[result.id] = self.attempts.get(result.id, 0) + 1
        key = wrong_tokens(result.behaviour)
        if result.status in ("passed", "missing") or not key:
            return
        digest = int.from_bytes(hashlib.blake2b("\n".join(key).encode(), digest_size=8).digest(), "big")
        groups = self._groups.setdefault(result.id, {})
        count, first = groups.get(digest, (0, student))
        groups[digest] = (count + 1, min(first, student))

    def groups(self, order: Sequence[str], result_of: ResultOf) -> dict[str, list[Mistake]]:
        """Per exercise in `order`, its shared mistakes, most students first; `result_of(student,
        exercise)` fetches a group's example, the result of its first student by name."""
        found = {}
        for exercise in [e for e in order if e in self._groups]:
            shared = sorted((first, count) for count, first in self._groups[exercise].values()
                            if count >= MIN_STUDENTS)
            mistakes = [_mistake(exercise, result_of(first, exercise), count, self.attempts[exercise])
                        for first, count in shared]
            if mistakes:
                found[exercise] = sorted(mistakes, key=lambda m: (-m.students, m.diagnosis))
        return found


def _mistake(exercise: str, example: ExerciseResult, students: int, attempts: int) -> Mistake:
    diagnoses = [d for d in example.diagnoses if not d.hidden] or list(example.diagnoses)
    first = diagnoses[0] if diagnoses else None
    observed = f"{first.case}: {first.details}" if first and first.details else ""
    return Mistake(exercise=exercise, students=students, share=students / attempts,
                   diagnosis=first.message if first else "", observed=_whole_lines(observed),
                   example=without_comments(example.source))


def _whole_lines(text: str) -> str:
    """At most MAX_DETAILS characters, cut at a line's end (a table row cut in two misleads)."""
    if len(text) <= MAX_DETAILS:
        return text
    return text[:text.rfind("\n", 0, MAX_DETAILS) + 1 or MAX_DETAILS].rstrip("\n") + "\n…"
