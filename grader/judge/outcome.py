"""What every judge starts from: one submission's evidence, and how a call ended.

A per-case judge (judge/kinds/) is wrapped in `when_returned`: a call that was missing, died,
raised or made a ruled-out call is judged by `judge_outcome`, the same way for every kind (only
`raises` looks at the outcome itself). Sentences come from judge/diagnose.py.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from grader import i18n
from grader.i18n import _
from grader.observe.budget import NOT_RUN
from grader.observe.guards import DEADLINE
from grader.judge import diagnose, trace_diagnose
from grader.judge.compare import Mismatch
from grader.judge.verdict import Verdict
from grader.observe.records import RunResult
from grader.pack.load import Case, Check, Exercise
from grader.pack.probes import Probe
from grader.source.static import SourceIndex


class ReferenceSource(Protocol):
    """The solutions' observations: run/references.py on a server, run/public.py in a notebook."""

    def observe(self, exercise: Exercise, item: Probe, like: str = "",
                student: str = "") -> dict[str, Any]: ...


@dataclass
class Evidence:
    """What one submission produced, for every judge: observations, source, references."""

    run: RunResult
    source: SourceIndex
    references: ReferenceSource
    student: str = ""


def failure(code: str, message: str = "", details: str = "", raised: bool = False, **fields) -> Verdict:
    """A failed verdict; without a message, the code's own sentence with `fields` filled in."""
    return Verdict(False, code, message or diagnose.message(code, **fields), details, raised)


def judge_outcome(exercise: Exercise, observation: dict[str, Any], evidence: Evidence) -> Verdict | None:
    """A verdict when the call did not simply return: missing, died, raised or forbidden."""
    if observation.get("forbidden"):
        return failure("forbidden-call", call=", ".join(observation["forbidden"]), raised=True)
    outcome = observation.get("outcome")
    if outcome == "missing":
        return failure("not-defined", name=exercise.function, suggestion="")
    if outcome == "died":
        reason = observation.get("reason", "crashed")
        code = reason if reason in ("timeout", "memory-limit") else "crashed"
        return failure(code, detail=child_text(observation.get("detail", "")), raised=True)
    if outcome == "raised":
        return _raised(exercise, observation, evidence)
    if outcome != "returned":
        return failure("crashed", detail=_("the child sent no usable observation"), raised=True)
    return None


CaseJudge = Callable[[Exercise, Check, Case, Probe, dict, "Evidence"], Verdict]


def when_returned(judge: CaseJudge) -> CaseJudge:
    """A per-case judge that sees only calls that returned; any other outcome is judge_outcome's."""
    @functools.wraps(judge)
    def judged(exercise: Exercise, check: Check, case: Case, item: Probe, observation: dict,
               evidence: Evidence) -> Verdict:
        return (judge_outcome(exercise, observation, evidence)
                or judge(exercise, check, case, item, observation, evidence))
    return judged


def _raised(exercise: Exercise, observation: dict[str, Any], evidence: Evidence) -> Verdict:
    """The error's code and hint: the trace's evidence (the earlier call that lacked the flag)
    first, then the exercise's error rules and the table."""
    error = observation.get("error", {})
    code, hint = (trace_diagnose.explain_error(observation, evidence.source.cell_name)
                  or diagnose.code_for_error(error, exercise.errors))
    described = diagnose.error_sentence(error, cell_name=evidence.source.cell_name)
    fields = {"error": described, "detail": child_text(error.get("message", "")), "call": error.get("message", "")}
    if error.get("phase") == "observe" and code == "function-raised":
        return failure("mismatch", diagnose.sentence("unusable-result", error=described))
    message = hint or diagnose.message(code, **fields)
    where = ("\n" + diagnose.sentence("where-in-cell", cell=evidence.source.cell_name(error["cell"]),
                               line=error.get("line", "?"), source_line=error.get("source_line", ""))
             if error.get("cell") else "")
    details = "" if code == "function-raised" else diagnose.error_sentence(error, with_line=False) + where
    return Verdict(False, code, message, details, raised=True)


def child_text(text: str) -> str:
    """What the sandboxed child said in English (a time limit), in the course's language."""
    return i18n.reword(str(text), (DEADLINE, NOT_RUN))


def mismatch_text(mismatches: list[Mismatch]) -> str:
    return "\n".join(m.summary + (":\n" + m.details if m.details else ".") for m in mismatches)
