"""Render a Report for people (terminal text) and for programs (the spec's JSON).

Summary first, details after: a line per exercise, then under each failure the case, what
differed (assert_close's numbers and the worst elements) and what to do. Repeated failures of
the same kind are folded so the first screen stays readable.
"""
from __future__ import annotations

import json

from grader.i18n import _
from grader.render.labels import status_label
from grader.render import fold
from grader.render.graph_text import pair_lines
from grader.render.isolation import describe
from grader.render.numbers import points
from grader.model import Diagnosis, ExerciseResult, Report
from grader.text import one_line

MARKS = {"passed": "✓", "partial": "◐", "failed": "✗", "error": "!", "missing": "?"}
MAX_DETAIL_LINES = 10


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)


def json_file(report: Report) -> str:
    return to_json(report) + "\n"


def to_text(report: Report, *, verbose: bool = False,
            fold_hint: str | None = None, graphs: bool | None = None) -> str:
    """The terminal report; `fold_hint` says how to see folded cases ("" where nothing can;
    None: --verbose); `graphs` draws the autograd graphs of failing cases (by default with `verbose`)."""
    fold_hint = _("--verbose shows each") if fold_hint is None else fold_hint
    width = max((len(e.id) for e in report.exercises), default=10) + 2
    lines = [_("Grading {submission}", submission=report.submission)
             + (f" ({report.student})" if report.student else ""), ""]
    for exercise in report.exercises:
        lines.append(f"  {MARKS.get(exercise.status, ' ')} {exercise.id:<{width}}"
                     f"{_out_of(exercise.score, exercise.max_score)}  {status_label(exercise.status)}")
        lines.extend(_exercise_details(exercise, verbose, fold_hint, verbose if graphs is None else graphs))
    lines += cells_and_notes(report)
    if report.isolation:
        lines += ["", _("Sandbox: {description}", description=describe(report.isolation))]
    lines += ["", _("Total: {score}", score=_out_of(report.score, report.max_score))]
    return "\n".join(lines) + "\n"


def _out_of(score: float, max_score: float) -> str:
    return f"{points(score, fixed=True)}/{points(max_score, fixed=True)}"


def cells_and_notes(report: Report) -> list[str]:
    """The cells that raised, then the notes: the same in the terminal and in plain-text feedback."""
    lines = []
    failed_cells = [c for c in report.cells if c.status != "ok"]
    if failed_cells:
        lines += ["", _("Cells that raised (the cells after them still ran):")]
        for cell in failed_cells:
            where = _(", line {line}: {source}", line=cell.line, source=cell.source_line) if cell.line else ""
            lines.append(f"  {cell.name}: {cell.error_type}: {one_line(cell.message, 160)}{where}")
            if cell.code:
                lines.append(f"    [{cell.code}] {cell.hint}")
    if report.notes:
        lines += ["", _("Notes:")] + [f"  {note}" for note in report.notes]
    return lines


def _exercise_details(exercise: ExerciseResult, verbose: bool, fold_hint: str, graphs: bool) -> list[str]:
    """Per check and code: the first failing case in full; the others on one line."""
    lines = []
    for group in fold.grouped(exercise.diagnoses):
        shown = group if verbose else group[:1]
        drawn = fold.graphs(group) if graphs else None
        owner = next((d for d in shown if drawn and d.graphs is drawn[1]), shown[0])
        for diagnosis in shown:
            lines.extend(_diagnosis_lines(diagnosis))
            if drawn is not None and diagnosis is owner:
                case = "" if owner.graphs is drawn[1] else drawn[0]
                lines.extend(f"        {line}" for line in pair_lines(drawn[1], case))
        if not verbose and len(group) > 1:
            hint = f" ({fold_hint})" if fold_hint else ""
            lines.append("        " + _("The same on {cases}{hint}.", cases=fold.same_on(group), hint=hint))
    return lines


def _diagnosis_lines(diagnosis: Diagnosis) -> list[str]:
    """A diagnosis about the whole exercise (no case, no details) takes one line."""
    if not diagnosis.case and not diagnosis.details:
        return [f"      [{diagnosis.code}] {diagnosis.message}"]
    where = f"{diagnosis.check}" + (_(", case {case}", case=diagnosis.case) if diagnosis.case else "")
    lines = [f"      [{diagnosis.code}] {where}", f"        {diagnosis.message}"]
    for detail in diagnosis.details.splitlines()[:MAX_DETAIL_LINES]:
        lines.append(f"          {detail}")
    return lines
