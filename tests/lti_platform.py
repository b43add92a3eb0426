"""A small LTI 1.3 platform (an LMS's side) for the tests, built on lti1p3platform with real RSA
keys and real signatures, served by uvicorn in a thread on a free loopback port.

It answers the tool's OIDC authentication request with a signed launch (as JSON: the test plays
the browser that would post it), issues AGS access tokens for a client assertion it checks
against the tool's JWKS URL, and records every score posted to its line item."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request as PlatformRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CLIENT_ID = "grader-tool-1"
DEPLOYMENT = "deployment-1"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
# login_hint → (sub, name, email, roles)
PEOPLE = {"learner": ("sub-learner-1", "Lea Learner", "lea@uni.edu", [LEARNER]),
          "teacher": ("sub-teacher-1", "Tom Teacher", "tom@uni.edu", [INSTRUCTOR])}


def rsa_pem() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


class _Conf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._registration


class _Req(PlatformRequest):
    def build_metadata(self, request: Any) -> Any:
        return request


class _Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return launch_data


@dataclass
class Platform:
    port: int
    tool_base: str
    scores: list[dict[str, Any]] = field(default_factory=list)
    refuse_scores: bool = False
    token_lifetime: int = 300

    def __post_init__(self) -> None:
        self.base = f"http://127.0.0.1:{self.port}"
        self.issuer = self.base
        self.private_key, self.public_key = rsa_pem()
        self.registration = (Registration().set_iss(self.issuer).set_client_id(CLIENT_ID)
                             .set_deployment_id(DEPLOYMENT).set_oidc_login_url(self.tool_base + "/lti/login")
                             .set_launch_url(self.tool_base + "/lti/launch")
                             .set_platform_public_key(self.public_key)
                             .set_platform_private_key(self.private_key)
                             .set_tool_key_set_url(self.tool_base + "/lti/jwks"))
        self.lineitem = self.base + "/lineitems/1/lineitem"
        app = Starlette(routes=[Route("/jwks", self._jwks), Route("/auth", self._auth),
                                Route("/token", self._token, methods=["POST"]),
                                Route("/lineitems/1/lineitem/scores", self._score, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                     log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def tool_settings(self) -> dict[str, Any]:
        """What an LMS administrator copies into the tool's --lti file."""
        return {"platforms": [{"issuer": self.issuer, "client_id": CLIENT_ID,
                               "auth_login_url": self.base + "/auth",
                               "auth_token_url": self.base + "/token",
                               "key_set_url": self.base + "/jwks", "deployment_ids": [DEPLOYMENT]}]}

    def start(self) -> "Platform":
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)

    def login_params(self, who: str) -> dict[str, str]:
        """The third-party initiated login the platform sends the browser to."""
        return {"iss": self.issuer, "login_hint": who, "client_id": CLIENT_ID,
                "target_link_uri": self.tool_base + "/lti/launch", "lti_message_hint": "rl-1"}

    async def _jwks(self, request: Request) -> Response:
        return JSONResponse(_Conf(registration=self.registration).get_jwks())

    async def _auth(self, request: Request) -> Response:
        params = dict(request.query_params)
        hint = params.get("login_hint", "")
        sub, name, email, roles = PEOPLE[hint.split(":")[0]]
        launch = _Launch(_Req({"get_data": params, "form_data": {}}), _Conf(registration=self.registration))
        launch.set_user_data(sub, roles, name, email)
        launch.set_resource_link_claim("rl-1", title="Autograd homework")
        launch.set_ags(self.base + "/lineitems", self.lineitem)
        if hint.endswith(":expired"):
            launch.set_id_token_expiration(-120)
        if hint.endswith(":other-deployment"):
            launch.set_extra_claims(
                {"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "someone-else"})
        return JSONResponse(launch.lti_launch())

    async def _token(self, request: Request) -> Response:
        form = dict(await request.form())
        try:
            token = _Conf(registration=self.registration).get_access_token(form)
        except Exception as err:  # a bad assertion: refused as an OAuth error
            return JSONResponse({"error": "invalid_client", "detail": str(err)}, status_code=401)
        return JSONResponse(token)

    async def _score(self, request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        try:
            _Conf(registration=self.registration).validate_token(token)
        except Exception:
            return Response(status_code=401)
        if self.refuse_scores:
            return Response(status_code=503)
        self.scores.append(await request.json())
        return Response(status_code=200)
