"""control_flow: the function's source must hold a `while` or an `if` (read statically, never run)."""
from __future__ import annotations

from grader.judge.outcome import Evidence, failure
from grader.judge.verdict import PASS, Verdict
from grader.pack.load import Check, Exercise


def judge(exercise: Exercise, check: Check, evidence: Evidence) -> Verdict:
    name = check.function or exercise.function
    if evidence.source.has_control_flow(name):
        return PASS
    return failure("no-control-flow", name=name)
