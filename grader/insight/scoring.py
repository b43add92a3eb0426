"""How much a pair of students' answers say, exercise by exercise, and why.

An exercise's evidence is CODE_SHARE code and the rest behaviour, at most 1:
- code: the share of the smaller answer's fingerprints (pack code subtracted) that the other
  answer has too, each weighted down when many students hold it, on both sides of the ratio;
  scaled down when the shared code is worth fewer than FULL_MASS rare fingerprints, so a
  common way of writing a common mistake is not similar code;
- behaviour: the share of wrong cases where both returned the same wrong value, weighted
  down when many students returned it (a classic mistake is made independently).
When both answers are correct, the code counts CORRECT_WEIGHT of that, and all correct
exercises together add at most CORRECT_CAP: short correct answers look alike, so correct
answers alone never reach THRESHOLD. Twice that once the pair shares a wrong answer, values
and code (SIMILAR): then the rest of the notebook is read as corroboration. A pair's score is
the sum over its exercises.
"""
from __future__ import annotations

from dataclasses import dataclass

from grader.insight.evidence import Answer
from grader.insight.index import ClassIndex

THRESHOLD = 0.9         # a pair worth a TA's look, not a verdict
CORRECT_WEIGHT = 0.1
CORRECT_CAP = 0.2
MIN_FINGERPRINTS = 6    # a two-line answer is not 100% similar on one shared fingerprint
RARE = 3                # an entry held by this many students or fewer counts fully
CODE_SHARE = 0.6        # a shared mistake in different code is not, alone, enough
FULL_MASS = 4.0         # shared code worth fewer rare fingerprints than this counts in proportion
SIMILAR = 0.5           # a wrong answer with the same values and this much code in common


@dataclass(frozen=True)
class ExerciseEvidence:
    exercise: str
    code: float
    same_values: int
    wrong_cases: int
    rarity: float
    both_passed: bool
    score: float
    shared: frozenset[int]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class PairEvidence:
    first: str
    second: str
    score: float
    exercises: tuple[ExerciseEvidence, ...]

    @property
    def flagged(self) -> bool:
        return self.score >= THRESHOLD


def weight(holders: int) -> float:
    return min(1.0, RARE / holders) if holders else 0.0


def score_exercise(a: Answer, b: Answer, index: ClassIndex) -> ExerciseEvidence:
    shared = a.code.hashes & b.code.hashes
    smaller = max(MIN_FINGERPRINTS, min(_distinctive(a, index), _distinctive(b, index)))
    mass = sum(weight(index.code_counts[h]) for h in shared)
    code = min(1.0, mass / smaller) * min(1.0, mass / FULL_MASS)
    same = a.wrong_values & b.wrong_values
    wrong_cases = len(set(a.wrong) | set(b.wrong))
    rarity = sum(weight(index.value_counts[t]) for t in same) / len(same) if same else 0.0
    behaviour = len(same) / wrong_cases * rarity if wrong_cases else 0.0
    both_passed = a.passed and b.passed
    score = (CORRECT_WEIGHT * code if both_passed
             else CODE_SHARE * code + (1 - CODE_SHARE) * behaviour)
    return ExerciseEvidence(a.exercise, round(code, 3), len(same), wrong_cases, round(rarity, 3),
                            both_passed, round(score, 3), frozenset(shared),
                            _reasons(a, b, code, len(same), wrong_cases, index, same))


def _distinctive(answer: Answer, index: ClassIndex) -> float:
    """How much distinctive code an answer has: its fingerprints, weighed like shared ones."""
    return sum(weight(index.code_counts[h]) for h in answer.code.spans)


def _reasons(a: Answer, b: Answer, code: float, same: int, wrong_cases: int, index: ClassIndex,
             same_tokens: frozenset[str]) -> tuple[str, ...]:
    reasons = []
    if code > 0:
        reasons.append(f"{code:.0%} of the distinctive code is shared (starter and reference code "
                       "removed; names, comments and layout ignored)")
    if same:
        holders = max(index.value_counts[t] for t in same_tokens)
        reasons.append(f"the same wrong values on {same} of {wrong_cases} wrong cases; "
                       f"{holders} student{'s' if holders > 1 else ''} in the class returned them")
    elif wrong_cases and not (a.passed or b.passed) and a.wrong and b.wrong:
        reasons.append("both wrong, but with different results")
    if a.passed and b.passed:
        reasons.append("both correct: correct answers look alike, so this counts little")
    return tuple(reasons)


def combine(first: str, second: str, evidence: list[ExerciseEvidence]) -> PairEvidence:
    wrong = sum(e.score for e in evidence if not e.both_passed)
    copied_mistake = any(e.same_values and e.code >= SIMILAR for e in evidence if not e.both_passed)
    cap = CORRECT_CAP * (2 if copied_mistake else 1)
    correct = min(cap, sum(e.score for e in evidence if e.both_passed))
    ranked = sorted((e for e in evidence if e.score > 0), key=lambda e: (-e.score, e.exercise))
    return PairEvidence(first, second, round(wrong + correct, 3), tuple(ranked))
