"""Which pairs of students are worth scoring at all, without looking at every pair.

An inverted index maps each fingerprint (and each wrong value) to the students who have it.
Only entries held by few students make candidates: a fingerprint most of the class shares is
the natural way to write the answer, not evidence, and skipping it keeps the work close to
linear in the class size (a class of 2,000 has 2 million pairs per exercise; see bench/).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations

from grader.insight.evidence import Answer

MIN_COMMON = 8          # an entry held by more students than this...
COMMON_SHARE = 0.02     # ...and by more than this share of the class is never a lead


@dataclass(frozen=True)
class ClassIndex:
    """How many students hold each fingerprint and each wrong value, in one exercise."""

    code_counts: Counter
    value_counts: Counter
    pairs: frozenset[tuple[int, int]]


def common_limit(students: int) -> int:
    return max(MIN_COMMON, int(COMMON_SHARE * students))


def index_exercise(answers: list[Answer]) -> ClassIndex:
    """Candidate pairs (indices into `answers`, lower first) sharing a rare entry."""
    holders: dict[object, list[int]] = defaultdict(list)
    code_counts: Counter = Counter()
    value_counts: Counter = Counter()
    for i, item in enumerate(answers):
        for h in item.code.spans:
            holders[h].append(i)
            code_counts[h] += 1
        for token in item.wrong_values:
            holders[token].append(i)
            value_counts[token] += 1
    limit = common_limit(len(answers))
    pairs = {pair for group in holders.values() if 1 < len(group) <= limit
             for pair in combinations(group, 2)}
    return ClassIndex(code_counts, value_counts, frozenset(pairs))
