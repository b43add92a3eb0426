"""What summary.html shows, tallied one report at a time so a class is never held in memory.

`python -m grader batch` adds each report as it is graded (or taken from the gradebook on a
resumed run) and drops it. The page must not depend on that order: whatever it shows of "the
first" student (an exercise's title, a diagnosis's example message) is the first by name, as
when the page is built from the reports sorted by student, and each number is computed from
the counts of distinct values exactly as from the list. What is kept grows with the number of
distinct scores, exercises and diagnosis codes, not with the class; the shared mistakes keep
~200 bytes per distinct wrong answer (grader/insight/mistakes.py).
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from itertools import repeat
from typing import Iterator, Sequence

from grader.insight.mistakes import Mistake, MistakeTally, ResultOf, results_in
from grader.model import ExerciseResult, Report


@dataclass
class ExerciseTally:
    """One exercise across the class; `first` is (student, position) of its first appearance."""

    first: tuple[str, int]
    title: str
    max_score: float
    statuses: Counter[str] = field(default_factory=Counter)
    scores: Counter[float] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    examples: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (student, message)

    def add(self, student: str, position: int, result: ExerciseResult) -> None:
        if (student, position) < self.first:
            self.first, self.title, self.max_score = (student, position), result.title, result.max_score
        self.statuses[result.status] += 1
        self.scores[result.score] += 1
        self.codes.update({d.code for d in result.diagnoses})
        for code, message in _first_messages(result).items():
            if code not in self.examples or student < self.examples[code][0]:
                self.examples[code] = (student, message)

    @property
    def mean(self) -> float:
        return statistics.fmean(expand(self.scores))


class ClassTally:
    """Everything summary.html shows, from reports added in any order, one per student."""

    def __init__(self, result_of: ResultOf) -> None:
        """`result_of` fetches the few results the page quotes (the shared mistakes' examples)."""
        self.students = 0
        self.totals: Counter[float] = Counter()
        self.max_total = 0.0
        self.exercises: dict[str, ExerciseTally] = {}
        self._mistakes = MistakeTally()
        self._result_of = result_of

    @classmethod
    def of(cls, reports: Sequence[Report]) -> ClassTally:
        """The tally of reports already in memory (the web service's, the tests')."""
        tally = cls(results_in(reports))
        for report in reports:
            tally.add(report)
        return tally

    def add(self, report: Report) -> None:
        self.max_total = report.max_score if not self.students else max(self.max_total, report.max_score)
        self.students += 1
        self.totals[report.score] += 1
        for position, result in enumerate(report.exercises):
            exercise = self.exercises.get(result.id)
            if exercise is None:
                exercise = self.exercises[result.id] = ExerciseTally((report.student, position), result.title,
                                                                     result.max_score)
            exercise.add(report.student, position, result)
            self._mistakes.add(report.student, result)

    def order(self) -> list[str]:
        """The exercise ids in the order the reports sorted by student first show them."""
        return sorted(self.exercises, key=lambda ex: self.exercises[ex].first)

    def mistakes(self) -> dict[str, list[Mistake]]:
        return self._mistakes.groups(self.order(), self._result_of)

    def pass_rate(self, exercise: str) -> float:
        return self.exercises[exercise].statuses["passed"] / self.students

    @property
    def mean(self) -> float:
        return statistics.fmean(expand(self.totals))

    @property
    def median(self) -> float:
        return median(self.totals)


def expand(counts: Counter[float]) -> Iterator[float]:
    """Each value as many times as it was counted, in increasing order (fsum is exact in any order)."""
    for value in sorted(counts):
        yield from repeat(value, counts[value])


def median(counts: Counter[float]) -> float:
    """statistics.median of the expanded values, without expanding them."""
    n = sum(counts.values())
    wanted = (n - 1) // 2, n // 2  # the middle one, or the middle two
    found: list[float] = []
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        found += [value] * sum(seen > index >= seen - counts[value] for index in wanted)
    return found[0] if n % 2 else (found[0] + found[1]) / 2


def _first_messages(result: ExerciseResult) -> dict[str, str]:
    messages: dict[str, str] = {}
    for d in result.diagnoses:
        messages.setdefault(d.code, d.message)
    return messages
