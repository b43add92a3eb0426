"""Pieces every exporter shares: capped text, diagnosis lines, numbers a platform accepts.

Student code decides how long an error message is and what characters it holds, so every string
bound for a platform passes through `cap`; hidden-case diagnoses are told apart here, once.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from grader.model import Diagnosis, ExerciseResult, Report
from grader.render.numbers import points


def cap(text: str, limit: int, *, keep: str = "head") -> str:
    """At most `limit` characters, saying how much was cut: a silent cut reads as the whole story.

    `keep="tail"` keeps the end instead, where a traceback says what finally went wrong.
    """
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates from decoded bytes
    if len(text) <= limit:
        return text
    mark = f"\n… [{len(text)} characters, cut to fit]\n"
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
    return f"case{'s' if len(names) > 1 else ''} {'; '.join(names)}" if names else ""


def diagnosis_line(group: list[Diagnosis]) -> str:
    """One plain-text line: the code first, since programs and TAs scan for it."""
    first = group[0]
    where = ", ".join(p for p in (cases(group), f"check {first.check}" if first.check else "")
                      if p)
    return f"[{first.code}] {first.message}" + (f" ({where})" if where else "")


def first_details(groups: list[list[Diagnosis]]) -> list[str]:
    """The details of each group's first case that has them: the text report's fold."""
    firsts = [next((d for d in group if d.details), None) for group in groups]
    return [f"[{d.code}] {d.case}\n{d.details}" for d in firsts if d is not None]


def hidden_line(group: list[Diagnosis]) -> str:
    """Hidden cases' diagnosis with only its code: its message may quote the hidden values."""
    count = f"{len(group)} hidden cases" if len(group) > 1 else "a hidden case"
    return f"[{group[0].code}] in {count} (details are not shown)"


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
    name = report.submission or "submission"
    lines = [f"{name}: {points(report.score)} / {points(report.max_score)} points"]
    lines += [f"Note: {note}" for note in report.notes]
    for cell in report.cells:
        if cell.error_type:
            at = f", line {cell.line}" if cell.line else ""
            lines.append(f"{cell.name[:1].upper()}{cell.name[1:]}{at} raised {cell.error_type}: {cell.message}")
    return lines


def dumps(data: Any) -> str:
    """The one JSON serialisation: ASCII-only, so no writer's locale can corrupt it, and sizes
    measured on it (PrairieLearn's 1 MB) are the sizes written."""
    return json.dumps(data, indent=2, ensure_ascii=True, allow_nan=False) + "\n"
