"""The ASGI application: routes, error pages, and the grading threads' lifetime.

Starlette rather than FastAPI: the service is a dozen HTML form handlers and one JSON poll, so
FastAPI's validation and OpenAPI layers (and pydantic) would add weight and nothing used.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from grader.i18n import N_, _
from grader.serve import instructor, pages, student
from grader.serve.auth import visitor
from grader.serve.store import Store
from grader.serve.worker import GradingQueue


@dataclass(frozen=True)
class ServeConfig:
    data: Path
    policy: str = "latest"
    per_hour: int = 0
    max_upload_bytes: int = 2 * 1024 * 1024
    lti: Any = None  # grader.serve.lti.LtiSettings when LTI is configured
    frame_ancestors: str = "'self'"


def build_app(config: ServeConfig, store: Store, grader: Any, workers: int) -> Starlette:
    """`grader` is a warm Grader (or a ClusterGrader); `workers` submissions are graded at once."""
    queue = GradingQueue(store, grader, workers)
    sender, lti_routes = None, []
    if config.lti is not None:
        from grader.serve import lti, passback

        sender = passback.ScoreSender(store, config)
        queue.on_graded = sender.wake
        lti_routes = lti.routes()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        queue.start()
        if sender is not None:
            sender.start()
        try:
            yield
        finally:
            queue.stop()
            if sender is not None:
                sender.stop()

    routes = [
        Route("/", student.home),
        Route("/login/{token}", student.login),
        Route("/logout", student.logout, methods=["POST"]),
        Route("/submit", student.submit, methods=["POST"]),
        Route("/feedback/{job_id:int}", student.feedback),
        Route("/api/jobs/{job_id:int}", student.job_status),
        *instructor.routes(),
        *lti_routes,
        Mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static"),
    ]
    forms = " ".join(config.lti.platform_origins()) if config.lti else ""
    policy = pages.CSP.format(forms=forms, ancestors=config.frame_ancestors)

    async def headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    app = Starlette(routes=routes, lifespan=lifespan,
                    middleware=[Middleware(BaseHTTPMiddleware, dispatch=headers)],
                    exception_handlers={HTTPException: _error_page})
    app.state.config = config
    app.state.store = store
    app.state.queue = queue
    app.state.grader = grader
    app.state.sender = sender

    return app


_ERROR_TITLES = {401: N_("Please sign in"), 403: N_("Not allowed"), 404: N_("Not found"),
                 413: N_("File too large"), 429: N_("Too many uploads")}
_SOMETHING_WRONG = N_("Something is wrong")


async def _error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    who = visitor(request) if exc.status_code not in (401,) else None
    title = _(_ERROR_TITLES.get(exc.status_code, _SOMETHING_WRONG))
    html = pages.message_page(title, str(exc.detail), who)
    return HTMLResponse(html, status_code=exc.status_code, headers=exc.headers)
