"""The web service under faults and load: the queue is the database.

kill -9 with submissions queued, then a restart: none lost, none graded twice (each job's
`graded_count` is bumped in the transaction that stores its grade). A bounded loopback load test:
every submission graded exactly once with the same score as its twins; the page latency while
grading is measured and printed, not asserted. SERVE_LOAD_SUBMISSIONS / SERVE_LOAD_STUDENTS set
its size (default 80 from 25 students: 25 upload at once, as many as the load's threads, so the
queue holds dozens of jobs for 2 grading slots; bench/serve_load.py runs it alone, at any size).
"""
from __future__ import annotations

import os
import sqlite3
import time

import pytest

from serve_load import run_load
from serve_support import RETURNS_Y, RIGHT, Server, csrf, import_roster, signed_in, upload

pytest.importorskip("starlette")


def _jobs(data):
    with sqlite3.connect(data / "gradebook.sqlite") as conn:
        return conn.execute("SELECT id, state, graded_count, score FROM web_jobs ORDER BY id").fetchall()


def _wait_all_done(data, expected, seconds=300):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        jobs = _jobs(data)
        assert all(state != "failed" for _, state, _, _ in jobs), jobs
        if len(jobs) == expected and all(state == "done" for _, state, _, _ in jobs):
            return jobs
        time.sleep(0.5)
    raise AssertionError(f"not all graded: {_jobs(data)}")


def test_kill_9_with_submissions_queued_loses_none_and_grades_none_twice(tmp_path):
    data = tmp_path / "data"
    uploads = 8
    with Server(data, "--jobs", "1") as server:
        with signed_in(server.instructor_link) as instructor:
            links = import_roster(instructor, server.base, "k1,K One\nk2,K Two")
        with signed_in(links["k1"]) as k1, signed_in(links["k2"]) as k2:
            t1, t2 = csrf(k1, server.base), csrf(k2, server.base)
            for n in range(uploads // 2):
                assert upload(k1, server.base, "a.py", RIGHT + f"#{n}".encode(), t1).status_code == 200
                assert upload(k2, server.base, "b.py", RETURNS_Y + f"#{n}".encode(), t2).status_code == 200
        states = [state for _, state, _, _ in _jobs(data)]
        assert len(states) == uploads and states.count("queued") >= uploads - 2
        server.kill9()
    assert any(state != "done" for _, state, _, _ in _jobs(data))
    with Server(data, "--jobs", "2", port=None):
        jobs = _wait_all_done(data, uploads)
    assert [count for _, _, count, _ in jobs] == [1] * uploads
    assert {score for _, _, _, score in jobs} == {36.0, 0.0}
    with sqlite3.connect(data / "gradebook.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == uploads


def test_load_every_submission_graded_once_and_page_latency_reported(tmp_path):
    submissions = int(os.environ.get("SERVE_LOAD_SUBMISSIONS", "80"))
    students = int(os.environ.get("SERVE_LOAD_STUDENTS", "25"))
    data = tmp_path / "data"
    with Server(data, "--jobs", "2") as server, signed_in(server.instructor_link) as instructor:
        result = run_load(server.base, instructor, submissions, students)
    print("\nserve load:", result.summary())
    jobs = _jobs(data)
    assert len(jobs) == submissions
    assert all(state == "done" and count == 1 for _, state, count, _ in jobs)
    assert sum(len(v) for v in result.scores.values()) == submissions
    assert {name: set(scores) for name, scores in result.scores.items()} == {
        "right.py": {"36 / 36"}, "wrong.py": {"0 / 36"}}


def test_cluster_mode_grades_through_dask_with_the_same_scores(tmp_path):
    pytest.importorskip("distributed")
    data = tmp_path / "data"
    with Server(data, "--cluster", "local:1") as server, signed_in(server.instructor_link) as instructor:
        links = import_roster(instructor, server.base, "c1,C One")
        with signed_in(links["c1"]) as student:
            token = csrf(student, server.base)
            upload(student, server.base, "right.py", RIGHT, token)
            upload(student, server.base, "wrong.py", RETURNS_Y, token)
            jobs = _wait_all_done(data, 2)
    assert [(count, score) for _, _, count, score in jobs] == [(1, 36.0), (1, 0.0)]
    assert "grading on Dask" in server.log.read_text()
