"""value, grad and input_grad: the student's observation against the solution's, on the same call.

A mismatch is named by the autograd trace's evidence first (judge/trace_diagnose.py: what the
student's code did, with its line), then by the first known wrong answer it matches: the
exercise's own `like` functions from solutions/, then the patterns every exercise shares (a
transposed Jacobian, only the Hessian's diagonal).
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import torch

from grader.errors import PackError, PackProblem
from grader.judge import diagnose, trace_diagnose
from grader.judge.behaviour import value_digest
from grader.judge.compare import close, compare
from grader.judge.outcome import Evidence, failure, mismatch_text, when_returned
from grader.judge.verdict import PASS, Verdict
from grader.observe.encode import Decoded, decode
from grader.pack.load import Case, Check, Exercise
from grader.pack.probes import Probe

_MISSING = object()


@when_returned
def judge(exercise: Exercise, check: Check, case: Case, item: Probe, observation: dict[str, Any],
          evidence: Evidence) -> Verdict:
    if exercise.require_autograd and check.kind == "value" and observation.get("autograd_calls") == 0:
        return failure("autograd-not-used")
    reference = evidence.references.observe(exercise, item, student=evidence.student)
    if reference.get("outcome") != "returned":
        raise PackError([PackProblem(exercise.file, 0, 0, f"checks[{check.index}]",
                                     f"the reference solution failed on case {case.index}: "
                                     f"{diagnose.error_sentence(reference.get('error', {}))}")])
    got, expected = decode(observation.get("value")), decode(reference["value"])
    options = check.options
    rtol, atol = options.get("rtol", exercise.rtol), options.get("atol", exercise.atol)
    mismatches = compare(got, expected, rtol=rtol, atol=atol, exact_dtype=options.get("exact_dtype", False))
    if not mismatches:
        return PASS
    traced = trace_diagnose.explain_value(observation, reference, got, expected, evidence.source.cell_name, rtol, atol)
    code, hint = (trace_diagnose.with_known(traced, _known_wrong(exercise, item, got, expected, evidence, rtol, atol))
                  or (mismatches[0].code, ""))
    return replace(failure(code, hint or diagnose.message(code), mismatch_text(mismatches)),
                   observed=value_digest(got))


def _known_wrong(exercise: Exercise, item: Probe, got: Any, expected: Any, evidence: Evidence,
                 rtol, atol) -> tuple[str, str] | None:
    """The first known wrong answer the student's result matches, with its hint."""
    for rule in exercise.diagnoses:
        if not rule.like:
            continue
        variant = evidence.references.observe(exercise, item, like=rule.like, student=evidence.student)
        if variant.get("outcome") != "returned":
            continue
        wrong = decode(variant["value"])
        mine, theirs, right = (_at(v, rule.at) for v in (got, wrong, expected))
        if mine is not _MISSING and close(mine, theirs, rtol, atol) and not close(theirs, right, rtol, atol):
            return rule.code, rule.hint
    return _builtin_pattern(got, expected, rtol, atol)


def _at(value: Any, path: str) -> Any:
    """`result[1]` of a value, or the whole value when no path is given."""
    for index in re.findall(r"\[(\d+)\]", path or ""):
        if not isinstance(value, (tuple, list)) or int(index) >= len(value):
            return _MISSING
        value = value[int(index)]
    return value


def _builtin_pattern(got: Any, expected: Any, rtol, atol) -> tuple[str, str] | None:
    if not (isinstance(got, Decoded) and isinstance(expected, Decoded) and expected.tensor.dim() == 2):
        return None
    ref = expected.tensor
    transposed = Decoded.plain(ref.T.contiguous())
    if ref.shape[0] != ref.shape[1] or not torch.equal(ref, ref.T):
        if close(got, transposed, rtol, atol):
            return "transposed", ""
    if ref.shape[0] == ref.shape[1] and tuple(got.tensor.shape) == tuple(ref.shape):
        off = ref - torch.diag(torch.diagonal(ref))
        got_diagonal, ref_diagonal = (Decoded.plain(torch.diagonal(t).contiguous()) for t in (got.tensor, ref))
        if off.abs().max() > 0 and close(got_diagonal, ref_diagonal, rtol, atol):
            return "hessian-diagonal", ""
    return None
