"""Every case stays inside the pack's contract, and the book's own way of writing an answer
gets full marks: no exercise asks more than the book's code does."""
from __future__ import annotations

import textwrap

import torch

from conftest import FIXTURES, REPO, codes, exercise, run_main, write_notebook
from grader.observe.inputs import build_inputs
from grader.pack.load import load_pack


def test_every_case_of_the_pack_passes_floating_tensors():
    for item in load_pack(REPO).exercises:
        for case in item.cases:
            for name, value in build_inputs(case.inputs, case.seed).items():
                if isinstance(value, torch.Tensor):
                    assert value.is_floating_point(), f"{item.id} case {case.index}: {name} is {value.dtype}"


def test_every_function_exercise_has_a_book_style_right_answer_fixture():
    right = {path.stem for path in (FIXTURES / "right").glob("*.py")}
    missing = {item.id for item in load_pack(REPO).exercises} - right
    assert not missing
    for path in (FIXTURES / "right").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "requires_grad_" in text and path.stem != "all_correct":
            assert ".requires_grad_(True)" in text and ("x.clone()" not in text), path.name


def test_an_int_tensor_in_a_cell_is_diagnosed_there_and_in_every_exercise_it_leaves_undefined(grader, tmp_path):
    cell = textwrap.dedent('''
        import torch
        x = torch.arange(4)
        x.requires_grad_(True)

        def grad_of_dot(x):
            x.requires_grad_(True)
            (2 * torch.dot(x, x)).backward()
            return x.grad

        def two_grads(x):
            return x, x
    ''')
    report = grader.grade_file(write_notebook(tmp_path / "int.ipynb", [cell]))
    for exercise_id in ("grad_of_dot", "two_grads"):
        result = exercise(report, exercise_id)
        assert codes(result) == {"int-dtype"} and result.status == "error"
        assert "cell 1" in result.diagnoses[0].message and "torch.arange(4.0)" in result.diagnoses[0].message
    (failed,) = [c for c in report.cells if c.status != "ok"]
    assert failed.code == "int-dtype" and "floating-point" in failed.hint
    assert codes(exercise(report, "detach_grad")) == {"not-defined"}


def test_validate_fails_loudly_when_a_right_answer_fixture_loses_points(tmp_path):
    right = tmp_path / "right"
    right.mkdir()
    (right / "grad_of_dot.py").write_text("# expect: grad_of_dot full-marks\nimport torch\n"
                                          "def grad_of_dot(x):\n    return 4 * x\n")
    (right / "no_header.py").write_text("def grad_of_dot(x):\n    return x\n")
    done = run_main("validate", "--select", "grad_of_dot", "--right-fixtures", str(right),
                   "--fixtures", str(tmp_path))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "✗ grad_of_dot.py: grad_of_dot 0/2, short of full marks: grad_of_dot 0/2 (autograd-not-used)" in done.stdout
    assert "✗ no_header.py: first line must be `# expect: <exercise> full-marks`" in done.stdout


def test_validate_grades_the_book_style_fixtures_to_full_marks():
    done = run_main("validate", "--select", "grad_of_dot", "two_grads")
    assert done.returncode == 0, done.stdout
    assert "✓ grad_of_dot.py: grad_of_dot 2/2, full marks" in done.stdout
    assert "✓ all_correct.py: all 4/4, full marks" in done.stdout
