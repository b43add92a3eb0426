"""LTI 1.3 launches through pylti1p3next, with a small Starlette adapter.

pylti1p3 ships adapters for Django and Flask only; its core takes a request, a cookie service and
a session service, so this module gives it those over Starlette (the request's parameters read
beforehand, since Starlette's are async) and over the service's SQLite store instead of a session
cookie: the launch is a cross-site POST from the LMS, which a SameSite session cookie would not
follow. The library validates the launch JWT: its signature against the platform's JWKS, issuer,
audience (client id), expiry, deployment id, and the state cookie; the nonce is consumed here on
first use, so a replayed launch is refused (pylti1p3 only checks that the nonce was issued).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pylti1p3.cookie import CookieService
from pylti1p3.exception import LtiException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.request import Request as LtiRequest
from pylti1p3.session import SessionService
from pylti1p3.tool_config import ToolConfDict
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from grader.serve.auth import start_session
from grader.serve.store import Store, User

log = logging.getLogger("grader.serve.lti")
# Context (course) roles only: Canvas also sends institution roles, and a teacher elsewhere who
# takes this course as a learner is a student here.
STAFF_ROLES = ("/membership#Instructor", "/membership#Administrator", "/membership#ContentDeveloper",
               "/membership/Instructor#TeachingAssistant", "/membership#TeachingAssistant")
ROLES_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DEPLOYMENT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
_PLATFORM_KEYS = ("issuer", "client_id", "auth_login_url", "auth_token_url", "key_set_url",
                  "deployment_ids")


@dataclass(frozen=True)
class LtiSettings:
    """The platforms this tool trusts (from --lti FILE) and the tool's own RSA key."""

    platforms: tuple[dict[str, Any], ...]
    private_key: str
    public_key: str

    @classmethod
    def load(cls, path: Path, data: Path) -> "LtiSettings":
        try:
            platforms = json.loads(path.read_text(encoding="utf-8"))["platforms"]
        except (KeyError, TypeError, json.JSONDecodeError) as err:
            raise ValueError(f"{path}: not an LTI settings file ({err}); see docs/web-service.md") from None
        for number, platform in enumerate(platforms, 1):
            missing = [k for k in _PLATFORM_KEYS if not platform.get(k)]
            if missing:
                raise ValueError(f"{path}: platform {number} lacks {', '.join(missing)}")
        private, public = tool_key(data)
        return cls(tuple(platforms), private, public)

    def tool_config(self) -> ToolConfDict:
        config = ToolConfDict({p["issuer"]: [{
            "default": True, "client_id": p["client_id"], "auth_login_url": p["auth_login_url"],
            "auth_token_url": p["auth_token_url"], "key_set_url": p["key_set_url"],
            "key_set": None, "auth_audience": p.get("auth_audience"),
            "deployment_ids": list(p["deployment_ids"])}] for p in self.platforms})
        for p in self.platforms:
            config.set_private_key(p["issuer"], self.private_key, client_id=p["client_id"])
            config.set_public_key(p["issuer"], self.public_key, client_id=p["client_id"])
        return config

    def platform_origins(self) -> list[str]:
        return sorted({f"{u.scheme}://{u.netloc}" for p in self.platforms
                       for u in (urlsplit(p["auth_login_url"]),)})


def tool_key(data: Path) -> tuple[str, str]:
    """The tool's RSA key pair, made at the first start and kept (0600) in the data folder."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    path = data / "lti-private-key.pem"
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        path.touch(mode=0o600)
        path.write_bytes(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return path.read_text(), public.decode()


class _Params(LtiRequest):
    def __init__(self, params: dict[str, str], cookies: dict[str, str], secure: bool) -> None:
        self.params, self.cookies, self.secure = params, cookies, secure

    @property
    def session(self) -> None:
        return None

    def get_param(self, key: str) -> str | None:
        return self.params.get(key)

    def get_cookie(self, key: str) -> str | None:
        return self.cookies.get(key)

    def is_secure(self) -> bool:
        return self.secure


class _Cookies(CookieService):
    def __init__(self, request: _Params) -> None:
        self.request = request
        self.to_set: dict[str, tuple[str, int]] = {}

    def get_cookie(self, name: str) -> str | None:
        return self.request.get_cookie(f"{self._cookie_prefix}-{name}")

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        self.to_set[f"{self._cookie_prefix}-{name}"] = (str(value), exp or 3600)

    def apply(self, response: Response) -> Response:
        secure = self.request.is_secure()
        for key, (value, max_age) in self.to_set.items():
            response.set_cookie(key, value, max_age=max_age, path="/", httponly=True,
                                secure=secure, samesite="none" if secure else "lax")
        return response


class _StoreData(LaunchDataStorage[Any]):
    """pylti1p3's launch data (state, nonces) in the store, shared by every worker and restart."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get_session_cookie_name(self) -> None:
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        return self.store.kv_get(key)

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        self.store.kv_set(key, value, exp or 3600)

    def check_value(self, key: str) -> bool:
        return self.store.kv_take(key)


