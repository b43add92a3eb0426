"""What a signed-in person can do on their own work: sign in by link, upload, follow, read feedback.

Every job is looked up with the visitor's own id: another student's job id answers 404 exactly
as a job that does not exist, so ids reveal nothing. Instructors may read anyone's.
"""
from __future__ import annotations

import time
from pathlib import PurePath

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from grader.i18n import _
from grader.render.feedback import to_html
from grader.serve import pages
from grader.serve.auth import Visitor, checked_form, end_session, require, start_session, too_large
from grader.serve.grades import counting_job, overrides_by_student, with_overrides
from grader.serve.store import Job, Store

SUFFIXES = (".ipynb", ".py")
FEEDBACK_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                "frame-ancestors 'self'")


def _store(request: Request) -> Store:
    return request.app.state.store


async def login(request: Request) -> Response:
    """A private link signs its owner in, then drops the token from the address bar."""
    user = await run_in_threadpool(_store(request).user_by_token, request.path_params["token"])
    if user is None:
        raise HTTPException(404, _("This link is not valid (any more). Ask your instructor for a new one."))
    response = RedirectResponse("/instructor" if user.role == "instructor" else "/", 303)
    start_session(request, response, user)
    return response


@require()
async def logout(request: Request, who: Visitor) -> Response:
    await checked_form(request, who)
    text = _("You are signed out. Use your private link to come back.")
    response = HTMLResponse(pages.layout(_("Signed out"), f"<p>{text}</p>"))
    end_session(request, response)
    return response


@require()
async def home(request: Request, who: Visitor) -> Response:
    if who.user.role == "instructor":
        return RedirectResponse("/instructor", 303)
    return HTMLResponse(await run_in_threadpool(_home_html, request, who, ""))


def _home_html(request: Request, who: Visitor, message: str) -> str:
    config = request.app.state.config
    store = _store(request)
    jobs = store.jobs_of(who.user.id)
    cap = _(", at most {count} uploads an hour", count=config.per_hour) if config.per_hour else ""
    overrides = overrides_by_student(store).get(who.user.id, [])
    return pages.student_home(who, jobs, counting_job(jobs, config.policy), config.policy,
                              config.max_upload_bytes // 1024, cap, overrides, message)


@require("student")
async def submit(request: Request, who: Visitor) -> Response:
    config = request.app.state.config
    form = await checked_form(request, who, config.max_upload_bytes)
    upload = form.get("submission")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise HTTPException(400, _("Choose a .ipynb or .py file to upload."))
    name = PurePath(upload.filename.replace("\\", "/")).name
    if not name.lower().endswith(SUFFIXES):
        raise HTTPException(415, _("{file} is not a notebook (.ipynb) or a Python file (.py).", file=name))
    if upload.size is not None and upload.size > config.max_upload_bytes:
        raise HTTPException(413, too_large(config.max_upload_bytes))
    data = await upload.read()
    store = _store(request)
    if config.per_hour:
        recent = await run_in_threadpool(store.uploads_since, who.user.id, time.time() - 3600)
        if recent >= config.per_hour:
            raise HTTPException(429, _("You have uploaded {count} times in the last hour, the course's limit. "
                                       "Try again later.", count=recent))
    await run_in_threadpool(store.enqueue, who.user.id, name, data)
    request.app.state.queue.wake()
    return RedirectResponse("/", 303)


def _own_job(request: Request, who: Visitor) -> Job:
    job = _store(request).job(int(request.path_params["job_id"]))
    if job is None or (who.user.role != "instructor" and job.student != who.user.id):
        raise HTTPException(404, _("No such submission."))
    return job


@require()
async def job_status(request: Request, who: Visitor) -> Response:
    job = await run_in_threadpool(_own_job, request, who)
    return JSONResponse({"id": job.id, "state": job.state, "label": pages.state_label(job.state),
                         "score": pages.score_text(job)})


@require()
async def feedback(request: Request, who: Visitor) -> Response:
    html = await run_in_threadpool(_feedback_html, request, who)
    return HTMLResponse(html, headers={"Content-Security-Policy": FEEDBACK_CSP})


def _feedback_html(request: Request, who: Visitor) -> str:
    job = _own_job(request, who)
    store = _store(request)
    report = store.report(job)
    if report is None:
        raise HTTPException(404, _("This submission has no feedback yet."))
    return to_html(with_overrides(report, overrides_by_student(store).get(job.student, [])))
