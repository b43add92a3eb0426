"""HTML of the pages every visitor sees: the frame, the student's page, errors.

Everything shown may carry a student's text (names, file names, messages), so all of it goes
through `escape`. The policy allows this site's script (the status poller) and nothing else;
feedback itself is the batch's page, shown in a frame from this site.
"""
from __future__ import annotations

from datetime import datetime, timezone

from grader.render.html import escape
from grader.render.numbers import points
from grader.serve.auth import Visitor
from grader.serve.grades import Override
from grader.serve.store import Job

CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "style-src 'unsafe-inline'; frame-src 'self'; form-action 'self' {forms}; base-uri 'none'; "
       "frame-ancestors {ancestors}")
STATE_LABELS = {"queued": "waiting in the queue", "running": "being graded",
                "done": "graded", "failed": "could not be graded"}
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
        nav = (f'<nav><a href="{home}">Home</a><span class="muted">{escape(who.user.name)} '
               f'({escape(who.user.role)})</span>{form("/logout", who, "<button>Sign out</button>")}</nav>')
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
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


def state_cell(job: Job) -> str:
    label = STATE_LABELS.get(job.state, job.state)
    poll = f' data-poll="/api/jobs/{job.id}"' if job.state in ("queued", "running") else ""
    return f'<td class="state-{escape(job.state)}"{poll}>{escape(label)}</td>'


def score_text(job: Job) -> str:
    if job.score is None or job.max_score is None:
        return "—"
    return f"{points(job.score)} / {points(job.max_score)}"


def submissions_table(jobs: list[Job], counting: Job | None, feedback_url: str) -> str:
    if not jobs:
        return "<p>No submissions yet.</p>"
    rows = []
    for job in jobs:
        link = (f'<a href="{feedback_url}/{job.id}">feedback</a>' if job.score is not None
                else escape(job.error or ""))
        mark = " ✔ counts" if counting is not None and job.id == counting.id else ""
        rows.append(f"<tr id=\"job-{job.id}\"><td>#{job.id}</td><td>{escape(job.filename)}</td>"
                    f"<td>{when(job.created_at)}</td>{state_cell(job)}<td>{score_text(job)}{mark}"
                    f"</td><td>{link}</td></tr>")
    return ("<table><thead><tr><th>#</th><th>File</th><th>Uploaded</th><th>Status</th>"
            f"<th>Score</th><th></th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def overrides_html(overrides: list[Override]) -> str:
    return "".join(f'<p class="override">{escape(o.exercise_id)}: your instructor set the score to '
                   f"{points(o.score)} ({escape(o.by)}, {escape(o.at)}): {escape(o.comment)}</p>"
                   for o in overrides)


def student_home(who: Visitor, jobs: list[Job], counting: Job | None, policy: str,
                 max_kb: int, cap: str, overrides: list[Override], message: str = "") -> str:
    upload = form("/submit", who, '<p><input type="file" name="submission" accept=".ipynb,.py" '
                  'required> <button>Upload and grade</button></p>', upload=True)
    rule = ("your best graded submission counts" if policy == "best"
            else "your latest graded submission counts")
    latest = ""
    if counting is not None:
        latest = (f"<h2>Feedback on submission #{counting.id}</h2>"
                  f'<iframe title="feedback" src="/feedback/{counting.id}"></iframe>')
    body = (f"{message}<p>Upload your notebook (<code>.ipynb</code>) or <code>.py</code> file; "
            f"up to {max_kb} KB{cap}. {rule.capitalize()}.</p>{upload}{overrides_html(overrides)}"
            f"<h2>Your submissions</h2>{submissions_table(jobs, counting, '/feedback')}{latest}")
    return layout("Hand in your work", body, who)


def message_page(title: str, text: str, who: Visitor | None = None) -> str:
    return layout(title, f'<p class="error">{escape(text)}</p>', who)