class _Sessions(SessionService):
    def __init__(self, store: Store) -> None:
        self.data_storage = _StoreData(store)
        self._launch_data_lifetime = 600


class _Redirect(Redirect[Response]):
    def __init__(self, location: str, cookies: _Cookies) -> None:
        self.location, self.cookies = location, cookies

    def do_redirect(self) -> Response:
        return self.cookies.apply(RedirectResponse(self.location, 302))

    def do_js_redirect(self) -> Response:
        return self.do_redirect()

    def set_redirect_url(self, location: str) -> None:
        self.location = location

    def get_redirect_url(self) -> str:
        return self.location


class _Launch(MessageLaunch):
    def _get_request_param(self, key: str) -> str | None:
        return self._request.get_param(key)


class _Login(OIDCLogin):
    def get_redirect(self, url: str) -> _Redirect:
        return _Redirect(url, self._cookie_service)


async def _params(request: Request) -> _Params:
    params = dict(request.query_params)
    if request.method == "POST":
        form = await request.form(max_files=0, max_fields=30)
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return _Params(params, dict(request.cookies), request.url.scheme == "https")


def _launch_url(request: Request) -> str:
    return str(request.base_url) + "lti/launch"


async def login(request: Request) -> Response:
    """OIDC third-party initiated login: answer the platform with the authentication request."""
    params = await _params(request)
    settings: LtiSettings = request.app.state.config.lti
    cookies = _Cookies(params)
    oidc = _Login(params, settings.tool_config(), session_service=_Sessions(request.app.state.store),
                  cookie_service=cookies)
    try:
        return oidc.redirect(_launch_url(request))
    except LtiException as err:
        raise HTTPException(400, f"This LTI login could not be started: {err}") from None


async def launch(request: Request) -> Response:
    params = await _params(request)
    store: Store = request.app.state.store
    settings: LtiSettings = request.app.state.config.lti
    message = _Launch(params, settings.tool_config(), session_service=_Sessions(store),
                            cookie_service=_Cookies(params))
    try:
        claims = await run_in_threadpool(lambda: message.validate().get_launch_data())
    except Exception as err:  # pylti1p3 and PyJWT raise several types; each means "refused"
        log.warning("LTI launch refused: %s: %s", type(err).__name__, err)
        raise HTTPException(403, f"This launch could not be verified ({err}). Open the tool "
                                 "again from your course.") from None
    user = launch_user(claims)
    await run_in_threadpool(_remember, store, user, claims)
    response = RedirectResponse("/instructor" if user.role == "instructor" else "/", 303)
    start_session(request, response, user)
    return response


def launch_user(claims: dict[str, Any]) -> User:
    """The person launching: their email (what the exports join on), else the platform's id."""
    roles = claims.get(ROLES_CLAIM) or []
    staff = any(r.endswith(STAFF_ROLES) for r in roles)
    ident = claims.get("email") or f"{claims['sub']}@{urlsplit(claims['iss']).netloc}"
    name = claims.get("name") or claims.get("given_name") or ident
    return User(str(ident), str(name), "instructor" if staff else "student")


def _remember(store: Store, user: User, claims: dict[str, Any]) -> None:
    store.upsert_lti_user(user)
    if user.role == "student" and AGS_CLAIM in claims:
        store.save_launch(user.id, {"iss": claims["iss"], "client_id": _audience(claims),
                                    "sub": claims["sub"], "ags": claims[AGS_CLAIM]})


def _audience(claims: dict[str, Any]) -> str:
    aud = claims["aud"]
    if isinstance(aud, list):
        return claims.get("azp") or aud[0]
    return aud


async def jwks(request: Request) -> Response:
    settings: LtiSettings = request.app.state.config.lti
    return JSONResponse(settings.tool_config().get_jwks())


def routes() -> list[Route]:
    return [Route("/lti/login", login, methods=["GET", "POST"]),
            Route("/lti/launch", launch, methods=["POST"], name="lti_launch"),
            Route("/lti/jwks", jwks)]
