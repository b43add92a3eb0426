"""Judge each check kind, case by case, from the child's observations and the references.

One judge per kind, all with the same signature; `JUDGES` is the registry (like torch's
pair_types). A judge returns a Verdict and never raises on student data.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Callable

import torch

from grader.judge import diagnose, figurecheck, trace_diagnose
from grader.judge.compare import Mismatch, close, compare
from grader.observe.encode import Decoded, decode
from grader.errors import PackError, PackProblem
from grader.observe.inputs import build_inputs, describe
from grader.insight.behaviour import value_digest
from grader.pack.load import Case, Check, Exercise
from grader.run.plan import Probe, References
from grader.observe.records import RunResult
from grader.source.static import SourceIndex
from grader.judge.verdict import PASS, Verdict


@dataclass
class Evidence:
    """What one submission produced, for every judge: observations, source, references."""

    run: RunResult
    source: SourceIndex
    references: References
    student: str = ""


def _failure(code: str, message: str = "", details: str = "", raised: bool = False, **fields) -> Verdict:
    return Verdict(False, code, message or diagnose.message(code, **fields), details, raised)


def judge_outcome(exercise: Exercise, observation: dict[str, Any], evidence: Evidence) -> Verdict | None:
    """A verdict when the call did not simply return: missing, died, raised or forbidden."""
    if observation.get("forbidden"):
        return _failure("forbidden-call", call=", ".join(observation["forbidden"]), raised=True)
    outcome = observation.get("outcome")
    if outcome == "missing":
        return _failure("not-defined", name=exercise.function, suggestion="")
    if outcome == "died":
        reason = observation.get("reason", "crashed")
        code = reason if reason in ("timeout", "memory-limit") else "crashed"
        return _failure(code, detail=observation.get("detail", ""), raised=True)
    if outcome == "raised":
        error = observation.get("error", {})
        code, hint = (trace_diagnose.explain_error(observation, evidence.source.cell_name)
                      or diagnose.code_for_error(error, exercise.errors))
        described = diagnose.describe_error(error, cell_name=evidence.source.cell_name)
        fields = {"error": described, "detail": error.get("message", ""), "call": error.get("message", "")}
        if error.get("phase") == "observe" and code == "function-raised":
            return _failure("mismatch", f"The result could not be used: {described}")
        message = hint or diagnose.message(code, **fields)
        where = (f"\nin {evidence.source.cell_name(error['cell'])}, line {error.get('line', '?')}: "
                 f"{error.get('source_line', '')}" if error.get("cell") else "")
        details = "" if code == "function-raised" else diagnose.describe_error(error, with_line=False) + where
        return Verdict(False, code, message, details, raised=True)
    if outcome != "returned":
        return _failure("crashed", detail="the child sent no usable observation", raised=True)
    return None


def judge_compared(exercise: Exercise, check: Check, case: Case, item: Probe,
                   observation: dict[str, Any], evidence: Evidence) -> Verdict:
    """value, grad and input_grad: the student's observation against the solution's."""
    failed = judge_outcome(exercise, observation, evidence)
    if failed:
        return failed
    if exercise.require_autograd and check.kind == "value" and observation.get("autograd_calls") == 0:
        return _failure("autograd-not-used")
    reference = evidence.references.observe(exercise, item, student=evidence.student)
    if reference.get("outcome") != "returned":
        raise PackError([PackProblem(exercise.file, 0, 0, f"checks[{check.index}]",
                                     f"the reference solution failed on case {case.index}: "
                                     f"{diagnose.describe_error(reference.get('error', {}))}")])
    got, expected = decode(observation.get("value")), decode(reference["value"])
    options = check.options
    rtol, atol = options.get("rtol", exercise.rtol), options.get("atol", exercise.atol)
    mismatches = compare(got, expected, rtol=rtol, atol=atol, exact_dtype=options.get("exact_dtype", False))
    if not mismatches:
        return PASS
    traced = trace_diagnose.explain_value(observation, reference, got, expected, evidence.source.cell_name, rtol, atol)
    code, hint = (trace_diagnose.with_known(traced, _known_wrong(exercise, item, got, expected, evidence, rtol, atol))
                  or (mismatches[0].code, ""))
    return replace(_failure(code, hint or diagnose.message(code), _mismatch_text(mismatches)),
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


_MISSING = object()


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


def _mismatch_text(mismatches: list[Mismatch]) -> str:
    parts = []
    for m in mismatches:
        parts.append(m.summary + (":\n" + m.details if m.details else "."))
    return "\n".join(parts)


def judge_raises(exercise, check, case, item, observation, evidence) -> Verdict:
    expected, pattern = check.options.get("error", "Exception"), check.options.get("match", "")
    error = observation.get("error", {})
    if observation.get("outcome") == "raised" and not error.get("signal"):
        names = [error.get("type")] + list(error.get("bases", []))
        if expected in names and re.search(pattern, str(error.get("message", ""))):
            return PASS
        wanted = f"{expected} matching “{pattern}”" if pattern else expected
        return _failure("wrong-error", got=diagnose.describe_error(error, cell_name=evidence.source.cell_name),
                        expected=wanted)
    if observation.get("outcome") == "returned" and not observation.get("forbidden"):
        return _failure("no-error-raised", expected=f"{expected} (“{pattern}”)" if pattern else expected)
    return judge_outcome(exercise, observation, evidence) or _failure("crashed", detail="no outcome")


def judge_properties(exercise, check, case, item, observation, evidence) -> Verdict:
    failed = judge_outcome(exercise, observation, evidence)
    if failed:
        return failed
    got = decode(observation.get("value"))
    if not isinstance(got, Decoded):
        return _failure("mismatch", f"A tensor was expected; the function returned {got!r}.")
    expect = check.options.get("expect", {})
    if expect.get("is_leaf") and not got.is_leaf:
        return _failure("not-a-leaf", trace_diagnose.explain_not_a_leaf(observation, evidence.source, item.function),
                        details=f"The result has grad_fn={got.grad_fn}.")
    if expect.get("requires_grad") and not got.requires_grad:
        return _failure("no-grad-tracking", "The result does not require grad: call "
                                            ".requires_grad_(True) on the leaf you return.")
    if "grad_fn" in expect and bool(got.grad_fn) != bool(expect["grad_fn"]):
        return _failure("mismatch", f"grad_fn should be {'set' if expect['grad_fn'] else 'None'}, got {got.grad_fn}.")
    name = check.options.get("same_values_as")
    if name:
        original = build_inputs(case.inputs, case.seed, exercise.seed_owner(evidence.student))[name].detach()
        reference = Decoded.plain(original)
        mismatches = compare(got, reference)
        if mismatches:
            return _failure(mismatches[0].code, f"The result should hold {name}'s values and shape.",
                            _mismatch_text(mismatches))
    if check.options.get("backward_fills_grad"):
        grad = decode(observation.get("grad_after_backward"))
        ones = Decoded.plain(torch.ones_like(got.tensor))
        if not isinstance(grad, Decoded) or not close(grad, ones):
            return _failure("not-a-leaf", "After result.sum().backward(), result.grad should be all "
                                          "ones, and it is not: the result is not a leaf of its own graph.")
    return PASS


def judge_differentiable(exercise, check, case, item, observation, evidence) -> Verdict:
    failed = judge_outcome(exercise, observation, evidence)
    if failed:
        return failed
    gradient = decode(observation.get("gradient"))
    if not isinstance(gradient, Decoded):
        return _failure("no-grad-tracking", "The output does not depend on the input through "
                                            "autograd (it does not require grad): a constant, or a detached value.")
    if not gradient.tensor.abs().sum() > 0:
        return _failure("no-grad-tracking", "The gradient of the output is zero everywhere: the "
                                            "output does not depend on the input differentiably.")
    return PASS


def judge_gradcheck(exercise, check, case, item, observation, evidence) -> Verdict:
    failed = judge_outcome(exercise, observation, evidence)
    if failed:
        return failed
    analytic, numeric = decode(observation.get("analytic")), decode(observation.get("numeric"))
    if not observation.get("output_requires_grad") or not isinstance(analytic, Decoded):
        return _failure("no-grad-tracking", "The output does not require grad, so autograd has no "
                                            "gradient to check.")
    if not isinstance(numeric, Decoded):
        return _failure("gradcheck-failed", name=item.function)
    mismatches = compare(analytic, numeric, rtol=check.options.get("rtol", 1e-3),
                         atol=check.options.get("atol", 1e-5), path="autograd gradient")
    if mismatches:
        return _failure("gradcheck-failed", details=_mismatch_text(mismatches).replace(
            "expected", "finite-difference"), name=item.function)
    return PASS


Judge = Callable[[Exercise, Check, Case, Probe, dict, Evidence], Verdict]
JUDGES: dict[str, Judge] = {
    "value": judge_compared, "grad": judge_compared, "input_grad": judge_compared,
    "raises": judge_raises, "properties": judge_properties,
    "differentiable": judge_differentiable, "gradcheck": judge_gradcheck,
}


def judge_control_flow(exercise: Exercise, check: Check, evidence: Evidence) -> Verdict:
    name = check.function or exercise.function
    if evidence.source.has_control_flow(name):
        return PASS
    return _failure("no-control-flow", name=name)


def judge_figure(exercise: Exercise, check: Check, evidence: Evidence) -> Verdict:
    verdict = figurecheck.find_curves(evidence.run.figures, check.options, evidence.source.cell_name)
    return PASS if verdict.ok else verdict


WHOLE_SUBMISSION_JUDGES = {"control_flow": judge_control_flow, "figure": judge_figure}


def case_label(case: Case) -> str:
    if case.hidden:
        return "a hidden case"
    label = describe(case.inputs)
    return f"{case.name}: {label}" if case.name else label
