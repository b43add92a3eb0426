"""Wrong answers grouped by what they did: the same wrong values on the same cases.

A group is what a lecturer re-teaches: how many students, the diagnosis the grader gave
them, the numbers one of them got, and one example of code with comments removed (which can
carry a name). A mistake one student alone made is theirs, not the class's, so groups have
at least MIN_STUDENTS.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from grader.judge.behaviour import wrong_tokens
from grader.insight.source import without_comments
from grader.model import ExerciseResult, Report

MIN_STUDENTS = 2
MAX_DETAILS = 400


@dataclass(frozen=True)
class Mistake:
    exercise: str
    students: int
    share: float
    diagnosis: str
    observed: str
    example: str


def mistake_groups(reports: Sequence[Report]) -> dict[str, list[Mistake]]:
    """Per exercise, its shared mistakes, most students first."""
    groups: dict[str, dict[tuple[str, ...], list[ExerciseResult]]] = {}
    attempts: dict[str, int] = {}
    for report in sorted(reports, key=lambda r: r.student):
        for result in report.exercises:
            attempts[result.id] = attempts.get(result.id, 0) + 1
            key = wrong_tokens(result.behaviour)
            if result.status in ("passed", "missing") or not key:
                continue
            groups.setdefault(result.id, {}).setdefault(key, []).append(result)
    found = {}
    for exercise in [e for e in attempts if e in groups]:  # the assignment's order
        mistakes = [_mistake(exercise, members, attempts[exercise])
                    for members in groups[exercise].values() if len(members) >= MIN_STUDENTS]
        if mistakes:
            found[exercise] = sorted(mistakes, key=lambda m: (-m.students, m.diagnosis))
    return found


def _mistake(exercise: str, members: list[ExerciseResult], attempts: int) -> Mistake:
    example = members[0]
    diagnoses = [d for d in example.diagnoses if not d.hidden] or list(example.diagnoses)
    first = diagnoses[0] if diagnoses else None
    observed = f"{first.case}: {first.details}" if first and first.details else ""
    return Mistake(exercise=exercise, students=len(members), share=len(members) / attempts,
                   diagnosis=first.message if first else "", observed=_whole_lines(observed),
                   example=without_comments(example.source))


def _whole_lines(text: str) -> str:
    """At most MAX_DETAILS characters, cut at a line's end (a table row cut in two misleads)."""
    if len(text) <= MAX_DETAILS:
        return text
    return text[:text.rfind("\n", 0, MAX_DETAILS) + 1 or MAX_DETAILS].rstrip("\n") + "\n…"
