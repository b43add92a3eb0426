"""`python -m grader serve` in standalone mode, over real HTTP: a real server child process,
real uploads graded by the warm Grader, the batch's feedback, and what each person may see."""
from __future__ import annotations

import re

import httpx
import pytest

from serve_support import (REPO, RETURNS_Y, RIGHT, Server, csrf, import_roster, job_ids,
                           signed_in, upload, wait_done)

pytest.importorskip("starlette")
pytest.importorskip("pylti1p3")
MAX_KB = 256


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with Server(tmp_path_factory.mktemp("serve") / "data", "--jobs", "2", "--per-hour", "3",
                "--max-upload-kb", str(MAX_KB)) as running:
        yield running


@pytest.fixture(scope="module")
def instructor(server):
    with signed_in(server.instructor_link) as client:
        yield client


@pytest.fixture(scope="module")
def links(server, instructor):
    return import_roster(instructor, server.base,
                         "id,name\nada@uni.edu,Ada Lovelace\nbob@uni.edu,Bob\n"
                         "cap@uni.edu,Cap\n=evil@uni.edu,Mallory\ndan@uni.edu,Dan")


@pytest.fixture(scope="module")
def graded(server, links):
    """Ada hands in a right answer, Bob a wrong one; both graded."""
    with signed_in(links["ada@uni.edu"]) as ada, signed_in(links["bob@uni.edu"]) as bob:
        assert upload(ada, server.base, "homework.py", RIGHT).status_code == 200
        assert upload(bob, server.base, "bob.py", RETURNS_Y).status_code == 200
        ada_job, bob_job = job_ids(ada, server.base)[0], job_ids(bob, server.base)[0]
        assert wait_done(ada, server.base, ada_job)["state"] == "done"
        assert wait_done(bob, server.base, bob_job)["state"] == "done"
        yield {"ada": (ada, ada_job), "bob": (bob, bob_job)}


def test_a_student_uploads_and_reads_the_batch_feedback(server, graded):
    ada, job = graded["ada"]
    status = ada.get(f"{server.base}/api/jobs/{job}").json()
    assert status["state"] == "done" and status["score"] == "36 / 36"
    home = ada.get(server.base + "/").text
    assert "homework.py" in home and "36 / 36" in home and "counts" in home
    feedback = ada.get(f"{server.base}/feedback/{job}")
    assert feedback.status_code == 200
    assert "Total: 36 / 36" in feedback.text and "grad_of_dot" in feedback.text


def test_hidden_cases_solutions_and_output_never_reach_the_student(server, graded):
    bob, job = graded["bob"]
    feedback = bob.get(f"{server.base}/feedback/{job}").text
    # one diagnosis in full, the other public cases and the hidden one folded under it
    assert feedback.count("shape-mismatch") == 1 and "The same on" in feedback
    assert "a hidden case" in feedback
    assert "float64[7]" not in feedback and "expected [7]" not in feedback
    solution = (REPO / "solutions" / "grad_of_dot.py").read_text()
    body = max(solution.splitlines(), key=len).strip()
    for page in ("/", f"/feedback/{job}", f"/api/jobs/{job}"):
        assert body not in bob.get(server.base + page).text


def test_a_student_sees_only_their_own_submissions(server, graded):
    ada, ada_job = graded["ada"]
    bob, bob_job = graded["bob"]
    for path in (f"/feedback/{ada_job}", f"/api/jobs/{ada_job}", "/feedback/99999"):
        assert bob.get(server.base + path).status_code == 404
    assert "homework.py" not in bob.get(server.base + "/").text
    assert "bob.py" not in ada.get(server.base + "/").text
    assert ada.get(f"{server.base}/feedback/{bob_job}").status_code == 404


def test_instructor_pages_need_the_instructor_role(server, graded):
    ada, _ = graded["ada"]
    for path in ("/instructor", "/instructor/summary", "/instructor/grades.csv",
                 "/instructor/students/bob@uni.edu", "/api/progress"):
        assert ada.get(server.base + path).status_code == 403
        assert httpx.get(server.base + path).status_code == 401
    token = csrf(ada, server.base)
    refused = ada.post(server.base + "/instructor/regrade", data={"csrf": token})
    assert refused.status_code == 403


def test_every_form_needs_its_csrf_token(server, links, instructor):
    with signed_in(links["cap@uni.edu"]) as cap:
        for token in (None, "forged"):
            data = {"csrf": token} if token else {}
            response = cap.post(server.base + "/submit", data=data,
                                files={"submission": ("x.py", b"x = 1\n")})
            assert response.status_code == 403 and "expired" in response.text
        roster = instructor.post(server.base + "/instructor/roster",
                                 data={"csrf": "forged", "roster": "eve,Eve"})
        assert roster.status_code == 403
        assert cap.get(server.base + "/").text.count('<tr id="job-') == 0


def test_uploads_over_the_limit_get_413_with_a_clear_message(server, links):
    with signed_in(links["cap@uni.edu"]) as cap:
        big = b"# padding\n" * (MAX_KB * 110)
        response = upload(cap, server.base, "big.ipynb", big)
        assert response.status_code == 413
        assert f"limited to {MAX_KB} KB" in response.text and "Clear Output" in response.text
        wrong_kind = upload(cap, server.base, "notes.txt", b"hello")
        assert wrong_kind.status_code == 415


def test_the_hourly_cap_refuses_one_upload_too_many(server, links):
    with signed_in(links["=evil@uni.edu"]) as student:
        token = csrf(student, server.base)
        for _ in range(3):
            assert upload(student, server.base, "a.py", b"x = 1\n", token).status_code == 200
        refused = upload(student, server.base, "a.py", b"x = 1\n", token)
        assert refused.status_code == 429 and "limit" in refused.text


