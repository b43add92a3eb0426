"""`python -m grader student-package` builds the wheel students install, with no solution and no
hidden case in it; the check behind it catches a planted solution."""
from __future__ import annotations

import ast
import gettext
import zipfile
from contextlib import contextmanager
from pathlib import Path

from conftest import REPO, run_cli
from grader.commands.student_package import leaks_in

SOLUTIONS, EXERCISES = REPO / "solutions", REPO / "exercises"


@contextmanager
def archive_member(wheel: Path, name: str):
    with zipfile.ZipFile(wheel) as archive, archive.open(name) as member:
        yield member


def test_the_student_wheel_holds_the_checker_and_no_solution_or_hidden_case(tmp_path: Path) -> None:
    done = run_cli("student-package", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    wheel = next(tmp_path.glob("autograd_grader-*.whl"))
    assert "Hand out" in done.stdout and wheel.name in done.stdout
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        texts = "\n".join(archive.read(n).decode("utf-8", "replace") for n in names)
    assert "grader/notebook.py" in names and "grader/run/public.py" in names  # grader.check() runs
    with archive_member(wheel, "grader/locale/zh_CN/LC_MESSAGES/grader.mo") as compiled:  # built, not committed
        assert gettext.GNUTranslations(compiled).gettext("Total: {score}") == "总分：{score}"
    assert not [n for n in names if n.startswith(("solutions/", "exercises/")) or n.endswith(".yaml")]
    for path in SOLUTIONS.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef):
                assert ast.get_source_segment(source, node) not in texts, f"{path.name}: {node.name}"
    hidden_cases = [line.strip() for path in EXERCISES.glob("*.yaml")
                    for line in path.read_text(encoding="utf-8").splitlines() if "hidden: true" in line and "{" in line]
    assert hidden_cases and not [case for case in hidden_cases if case in texts]
    assert leaks_in(wheel, SOLUTIONS, EXERCISES) == []


def test_a_wheel_with_a_solution_in_it_is_refused(tmp_path: Path) -> None:
    wheel = tmp_path / "leaky-0.1-py3-none-any.whl"
    solution = (SOLUTIONS / "two_grads.py").read_text(encoding="utf-8")
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("grader/helpers.py", "# copied in by mistake\n" + solution)
        archive.writestr("exercises/two_grads.yaml", (EXERCISES / "two_grads.yaml").read_text())
    leaks = leaks_in(wheel, SOLUTIONS, EXERCISES)
    assert any("two_grads.py: two_grads in grader/helpers.py" in leak for leak in leaks)
    assert "the pack file exercises/two_grads.yaml" in leaks
