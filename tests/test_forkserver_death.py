"""A fork server that dies (SIGKILL, the OOM killer, a kill aimed at its Dask worker, whose
command line it shares) costs at most the submission it was running, which is graded again in
full: never a `send_fds` BrokenPipeError for every later submission, never a zombie, never a
grade that blames the student's cell for the server's death.

This was the cause behind issue 19's hang: the handle did not notice its server had died, so
the Dask worker stayed up and failed (or waited out) every task it took.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO

pytestmark = pytest.mark.own_fork_server

RIGHT = (FIXTURES / "right" / "all_correct.py").read_bytes()
# Names its own process so the test can kill the server while this child runs.
SLOW = RIGHT + b"""
# %%
import ctypes, time
ctypes.CDLL(None).prctl(15, b"grader-srvkill", 0, 0, 0)
time.sleep(1.5)
"""


@pytest.fixture(scope="module")
def own_grader():
    """A Grader of its own: these tests kill its fork server."""
    from grader.api import Grader

    with Grader.open(str(REPO / "config.yaml"), jobs=2) as opened:
        opened.warm()
        yield opened


def _state(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "gone"
    return next(line.split()[1] for line in status.splitlines() if line.startswith("State:"))


def _wait_gone(pid: int, seconds: float = 10) -> str:
    deadline = time.monotonic() + seconds
    while _state(pid) not in ("gone",) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _state(pid)


def test_a_killed_fork_server_is_replaced_and_reaped(own_grader):
    clean = own_grader.grade_bytes("s.py", RIGHT, "s")
    assert clean.score == clean.max_score
    dead = own_grader.server.pid
    os.kill(dead, signal.SIGKILL)
    time.sleep(0.3)  # the handle's reader sees the end of its socket

    report = own_grader.grade_bytes("s.py", RIGHT, "s")  # before the fix: send_fds BrokenPipeError
    assert report.score == clean.score and report.exercises == clean.exercises
    assert own_grader.server.pid != dead
    assert _wait_gone(dead) == "gone", "the dead fork server was left a zombie"


def test_a_server_killed_mid_submission_costs_a_rerun_not_a_grade(own_grader):
    clean = own_grader.grade_bytes("slow.py", SLOW, "slow")
    killed: list[int] = []

    def kill_server_when_child_runs() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not killed:
            for proc in Path("/proc").iterdir():
                try:
                    if (proc / "comm").read_text().strip() == "grader-srvkill":
                        killed.append(own_grader.server.pid)
                        os.kill(killed[0], signal.SIGKILL)
                        return
                except OSError:
                    continue
            time.sleep(0.05)

    killer = threading.Thread(target=kill_server_when_child_runs, daemon=True)
    killer.start()
    started = time.monotonic()
    report = own_grader.grade_bytes("slow.py", SLOW, "slow")
    killer.join()
    assert killed, "the slow child was never seen"
    assert [c.status for c in report.cells] == [c.status for c in clean.cells]
    assert report.score == clean.score and report.exercises == clean.exercises
    assert time.monotonic() - started < 30  # not the submission's 60 s limit
    assert _wait_gone(killed[0]) == "gone"


def test_a_replacement_that_starts_slowly_is_not_charged_to_the_submission(monkeypatch):
    """A grade waits for a fork server that is still starting; that server is killed, and its
    replacement takes longer to start than the submission's whole time limit (torch's import on
    a loaded machine, here a sleep before it boots): the grade is still the clean one.

    This was the chaos run that scored a right submission 0: the wait for the starting server
    ended when it died, the submission's clock started then, and the replacement's start-up
    (started by the first spawn) was charged to it, so every probe ran out of time."""
    from grader.api import Grader
    from grader.run import forkserver

    limit = 8.0
    with Grader.open(str(REPO / "config.yaml"), {"limits": {"submission_seconds": limit}}) as grader:
        grader.warm()
        clean = grader.grade_bytes("s.py", RIGHT, "s")
        monkeypatch.setattr(forkserver, "_BOOT", f"import time\ntime.sleep({limit + 2})\n" + forkserver._BOOT)
        first = grader.server.pid
        os.kill(first, signal.SIGKILL)
        _wait_for(lambda: grader.server.generation == 1)
        graded = []
        grading = threading.Thread(target=lambda: graded.append(grader.grade_bytes("s.py", RIGHT, "s")))
        grading.start()
        _wait_for(lambda: grader.server.pid != first)  # the grade started a replacement and waits
        os.kill(grader.server.pid, signal.SIGKILL)  # while it boots
        grading.join(timeout=180)
        assert graded, "the grade did not finish"
        assert [e.status for e in graded[0].exercises] == [e.status for e in clean.exercises]
        assert graded[0].score == clean.score and graded[0].exercises == clean.exercises


def _wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)
