"""LTI 1.3 end to end: a platform run in the test (lti1p3platform, real RSA keys and signatures)
and a real `python -m grader serve --lti` child. A learner launches, submits, and the score
arrives at the platform's AGS endpoint; an instructor's override follows it there; an expired,
replayed, wrongly signed or foreign-deployment launch is refused; a score owed when the server
is killed is delivered after the restart."""
from __future__ import annotations

import contextlib
import json
import time

import httpx
import jwt
import pytest

pytest.importorskip("pylti1p3")
pytest.importorskip("lti1p3platform")

from lti_platform import Platform, rsa_pem  # noqa: E402
from serve_support import RIGHT, Server, csrf, free_port, job_ids, upload, wait_done  # noqa: E402


@contextlib.contextmanager
def tool_and_platform(folder):
    tool_port = free_port()
    platform = Platform(free_port(), f"http://127.0.0.1:{tool_port}").start()
    settings = folder / "lti.json"
    settings.write_text(json.dumps(platform.tool_settings()))
    server = None
    try:
        server = Server(folder / "data", "--jobs", "1", "--lti", str(settings), port=tool_port)
        yield platform, server, settings
    finally:
        if server is not None:
            server.stop()
        platform.stop()


@pytest.fixture(scope="module")
def lti(tmp_path_factory):
    """One platform and one tool for the tests that neither kill nor reconfigure them."""
    with tool_and_platform(tmp_path_factory.mktemp("lti")) as running:
        yield running


def platform_launch(platform: Platform, browser: httpx.Client, who: str) -> dict:
    """The browser's part of a launch up to the signed id_token: the tool's login, then the
    platform's authentication answer."""
    login = browser.get(platform.tool_base + "/lti/login", params=platform.login_params(who),
                        follow_redirects=False)
    assert login.status_code == 302, login.text
    assert login.headers["location"].startswith(platform.base + "/auth?")
    return browser.get(login.headers["location"]).json()


def post_launch(platform: Platform, browser: httpx.Client, form: dict) -> httpx.Response:
    return browser.post(platform.tool_base + "/lti/launch",
                        data={"id_token": form["id_token"], "state": form["state"]})


def wait_scores(platform: Platform, count: int, seconds: float = 120) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(platform.scores) < count:
        time.sleep(0.2)
    assert len(platform.scores) >= count, platform.scores
    return platform.scores


def test_learner_launch_submit_and_the_score_reaches_the_platform(lti):
    platform, server, _ = lti
    with httpx.Client(timeout=30) as browser:
        form = platform_launch(platform, browser, "learner")
        launched = post_launch(platform, browser, form)
        assert launched.status_code == 303 and launched.headers["location"] == "/"
        home = browser.get(server.base + "/")
        assert "Lea Learner" in home.text and "(student)" in home.text
        assert browser.get(server.base + "/instructor").status_code == 403
        assert upload(browser, server.base, "hw.py", RIGHT).status_code == 303
        assert wait_done(browser, server.base, job_ids(browser, server.base)[0])["state"] == "done"
        score = wait_scores(platform, 1)[0]
        assert score["userId"] == "sub-learner-1"
        assert (score["scoreGiven"], score["scoreMaximum"]) == (36, 36)
        assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
        replayed = post_launch(platform, browser, form)
        assert replayed.status_code == 403 and "Invalid Nonce" in replayed.text

    with httpx.Client(timeout=30, follow_redirects=True) as teacher:
        page = post_launch(platform, teacher, platform_launch(platform, teacher, "teacher"))
        assert "Instructor dashboard" in page.text and "lea@uni.edu" in page.text
        token = csrf(teacher, server.base, "/instructor")
        teacher.post(server.base + "/instructor/students/lea@uni.edu/override",
                     data={"csrf": token, "exercise": "grad_of_dot", "score": "0",
                           "comment": "copied from a classmate"})
        latest = wait_scores(platform, 2)[-1]
        assert (latest["userId"], latest["scoreGiven"], latest["scoreMaximum"]) == ("sub-learner-1", 34, 36)


@pytest.mark.parametrize("hint, why", [("learner:expired", "Signature has expired"),
                                       ("learner:other-deployment", "deployment ID")])
def test_an_expired_or_foreign_deployment_launch_is_refused(lti, hint, why):
    platform, server, _ = lti
    with httpx.Client(timeout=30) as browser:
        refused = post_launch(platform, browser, platform_launch(platform, browser, hint))
        assert refused.status_code == 403 and why in refused.text
        assert "grader_session" not in refused.headers.get("set-cookie", "")
        assert browser.get(server.base + "/").status_code == 401


def test_a_launch_signed_with_another_key_is_refused(lti):
    platform, server, _ = lti
    with httpx.Client(timeout=30) as browser:
        form = platform_launch(platform, browser, "learner")
        header = jwt.get_unverified_header(form["id_token"])
        claims = jwt.decode(form["id_token"], options={"verify_signature": False})
        rogue, _ = rsa_pem()
        forged = jwt.encode(claims, rogue, algorithm="RS256", headers={"kid": header["kid"]})
        refused = post_launch(platform, browser, {**form, "id_token": forged})
        assert refused.status_code == 403 and "Signature verification failed" in refused.text
        assert browser.get(server.base + "/").status_code == 401
    with httpx.Client(timeout=30) as browser, httpx.Client(timeout=30) as stranger:
        form = platform_launch(platform, browser, "learner")  # without the login's state cookie:
        refused = post_launch(platform, stranger, form)
        assert refused.status_code == 403 and "State not found" in refused.text


def test_a_score_owed_at_kill_9_is_delivered_after_the_restart(tmp_path):
    with tool_and_platform(tmp_path) as (platform, server, settings):
        _deliver_after_a_kill(platform, server, settings)


def _deliver_after_a_kill(platform, server, settings):
    platform.refuse_scores = True
    with httpx.Client(timeout=30) as browser:
        post_launch(platform, browser, platform_launch(platform, browser, "learner"))
        upload(browser, server.base, "hw.py", RIGHT)
        wait_done(browser, server.base, job_ids(browser, server.base)[0])
    time.sleep(1.0)  # the platform refuses the first delivery
    server.kill9()
    assert platform.scores == []
    platform.refuse_scores = False
    with Server(server.data, "--jobs", "1", "--lti", str(settings), port=server.port):
        score = wait_scores(platform, 1, seconds=60)[0]
    assert (score["userId"], score["scoreGiven"]) == ("sub-learner-1", 36)
