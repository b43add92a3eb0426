"""`summary.html`: how the class did, on one page that opens offline.

Charts are drawn on a bare matplotlib Figure (Agg, no pyplot), so nothing global changes and no
display is needed, and they are embedded as base64 PNG. A diagnosis code is counted once per
student and exercise: "12 students accumulated gradients" is what a TA acts on, not how many
cases each of them failed.
"""
from __future__ import annotations

import base64
import io
import statistics
from collections import Counter
from pathlib import Path
from typing import Sequence

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from grader.render.html import escape, html_page
from grader.render.numbers import points
from grader.insight.mistakes import Mistake, mistake_groups
from grader.model import STATUSES, ExerciseResult, Report
from grader.text import shorten

TOP_CODES = 5
EXAMPLE_CHARS = 300


def write_summary(reports: Sequence[Report], out: Path, not_graded: Sequence[str] = ()) -> Path:
    """Write `out/summary.html` for these reports (one per student) and return its path;
    `not_graded` says, one line each, what was found but not graded and why."""
    path = out / "summary.html"
    path.write_text(render_summary(reports, not_graded), encoding="utf-8")
    return path


def render_summary(reports: Sequence[Report], not_graded: Sequence[str] = ()) -> str:
    reports = sorted(reports, key=lambda r: r.student)
    body = _class_html(reports) if reports else "<p>No graded submissions yet.</p>"
    return html_page("Class summary", _not_graded_html(not_graded) + body)


def _not_graded_html(not_graded: Sequence[str]) -> str:
    """First on the page: these students have no grade until someone acts."""
    if not not_graded:
        return ""
    items = "".join(f"<li>{escape(line)}</li>" for line in not_graded)
    return (f"<h2>Not graded ({len(not_graded)})</h2><p>Not in the charts below, blank in "
            f"grades.csv; problems.txt has the same list.</p><ul>{items}</ul>")


def _class_html(reports: list[Report]) -> str:
    totals = [r.score for r in reports]
    max_total = max(r.max_score for r in reports)
    results: dict[str, list[ExerciseResult]] = {}
    for report in reports:
        for exercise in report.exercises:
            results.setdefault(exercise.id, []).append(exercise)
    rates = {ex: sum(e.status == "passed" for e in rs) / len(reports) for ex, rs in results.items()}
    stats = (f"<p>{len(reports)} submissions · mean {points(statistics.fmean(totals))} · "
             f"median {points(statistics.median(totals))} · out of {points(max_total)}</p>")
    return (stats + "<h2>Totals</h2>" + _img(_histogram(totals, max_total), "histogram of totals")
            + "<h2>Pass rate per exercise</h2>" + _img(_pass_rate_chart(rates), "pass rates")
            + _exercise_table(results, rates) + _mistakes_html(mistake_groups(reports))
            + "<h2>Most frequent diagnoses</h2>"
            + "".join(_diagnoses_html(ex, rs) for ex, rs in results.items()))


def _histogram(totals: list[float], max_total: float) -> Figure:
    fig = Figure(figsize=(7, 3), layout="constrained")
    ax = fig.subplots()
    bins = min(20, max(1, int(max_total)))
    ax.hist(totals, bins=bins, range=(0, max_total or 1), color="#0969da", edgecolor="white")
    ax.set_xlabel("total score")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def _pass_rate_chart(rates: dict[str, float]) -> Figure:
    fig = Figure(figsize=(7, 0.8 + 0.3 * len(rates)), layout="constrained")
    ax = fig.subplots()
    order = list(rates)[::-1]  # barh draws bottom-up; the first exercise goes on top
    ax.barh(order, [100 * rates[ex] for ex in order], color="#1a7f37")
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of students who passed")
    return fig


def _exercise_table(results: dict[str, list[ExerciseResult]], rates: dict[str, float]) -> str:
    rows = []
    for ex, exercises in results.items():
        statuses = Counter(e.status for e in exercises)
        mean = statistics.fmean(e.score for e in exercises)
        rows.append(f"<tr><td>{escape(ex)}</td><td>{escape(exercises[0].title)}</td>"
                    f"<td>{points(mean)} / {points(exercises[0].max_score)}</td>"
                    f"<td>{100 * rates[ex]:.0f}%</td>"
                    + "".join(f"<td>{statuses[s]}</td>" for s in STATUSES) + "</tr>")
    head = "".join(f"<th>{s}</th>" for s in STATUSES)
    return (f"<table><thead><tr><th>Exercise</th><th>Title</th><th>Mean</th><th>Pass rate</th>{head}"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _diagnoses_html(exercise_id: str, exercises: list[ExerciseResult]) -> str:
    counts: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for exercise in exercises:
        for d in exercise.diagnoses:
            examples.setdefault(d.code, d.message)
        counts.update({d.code for d in exercise.diagnoses})
    if not counts:
        return ""
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CODES]
    rows = "".join(f"<tr><td><code>{escape(code)}</code></td><td>{n}</td>"
                   f"<td>{escape(shorten(examples[code], EXAMPLE_CHARS))}</td></tr>" for code, n in top)
    return (f"<h3>{escape(exercise_id)}</h3><table><thead><tr><th>Code</th><th>Students</th>"
            f"<th>Example message</th></tr></thead><tbody>{rows}</tbody></table>")


def _mistakes_html(groups: dict[str, list[Mistake]]) -> str:
    """Each exercise's wrong answers that several students share exactly: what to re-teach."""
    parts = ["<h2>Shared mistakes: what to re-teach</h2><p>Wrong answers grouped by what the code "
             "did: the same wrong values on the same cases. One example per group, comments "
             "removed, no name.</p>"]
    if not groups:
        parts.append("<p>No wrong answer is shared by two or more students.</p>")
    for exercise, mistakes in groups.items():
        parts.append(f"<h3>{escape(exercise)}</h3>")
        for m in mistakes[:TOP_CODES]:
            observed = f"<pre>{escape(m.observed)}</pre>" if m.observed else ""
            example = f"<details><summary>example</summary><pre>{escape(m.example)}</pre></details>"
            parts.append(f'<div class="mistake"><p><b>{m.students} students</b> ({m.share:.0%} of '
                         f"the class): {escape(m.diagnosis)}</p>{observed}"
                         f"{example if m.example else ''}</div>")
    return "".join(parts)


def _img(fig: Figure, alt: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'

