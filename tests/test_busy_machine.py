"""A busy machine changes no grade: time limits count the child's own time, not the wall clock.

The fork server (and so every child it forks) is pinned to one CPU with busy processes pinned
beside it, so the student's call gets a fraction of that CPU: its wall time is several times
its own time. A call that computes for 0.3 s must pass its 1 s limit there as it does on an
idle machine, and a call that computes for ever must still time out.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO, codes, exercise, write_notebook
from grader.api import Grader

COMPETITORS = 4
BURNS = '''
import time
import torch
def grad_of_dot(x):
    started = time.process_time()
    while time.process_time() - started < {seconds}:  # 学生的慢循环
        pass
    x = x.clone().requires_grad_(True)
    (2 * torch.dot(x, x)).backward()
    return x.grad
'''


@pytest.fixture(scope="module")
def crowded():
    """A grader whose fork server shares CPU 0 with COMPETITORS busy loops."""
    cpu = min(os.sched_getaffinity(0))
    limits = {"check_floor_seconds": 1.0, "check_seconds": 1.0, "hung_seconds": 0.5}
    with Grader.open(str(REPO / "config.yaml"), {"limits": limits}) as grader:
        grader.warm()
        grader.server.wait_ready()
        os.sched_setaffinity(grader.server.pid, {cpu})
        loops = [subprocess.Popen([sys.executable, "-c", f"import os\nos.sched_setaffinity(0, {{{cpu}}})\n"
                                   "while True:\n    pass\n"]) for _ in range(COMPETITORS)]
        try:
            yield grader
        finally:
            for loop in loops:
                loop.kill()
                loop.wait()


@pytest.mark.own_fork_server
def test_a_call_within_its_limit_passes_however_busy_the_machine(crowded, tmp_path):
    report = crowded.grade_file(write_notebook(tmp_path / "nb.ipynb", [BURNS.format(seconds=0.3)]))
    result = exercise(report, "grad_of_dot")
    # Each call takes ~0.3 s of CPU and, sharing its CPU five ways, ~1.5 s on the wall clock.
    assert result.status == "passed", [(d.code, d.message) for d in result.diagnoses]


@pytest.mark.own_fork_server
def test_a_call_past_its_limit_still_times_out_on_a_busy_machine(crowded, tmp_path):
    report = crowded.grade_file(write_notebook(tmp_path / "nb.ipynb", [BURNS.format(seconds=60)]))
    result = exercise(report, "grad_of_dot")
    assert codes(result) == {"timeout"} and result.score == 0
    assert "time limit of 1 s" in result.diagnoses[0].message
