"""A hung function costs one limit, not one per case: real hangs, real children, counted calls.

Each student function prints a line per call; the report's output is the child's real stdout,
so the tests count the calls actually made instead of timing anything.
"""
from __future__ import annotations

import pytest

from conftest import REPO, codes, exercise, write_notebook
from grader.api import Grader
from grader.observe.budget import SHARES, CallBudget, ProbeClock
from grader.pack.limits import Limits
from grader.pack.probes import probes_for
from test_limits import DETACH

LOOPS_ON_NEGATIVES = '''
import torch
def my_control_flow(a):
    print("CALLED", flush=True)
    b = a
    while b < 100:  # 负数时 b 越乘越小: 永远不结束
        b = b * 2
    return b * torch.sigmoid(a)
'''
SLEEPS = '''
import time
import torch
def my_control_flow(a):
    print("CALLED", flush=True)
    time.sleep(3600)  # waiting for input that never comes
    return a * 2
'''
TERMINATES = LOOPS_ON_NEGATIVES.replace("while b < 100:", "while b.abs() < 100:")


def _calls(report) -> int:
    return report.output.count("CALLED")


def _grade(grader, tmp_path, source):
    return grader.grade_file(write_notebook(tmp_path / "nb.ipynb", [source, DETACH]))


def test_a_loop_that_hangs_on_some_inputs_keeps_the_grades_of_the_others(grader, tmp_path):
    hung = _grade(grader, tmp_path, LOOPS_ON_NEGATIVES)
    fine = _grade(grader, tmp_path, TERMINATES)
    result = exercise(hung, "my_control_flow")
    by_check = {c.kind: (c.cases_passed, c.cases_total) for c in result.checks}
    # 1.5 and 0.3 return at once; -0.7 and -2.2 loop forever, in both checks.
    assert by_check == {"control_flow": (1, 1), "differentiable": (2, 4), "gradcheck": (2, 4)}
    assert codes(result) == {"timeout"} and result.status == "partial"
    assert exercise(fine, "my_control_flow").status == "passed"
    # gradcheck calls a returning function 3 times per case (value, +eps, -eps), a hung one once.
    assert _calls(hung) == 4 + (3 + 1 + 3 + 1)
    assert exercise(hung, "detach_grad").status == "passed"


def test_a_function_that_sleeps_is_called_until_its_shared_time_is_used_up(grader, tmp_path):
    report = _grade(grader, tmp_path, SLEEPS)
    result = exercise(report, "my_control_flow")
    probes = probes_for(next(e for e in grader.pack.exercises if e.id == "my_control_flow"))
    assert len(probes) > 1 + SHARES
    # The first call waits out its own limit, SHARES more share hung_seconds, the rest never run.
    assert _calls(report) == 1 + SHARES
    timeouts = [d for d in result.diagnoses if d.code == "timeout"]
    assert len(timeouts) == len(probes)
    not_called = [d for d in timeouts if "was not run on this case" in d.message]
    assert len(not_called) == len(probes) - 1 - SHARES
    assert "had already run past its time limit on an earlier case" in not_called[0].message
    # The solution takes milliseconds, so the first call's limit is the floor, not check_seconds.
    floor = grader.settings.limits.check_floor_seconds
    assert f"time limit of {floor:g} s" in timeouts[0].message
    assert exercise(report, "detach_grad").status == "passed"


def test_a_function_the_parent_must_kill_costs_its_budget_across_restarts(tmp_path):
    stubborn = SLEEPS.replace("    time.sleep(3600)", "    while True:\n        try:\n            time.sleep(3600)\n"
                                                      "        except BaseException:\n            pass")
    limits = {"check_floor_seconds": 0.5, "hung_seconds": 0.4, "submission_seconds": 60.0}
    with Grader.open(str(REPO / "config.yaml"), {"limits": limits}) as strict:
        report = _grade(strict, tmp_path, stubborn)
    result = exercise(report, "my_control_flow")
    assert {d.code for d in result.diagnoses} == {"timeout"}
    assert any("was not run on this case" in d.message for d in result.diagnoses)
    assert exercise(report, "detach_grad").status == "passed"


@pytest.mark.parametrize("reference, expected", [(0.0001, 1.0), (0.1, 5.0), (1.0, 10.0)])
def test_the_per_call_limit_is_a_multiple_of_the_reference_between_floor_and_ceiling(reference, expected):
    assert Limits().per_call(reference) == expected


def test_the_budget_gives_later_calls_a_share_and_then_nothing():
    budget = CallBudget(hung_seconds=1.0)
    assert budget.limit("f", 3.0) == 3.0
    budget.spent("f", 3.0, timed_out=True)
    assert budget.limit("f", 3.0) == 1.0 / SHARES and budget.limit("g", 3.0) == 3.0
    for _ in range(SHARES):
        budget.spent("f", 1.0 / SHARES, timed_out=True)
    assert budget.limit("f", 3.0) == 0.0
    assert CallBudget(1.0, budget.to_dict()).limit("f", 3.0) == 0.0


def test_the_parents_clock_takes_any_key_the_child_sends():
    clock = ProbeClock([{"key": "e/0/0", "function": "f", "seconds": 2.0}], CallBudget(1.0))
    assert clock.start("e/0/0", 10.0) == 2.0
    clock.finish("e/0/0", {}, killed=True)
    assert clock.start("e/0/0", 10.0) == 1.0 / SHARES
    assert clock.start(["e/0/0"], 10.0) == 10.0  # an unknown key: no probe, the default limit
    for hostile in (["e/0/0"], {"k": 1}, None, 3):
        assert clock.start(hostile, 10.0) <= 10.0
        clock.finish(hostile, {"deadline": True})
    assert clock.start("e/0/0", 10.0) == 1.0 / SHARES  # f's own budget is untouched by them
