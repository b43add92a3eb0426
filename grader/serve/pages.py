"""HTML of the pages every visitor sees: the frame, the student's page, errors.

Everything shown may carry a student's text (names, file names, messages), so all of it goes
through `escape`. The policy allows this site's script (the status poller) and nothing else;
feedback itself is the batch's page, shown in a frame from this site.
"""
from __future__ import annotations

from datetime import datetime, timezone

from grader import i18n
from grader.i18n import N_, _
from grader.render.html import escape
from grader.render.numbers import points
from grader.serve.auth import Visitor
from grader.serve.grades import Override
from grader.serve.store import Job

CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "style-src 'unsafe-inline'; frame-src 'self'; form-action 'self' {forms}; base-uri 'none'; "
       "frame-ancestors {ancestors}")
STATE_LABELS = {"queued": N_("waiting in the queue"), "running": N_("being graded"),
                "done": N_("graded"), "failed": N_("could not be graded")}
_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;
color:#1f2328}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d0d7de;
padding:.3rem .6rem;text-align:left}th{background:#f6f8fa}nav{display:flex;gap:1rem;align-items:center;
border-bottom:1px solid #d0d7de;padding-bottom:.5rem}nav form{margin-left:auto}.muted{color:#59636e}
.error{background:#ffebe9;border:1px solid #ff8182;padding:.6rem}.ok{background:#dafbe1;padding:.6rem}
iframe{width:100%;height:40rem;border:1px solid #d0d7de}.state-running,.state-queued{color:#9a6700}
.state-failed{color:#cf222e}.state-done{color:#1a7f37}button{padding:.3rem .8rem}
input[type=number]{width:5rem}.override{background:#fff8c5;padding:.4rem;margin:.3rem 0}"""


def layout(title: str, body: str, who: Visitor | None = None) -> str:
    nav = ""
    if who is not None:
        home = "/instructor" if who.user.role == "instructor" else "/"
        sign_out = form("/logout", who, "<button>" + escape(_("Sign out")) + "</button>")
        home_link = f'<a href="{home}">' + escape(_("Home")) + "</a>"
        nav = (f'<nav>{home_link}<span class="muted">{escape(who.user.name)} '
               f'({escape(who.user.role)})</span>{sign_out}</nav>')
    return f"""<!DOCTYPE html>
<html lang="{i18n.html_lang()}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{_CSS}</style><script src="/static/app.js" defer></script></head>
<body>{nav}<h1>{escape(title)}</h1>
{body}
</body></html>
"""


def form(action: str, who: Visitor, inner: str, *, upload: bool = False) -> str:
    enctype = ' enctype="multipart/form-data"' if upload else ""
    return (f'<form method="post" action="{escape(action)}"{enctype}>'
            f'<input type="hidden" name="csrf" value="{escape(who.csrf)}">{inner}</form>')


def when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def state_label(state: str) -> str:
    return _(STATE_LABELS[state]) if state in STATE_LABELS else state


def state_cell(job: Job) -> str:
    label = state_label(job.state)
    poll = f' data-poll="/api/jobs/{job.id}"' if job.state in ("queued", "running") else ""
    return f'<td class="state-{escape(job.state)}"{poll}>{escape(label)}</td>'


def score_text(job: Job) -> str:
    if job.score is None or job.max_score is None:
        return "—"
    return f"{points(job.score)} / {points(job.max_score)}"


def submissions_table(jobs: list[Job], counting: Job | None, feedback_url: str) -> str:
    if not jobs:
        return "<p>" + escape(_("No submissions yet.")) + "</p>"
    rows = []
    for job in jobs:
        link = (f'<a href="{feedback_url}/{job.id}">' + escape(_("feedback")) + "</a>" if job.score is not None
                else escape(job.error or ""))
        mark = " ✔ " + _("counts") if counting is not None and job.id == counting.id else ""
        rows.append(f"<tr id=\"job-{job.id}\"><td>#{job.id}</td><td>{escape(job.filename)}</td>"
                    f"<td>{when(job.created_at)}</td>{state_cell(job)}<td>{score_text(job)}{mark}"
                    f"</td><td>{link}</td></tr>")
    head = "".join(f"<th>{escape(name)}</th>" for name in ("#", _("File"), _("Uploaded"), _("Status"), _("Score"), ""))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def overrides_html(overrides: list[Override]) -> str:
    return "".join('<p class="override">' + escape(_(
        "{exercise}: your instructor set the score to {score} ({by}, {at}): {comment}", exercise=o.exercise_id,
        score=points(o.score), by=o.by, at=o.at, comment=o.comment)) + "</p>" for o in overrides)


def student_home(who: Visitor, jobs: list[Job], counting: Job | None, policy: str,
                 max_kb: int, cap: str, overrides: list[Override], message: str = "") -> str:
    button = escape(_("Upload and grade"))
    upload = form("/submit", who, '<p><input type="file" name="submission" accept=".ipynb,.py" '
                  f"required> <button>{button}</button></p>", upload=True)
    rule = (_("Your best graded submission counts.") if policy == "best"
            else _("Your latest graded submission counts."))
    latest = ""
    if counting is not None:
        heading = escape(_("Feedback on submission #{number}", number=counting.id))
        latest = f'<h2>{heading}</h2><iframe title="feedback" src="/feedback/{counting.id}"></iframe>'
    files = _("Upload your notebook ({notebook}) or {script} file; up to {size} KB{cap}.",
              notebook="<code>.ipynb</code>", script="<code>.py</code>", size=max_kb, cap=cap)
    yours = escape(_("Your submissions"))
    body = (f"{message}<p>{files} {escape(rule)}</p>{upload}{overrides_html(overrides)}"
            f"<h2>{yours}</h2>{submissions_table(jobs, counting, '/feedback')}{latest}")
    return layout(_("Hand in your work"), body, who)


def message_page(title: str, text: str, who: Visitor | None = None) -> str:
    return layout(title, f'<p class="error">{escape(text)}</p>', who)
