"""The instructor's routes: dashboard, roster, one student's work, overrides, exports, regrade.

Every route here needs the instructor role (LTI maps Instructor and TeachingAssistant to it).
Exports reuse the batch's exporters on the counting reports, overrides included.
"""
from __future__ import annotations

import csv
import io
import secrets
from datetime import datetime, timezone
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from grader.export import canvas, moodle
from grader.serve import dashboard_pages as dash
from grader.serve.auth import Visitor, checked_form, require
from grader.serve.grades import counting_job, counting_reports, grades_csv, overrides_by_student
from grader.serve.store import Store, User
from grader.render.summary import render_summary

SUMMARY_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"
ROSTER_BYTES = 1024 * 1024


def routes() -> list[Route]:
    return [
        Route("/instructor", dashboard),
        Route("/instructor/summary", summary),
        Route("/instructor/grades.csv", grades),
        Route("/instructor/roster", roster, methods=["POST"]),
        Route("/instructor/regrade", regrade, methods=["POST"]),
        Route("/instructor/students/{student:path}/override", override, methods=["POST"]),
        Route("/instructor/students/{student:path}", student_page),
        Route("/instructor/export/{kind}", export, methods=["POST"]),
        Route("/instructor/exports/{name}", exported_file),
        Route("/api/progress", progress),
    ]


def _store(request: Request) -> Store:
    return request.app.state.store


def _policy(request: Request) -> str:
    return request.app.state.config.policy


@require("instructor")
async def dashboard(request: Request, who: Visitor) -> Response:
    def render() -> str:
        store = _store(request)
        jobs: dict[str, list] = {}
        for job in store.all_jobs():
            jobs.setdefault(job.student, []).append(job)
        return dash.dashboard(who, store.users("student"), jobs,
                              counting_reports(store, _policy(request)), store.queue_counts(),
                              _policy(request), store.outbox_errors())
    return HTMLResponse(await run_in_threadpool(render))


@require("instructor")
async def summary(request: Request, who: Visitor) -> Response:
    reports = await run_in_threadpool(counting_reports, _store(request), _policy(request))
    html = await run_in_threadpool(render_summary, list(reports.values()))
    return HTMLResponse(html, headers={"Content-Security-Policy": SUMMARY_CSP})


@require("instructor")
async def progress(request: Request, who: Visitor) -> Response:
    counts = await run_in_threadpool(_store(request).queue_counts)
    return JSONResponse({"label": dash.progress_text(counts),
                         "reload": counts["queued"] + counts["running"] == 0, **counts})


