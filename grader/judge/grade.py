"""Turn one submission's evidence into scored ExerciseResults and the Report.

Before any value is compared, the exercise must exist: a missing name, a cell that raised
before defining it, a cell that does not parse or a ruled-out call found in the source each
explain the whole exercise at once, instead of one confusing failure per case.
"""
from __future__ import annotations

import difflib
import re

from grader.i18n import _
from grader.judge import diagnose, graphs
from grader.judge.behaviour import case_token
from grader.judge.kinds import JUDGES
from grader.judge.outcome import Evidence
from grader.judge.verdict import Verdict
from grader.model import Attachment, CheckResult, Diagnosis, ExerciseResult, round_score
from grader.observe.figures import MAX_IMAGES
from grader.observe.inputs import describe
from grader.pack.kinds import KINDS
from grader.pack.load import Case, Check, Exercise
from grader.pack.probes import probes_for
from grader.source.excerpt import function_source
from grader.source.submission import Cell
from grader.source.typography import ascii_for, description


def grade_exercise(exercise: Exercise, evidence: Evidence, cells: tuple[Cell, ...],
                   *, public_only: bool = False, detail: str = "full") -> ExerciseResult:
    blocking = (_presence(exercise, evidence, cells) or _not_attempted(exercise, evidence, public_only)
                or _static_forbidden(exercise, evidence))
    results, behaviour = [], []
    for check in exercise.checks:
        if blocking:
            verdicts = [(blocking, None)] if check is exercise.checks[0] else [(Verdict(False), None)]
        else:
            verdicts = _judge_check(exercise, check, evidence, public_only)
        results.append(_check_result(check, verdicts, detail))
        behaviour += _behaviour(exercise, check, verdicts)
    score = round_score(sum(r.score for r in results))
    status = _status(exercise, score, blocking, results)
    return ExerciseResult(id=exercise.id, title=exercise.title, score=score,
                          max_score=exercise.max_score, status=status, checks=tuple(results),
                          attachments=_attachments(exercise, evidence),
                          source=function_source(exercise.function, evidence.source, cells),
                          behaviour=tuple(behaviour))


def _behaviour(exercise: Exercise, check: Check, verdicts: list[tuple[Verdict, object]]) -> list[str]:
    """One token per case; a per-student exercise's wrong values differ by input, so no digest."""
    return [case_token(check.index, getattr(case, "index", None), verdict.ok, verdict.code,
                       "" if exercise.per_student else verdict.observed)
            for verdict, case in verdicts]


def _judge_check(exercise: Exercise, check: Check, evidence: Evidence,
                 public_only: bool) -> list[tuple[Verdict, object]]:
    """(verdict, case) for every case of the check."""
    judge = JUDGES[check.kind]
    if not KINDS[check.kind].per_case:
        return [(judge(exercise, check, evidence), None)]
    verdicts = []
    cases = {case.index: case for case in exercise.cases}
    for item in probes_for(exercise, public_only=public_only):
        if item.check != check.index:
            continue
        observation = evidence.run.probes.get(item.key, {"outcome": "died", "reason": "crashed",
                                                         "detail": _("no observation came back")})
        case = cases[item.case]
        verdict = judge(exercise, check, case, item, observation, evidence)
        verdicts.append((graphs.with_graphs(verdict, verdicts, exercise, case, item, observation, evidence), case))
    return verdicts


def _check_result(check: Check, verdicts: list[tuple[Verdict, object]], detail: str) -> CheckResult:
    passed = sum(1 for verdict, _ in verdicts if verdict.ok)
    total = len(verdicts)
    diagnoses = []
    for verdict, case in verdicts:
        if verdict.ok or not verdict.code:
            continue
        hidden = bool(case is not None and case.hidden)
        diagnoses.append(Diagnosis(
            code=verdict.code, message=verdict.message,
            case=_case_label(case) if case is not None else "",
            check=check.name, details="" if hidden or detail == "summary" else verdict.details,
            hidden=hidden, graphs=None if detail == "summary" else verdict.graphs))
    score = round_score(check.points * passed / total) if total else 0.0
    return CheckResult(name=check.name, kind=check.kind, score=score, max_score=check.points,
                       cases_passed=passed, cases_total=total, diagnoses=tuple(diagnoses))


def _case_label(case: Case) -> str:
    if case.hidden:
        return _("a hidden case")
    label = describe(case.inputs)
    return f"{case.name}: {label}" if case.name else label


def _status(exercise: Exercise, score: float, blocking: Verdict | None, results) -> str:
    if blocking is not None and blocking.code in ("not-defined", "not-attempted"):
        return "missing"
    if score >= exercise.max_score - 1e-9:
        return "passed"
    if score > 0:
        return "partial"
    raised = blocking.raised if blocking else all(
        d.code in _ERROR_CODES for r in results for d in r.diagnoses)
    return "error" if raised else "failed"