def test_session_cookie_is_httponly_samesite_and_secure_over_https(server, links):
    plain = httpx.get(links["cap@uni.edu"])
    cookie = plain.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    proxied = httpx.get(links["cap@uni.edu"], headers={"X-Forwarded-Proto": "https"})
    assert "; secure" in proxied.headers["set-cookie"].lower()
    assert "login/" not in proxied.headers["location"]  # the token leaves the address bar


def test_an_invalid_link_signs_nobody_in(server):
    response = httpx.get(server.base + "/login/not-a-real-token")
    assert response.status_code == 404 and "grader_session" not in response.headers.get("set-cookie", "")


def test_override_is_shown_exported_and_survives_a_regrade(server, graded, instructor):
    bob, job = graded["bob"]
    page = instructor.get(server.base + "/instructor/students/bob@uni.edu")
    assert page.status_code == 200 and "bob.py" in page.text
    token = csrf(instructor, server.base, "/instructor")
    response = instructor.post(server.base + "/instructor/students/bob@uni.edu/override",
                               data={"csrf": token, "exercise": "grad_of_dot", "score": "1.5",
                                     "comment": "right idea, see office hours"})
    assert response.status_code == 200
    feedback = bob.get(f"{server.base}/feedback/{job}").text
    assert "right idea, see office hours" in feedback and "score set to 1.5 / 2" in feedback
    assert "right idea, see office hours" in bob.get(server.base + "/").text
    _assert_csv_has_override(instructor, server.base)
    assert instructor.post(server.base + "/instructor/regrade",
                           data={"csrf": token}).status_code == 200
    wait_all_graded(instructor, server.base)
    _assert_csv_has_override(instructor, server.base)
    assert "right idea" in bob.get(f"{server.base}/feedback/{job}").text


def _assert_csv_has_override(instructor, base):
    grades = instructor.get(base + "/instructor/grades.csv")
    assert grades.headers["content-type"].startswith("text/csv")
    rows = {line.split(",")[0]: line for line in grades.text.splitlines()}
    assert rows["bob@uni.edu"].split(",")[1] == "1.5"  # grad_of_dot is the first column
    assert "right idea, see office hours" in rows["bob@uni.edu"]
    assert rows["ada@uni.edu"].split(",")[-2] == "36"
    assert "'=evil@uni.edu" in rows  # a formula-looking id is defused


def wait_all_graded(instructor, base, seconds=300):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        progress = instructor.get(base + "/api/progress").json()
        if progress["reload"]:
            return progress
        assert re.match(r"\d+ queued, \d+ being graded", progress["label"])
        time.sleep(0.5)
    raise AssertionError("the regrade did not finish")


def test_dashboard_shows_the_class_and_the_summary(server, graded, instructor):
    page = instructor.get(server.base + "/instructor").text
    assert "ada@uni.edu" in page and "Ada Lovelace" in page and "36 / 36" in page
    summary = instructor.get(server.base + "/instructor/summary").text
    assert "Pass rate per exercise" in summary and "shape-mismatch" in summary


def test_moodle_and_canvas_exports_from_the_dashboard(server, graded, instructor, tmp_path):
    token = csrf(instructor, server.base, "/instructor")
    moodle = instructor.post(server.base + "/instructor/export/moodle",
                             data={"csrf": token, "id_field": "email", "item": "HW2"},
                             files={"roster": ("", b"")})
    assert moodle.status_code == 200
    link = re.search(r'href="(/instructor/exports/moodle-[0-9a-f]+\.csv)"', moodle.text).group(1)
    text = instructor.get(server.base + link).text
    assert text.splitlines()[0] == "Email address,HW2,HW2 feedback"
    assert any(line.startswith("ada@uni.edu,36,") for line in text.splitlines())
    roster = ("Student,ID,SIS User ID,SIS Login ID,Section,HW2 (77)\n"
              "Lovelace Ada,101,,ada@uni.edu,S1,\nBob B,102,,bob@uni.edu,S1,\n")
    made = instructor.post(server.base + "/instructor/export/canvas",
                           data={"csrf": token, "title": "HW2"},
                           files={"roster": ("roster.csv", roster.encode())})
    link = re.search(r'href="(/instructor/exports/canvas-[0-9a-f]+\.csv)"', made.text).group(1)
    lines = instructor.get(server.base + link).text.splitlines()
    assert lines[0].endswith("HW2 (77)") and "Lovelace Ada,101,,ada@uni.edu,S1,36" in lines
    assert graded["ada"][0].get(server.base + link).status_code == 403


def test_a_malformed_notebook_fails_with_a_clear_message_and_nothing_else_is_lost(server, links):
    with signed_in(links["dan@uni.edu"]) as dan:
        assert upload(dan, server.base, "broken.ipynb", b'{"cells": [').status_code == 200
        status = wait_done(dan, server.base, job_ids(dan, server.base)[0])
        assert status["state"] == "failed"
        home = dan.get(server.base + "/").text
        assert "could not be graded" in home and "Your file could not be read" in home
        assert "Traceback" not in home
        assert upload(dan, server.base, "hw.py", RIGHT).status_code == 200
        assert wait_done(dan, server.base, job_ids(dan, server.base)[0])["score"] == "36 / 36"


def test_an_override_for_an_unknown_student_is_refused(server, instructor):
    token = csrf(instructor, server.base, "/instructor")
    refused = instructor.post(server.base + "/instructor/students/nobody/override",
                              data={"csrf": token, "exercise": "grad_of_dot", "score": "1",
                                    "comment": "x"})
    assert refused.status_code == 404
