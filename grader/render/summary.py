"""`summary.html`: how the class did, on one page that opens offline.

Charts are drawn on a bare matplotlib Figure (Agg, no pyplot), so nothing global changes and no
display is needed, and they are embedded as base64 PNG. A diagnosis code is counted once per
student and exercise: "12 students accumulated gradients" is what a TA acts on, not how many
cases each of them failed.
"""
from __future__ import annotations

import base64
import io
from collections import Counter
from pathlib import Path
from typing import Sequence

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from grader import i18n
from grader.i18n import _
from grader.render.labels import status_label
from grader.render.html import escape, html_page
from grader.render.numbers import points
from grader.insight.mistakes import Mistake
from grader.model import STATUSES, Report
from grader.render.class_tally import ClassTally, ExerciseTally
from grader.text import shorten

TOP_CODES = 5
# Chart labels may be Chinese: matplotlib falls back along these, glyph by glyph (those installed).
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei")
EXAMPLE_CHARS = 300


def write_summary(reports: Sequence[Report] | ClassTally, out: Path, not_graded: Sequence[str] = ()) -> Path:
    """Write `out/summary.html` for these reports (one per student, or their tally) and return
    its path; `not_graded` says, one line each, what was found but not graded and why."""
    path = out / "summary.html"
    path.write_text(render_summary(reports, not_graded), encoding="utf-8")
    return path


def render_summary(reports: Sequence[Report] | ClassTally, not_graded: Sequence[str] = ()) -> str:
    tally = reports if isinstance(reports, ClassTally) else ClassTally.of(reports)
    body = _class_html(tally) if tally.students else "<p>" + escape(_("No graded submissions yet.")) + "</p>"
    return html_page(_("Class summary"), _not_graded_html(not_graded) + body)


def _not_graded_html(not_graded: Sequence[str]) -> str:
    """First on the page: these students have no grade until someone acts."""
    if not not_graded:
        return ""
    items = "".join(f"<li>{escape(line)}</li>" for line in not_graded)
    return (_heading(_("Not graded ({count})", count=len(not_graded))) + "<p>"
            + escape(_("Not in the charts below, blank in grades.csv; problems.txt has the same list."))
            + f"</p><ul>{items}</ul>")


def _class_html(tally: ClassTally) -> str:
    order = tally.order()
    rates = {ex: tally.pass_rate(ex) for ex in order}
    stats = "<p>" + escape(_("{count} submissions · mean {mean} · median {median} · out of {max_score}",
                                count=tally.students, mean=points(tally.mean), median=points(tally.median),
                                max_score=points(tally.max_total))) + "</p>"
    return (stats + _heading(_("Totals")) + _img(_histogram(tally.totals, tally.max_total), _("histogram of totals"))
            + _heading(_("Pass rate per exercise")) + _img(_pass_rate_chart(rates), _("pass rates"))
            + _exercise_table(tally, rates) + _mistakes_html(tally.mistakes())
            + _heading(_("Most frequent diagnoses"))
            + "".join(_diagnoses_html(ex, tally.exercises[ex]) for ex in order))


def _histogram(totals: Counter[float], max_total: float) -> Figure:
    fig = Figure(figsize=(7, 3), layout="constrained")
    ax = fig.subplots()
    bins = min(20, max(1, int(max_total)))
    values = sorted(totals)
    ax.hist(values, bins=bins, range=(0, max_total or 1), weights=[totals[v] for v in values],
            color="#0969da", edgecolor="white")
    ax.set_xlabel(_("total score"), **_label_font())
    ax.set_ylabel(_("students"), **_label_font())
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def _pass_rate_chart(rates: dict[str, float]) -> Figure:
    fig = Figure(figsize=(7, 0.8 + 0.3 * len(rates)), layout="constrained")
    ax = fig.subplots()
    order = list(rates)[::-1]  # barh draws bottom-up; the first exercise goes on top
    ax.barh(order, [100 * rates[ex] for ex in order], color="#1a7f37")
    ax.set_xlim(0, 100)
    ax.set_xlabel(_("% of students who passed"), **_label_font())
    return fig


def _exercise_table(tally: ClassTally, rates: dict[str, float]) -> str:
    rows = []
    for ex, rate in rates.items():
        exercise = tally.exercises[ex]
        rows.append(f"<tr><td>{escape(ex)}</td><td>{escape(exercise.title)}</td>"
                    f"<td>{points(exercise.mean)} / {points(exercise.max_score)}</td>"
                    f"<td>{100 * rate:.0f}%</td>"
                    + "".join(f"<td>{exercise.statuses[s]}</td>" for s in STATUSES) + "</tr>")
    names = (_("Exercise"), _("Title"), _("Mean"), _("Pass rate"), *map(status_label, STATUSES))
    head = "".join(f"<th>{escape(name)}</th>" for name in names)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _diagnoses_html(exercise_id: str, exercise: ExerciseTally) -> str:
    if not exercise.codes:
        return ""
    top = sorted(exercise.codes.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CODES]
    rows = "".join(f"<tr><td><code>{escape(code)}</code></td><td>{n}</td>"
                   f"<td>{escape(shorten(exercise.examples[code][1], EXAMPLE_CHARS))}</td></tr>"
                   for code, n in top)
    head = "".join(f"<th>{escape(name)}</th>" for name in (_("Code"), _("Students"), _("Example message")))
    return f"<h3>{escape(exercise_id)}</h3><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _mistakes_html(groups: dict[str, list[Mistake]]) -> str:
    """Each exercise's wrong answers that several students share exactly: what to re-teach."""
    parts = [_heading(_("Shared mistakes: what to re-teach")) + "<p>"
             + escape(_("Wrong answers grouped by what the code did: the same wrong values on the same "
                        "cases. One example per group, comments removed, no name.")) + "</p>"]
    if not groups:
        parts.append("<p>" + escape(_("No wrong answer is shared by two or more students.")) + "</p>")
    for exercise, mistakes in groups.items():
        parts.append(f"<h3>{escape(exercise)}</h3>")
        for m in mistakes[:TOP_CODES]:
            observed = f"<pre>{escape(m.observed)}</pre>" if m.observed else ""
            example = ("<details><summary>" + escape(_("example")) + "</summary>"
                       f"<pre>{escape(m.example)}</pre></details>")
            who = _("{count} students", count=m.students)
            share = _("({share} of the class)", share=format(m.share, ".0%"))
            parts.append(f'<div class="mistake"><p><b>{escape(who)}</b> {escape(share)}: {escape(m.diagnosis)}</p>{observed}'
                         f"{example if m.example else ''}</div>")
    return "".join(parts)


def _label_font() -> dict[str, list[str]]:
    """English keeps matplotlib's font; other languages add the CJK fonts this machine has."""
    if i18n.language() == i18n.DEFAULT_LANGUAGE:
        return {}
    from matplotlib import font_manager, rcParams

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return {"fontfamily": [*rcParams["font.sans-serif"][:1], *(f for f in CJK_FONTS if f in installed)]}


def _heading(text: str) -> str:
    return f"<h2>{escape(text)}</h2>"


def _img(fig: Figure, alt: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'

