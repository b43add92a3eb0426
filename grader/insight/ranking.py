"""The class's pairs ranked by evidence, and the groups of three or more they link."""
from __future__ import annotations

from collections import defaultdict

from grader.insight.evidence import Answer
from grader.insight.index import index_exercise
from grader.insight.scoring import ExerciseEvidence, PairEvidence, combine, score_exercise


def rank_pairs(answers: dict[str, list[Answer]]) -> list[PairEvidence]:
    """Every candidate pair with some evidence, strongest first; ties by name, so stable.

    A pair that is a candidate in one exercise is scored on every exercise: a shared common
    mistake is no lead by itself, but it counts once a pair is being read anyway.
    """
    indexed = [(items, index_exercise(items)) for items in answers.values()]
    candidates = sorted({(items[i].student, items[j].student)
                         for items, index in indexed for i, j in index.pairs})
    found: dict[tuple[str, str], list[ExerciseEvidence]] = defaultdict(list)
    for items, index in indexed:
        position = {item.student: n for n, item in enumerate(items)}
        for first, second in candidates:
            if first in position and second in position:
                evidence = score_exercise(items[position[first]], items[position[second]], index)
                if evidence.score > 0:
                    found[(first, second)].append(evidence)
    pairs = [combine(a, b, evidence) for (a, b), evidence in found.items()]
    return sorted(pairs, key=lambda p: (-p.score, p.first, p.second))


def groups(pairs: list[PairEvidence]) -> list[tuple[str, ...]]:
    """Students linked by flagged pairs, three or more to a group, largest first."""
    parent: dict[str, str] = {}

    def root(student: str) -> str:
        while parent.setdefault(student, student) != student:
            parent[student] = parent[parent[student]]
            student = parent[student]
        return student

    for pair in pairs:
        if pair.flagged:
            parent[root(pair.first)] = root(pair.second)
    members: dict[str, list[str]] = defaultdict(list)
    for student in parent:
        members[root(student)].append(student)
    found = [tuple(sorted(m)) for m in members.values() if len(m) >= 3]
    return sorted(found, key=lambda g: (-len(g), g))
