"""figure: one of the figures the submission drew must show every curve the check asks for."""
from __future__ import annotations

from grader.judge import figurecheck
from grader.judge.outcome import Evidence
from grader.judge.verdict import PASS, Verdict
from grader.pack.load import Check, Exercise


def judge(exercise: Exercise, check: Check, evidence: Evidence) -> Verdict:
    verdict = figurecheck.find_curves(evidence.run.figures, check.options, evidence.source.cell_name)
    return PASS if verdict.ok else verdict
