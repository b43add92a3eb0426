"""A hang or a crash costs its own limit: the cell or the check it happened in, nothing more."""
from __future__ import annotations

import time

import pytest

from conftest import REPO, codes, exercise, write_notebook
from grader.api import Grader

D2L_F = '''
import torch
def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c
'''
DETACH = '''
def detach_grad(x):
    x = x.detach().requires_grad_(True)
    u = (x * x).detach()
    (u * x).sum().backward()
    return x.grad
'''

SUBMISSION_SECONDS = 30.0


@pytest.fixture(scope="module")
def strict():
    limits = {"cell_seconds": 1.0, "check_seconds": 1.0, "submission_seconds": SUBMISSION_SECONDS}
    with Grader.open(str(REPO / "config.yaml"), {"limits": limits}) as grader:
        grader.warm()  # the references and the server's start-up are not the submission's time
        grader.server.wait_ready()
        yield grader


def test_d2l_loop_on_a_zero_input_costs_its_cell_limit(strict, tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", [D2L_F, "d = f(torch.zeros(()))  # 零输入: 死循环", DETACH])
    started = time.monotonic()
    report = strict.grade_file(path)
    assert time.monotonic() - started < SUBMISSION_SECONDS  # the cell's limit ended it, not the run's
    (hung,) = [c for c in report.cells if c.status != "ok"]
    assert hung.index == 2 and hung.error_type == "Deadline"
    assert exercise(report, "detach_grad").status == "passed"


def test_a_function_that_loops_forever_costs_each_case_its_check_limit(strict, tmp_path):
    loop = "def grad_of_dot(x):\n    while True:\n        pass\n"
    path = write_notebook(tmp_path / "nb.ipynb", [loop, DETACH])
    report = strict.grade_file(path)
    result = exercise(report, "grad_of_dot")
    assert result.score == 0 and codes(result) == {"timeout"} and result.status == "error"
    assert exercise(report, "detach_grad").status == "passed"


def test_a_loop_that_swallows_the_deadline_is_killed_and_the_rest_still_graded(strict, tmp_path):
    stubborn = ("def grad_of_dot(x):\n    while True:\n        try:\n            while True:\n"
                "                pass\n        except BaseException:\n            pass\n")
    path = write_notebook(tmp_path / "nb.ipynb", [stubborn, DETACH])
    report = strict.grade_file(path)
    assert codes(exercise(report, "grad_of_dot")) == {"timeout"}, [(d.code, d.case, d.message) for d in exercise(report, "grad_of_dot").diagnoses]
    assert exercise(report, "detach_grad").status == "passed"


def test_os_exit_inside_a_checked_function_costs_that_case_only(strict, tmp_path):
    dying = "import os, torch\ndef grad_of_dot(x):\n    if x.numel() == 3:\n        os._exit(3)\n    return 4 * x\n"
    path = write_notebook(tmp_path / "nb.ipynb", [dying, DETACH])
    report = strict.grade_file(path)
    result = exercise(report, "grad_of_dot")
    assert "crashed" in codes(result)
    assert exercise(report, "detach_grad").status == "passed"


def test_os_exit_in_a_cell_skips_that_cell_and_runs_the_others(strict, tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", ["import os\nos._exit(0)", DETACH])
    report = strict.grade_file(path)
    assert report.cells[0].status == "died"
    assert exercise(report, "detach_grad").status == "passed"


def test_a_later_case_that_swallows_the_deadline_is_the_one_killed(strict, tmp_path):
    """The child announces an exercise's calls in one record; each result starts the next call's
    clock in the parent, so a kill mid-exercise names the case that was running."""
    stubborn = ("import torch\ndef grad_of_dot(x):\n    if x.numel() == 3 and float(x[0]) == 1.5:\n"
                "        while True:\n            try:\n                while True:\n                    pass\n"
                "            except BaseException:\n                pass\n"
                "    x = x.clone().requires_grad_(True)\n    (2 * torch.dot(x, x)).backward()\n    return x.grad\n")
    path = write_notebook(tmp_path / "nb.ipynb", [stubborn, DETACH])
    report = strict.grade_file(path)
    result = exercise(report, "grad_of_dot")
    found = [(d.code, d.case) for d in result.diagnoses]
    assert found == [("timeout", "x: float32[3]")], found  # the third of four cases, the others pass
    assert 0 < result.score < result.max_score
    assert exercise(report, "detach_grad").status == "passed"