@require("instructor")
async def grades(request: Request, who: Visitor) -> Response:
    def render() -> str:
        store = _store(request)
        students = sorted({u.id for u in store.users("student")} | {j.student for j in store.all_jobs()})
        return grades_csv(students, list(request.app.state.grader.exercise_ids),
                          counting_reports(store, _policy(request)), overrides_by_student(store))
    return Response(await run_in_threadpool(render), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="grades.csv"'})


@require("instructor")
async def roster(request: Request, who: Visitor) -> Response:
    form = await checked_form(request, who, ROSTER_BYTES)
    role = "instructor" if form.get("instructor") else "student"
    people, problems = parse_roster(str(form.get("roster", "")), role)
    store = _store(request)
    base = str(request.base_url)
    links = [(user, f"{base}login/{await run_in_threadpool(store.add_user, user)}") for user in people]
    return HTMLResponse(dash.roster_links(who, links, problems))


def parse_roster(text: str, role: str) -> tuple[list[User], list[str]]:
    """`id,name` lines, or a CSV whose header has `id` and `name`; blank lines are skipped."""
    rows = [r for r in csv.reader(io.StringIO(text.strip())) if any(c.strip() for c in r)]
    header = [c.strip().casefold() for c in rows[0]] if rows else []
    if "id" in header:
        at_id, at_name = header.index("id"), header.index("name") if "name" in header else None
        rows = rows[1:]
    else:
        at_id, at_name = 0, 1
    people, problems = [], []
    for number, row in enumerate(rows, 1):
        ident = row[at_id].strip() if len(row) > at_id else ""
        if not ident:
            problems.append(f"line {number}: no id; skipped")
            continue
        name = row[at_name].strip() if at_name is not None and len(row) > at_name else ""
        people.append(User(ident, name or ident, role))
    return people, problems


@require("instructor")
async def student_page(request: Request, who: Visitor) -> Response:
    def render() -> str:
        store = _store(request)
        user = store.user(request.path_params["student"])
        if user is None:
            raise HTTPException(404, "No such student.")
        jobs = store.jobs_of(user.id)
        counting = counting_job(jobs, _policy(request))
        report = counting_reports(store, _policy(request)).get(user.id)
        return dash.student_detail(who, user, jobs, counting, report,
                                   overrides_by_student(store).get(user.id, []))
    return HTMLResponse(await run_in_threadpool(render))


@require("instructor")
async def override(request: Request, who: Visitor) -> Response:
    form = await checked_form(request, who)
    student = request.path_params["student"]
    if await run_in_threadpool(_store(request).user, student) is None:
        raise HTTPException(404, "No such student.")
    exercise = str(form.get("exercise", ""))
    if exercise not in request.app.state.grader.exercise_ids:
        raise HTTPException(400, f"No exercise {exercise!r} in this pack.")
    try:
        score = float(str(form.get("score", "")))
    except ValueError:
        raise HTTPException(400, "The score must be a number.") from None
    comment = str(form.get("comment", "")).strip()
    if not comment:
        raise HTTPException(400, "Say why in the comment: the student will read it.")
    at = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    await run_in_threadpool(_store(request).set_override, student, exercise, score, comment,
                            who.user.name, at)
    sender = request.app.state.sender
    if sender is not None:
        sender.wake()
    return RedirectResponse(dash.student_url(student), 303)


@require("instructor")
async def regrade(request: Request, who: Visitor) -> Response:
    await checked_form(request, who)
    await run_in_threadpool(_store(request).regrade_all)
    request.app.state.queue.wake()
    return RedirectResponse("/instructor", 303)


@require("instructor")
async def export(request: Request, who: Visitor) -> Response:
    kind = request.path_params["kind"]
    if kind not in ("canvas", "moodle"):
        raise HTTPException(404, "No such export.")
    form = await checked_form(request, who, ROSTER_BYTES)
    folder = request.app.state.config.data / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{kind}-{secrets.token_hex(8)}"
    roster_path = await _save_roster(form, folder / f"{name}-roster.csv")
    reports = list((await run_in_threadpool(counting_reports, _store(request), _policy(request))).values())
    try:
        if kind == "canvas":
            if roster_path is None:
                raise HTTPException(400, "Canvas needs its gradebook export as the roster.")
            made = canvas.render(reports, roster_path, str(form.get("title", "Autograder")))
        else:
            made = moodle.render(reports, str(form.get("id_field", "email")), roster_path,
                                 item=str(form.get("item") or "Autograder"))
    except ValueError as err:
        raise HTTPException(400, str(err)) from None
    (folder / f"{name}.csv").write_text(made.text, encoding="utf-8")
    return HTMLResponse(dash.export_result(who, kind.capitalize(), f"/instructor/exports/{name}.csv",
                                           made.warnings))


async def _save_roster(form: FormData, path: Path) -> Path | None:
    upload = form.get("roster")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    path.write_bytes(await upload.read())
    return path


@require("instructor")
async def exported_file(request: Request, who: Visitor) -> Response:
    name = request.path_params["name"]
    path = request.app.state.config.data / "exports" / name
    if not name.endswith(".csv") or "/" in name or name.startswith(".") or not path.is_file():
        raise HTTPException(404, "No such export.")
    return Response(path.read_bytes(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
