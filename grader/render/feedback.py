"""Per-student feedback from a Report: Markdown for an LMS comment, a self-contained HTML page.

Everything in a report may carry the student's text (exception messages, source lines, the file
name), so all of it is escaped. A hidden diagnosis shows its message only: its case and details
would give the hidden inputs away. Figures are embedded as data: URIs so the page works offline
and sent by e-mail.
"""
from __future__ import annotations

import base64
import binascii

from grader.i18n import N_, _, ngettext
from grader.render.labels import status_label
from grader.render import fold, markdown
from grader.render.graph_svg import pair_html
from grader.model import Attachment, Diagnosis, ExerciseResult, Report
from grader.render.html import badge, escape, html_page
from grader.render.numbers import points

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NOT_ATTEMPTED = N_("Each still raises NotImplementedError, as handed out: replace the "
                   "`raise NotImplementedError` with your answer.")


def to_markdown(report: Report) -> str:
    md = markdown
    lines = ["# " + _("Feedback for {who}", who=md.inline(report.student or report.submission)), "",
             _("Submission: {file}", file=md.code(report.submission)) + "  ",
             "**" + _("Total: {score} / {max_score}", score=points(report.score),
                      max_score=points(report.max_score)) + "**", ""]
    lines += [f"- {md.inline(note)}" for note in report.notes]
    lines += ["", "| " + " | ".join((_("Exercise"), _("Score"), _("Status"))) + " |", "|---|---|---|"]
    lines += [f"| {md.table_cell(e.id)} | {points(e.score)} / {points(e.max_score)} | {status_label(e.status)} |"
              for e in report.exercises]
    unattempted = not_attempted(report)
    if unattempted:
        lines += ["", "**" + _("Not attempted yet:") + "** " + _(
            "{ids}. {advice}", ids=", ".join(md.code(e.id) for e in unattempted), advice=_(NOT_ATTEMPTED))]
    for exercise in report.exercises:
        figures = _figures(exercise)
        if exercise in unattempted or (not exercise.diagnoses and not figures):
            continue
        lines += ["", f"## {md.inline(exercise.id)}: {md.inline(exercise.title)} "
                      f"({points(exercise.score)} / {points(exercise.max_score)}, {status_label(exercise.status)})", ""]
        for group in fold.grouped(exercise.diagnoses):
            lines += _diagnosis_markdown(group)
        if figures:
            lines.append("- " + ngettext("{count} figure(s) drawn; the HTML feedback shows them.",
                                         "{count} figure(s) drawn; the HTML feedback shows them.", len(figures)))
    errors = [c for c in report.cells if c.error_type]
    if errors:
        lines += ["", "## " + _("Cells that raised"), ""]
        for cell in errors:
            error = f"{md.inline(cell.error_type)}: {md.inline(cell.message)}"
            lines.append("- " + _("{cell}, line {line}: {error}", cell=md.inline(cell.name), line=cell.line,
                                  error=error))
            if cell.source_line:
                lines += ["", *md.fenced(cell.source_line, indent="  "), ""]
    return "\n".join(lines).rstrip() + "\n"


def _diagnosis_markdown(group: list[Diagnosis]) -> list[str]:
    first = group[0]
    lines = [f"- **{first.code}**: {markdown.inline(first.message)}"]
    if not first.hidden and first.case:
        lines.append("  - " + _("case: {case}", case=markdown.code(first.case)))
    if not first.hidden and first.details:
        lines += ["", *markdown.fenced(first.details, indent="  "), ""]
    if len(group) > 1:
        lines.append("  - " + _("the same on {cases}", cases=fold.same_on(group, markdown.code)))
    return lines


def not_attempted(report: Report) -> list[ExerciseResult]:
    """Exercises whose stub still raises NotImplementedError: one line for all of them."""
    return [e for e in report.exercises
            if e.status == "missing" and any(d.code == "not-attempted" for d in e.diagnoses)]