_ERROR_CODES = {"cell-error", "syntax-error", "typographic-characters", "function-raised", "timeout",
                "memory-limit", "crashed", "int-dtype", "non-scalar-backward", "retain-graph",
                "create-graph", "dot-2d", "wrong-error"}


def _presence(exercise: Exercise, evidence: Evidence, cells: tuple[Cell, ...]) -> Verdict | None:
    """Why a name the exercise needs is not there, precisely: which cell, which line."""
    names = {n.get("name"): n.get("callable") for n in evidence.run.names if isinstance(n, dict)}
    for name in exercise.defines:
        if names.get(name):
            continue
        problem = _syntax_problem_defining(name, evidence, cells)
        if problem is not None:
            return problem
        cell = evidence.source.defined_in.get(name)
        record = evidence.run.cells.get(cell, {}) if cell else {}
        if record.get("status") in ("error", "died"):
            error = record.get("error") or {"type": record.get("reason", "crash"),
                                            "message": record.get("detail", "")}
            text = diagnose.message("cell-error", name=name, cell=evidence.source.cell_name(cell),
                                    error=diagnose.error_sentence(error, with_line=False) + _at_line(error))
            mistake = diagnose.cell_mistake(error, exercise.errors)
            if mistake:
                return Verdict(False, mistake[0], f"{text} {mistake[1]}", raised=True)
            return Verdict(False, "cell-error", text, raised=True)
        callables = [n for n, is_callable in names.items() if is_callable and n]
        close = difflib.get_close_matches(name, callables, n=1, cutoff=0.6)
        suggestion = diagnose.sentence("did-you-mean", name=close[0]) if close else ""
        return Verdict(False, "not-defined", diagnose.message("not-defined", name=name, suggestion=suggestion))
    return None


def _not_attempted(exercise: Exercise, evidence: Evidence, public_only: bool) -> Verdict | None:
    """The stub as handed out: every call raised NotImplementedError. Nothing to grade yet, which
    is not a crash, and one line says so instead of one error per case."""
    observations = [evidence.run.probes.get(item.key, {})
                    for item in probes_for(exercise, public_only=public_only)]
    if not observations or not all(o.get("outcome") == "raised"
                                   and o.get("error", {}).get("type") == "NotImplementedError"
                                   for o in observations):
        return None
    return Verdict(False, "not-attempted", diagnose.message(
        "not-attempted", name=exercise.function or exercise.id,
        where=_in_cell(evidence.source.cell_name(observations[0]["error"].get("cell")))))


def _at_line(error: dict) -> str:
    return _(" at line {line}: {source_line}", line=error["line"], source_line=error.get("source_line", "")) \
        if error.get("line") else ""


def _in_cell(name: str) -> str:
    return _(" in {name}", name=name) if name else ""


def _syntax_problem_defining(name: str, evidence: Evidence, cells: tuple[Cell, ...]) -> Verdict | None:
    pattern = re.compile(rf"^\s*def\s+{re.escape(name)}\b|^\s*{re.escape(name)}\s*=", re.M)
    for cell in cells:
        problem = evidence.source.problems.get(cell.index)
        if problem is None or not pattern.search(cell.code):
            continue
        if problem.character:
            return Verdict(False, "typographic-characters", diagnose.message(
                "typographic-characters", cell=cell.name, line=problem.line,
                character=description(problem.character),
                source_line=problem.source_line, ascii=ascii_for(problem.character)),
                raised=True)
        return Verdict(False, "syntax-error", diagnose.message(
            "syntax-error", cell=cell.name, name=name,
            error=_("{problem}, line {line}: {source_line}", problem=problem.message, line=problem.line,
                    source_line=problem.source_line)), raised=True)
    return None


def _static_forbidden(exercise: Exercise, evidence: Evidence) -> Verdict | None:
    if not exercise.forbid or not exercise.function:
        return None
    calls = evidence.source.forbidden_calls(exercise.function, exercise.forbid)
    if not calls:
        return None
    where = "; ".join(_("{call} in {cell}, line {line}", call=c.name, cell=evidence.source.cell_name(c.cell),
                        line=c.line) for c in calls[:3])
    return Verdict(False, "forbidden-call", diagnose.message("forbidden-call", call=where)
                   + diagnose.sentence("compute-another-way"))


def _attachments(exercise: Exercise, evidence: Evidence) -> tuple[Attachment, ...]:
    if not any(KINDS[c.kind].figures for c in exercise.checks):
        return ()
    return tuple(Attachment("figure", "image/png", f["png"],
                            _("figure drawn in {cell}", cell=evidence.source.cell_name(f.get("cell")) or _("a cell")))
                 for f in evidence.run.figures[:MAX_IMAGES] if isinstance(f, dict) and f.get("png"))

