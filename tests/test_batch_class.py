"""A real class through the real engine: `python -m grader batch` on 30+ notebooks.

Right answers, wrong-answer fixtures, broken and hostile notebooks; the CSV must agree with
single-submission grading, survive kill -9, be idempotent, and not depend on --jobs.
"""
from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from conftest import FIXTURES, REPO, run_main, write_notebook

WRONG = sorted((FIXTURES / "wrong").glob("*.py"))
HOSTILE = {
    "mallory_loop": "def grad_of_dot(x):\n    while True:\n        pass\n",
    "mallory_exit": "import os\nos._exit(0)",
    "mallory_flood": "print('x' * 5_000_000)",
    "mallory_patch": "import torch\ntorch.allclose = lambda *a, **k: True\ndef grad_of_dot(x):\n    return x",
}


def cells_of(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    text = text.split("\n", 1)[1] if text.startswith("# expect:") else text
    return [cell for cell in text.split("# %%") if cell.strip()]


@pytest.fixture(scope="module")
def klass(tmp_path_factory) -> Path:
    """Every wrong-answer fixture, a right one, hostile and broken ones: a flat class folder."""
    root = tmp_path_factory.mktemp("class")
    right = cells_of(FIXTURES / "right" / "all_correct.py")
    write_notebook(root / "alice.ipynb", ["%matplotlib inline"] + right)
    for number, path in enumerate(WRONG):
        write_notebook(root / f"student{number:02d}.ipynb", ["# 第一次作业\n%matplotlib inline"] + cells_of(path))
    for name, code in HOSTILE.items():
        write_notebook(root / f"{name}.ipynb", right[:3] + [code])
    (root / "broken.ipynb").write_text("{ this is not a notebook")
    write_notebook(root / "typo.ipynb", ["def grad_of_dot(x)\uff1a\n    return x"])
    assert len(list(root.glob("*.ipynb"))) >= 30
    return root


def batch(klass: Path, out: Path, *extra: str, timeout: float = 400) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", "batch", str(klass), "--out", str(out),
                           "--check-seconds", "2", *extra], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def batch_in_process(klass: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    """The same command without a process of its own (which would import torch twice)."""
    return run_main("batch", str(klass), "--out", str(out), "--check-seconds", "2", *extra)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return sorted(csv.DictReader(handle), key=lambda row: row["student"])


@pytest.fixture(scope="module")
def graded(klass, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out-jobs2")
    done = batch(klass, out, "--jobs", "2")
    assert done.returncode == 1, done.stderr[-2000:]  # the broken notebook is a problem to report
    return out


def test_every_submission_gets_a_row_and_feedback(graded, klass):
    rows = read_csv(graded / "grades.csv")
    students = {path.stem for path in klass.glob("*.ipynb")}
    assert {row["student"] for row in rows} == students
    broken = next(row for row in rows if row["student"] == "broken")
    assert broken["total"] == ""
    assert "broken" in (graded / "problems.txt").read_text()
    for student in students - {"broken"}:
        assert (graded / "feedback" / f"{student}.html").exists()
        assert (graded / "feedback" / f"{student}.md").exists()
    assert "data:image/png;base64," in (graded / "feedback" / "alice.html").read_text()
    assert (graded / "summary.html").read_text().count("data:image/png;base64,") >= 1


def test_the_csv_agrees_with_single_submission_grading(graded, klass, grader):
    rows = {row["student"]: row for row in read_csv(graded / "grades.csv")}
    assert float(rows["alice"]["total"]) == 36
    for path in [klass / "student00.ipynb", klass / "student05.ipynb", klass / "mallory_patch.ipynb"]:
        report = grader.grade_file(path)
        assert float(rows[path.stem]["total"]) == pytest.approx(report.score)
        for exercise in report.exercises:
            assert float(rows[path.stem][exercise.id]) == pytest.approx(exercise.score)


def test_hostile_students_cost_only_themselves(graded):
    rows = {row["student"]: row for row in read_csv(graded / "grades.csv")}
    assert all(rows[name]["total"] != "" for name in HOSTILE)
    assert float(rows["mallory_patch"]["grad_of_dot"]) == 0
    assert float(rows["mallory_loop"]["grad_of_dot"]) == 0
    assert float(rows["mallory_flood"]["grad_of_dot"]) == 2  # their right answer still earns
    assert float(rows["mallory_exit"]["grad_of_dot"]) == 2


def test_a_second_run_is_idempotent(graded, klass):
    before = (graded / "grades.csv").read_text()
    done = batch_in_process(klass, graded, "--jobs", "2")
    assert done.returncode == 1
    assert (graded / "grades.csv").read_text() == before
    with sqlite3.connect(graded / "gradebook.sqlite") as db:
        (count,) = db.execute("SELECT COUNT(*) FROM submissions").fetchone()
    assert count == len(read_csv(graded / "grades.csv")) - 1


def test_jobs_1_gives_the_same_grades(graded, klass, tmp_path):
    done = batch_in_process(klass, tmp_path / "out", "--jobs", "1")
    assert done.returncode == 1
    assert read_csv(tmp_path / "out" / "grades.csv") == read_csv(graded / "grades.csv")


def test_kill_9_loses_nothing_and_the_rerun_finishes(graded, klass, tmp_path):
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "grader", "batch", str(klass), "--out", str(out),
                                "--jobs", "2", "--check-seconds", "2"], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    database = out / "gradebook.sqlite"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if database.exists():
            with sqlite3.connect(database) as db:
                try:
                    if db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] >= 8:
                        break
                except sqlite3.OperationalError:
                    pass
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    with sqlite3.connect(database) as db:
        survived = db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert 8 <= survived < len(list(klass.glob("*.ipynb"))) - 1
    done = batch_in_process(klass, out, "--jobs", "2")
    assert done.returncode == 1
    assert read_csv(out / "grades.csv") == read_csv(graded / "grades.csv")
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT student, COUNT(*) FROM submissions GROUP BY student HAVING COUNT(*) > 1").fetchall()
    assert rows == []
