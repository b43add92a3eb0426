"""The check kinds the d2l pack does not use are real too: grad (orders 1, 2, gradient
argument) and input_grad, on a small pack written here; and the kinds' child half loads
without the judges."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import codes, exercise
from grader.api import Grader
from grader.pack.kinds import KINDS

ROOT = Path(__file__).resolve().parents[1]

CUBE = """\
id: cube
function: cube
inputs:
  x: {shape: [3]}
cases:
  - {}
  - {inputs: {x: {shape: [2, 2]}}}
checks:
  - {kind: grad, wrt: [x], points: 1}
  - {kind: grad, wrt: [x], order: 2, points: 1}
"""
# A gradient argument has one shape, so the weighted check has an exercise of its own on [3].
CUBE_WEIGHTED = """\
id: cube_weighted
function: cube
solution: cube
inputs:
  x: {shape: [3]}
checks:
  - {kind: grad, wrt: [x], gradient: {shape: [3], dist: uniform, low: 1, high: 2}, points: 1, name: weighted}
"""
ACCUMULATE = """\
id: accumulate
function: accumulate
inputs:
  x: {shape: [3], requires_grad: true}
checks:
  - {kind: input_grad, input: x, points: 2}
"""


@pytest.fixture(scope="module")
def kinds_grader(tmp_path_factory):
    root = tmp_path_factory.mktemp("pack")
    (root / "exercises").mkdir()
    (root / "solutions").mkdir()
    (root / "exercises" / "assignment.yaml").write_text(
        "name: kinds\nexercises:\n  - {id: cube, points: 2}\n  - {id: cube_weighted, points: 1}\n"
        "  - {id: accumulate, points: 2}\n")
    (root / "exercises" / "cube.yaml").write_text(CUBE)
    (root / "exercises" / "cube_weighted.yaml").write_text(CUBE_WEIGHTED)
    (root / "exercises" / "accumulate.yaml").write_text(ACCUMULATE)
    (root / "solutions" / "cube.py").write_text("def cube(x):\n    return x ** 3\n")
    (root / "solutions" / "accumulate.py").write_text(
        "def accumulate(x):\n    (x * x).sum().backward()\n    (3 * x).sum().backward()\n")
    (root / "config.yaml").write_text("assignment: exercises/assignment.yaml\n")
    with Grader.open(str(root / "config.yaml")) as grader:
        yield grader


def grade(grader, tmp_path, source):
    path = tmp_path / "s.py"
    path.write_text(textwrap.dedent(source))
    return grader.grade_file(path)


def test_right_answers_pass_every_kind(kinds_grader, tmp_path):
    report = grade(kinds_grader, tmp_path, """
        import torch
        def cube(x):
            return x * x * x
        def accumulate(x):
            y = (x ** 2).sum()
            y.backward()
            (x * 3).sum().backward()
    """)
    assert report.score == report.max_score == 5, [(d.check, d.code, d.message, d.details) for e in report.exercises for d in e.diagnoses]


def check_scores(report, exercise_id):
    return {c.name: (c.score, c.cases_total) for c in exercise(report, exercise_id).checks}


def test_first_second_and_weighted_gradients_are_each_checked(kinds_grader, tmp_path):
    report = grade(kinds_grader, tmp_path, """
        def cube(x):
            return x ** 3 + x.detach() ** 2
        def accumulate(x):
            (x * x).sum().backward()
    """)
    assert check_scores(report, "cube") == {"grad": (1.0, 2), "grad#1": (1.0, 2)}
    assert check_scores(report, "cube_weighted") == {"weighted": (1.0, 1)}
    accumulate = exercise(report, "accumulate")
    assert accumulate.score == 0 and codes(accumulate) == {"mismatch"}


def test_a_first_derivative_without_a_graph_fails_only_the_second_order_check(kinds_grader, tmp_path):
    report = grade(kinds_grader, tmp_path, """
        def cube(x):
            return x * (3 * x * x).detach() - 2 * x.detach() ** 3
        def accumulate(x):
            pass
    """)
    assert check_scores(report, "cube") == {"grad": (1.0, 2), "grad#1": (0.0, 2)}
    assert check_scores(report, "cube_weighted") == {"weighted": (1.0, 1)}


def test_a_detached_result_has_no_gradient(kinds_grader, tmp_path):
    report = grade(kinds_grader, tmp_path, """
        def cube(x):
            return (x ** 3).detach()
        def accumulate(x):
            pass
    """)
    cube = exercise(report, "cube")
    assert cube.score == 0 and "no-grad-tracking" in codes(cube)
    assert "no-grad-tracking" in codes(exercise(report, "accumulate"))


def test_the_childs_half_loads_neither_the_judges_nor_yaml():
    """The fork server imports the harness before the sandbox closes the files: what it loads is
    what every child carries."""
    code = ("import sys, grader.run.forkserver, grader.run.harness\n"
            "print(sorted(m for m in sys.modules if m.startswith(('grader.judge', 'grader.render', "
            "'yaml', 'grader.run.references'))))\n"
            "print(sorted(m for m in sys.modules if m.startswith('grader.observe.kinds.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}).stdout
    loaded, observers = out.splitlines()
    assert loaded == "[]"
    assert observers == str(sorted(f"grader.observe.kinds.{k.observe}"
                                   for k in {k.observe: k for k in KINDS.values() if k.observe}.values()))
