"""One student's answer to one exercise, as the insight pages compare it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from grader.judge.behaviour import wrong_tokens, wrong_values
from grader.insight.fingerprint import Fingerprint, fingerprint
from grader.model import ExerciseResult, Report


@dataclass(frozen=True)
class Answer:
    """What a student wrote and what it did; `code` has the pack's own code subtracted."""

    student: str
    exercise: str
    status: str
    source: str
    behaviour: tuple[str, ...]
    hint: str
    details: str
    code: Fingerprint

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def wrong(self) -> tuple[str, ...]:
        return wrong_tokens(self.behaviour)

    @property
    def wrong_values(self) -> frozenset[str]:
        return wrong_values(self.behaviour)


def answers_by_exercise(reports: Iterable[Report], given: dict[str, str]) -> dict[str, list[Answer]]:
    """Every graded answer, per exercise in the assignment's order, students sorted."""
    given_hashes = {ex: fingerprint(code).hashes for ex, code in given.items()}
    seen: dict[tuple[str, str], Fingerprint] = {}  # many students hand in the very same text
    answers: dict[str, list[Answer]] = {}
    for report in sorted(reports, key=lambda r: r.student):
        for result in report.exercises:
            key = (result.id, result.source)
            if key not in seen:
                seen[key] = fingerprint(result.source).without(given_hashes.get(result.id, frozenset()))
            answers.setdefault(result.id, []).append(answer(report.student, result, seen[key]))
    return answers


def answer(student: str, result: ExerciseResult, code: Fingerprint) -> Answer:
    visible = [d for d in result.diagnoses if not d.hidden]
    first = (visible or list(result.diagnoses) or [None])[0]
    return Answer(student=student, exercise=result.id, status=result.status, source=result.source,
                  behaviour=result.behaviour, hint=first.message if first else "",
                  details=first.details if first else "", code=code)
