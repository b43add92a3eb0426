"""Pieces every exporter shares: capped text, diagnosis lines, numbers a platform accepts.

Student code decides how long an error message is and what characters it holds, so every string
bound for a platform passes through `cap`; hidden-case diagnoses are told apart here, once.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from grader.i18n import _
from grader.model import Diagnosis, ExerciseResult, Report
from grader.render.numbers import points


def cap(text: str, limit: int, *, keep: str = "head") -> str:
    """At most `limit` characters, saying how much was cut: a silent cut reads as the whole story.

    `keep="tail"` keeps the end instead, where a traceback says what finally went wrong.
    """
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates from decoded bytes
    if len(text) <= limit:
        return text
    mark = "\n… " + _("[{count} characters, cut to fit]", count=len(text)) + "\n"
    if len(mark) >= limit:
        return text[:limit] if keep == "head" else text[len(text) - limit:]
    kept = limit - len(mark)
    return text[:kept] + mark if keep == "head" else mark + text[len(text) - kept:]


def budgets(lengths: list[int], per_item: int, total: int) -> list[int]:
    """Per-item caps that keep the sum within `total`: short texts keep all they have and the
    long ones share what is left, so one runaway output does not starve its neighbours."""
    caps = [0] * len(lengths)
    left = total
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    for rank, i in enumerate(order):
        caps[i] = max(0, min(lengths[i], per_item, left // (len(lengths) - rank)))
        left -= caps[i]
    return caps


def split_hidden(diagnoses: Iterable[Diagnosis]) -> tuple[list[Diagnosis], list[Diagnosis]]:
    """(visible, hidden): a hidden case's inputs and expected values never reach a student early."""
    visible: list[Diagnosis] = []
    hidden: list[Diagnosis] = []
    for d in diagnoses:
        (hidden if d.hidden else visible).append(d)
    return visible, hidden


def cases(group: list[Diagnosis]) -> str:
    """`case A` or `cases A; B` (case names hold commas: `x: float32[2, 3]`)."""
    names = [d.case for d in group if d.case]
    if not names:
        return ""
    return (_("cases {cases}", cases="; ".join(names)) if len(names) > 1
            else _("case {case}", case=names[0]))


def diagnosis_line(group: list[Diagnosis]) -> str:
    """One plain-text line: the code first, since programs and TAs scan for it."""
    first = group[0]
    where = _(", ").join(p for p in (cases(group), _("check {check}", check=first.check) if first.check else "")
                         if p)
    return f"[{first.code}] {first.message}" + (f" ({where})" if where else "")


def first_details(groups: list[list[Diagnosis]]) -> list[str]:
    """The details of each group's first case that has them: the text report's fold."""
    firsts = [next((d for d in group if d.details), None) for group in groups]
    return [f"[{d.code}] {d.case}\n{d.details}" for d in firsts if d is not None]


def hidden_line(group: list[Diagnosis]) -> str:
    """Hidden cases' diagnosis with only its code: its message may quote the hidden values."""
    if len(group) > 1:
        return f"[{group[0].code}] " + _("in {count} hidden cases (details are not shown)", count=len(group))
    return f"[{group[0].code}] " + _("in a hidden case (details are not shown)")


def codes(exercise: ExerciseResult) -> list[str]:
    """The exercise's diagnosis codes, each once, in the order they were found."""
    return list(dict.fromkeys(d.code for d in exercise.diagnoses))


def exercise_name(exercise: ExerciseResult) -> str:
    """`id: title`, or the id alone when the title adds nothing."""
    title = exercise.title.strip()
    return exercise.id if not title or title == exercise.id else f"{exercise.id}: {title}"


def summary_lines(report: Report) -> list[str]:
    """What concerns the whole submission: the total, the engine's notes, cells that raised.

    Report.output is left out on purpose: it may hold what the student's code printed while the
    grader called it on hidden inputs.
    """
    name = report.submission or _("submission")
    lines = [_("{name}: {score} / {max_score} points", name=name, score=points(report.score),
               max_score=points(report.max_score))]
    lines += [_("Note: {note}", note=note) for note in report.notes]
    for cell in report.cells:
        if cell.error_type:
            at = _(", line {line}", line=cell.line) if cell.line else ""
            name, error = cell.name[:1].upper() + cell.name[1:], f"{cell.error_type}: {cell.message}"
            lines.append(_("{cell}{at} raised {error}", cell=name, at=at, error=error))
    return lines


def dumps(data: Any) -> str:
    """The one JSON serialisation: ASCII-only, so no writer's locale can corrupt it, and sizes
    measured on it (PrairieLearn's 1 MB) are the sizes written."""
    return json.dumps(data, indent=2, ensure_ascii=True, allow_nan=False) + "\n"
