"""The terminal report and the JSON report, rendered from a hand-made Report."""
from __future__ import annotations

import json

from grader.model import CellRun, CheckResult, Diagnosis, ExerciseResult, Report, report_from_dict
from grader.render.terminal import to_json, to_text


def diagnosis(case: str, code: str = "mismatch", details: str = "") -> Diagnosis:
    return Diagnosis(code, f"{code} message", case=case, check="grad", details=details)


def report(*diagnoses: Diagnosis, **fields) -> Report:
    check = CheckResult("grad", "grad", 0.5, 2.0, 1, 4, tuple(diagnoses))
    two_grads = ExerciseResult("two_grads", "Two gradients", 0.5, 2.0, "partial", (check,))
    done = ExerciseResult("grad_of_dot", "Gradient of a dot", 1.0, 1.0, "passed")
    return Report(submission="hw.ipynb", score=1.5, max_score=3.0, exercises=(done, two_grads), **fields)


def test_one_line_per_exercise_then_the_total():
    lines = to_text(report()).splitlines()
    assert lines[0] == "Grading hw.ipynb"
    assert lines[2] == "  ✓ grad_of_dot  1/1  passed"
    assert lines[3] == "  ◐ two_grads    0.50/2  partial"
    assert lines[-1] == "Total: 1.50/3"


def test_repeated_diagnoses_of_a_check_are_folded_unless_verbose():
    first = diagnosis("x: float32[3]", details="\n".join(f"row {i}" for i in range(15)))
    others = [diagnosis(f"case {i}") for i in range(5)]
    text = to_text(report(first, *others, diagnosis("case z", code="shape-mismatch")))
    assert text.count("[mismatch] grad") == 1 and "[shape-mismatch] grad, case case z" in text
    assert "row 9" in text and "row 10" not in text
    assert "The same on case 0; case 1; case 2 and 2 more (--verbose shows each)." in text
    verbose = to_text(report(first, *others), verbose=True)
    assert verbose.count("[mismatch] grad") == 6 and "The same on" not in verbose


def test_cells_that_raised_notes_and_the_sandbox_are_listed():
    cell = CellRun(3, "error", "NameError", "name 'w'\n   is not defined", 2, "y = w * x")
    text = to_text(report(cells=(cell,), notes=("ran in 2 s",),
                          isolation={"level": "basic", "network": "none"}))
    assert "  cell 3: NameError: name 'w' is not defined, line 2: y = w * x" in text
    assert "Notes:\n  ran in 2 s" in text
    assert "Sandbox: basic: no uid drop, network open, no Landlock, no seccomp, no rlimits" in text


def test_json_round_trips_through_report_from_dict():
    original = report(diagnosis("x: float32[3]", details="d"), student="alice", notes=("n",))
    data = json.loads(to_json(original))
    assert data["exercises"][1]["diagnoses"][0]["case"] == "x: float32[3]"
    assert report_from_dict(data) == original
