"""Instructors learn at once what is wrong in their YAML: file, line, field, every problem."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from conftest import REPO, run_cli, run_main
from grader.errors import PackError
from grader.pack.load import load_pack


def make_pack(tmp_path: Path, exercise_yaml: str, solution: str | None = "def f(x):\n    return x\n") -> Path:
    (tmp_path / "exercises").mkdir()
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises" / "assignment.yaml").write_text("name: t\nexercises:\n  - {id: ex, points: 2}\n")
    (tmp_path / "exercises" / "ex.yaml").write_text(textwrap.dedent(exercise_yaml))
    if solution is not None:
        (tmp_path / "solutions" / "ex.py").write_text(solution)
    (tmp_path / "config.yaml").write_text("assignment: exercises/assignment.yaml\n")
    return tmp_path


GOOD = """\
    id: ex
    function: f
    inputs:
      x: {shape: [3]}
    checks:
      - {kind: value, points: 2}
    """


def test_a_good_ten_line_exercise_loads(tmp_path):
    pack = load_pack(make_pack(tmp_path, GOOD))
    (exercise,) = pack.exercises
    assert exercise.id == "ex" and exercise.max_score == 2 and len(exercise.cases) == 1


def test_every_problem_is_reported_with_file_line_and_field(tmp_path):
    pack = make_pack(tmp_path, """\
        id: ex
        function: f
        inputs:
          x: {shape: [3], dtyp: float32}
        cases:
          - {inputs: {y: {shape: [2]}}}
        checks:
          - {kind: valu, points: 2}
          - {kind: value, points: "two"}
        diagnoses:
          - {code: grad-acumulation, like: g}
        """)
    with pytest.raises(PackError) as caught:
        load_pack(pack)
    text = str(caught.value)
    assert "exercises/ex.yaml:4:" in text and "inputs.x.dtyp: unknown key 'dtyp'" in text
    assert "exercises/ex.yaml:6:" in text and "cases[0].inputs.y" in text
    assert "checks[0].kind: must be one of" in text and "'valu'" in text
    assert "checks[1].points: must be a number (got 'two', a str)" in text
    assert "unknown diagnosis code 'grad-acumulation'" in text
    assert len(caught.value.problems) >= 5


def test_yaml_syntax_error_has_its_position(tmp_path):
    pack = make_pack(tmp_path, "id: ex\nchecks: [\n  {kind: value\n")
    with pytest.raises(PackError) as caught:
        load_pack(pack)
    assert caught.value.problems[0].file == "exercises/ex.yaml"
    assert caught.value.problems[0].line > 0


def test_missing_solution_is_reported(tmp_path):
    with pytest.raises(PackError, match=r"no reference solution solutions/ex.py"):
        load_pack(make_pack(tmp_path, GOOD, solution=None))


def test_cli_exits_3_on_a_broken_pack_and_names_the_place(tmp_path):
    pack = make_pack(tmp_path, GOOD.replace("points: 2", "points: -1"))
    submission = tmp_path / "s.py"
    submission.write_text("def f(x):\n    return x\n")
    done = run_main(str(submission), "--config", str(pack / "config.yaml"))
    assert done.returncode == 3
    assert "exercises/ex.yaml:6:" in done.stderr and "checks[0].points: must be >= 0" in done.stderr


def test_validate_catches_a_wrong_reference_solution(tmp_path):
    pack = make_pack(tmp_path, GOOD, solution="def f(x):\n    raise ValueError('bug in solution')\n")
    done = run_main("validate", "--config", str(pack / "config.yaml"))
    assert done.returncode == 3
    assert "reference solution failed" in done.stderr and "bug in solution" in done.stderr


def test_validate_passes_on_the_bundled_pack_subset():
    done = run_cli("validate", "--select", "two_grads", "detach_grad")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "solutions/two_grads.py: 2/2" in done.stdout
    assert "two_grads__forgets-zero.py" in done.stdout and " 0 failed" in done.stdout
