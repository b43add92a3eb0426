"""Every mode gives the same grade: single, batch (--jobs 3), a Dask cluster, and the kernel's
`grader.check()` against final grading on the public cases.

Graded once per mode, over every right-answer and every wrong-answer fixture, then compared:
per exercise, the score (and in the modes that share the sandboxed pipeline, the status); and
grades.csv against the JSON reports, to the one documented precision.
"""
from __future__ import annotations

import atexit
import csv
import json
import shutil
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO, run_main
from grader.commands import assign
from grader.observe import standins
from grader import notebook as notebook_check
from grader.model import SCORE_DECIMALS, round_score
from grader.source.submission import read_submission

FILES = sorted((FIXTURES / "right").glob("*.py")) + sorted((FIXTURES / "wrong").glob("*.py"))
LIMITS = ("--check-seconds", "10", "--cell-seconds", "20")


def _scores(report) -> dict[str, tuple[float, str]]:
    return {e.id: (e.score, e.status) for e in report.exercises}


@pytest.fixture(scope="module")
def roster(tmp_path_factory) -> Path:
    """The fixtures as a class folder: one student per fixture (the file name)."""
    folder = tmp_path_factory.mktemp("class")
    for path in FILES:
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def single(grader, roster) -> dict[str, dict[str, tuple[float, str]]]:
    return {path.stem: _scores(grader.grade_file(path, student=path.stem))
            for path in sorted(roster.glob("*.py"))}


def _batch(roster: Path, out: Path, *extra: str) -> dict[str, dict[str, tuple[float, str]]]:
    done = run_main("batch", str(roster), "--out", str(out), *LIMITS, *extra)
    assert done.returncode == 0, done.stderr[-2000:]
    graded = {}
    for report_path in sorted((out / "reports").glob("*.json")):
        report = json.loads(report_path.read_text(encoding="utf-8"))
        graded[report_path.stem] = {e["id"]: (e["score"], e["status"]) for e in report["exercises"]}
        _csv_agrees(out / "grades.csv", report_path.stem, report)
    return graded


def _csv_agrees(grades: Path, student: str, report: dict) -> None:
    with open(grades, newline="", encoding="utf-8") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    row = rows[student]
    assert float(row["total"]) == report["score"] == round(report["score"], SCORE_DECIMALS)
    for e in report["exercises"]:
        assert float(row[e["id"]]) == e["score"] == round_score(e["score"])


def test_batch_with_jobs_agrees_with_single_grading(single, roster, tmp_path):
    assert _batch(roster, tmp_path / "batch", "--jobs", "3") == single


def test_a_dask_cluster_agrees_with_single_grading(single, roster, tmp_path):
    pytest.importorskip("distributed")
    assert _batch(roster, tmp_path / "cluster", "--cluster", "local:2") == single


@pytest.fixture(scope="module")
def public_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("assigned") / "hw.ipynb"
    assert assign.command(["--config", str(REPO / "config.yaml"), "--out", str(out)]) == 0
    return out.with_name("hw.public.json")


def _checked_in_a_shell(path: Path, public: Path, monkeypatch) -> dict[str, float]:
    """Run the fixture's cells in a fresh IPython shell, as a kernel would, then check_all()."""
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    monkeypatch.setattr(notebook_check, "_kernel", notebook_check._Kernel())
    shell.run_cell(f"import grader.notebook\ngrader.notebook.setup({str(public)!r})", store_history=True)
    for cell in read_submission(path).cells:
        shell.run_cell(cell.code, store_history=True)
    output = notebook_check.check_all()
    shell.run_cell("import matplotlib.pyplot as plt\nplt.close('all')")
    InteractiveShell.clear_instance()
    # A shell's exit handler resets it (a gc.collect of this torch-sized heap) and stops its history
    # thread: once per shell, ~80 of them, that was 1-2 minutes at the end of the run. Done now.
    atexit.unregister(shell.atexit_operations)
    shell.history_manager.end_session()
    shell.history_manager.close()
    return {r.id: r.score for r in output.results}


def test_check_in_the_kernel_agrees_with_final_grading_on_the_public_cases(grader, public_file,
                                                                           monkeypatch):
    for name in ("d2l", "d2l.torch"):
        monkeypatch.setitem(sys.modules, name, None)
    standins.install(("d2l",))
    disagreements, target = {}, {}
    for path in FILES:
        report = grader.grade_file(path, public_only=True)
        final = {e.id: e.score for e in report.exercises}
        checked = _checked_in_a_shell(path, public_file, monkeypatch)
        if checked != final:
            disagreements[path.name] = {i: (final[i], checked.get(i)) for i in final if final[i] != checked.get(i)}
        exercise_id = path.stem.split("__")[0]
        if exercise_id in final:
            full = next(e.max_score for e in report.exercises if e.id == exercise_id)
            target[path.name] = (checked[exercise_id], full)
    assert disagreements == {}
    # Not vacuous: right answers pass in the kernel, the wrong ones (int-dtype, figures) fail.
    assert target["grad_of_dot.py"][0] == target["grad_of_dot.py"][1] == 2
    assert target["sin_plot.py"][0] == 2 and target["sin_plot__no-figure.py"][0] == 0
    assert target["grad_of_dot__int-arange.py"][0] == 0 and target["two_grads__forgets-zero.py"][0] == 0


def _seen(grader, path: Path) -> list:
    report = grader.grade_file(path, student=path.stem)
    return [(e.id, e.score, e.status, [(d.code, d.message, d.details) for d in e.diagnoses])
            for e in report.exercises] + [c.status for c in report.cells]


def test_the_command_lines_shortcuts_change_no_grade(grader, roster):
    """`python -m grader x.ipynb` opens its Grader with one_submission=True: the server skips
    sympy and the first draw, the known wrong answers are computed while the child runs. Every
    fixture's report is the same as a batch Grader's, diagnoses and hints included."""
    from grader.api import Grader

    with Grader.open(str(REPO / "config.yaml"), one_submission=True) as quick:
        for path in [*sorted(roster.glob("*.py")), REPO / "examples" / "sample_submission.ipynb"]:
            assert _seen(quick, path) == _seen(grader, path), path.name
