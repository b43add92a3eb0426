"""The class's pairs ranked by evidence, and the groups of three or more they link."""
from __future__ import annotations

from collections import defaultdict

from grader.insight.evidence import Answer
from grader.insight.index import index_exercise
from grader.insight.scoring import ExerciseEvidence, PairEvidence, combine, score_exercise


def rank_pairs(answers: dict[str, list[Answer]]) -> list[PairEvidence]:
    """Every candidate pair with some evidence, strongest first; ties by name, so stable."""
    found: dict[tuple[str, str], list[ExerciseEvidence]] = defaultdict(list)
    for items in answers.values():
        index = index_exercise(items)
        for i, j in sorted(index.pairs):
            evidence = score_exercise(items[i], items[j], index)
            if evidence.score > 0:
                found[(items[i].student, items[j].student)].append(evidence)
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
