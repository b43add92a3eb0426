"""raises: the call must raise the check's `error` (or a subclass), its message matching `match`."""
from __future__ import annotations

import re
from typing import Any

from grader.judge import diagnose
from grader.judge.outcome import Evidence, failure, judge_outcome
from grader.judge.verdict import PASS, Verdict
from grader.pack.load import Case, Check, Exercise
from grader.pack.probes import Probe


def judge(exercise: Exercise, check: Check, case: Case, item: Probe, observation: dict[str, Any],
          evidence: Evidence) -> Verdict:
    expected, pattern = check.options.get("error", "Exception"), check.options.get("match", "")
    error = observation.get("error", {})
    if observation.get("outcome") == "raised" and not error.get("signal"):
        names = [error.get("type")] + list(error.get("bases", []))
        if expected in names and re.search(pattern, str(error.get("message", ""))):
            return PASS
        wanted = diagnose.sentence("error-matching", error=expected, pattern=pattern) if pattern else expected
        return failure("wrong-error", got=diagnose.error_sentence(error, cell_name=evidence.source.cell_name),
                       expected=wanted)
    if observation.get("outcome") == "returned" and not observation.get("forbidden"):
        wanted = diagnose.sentence("error-like", error=expected, pattern=pattern) if pattern else expected
        return failure("no-error-raised", expected=wanted)
    return judge_outcome(exercise, observation, evidence) or failure("crashed", detail="no outcome")
