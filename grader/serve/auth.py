"""Who is asking: server-side sessions behind an HttpOnly cookie, roles, and CSRF on every form.

The cookie holds a random session id only (its hash is stored). It is `Secure` whenever the page
was served over HTTPS (behind a proxy: uvicorn's --proxy-headers makes the scheme https), and
`SameSite=None` then only if the tool is embedded in an LMS frame; otherwise `Lax`. Every form
carries the session's CSRF token, compared in constant time before anything is changed.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Awaitable, Callable

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from grader.i18n import _
from grader.serve.store import SESSION_SECONDS, Store, User

COOKIE = "grader_session"
Endpoint = Callable[[Request, "Visitor"], Awaitable[Response]]


@dataclass(frozen=True)
class Visitor:
    user: User
    csrf: str


def visitor(request: Request) -> Visitor | None:
    store: Store = request.app.state.store
    sid = request.cookies.get(COOKIE, "")
    found = store.session(sid) if sid else None
    return Visitor(*found) if found else None


def start_session(request: Request, response: Response, user: User) -> None:
    store: Store = request.app.state.store
    old = request.cookies.get(COOKIE)
    if old:
        store.end_session(old)  # a login never keeps a session id someone else may have set
    sid, _ = store.new_session(user.id)
    secure = request.url.scheme == "https"
    framed = secure and request.app.state.config.lti is not None
    response.set_cookie(COOKIE, sid, max_age=SESSION_SECONDS, path="/", httponly=True,
                        secure=secure, samesite="none" if framed else "lax")


def end_session(request: Request, response: Response) -> None:
    sid = request.cookies.get(COOKIE)
    if sid:
        request.app.state.store.end_session(sid)
    response.delete_cookie(COOKIE, path="/")


def require(role: str | None = None) -> Callable[[Endpoint], Callable[[Request], Awaitable[Response]]]:
    """Wrap an endpoint: 401 without a session, 403 with the wrong role."""
    def wrap(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            who = visitor(request)
            if who is None:
                raise HTTPException(401, "Please open your private link (or launch this tool from "
                                         "your course) to sign in.")
            if role is not None and who.user.role != role:
                raise HTTPException(403, "This page is for instructors.")
            return await endpoint(request, who)
        return guarded
    return wrap


async def checked_form(request: Request, who: Visitor, max_bytes: int = 64 * 1024) -> FormData:
    """The POSTed form, after its size and CSRF token are checked."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():  # a chunked body would be spooled before its size is known
        raise HTTPException(411, "A form must be sent with its length.")
    if int(declared) > max_bytes + 64 * 1024:  # room for the form's other fields
        raise HTTPException(413, too_large(max_bytes))
    try:
        form = await request.form(max_part_size=max_bytes, max_files=2, max_fields=50)
    except HTTPException as err:
        if "exceeded" in str(err.detail).lower():
            raise HTTPException(413, too_large(max_bytes)) from None
        raise
    token = form.get("csrf")
    if not isinstance(token, str) or not hmac.compare_digest(token, who.csrf):
        raise HTTPException(403, "This form has expired (or came from another site). Reload the "
                                 "page and try again.")
    return form


def too_large(max_bytes: int) -> str:
    return _("This file is too large: uploads are limited to {size} KB. Clear the notebook's outputs "
             "(Kernel → Restart & Clear Output) and upload it again.", size=max_bytes // 1024)
