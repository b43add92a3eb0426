"""Render a Report for people (terminal text) and for programs (the spec's JSON).

Summary first, details after: a line per exercise, then under each failure the case, what
differed (assert_close's numbers and the worst elements) and what to do. Repeated failures of
the same kind are folded so the first screen stays readable.
"""
from __future__ import annotations

import json

from grader.model import Diagnosis, ExerciseResult, Report

MARKS = {"passed": "✓", "partial": "◐", "failed": "✗", "error": "!", "missing": "?"}
SHOWN_FOLDED = 3
MAX_DETAIL_LINES = 10


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)


def to_text(report: Report, *, verbose: bool = False) -> str:
    width = max((len(e.id) for e in report.exercises), default=10) + 2
    lines = [f"Grading {report.submission}" + (f" ({report.student})" if report.student else ""), ""]
    for exercise in report.exercises:
        lines.append(f"  {MARKS.get(exercise.status, ' ')} {exercise.id:<{width}}"
                     f"{_points(exercise.score)}/{_points(exercise.max_score)}  {exercise.status}")
        lines.extend(_exercise_details(exercise, verbose))
    failed_cells = [c for c in report.cells if c.status != "ok"]
    if failed_cells:
        lines += ["", "Cells that raised (the cells after them still ran):"]
        for cell in failed_cells:
            where = f", line {cell.line}: {cell.source_line}" if cell.line else ""
            lines.append(f"  cell {cell.index}: {cell.error_type}: {_one_line(cell.message)}{where}")
            if cell.code:
                lines.append(f"    [{cell.code}] {cell.hint}")
    if report.notes:
        lines += ["", "Notes:"] + [f"  {note}" for note in report.notes]
    if report.isolation:
        from grader.sandbox import describe

        lines += ["", f"Sandbox: {describe(report.isolation)}"]
    lines += ["", f"Total: {_points(report.score)}/{_points(report.max_score)}"]
    return "\n".join(lines) + "\n"


def _exercise_details(exercise: ExerciseResult, verbose: bool) -> list[str]:
    """Per check: the first failing case in full; the others with the same code on one line."""
    lines = []
    by_check: dict[str, list[Diagnosis]] = {}
    for diagnosis in exercise.diagnoses:
        by_check.setdefault(diagnosis.check, []).append(diagnosis)
    for diagnoses in by_check.values():
        shown, folded = [], []
        for diagnosis in diagnoses:
            same = any(d.code == diagnosis.code for d in shown)
            (folded if same and not verbose else shown).append(diagnosis)
        for diagnosis in shown:
            lines.extend(_diagnosis_lines(diagnosis))
        if folded:
            cases = "; ".join(d.case or "another case" for d in folded[:SHOWN_FOLDED])
            more = f" and {len(folded) - SHOWN_FOLDED} more" if len(folded) > SHOWN_FOLDED else ""
            lines.append(f"        The same on {cases}{more} (--verbose shows each).")
    return lines


def _diagnosis_lines(diagnosis: Diagnosis) -> list[str]:
    where = f"{diagnosis.check}" + (f", case {diagnosis.case}" if diagnosis.case else "")
    lines = [f"      [{diagnosis.code}] {where}", f"        {diagnosis.message}"]
    for detail in diagnosis.details.splitlines()[:MAX_DETAIL_LINES]:
        lines.append(f"          {detail}")
    return lines


def _points(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
