"""differentiable: the output must depend on the input through autograd, with a nonzero gradient."""
from __future__ import annotations

from typing import Any

from grader.judge import diagnose
from grader.judge.outcome import Evidence, failure, when_returned
from grader.judge.verdict import PASS, Verdict
from grader.observe.encode import Decoded, decode
from grader.pack.load import Case, Check, Exercise
from grader.pack.probes import Probe


@when_returned
def judge(exercise: Exercise, check: Check, case: Case, item: Probe, observation: dict[str, Any],
          evidence: Evidence) -> Verdict:
    gradient = decode(observation.get("gradient"))
    if not isinstance(gradient, Decoded):
        return failure("no-grad-tracking", diagnose.sentence("output-not-tracked"))
    if not gradient.tensor.abs().sum() > 0:
        return failure("no-grad-tracking", diagnose.sentence("zero-gradient"))
    return PASS
