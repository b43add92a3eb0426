"""properties: the returned tensor's autograd flags (is_leaf, requires_grad, grad_fn), that it holds
an input's values, and that result.sum().backward() fills its own .grad with ones."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch

from grader.judge import diagnose, trace_diagnose
from grader.judge.compare import close, compare
from grader.judge.outcome import Evidence, failure, mismatch_text, when_returned
from grader.judge.verdict import PASS, Verdict
from grader.observe.encode import Decoded, decode
from grader.observe.inputs import build_inputs
from grader.pack.load import Case, Check, Exercise
from grader.pack.probes import Probe


@when_returned
def judge(exercise: Exercise, check: Check, case: Case, item: Probe, observation: dict[str, Any],
          evidence: Evidence) -> Verdict:
    got = decode(observation.get("value"))
    if not isinstance(got, Decoded):
        return failure("mismatch", diagnose.sentence("not-a-tensor", got=repr(got)))
    flags = _flags(got, check.options.get("expect", {}))
    if flags and flags.code == "not-a-leaf":
        flags = replace(flags, message=trace_diagnose.explain_not_a_leaf(observation, evidence.source, item.function)
                        or flags.message)
    if flags:
        return flags
    name = check.options.get("same_values_as")
    if name:
        original = build_inputs(case.inputs, case.seed, exercise.seed_owner(evidence.student))[name].detach()
        mismatches = compare(got, Decoded.plain(original))
        if mismatches:
            return failure(mismatches[0].code, diagnose.sentence("same-values", name=name),
                           mismatch_text(mismatches))
    if check.options.get("backward_fills_grad"):
        grad = decode(observation.get("grad_after_backward"))
        if not isinstance(grad, Decoded) or not close(grad, Decoded.plain(torch.ones_like(got.tensor))):
            return failure("not-a-leaf", diagnose.sentence("backward-fills-grad"))
    return PASS


def _flags(got: Decoded, expect: dict[str, Any]) -> Verdict | None:
    if expect.get("is_leaf") and not got.is_leaf:
        return failure("not-a-leaf", details=diagnose.sentence("has-grad-fn", grad_fn=got.grad_fn))
    if expect.get("requires_grad") and not got.requires_grad:
        return failure("no-grad-tracking", diagnose.sentence("result-not-tracked"))
    if "grad_fn" in expect and bool(got.grad_fn) != bool(expect["grad_fn"]):
        wanted = "grad-fn-set" if expect["grad_fn"] else "grad-fn-none"
        return failure("mismatch", diagnose.sentence(wanted, grad_fn=got.grad_fn))
    return None