def to_html(report: Report) -> str:
    title = _("Feedback for {who}", who=report.student or report.submission)
    rows = "".join(
        f'<tr><td><a href="#ex-{i}">{escape(e.id)}</a></td><td>{escape(e.title)}</td>'
        f"<td>{points(e.score)} / {points(e.max_score)}</td><td>{badge(e.status)}</td></tr>"
        for i, e in enumerate(report.exercises))
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in report.notes)
    unattempted = not_attempted(report)
    if unattempted:
        ids = ", ".join(f"<code>{escape(e.id)}</code>" for e in unattempted)
        notes += ('<p class="note"><b>' + escape(_("Not attempted yet:")) + "</b> "
                  + _("{ids}. {advice}", ids=ids, advice=escape(_(NOT_ATTEMPTED))) + "</p>")
    sections = "".join(_exercise_html(i, e) for i, e in enumerate(report.exercises)
                       if e not in unattempted)
    submission = _("Submission: {file}", file="<code>" + escape(report.submission) + "</code>")
    total = escape(_("Total: {score} / {max_score}", score=points(report.score), max_score=points(report.max_score)))
    head = "".join(f"<th>{escape(name)}</th>" for name in (_("Exercise"), _("Title"), _("Score"), _("Status")))
    return html_page(title, f"""<p>{submission}</p>
<p class="total">{total}</p>{notes}
<table><thead><tr>{head}</tr></thead>
<tbody>{rows}</tbody></table>
{sections}{_cells_html(report)}""", _CSS)


def _exercise_html(index: int, exercise: ExerciseResult) -> str:
    diagnoses = "".join(_diagnosis_html(group) for group in fold.grouped(exercise.diagnoses))
    figures = "".join(_figure_html(a) for a in _figures(exercise))
    return (f'<section id="ex-{index}" class="exercise {escape(exercise.status)}">'
            f"<h2>{escape(exercise.id)}: {escape(exercise.title)} "
            f'<span class="score">{points(exercise.score)} / {points(exercise.max_score)}</span> '
            f"{badge(exercise.status)}</h2>{diagnoses}{figures}</section>\n")


def _diagnosis_html(group: list[Diagnosis]) -> str:
    d = group[0]
    parts = [f'<div class="diagnosis"><p><code class="code">{escape(d.code)}</code> {escape(d.message)}</p>']
    if not d.hidden:
        if d.case:
            parts.append('<p class="case">' + _("Case: {case}", case="<code>" + escape(d.case) + "</code>") + "</p>")
        if d.details:
            parts.append(f"<pre>{escape(d.details)}</pre>")
    drawn = fold.graphs(group)
    if drawn is not None:
        parts.append(pair_html(drawn[1], drawn[0]))
    if len(group) > 1:
        same = fold.same_on(group, lambda case: f"<code>{escape(case)}</code>")
        parts.append('<p class="case">' + _("The same on {cases}.", cases=same) + "</p>")
    parts.append("</div>")
    return "".join(parts)


def _figure_html(attachment: Attachment) -> str:
    caption = f"<figcaption>{escape(attachment.caption)}</figcaption>" if attachment.caption else ""
    if not _is_png(attachment.data_base64):
        return '<figure><p class="note">' + escape(_("This figure could not be shown.")) + f"</p>{caption}</figure>"
    alt = attachment.caption or _("figure")
    return (f'<figure><img alt="{escape(alt)}" '
            f'src="data:image/png;base64,{escape(attachment.data_base64)}">{caption}</figure>')


def _cells_html(report: Report) -> str:
    errors = [c for c in report.cells if c.error_type]
    if not errors:
        return ""
    items = "".join(
        "<li>" + _("{cell}, line {line}: {error}", cell=escape(c.name), line=c.line,
                   error="<code>" + escape(c.error_type) + "</code>: " + escape(c.message))
        + (f"<pre>{escape(c.source_line)}</pre>" if c.source_line else "") + "</li>"
        for c in errors)
    heading = escape(_("Cells that raised"))
    return f'<section class="cells"><h2>{heading}</h2><ul>{items}</ul></section>'


def _figures(exercise: ExerciseResult) -> list[Attachment]:
    return [a for a in exercise.attachments if a.kind == "figure" and a.media_type == "image/png"]


def _is_png(data_base64: str) -> bool:
    try:
        return base64.b64decode(data_base64, validate=True).startswith(PNG_SIGNATURE)
    except (binascii.Error, ValueError):
        return False


_CSS = """
.total{font-size:1.3rem;font-weight:600}.note{color:#9a6700}
section.exercise{border-left:4px solid #d0d7de;padding:.2rem 1rem;margin:1.2rem 0}
section.passed{border-color:#1a7f37}section.partial{border-color:#bf8700}
section.failed,section.error{border-color:#cf222e}section.missing{border-color:#6e7781}
h2{font-size:1.1rem}.score{font-weight:400;margin-left:.5rem}
.badge{font-size:.8rem;padding:.1rem .45rem;border-radius:1rem;background:#eaeef2;font-weight:500}
.badge.passed{background:#dafbe1}.badge.partial{background:#fff8c5}
.badge.failed,.badge.error{background:#ffebe9}
code.code{background:#eaeef2;padding:.05rem .3rem;border-radius:.3rem}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap}
figure img{border:1px solid #d0d7de}
"""
