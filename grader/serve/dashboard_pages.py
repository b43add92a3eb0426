"""HTML of the instructor's pages: the dashboard, one student's work, roster links, exports."""
from __future__ import annotations

from urllib.parse import quote

from grader.render.html import escape
from grader.render.numbers import points
from grader.model import Report
from grader.serve.auth import Visitor
from grader.serve.grades import Override
from grader.serve.pages import form, layout, overrides_html, submissions_table
from grader.serve.store import Job, User


def student_url(user_id: str) -> str:
    return "/instructor/students/" + quote(user_id, safe="")


def progress_text(counts: dict[str, int]) -> str:
    return (f"{counts['queued']} queued, {counts['running']} being graded, {counts['done']} graded, "
            f"{counts['failed']} could not be graded")


def progress_html(counts: dict[str, int]) -> str:
    text = progress_text(counts)
    busy = counts["queued"] + counts["running"]
    poll = ' data-poll="/api/progress"' if busy else ""
    return f'<p id="progress"{poll}>{text}</p>'


def dashboard(who: Visitor, students: list[User], jobs: dict[str, list[Job]],
              reports: dict[str, Report], counts: dict[str, int], policy: str,
              delivery_errors: list[tuple[str, int, str]]) -> str:
    rows = []
    for user in students:
        report = reports.get(user.id)
        total = f"{points(report.score)} / {points(report.max_score)}" if report else "—"
        rows.append(f'<tr><td><a href="{student_url(user.id)}">{escape(user.id)}</a>'
                    f"</td><td>{escape(user.name)}</td><td>{len(jobs.get(user.id, []))}</td>"
                    f"<td>{total}</td></tr>")
    table = ("<table><thead><tr><th>Student</th><th>Name</th><th>Submissions</th>"
             f"<th>Counting score ({escape(policy)})</th></tr></thead><tbody>{''.join(rows)}"
             "</tbody></table>") if rows else "<p>No students yet: import a roster below.</p>"
    errors = "".join(f"<li>{escape(u)}: {n} attempts, last error: {escape(e)}</li>"
                     for u, n, e in delivery_errors)
    lms = f'<h2>Scores not yet delivered to the LMS</h2><ul class="error">{errors}</ul>' if errors else ""
    regrade = form("/instructor/regrade", who, "<button>Regrade everything</button> "
                   '<span class="muted">after a fix to the exercise pack: every submission is '
                   "graded again; overrides stay.</span>")
    return layout("Instructor dashboard", f"""<h2>Grading</h2>{progress_html(counts)}{regrade}{lms}
<h2>Students</h2>{table}
<p><a href="/instructor/grades.csv">Download grades.csv</a></p>
{_export_forms(who)}{_roster_form(who)}
<h2>Class summary</h2><iframe title="class summary" src="/instructor/summary"></iframe>""", who)


def _export_forms(who: Visitor) -> str:
    canvas = form("/instructor/export/canvas", who, """<h3>Canvas</h3>
<p>Canvas gradebook export (Grades → Export): <input type="file" name="roster" accept=".csv" required></p>
<p>Assignment title: <input name="title" required> <button>Make the Canvas CSV</button></p>""",
                  upload=True)
    moodle = form("/instructor/export/moodle", who, """<h3>Moodle</h3>
<p>Students identified by <select name="id_field"><option value="email">email address</option>
<option value="idnumber">ID number</option></select>; optional roster (Moodle grade export or user
download): <input type="file" name="roster" accept=".csv"></p>
<p>Grade item: <input name="item" value="Autograder"> <button>Make the Moodle CSV</button></p>""",
                  upload=True)
    return f"<h2>Exports</h2>{canvas}{moodle}"


def _roster_form(who: Visitor) -> str:
    return "<h2>Import a roster</h2>" + form("/instructor/roster", who, """
<p>One student a line, <code>id,name</code> (a CSV with columns <code>id</code> and <code>name</code>
works too). Each student gets a new private link; an old link stops working.</p>
<p><textarea name="roster" rows="6" cols="60" required></textarea></p>
<p><label><input type="checkbox" name="instructor"> these are instructors or TAs</label></p>
<p><button>Import and show the links</button></p>""")


def roster_links(who: Visitor, links: list[tuple[User, str]], problems: list[str]) -> str:
    rows = "".join(f"<tr><td>{escape(u.id)}</td><td>{escape(u.name)}</td><td>{escape(u.role)}</td>"
                   f"<td><code>{escape(link)}</code></td></tr>" for u, link in links)
    issues = "".join(f"<li>{escape(p)}</li>" for p in problems)
    return layout("Private links", f"""<p>Send each person their own link: it signs them in. This
page is the only time the links are shown; importing a person again makes a new link.</p>
{f'<ul class="error">{issues}</ul>' if issues else ''}
<table><thead><tr><th>Id</th><th>Name</th><th>Role</th><th>Link</th></tr></thead>
<tbody>{rows}</tbody></table><p><a href="/instructor">Back to the dashboard</a></p>""", who)


def student_detail(who: Visitor, user: User, jobs: list[Job], counting: Job | None,
                   report: Report | None, overrides: list[Override]) -> str:
    table = submissions_table(jobs, counting, "/feedback")
    if report is None:
        return layout(f"{user.name} ({user.id})", table, who)
    current = {o.exercise_id: o for o in overrides}
    rows = []
    for exercise in report.exercises:
        note = escape(current[exercise.id].comment) if exercise.id in current else ""
        rows.append(f"<tr><td>{escape(exercise.id)}</td><td>{points(exercise.score)} / "
                    f"{points(exercise.max_score)}</td><td>{escape(exercise.status)}</td><td>"
                    + form(student_url(user.id) + "/override", who,
                           f'<input type="hidden" name="exercise" value="{escape(exercise.id)}">'
                           f'<input type="number" name="score" step="any" min="0" '
                           f'max="{exercise.max_score:g}" value="{exercise.score:g}" required> '
                           f'<input name="comment" placeholder="why (shown to the student)" '
                           f'value="{note}" required> <button>Set score</button>')
                    + "</td></tr>")
    body = (f"{table}<h2>Counting submission #{counting.id if counting else ''}: "
            f"{points(report.score)} / {points(report.max_score)}</h2>{overrides_html(overrides)}"
            "<table><thead><tr><th>Exercise</th><th>Score</th><th>Status</th><th>Override</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f'<iframe title="feedback" src="/feedback/{counting.id if counting else 0}"></iframe>')
    return layout(f"{user.name} ({user.id})", body, who)


def export_result(who: Visitor, name: str, download: str, warnings: tuple[str, ...]) -> str:
    issues = "".join(f"<li>{escape(w)}</li>" for w in warnings)
    read = f'<p>Read these first:</p><ul class="error">{issues}</ul>' if issues else '<p class="ok">No warnings.</p>'
    return layout(f"{name} export", f'{read}<p><a href="{escape(download)}">Download the CSV</a></p>'
                  '<p><a href="/instructor">Back to the dashboard</a></p>', who)
