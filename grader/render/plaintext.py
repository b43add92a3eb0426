"""Per-student feedback as plain text, for LMS comment boxes that show text exactly as typed.

The Markdown feedback reads badly where Markdown is not rendered (tables, `**`, fences); this
says the same things with indentation only, and nothing meant for staff: no sandbox line, no
command-line flags.
"""
from __future__ import annotations

from grader.render import fold
from grader.render.feedback import NOT_ATTEMPTED, not_attempted
from grader.render.numbers import points
from grader.model import Diagnosis, ExerciseResult, Report
from grader.render.terminal import cells_and_notes

MAX_DETAIL_LINES = 12


def to_plain(report: Report) -> str:
    width = max((len(e.id) for e in report.exercises), default=10) + 2
    lines = [f"Feedback for {report.student or report.submission}",
             f"Submission: {report.submission}",
             f"Total: {points(report.score)} / {points(report.max_score)}", ""]
    lines += [f"  {e.id:<{width}}{points(e.score)} / {points(e.max_score)}  {e.status}"
              for e in report.exercises]
    unattempted = not_attempted(report)
    if unattempted:
        lines += ["", f"Not attempted yet: {', '.join(e.id for e in unattempted)}. {NOT_ATTEMPTED}"]
    for exercise in report.exercises:
        if exercise.diagnoses and exercise not in unattempted:
            lines += ["", *_exercise_lines(exercise)]
    lines += cells_and_notes(report)
    return "\n".join(lines).rstrip() + "\n"


def _exercise_lines(exercise: ExerciseResult) -> list[str]:
    lines = [f"{exercise.id}: {exercise.title} "
             f"({points(exercise.score)} / {points(exercise.max_score)}, {exercise.status})"]
    for group in fold.grouped(exercise.diagnoses):
        lines += _diagnosis_lines(group[0])
        if len(group) > 1:
            lines.append(f"    The same on {fold.same_on(group)}.")
    return lines


def _diagnosis_lines(diagnosis: Diagnosis) -> list[str]:
    lines = [f"  [{diagnosis.code}] {' '.join(diagnosis.message.split())}"]
    if diagnosis.hidden:
        return lines
    if diagnosis.case:
        lines.append(f"    case: {diagnosis.case}")
    lines += [f"      {line}" for line in diagnosis.details.splitlines()[:MAX_DETAIL_LINES]]
    return lines
