"""gradcheck: autograd's Jacobian of the student's function against its own finite differences."""
from __future__ import annotations

from typing import Any

from grader.judge import diagnose
from grader.judge.compare import compare
from grader.judge.outcome import Evidence, failure, mismatch_text, when_returned
from grader.judge.verdict import PASS, Verdict
from grader.observe.encode import Decoded, decode
from grader.pack.load import Case, Check, Exercise
from grader.pack.probes import Probe


@when_returned
def judge(exercise: Exercise, check: Check, case: Case, item: Probe, observation: dict[str, Any],
          evidence: Evidence) -> Verdict:
    analytic, numeric = decode(observation.get("analytic")), decode(observation.get("numeric"))
    if not observation.get("output_requires_grad") or not isinstance(analytic, Decoded):
        return failure("no-grad-tracking", diagnose.sentence("nothing-to-gradcheck"))
    if not isinstance(numeric, Decoded):
        return failure("gradcheck-failed", name=item.function)
    mismatches = compare(analytic, numeric, rtol=check.options.get("rtol", 1e-3),
                         atol=check.options.get("atol", 1e-5), path="autograd gradient")
    if mismatches:
        return failure("gradcheck-failed", details=mismatch_text(mismatches).replace(
            "expected", "finite-difference"), name=item.function)
    return PASS
