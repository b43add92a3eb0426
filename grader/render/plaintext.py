"""Per-student feedback as plain text, for LMS comment boxes that show text exactly as typed.

The Markdown feedback reads badly where Markdown is not rendered (tables, `**`, fences); this
says the same things with indentation only, and nothing meant for staff: no sandbox line, no
command-line flags.
"""
from __future__ import annotations

from grader.i18n import _
from grader.render.labels import status_label
from grader.render import fold
from grader.render.feedback import NOT_ATTEMPTED, not_attempted
from grader.render.numbers import points
from grader.model import Diagnosis, ExerciseResult, Report
from grader.render.terminal import cells_and_notes

MAX_DETAIL_LINES = 12


def to_plain(report: Report) -> str:
    width = max((len(e.id) for e in report.exercises), default=10) + 2
    lines = [_("Feedback for {who}", who=report.student or report.submission),
             _("Submission: {file}", file=report.submission),
             _("Total: {score} / {max_score}", score=points(report.score), max_score=points(report.max_score)), ""]
    lines += [f"  {e.id:<{width}}{points(e.score)} / {points(e.max_score)}  {status_label(e.status)}"
              for e in report.exercises]
    unattempted = not_attempted(report)
    if unattempted:
        lines += ["", _("Not attempted yet:") + " " + _("{ids}. {advice}", ids=", ".join(e.id for e in unattempted),
                                                         advice=_(NOT_ATTEMPTED))]
    for exercise in report.exercises:
        if exercise.diagnoses and exercise not in unattempted:
            lines += ["", *_exercise_lines(exercise)]
    lines += cells_and_notes(report)
    return "\n".join(lines).rstrip() + "\n"


def _exercise_lines(exercise: ExerciseResult) -> list[str]:
    lines = [f"{exercise.id}: {exercise.title} "
             f"({points(exercise.score)} / {points(exercise.max_score)}, {status_label(exercise.status)})"]
    for group in fold.grouped(exercise.diagnoses):
        lines += _diagnosis_lines(group[0])
        if len(group) > 1:
            lines.append("    " + _("The same on {cases}.", cases=fold.same_on(group)))
    return lines


def _diagnosis_lines(diagnosis: Diagnosis) -> list[str]:
    lines = [f"  [{diagnosis.code}] {' '.join(diagnosis.message.split())}"]
    if diagnosis.hidden:
        return lines
    if diagnosis.case:
        lines.append("    " + _("case: {case}", case=diagnosis.case))
    lines += [f"      {line}" for line in diagnosis.details.splitlines()[:MAX_DETAIL_LINES]]
    return lines
