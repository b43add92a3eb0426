"""Batch orchestration with a fake `grade`: outputs, resumption, idempotence, --regrade, --jobs.

The fake derives a fixed report from the submission's bytes; the real engine gets its own
end-to-end batch test when it lands.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from grader.commands import batch as batch_command
from grader.commands.batch import add_batch_arguments, could_not_grade, run_batch, run_batch_command
from grader.commands.gradebook import Gradebook
from grader.model import CheckResult, Diagnosis, ExerciseResult, Report

EXERCISES = ("grad_of_dot", "two_grads", "sin_plot")
STATUS = {0: "failed", 1: "partial", 2: "passed"}


class FakeGrade:
    """A thread-safe stand-in for the engine: the report depends on the bytes alone."""

    def __init__(self, interrupt_at: str = "") -> None:
        self.calls: list[str] = []
        self.lock = threading.Lock()
        self.interrupt_at = interrupt_at

    def __call__(self, name: str, data: bytes, student: str) -> Report:
        with self.lock:
            self.calls.append(student)
        digest = hashlib.sha256(data).digest()
        time.sleep(digest[0] / 255 * 0.01)  # finish out of order
        if student == self.interrupt_at:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while this submission is being graded,
            assert BATCH_STOPPED.wait(30)  # which lasts until the batch has stopped, however loaded
        if b"ENGINE-BUG" in data:
            raise RuntimeError("the engine fell over")
        if b"SANDBOX-DOWN" in data:
            return Report(submission=name, student=student, score=0.0, max_score=6.0, exercises=(),
                          notes=("the sandbox could not start",))
        exercises = []
        for i, ex in enumerate(EXERCISES):
            score = digest[i + 1] % 3
            wrong = Diagnosis("mismatch", f"{ex} differs for {student}", check="value")
            codes = [] if score == 2 else [wrong]
            check = CheckResult("value", "value", float(score), 2.0, score, 2, tuple(codes))
            exercises.append(ExerciseResult(ex, ex, float(score), 2.0, STATUS[score], (check,)))
        return Report(submission=name, student=student, score=sum(e.score for e in exercises),
                      max_score=6.0, exercises=tuple(exercises))


BATCH_STOPPED = threading.Event()


@pytest.fixture
def ctrl_c(monkeypatch):
    """SIGINT raises KeyboardInterrupt, even where the test runner was started ignoring it; the
    submission being graded at the interrupt lasts until the batch has stopped."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    BATCH_STOPPED.clear()
    stop = batch_command._stop

    def stopped(*args, **kwargs):
        try:
            return stop(*args, **kwargs)
        finally:
            BATCH_STOPPED.set()
    monkeypatch.setattr(batch_command, "_stop", stopped)
    yield
    signal.signal(signal.SIGINT, previous)


def notebook(text: str) -> bytes:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"# {text}\nx = 1")])
    return nbformat.writes(nb).encode()


def make_class(root: Path, n: int = 30, extras: bool = False) -> Path:
    for i in range(n):
        path = root / (f"s{i:02d}.ipynb" if i % 3 else f"s{i:02d}/hw2.ipynb")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(notebook(f"student {i}"))
    if extras:
        (root / "bug.ipynb").write_bytes(notebook("ENGINE-BUG"))
        (root / "down.py").write_bytes(b"# SANDBOX-DOWN\n")
        (root / "twice.py").write_bytes(b"x = 1\n")
        (root / "twice.ipynb").write_bytes(notebook("twice"))
        (root / "notes.txt").write_text("not a submission")
    return root


def batch(root: Path, out: Path, grade: FakeGrade, *, jobs: int = 2, regrade: bool = False, pack: str = "p1"):
    return run_batch(root, out, jobs=jobs, regrade=regrade, grade=grade, pack_hash=pack,
                     exercise_ids=EXERCISES, progress=False)


def read_csv(out: Path) -> list[list[str]]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def expected_row(student: str, data: bytes) -> list[str]:
    report = FakeGrade()(student, data, student)
    return [student, *[f"{e.score:g}" for e in report.exercises], f"{report.score:g}"]


def test_outputs_of_a_class(tmp_path):
    root, out = make_class(tmp_path / "class", extras=True), tmp_path / "out"
    result = batch(root, out, FakeGrade())
    rows = read_csv(out)
    assert rows[0] == ["student", *EXERCISES, "total"]
    by_student = {row[0]: row for row in rows[1:]}
    assert [row[0] for row in rows[1:]] == sorted(by_student) and len(by_student) == 32
    for sub in result.discovery.submissions:
        if sub.student not in ("bug", "down"):
            assert by_student[sub.student] == expected_row(sub.student, sub.load())
    assert by_student["bug"] == ["bug", "", "", "", ""] and by_student["down"] == ["down", "", "", "", ""]
    assert set(result.failures) == {"bug", "down"}
    assert json.loads((out / "reports" / "s03.json").read_text())["student"] == "s03"
    assert not (out / "reports" / "bug.json").exists() and not (out / "reports" / "down.json").exists()
    assert (out / "feedback" / "s03.md").read_text().startswith("# Feedback for s03")
    assert "<!DOCTYPE html>" in (out / "feedback" / "s03.html").read_text()
    assert "data:image/png;base64," in (out / "summary.html").read_text()
    problems = (out / "problems.txt").read_text()
    for text in ("notes.txt: not a submission", "2 files for student 'twice'",
                 "bug.ipynb: could not grade: RuntimeError: the engine fell over",
                 "down.py: could not grade: the sandbox could not start"):
        assert text in problems


def test_second_run_grades_nothing_and_writes_the_same_csv(tmp_path):
    root, out = make_class(tmp_path / "class"), tmp_path / "out"
    batch(root, out, FakeGrade())
    first = read_csv(out)
    again = FakeGrade()
    result = batch(root, out, again)
    assert again.calls == [] and len(result.reused) == 30 and result.graded == []
    assert read_csv(out) == first


def test_failures_are_graded_again_on_the_next_run(tmp_path):
    root, out = make_class(tmp_path / "class", n=3, extras=True), tmp_path / "out"
    batch(root, out, FakeGrade())
    again = FakeGrade()
    batch(root, out, again)
    assert sorted(again.calls) == ["bug", "down"]


def test_regrade_and_changes_grade_again(tmp_path):
    root, out = make_class(tmp_path / "class"), tmp_path / "out"
    batch(root, out, FakeGrade())
    resubmission = notebook("a resubmission")
    (root / "s01.ipynb").write_bytes(resubmission)
    changed = FakeGrade()
    batch(root, out, changed)
    assert changed.calls == ["s01"]
    assert expected_row("s01", resubmission) in read_csv(out)
    (root / "s02.ipynb").unlink()  # a student withdrew: no report is left behind for the exporters
    batch(root, out, FakeGrade())
    assert not (out / "reports" / "s02.json").exists() and not (out / "feedback" / "s02.html").exists()
    assert (out / "reports" / "s01.json").exists()
    regraded = FakeGrade()
    batch(root, out, regraded, regrade=True)
    assert sorted(regraded.calls) == [f"s{i:02d}" for i in range(30) if i != 2]
    new_pack = FakeGrade()
    batch(root, out, new_pack, pack="p2")
    assert len(new_pack.calls) == 29


@pytest.mark.parametrize("extras", [False, True])
def test_jobs_do_not_change_the_results(tmp_path, extras):
    root = make_class(tmp_path / "class", extras=extras)
    batch(root, tmp_path / "one", FakeGrade(), jobs=1)
    batch(root, tmp_path / "four", FakeGrade(), jobs=4)
    assert (tmp_path / "one" / "grades.csv").read_bytes() == (tmp_path / "four" / "grades.csv").read_bytes()
    for name in ("s05.json", "s06.json"):
        one, four = (tmp_path / "one" / "reports" / name), (tmp_path / "four" / "reports" / name)
        assert one.read_text() == four.read_text()


def test_ctrl_c_keeps_what_is_graded_and_the_rerun_finishes(ctrl_c, tmp_path):
    root = make_class(tmp_path / "class")
    batch(root, tmp_path / "baseline", FakeGrade())
    out = tmp_path / "out"
    interrupted = FakeGrade(interrupt_at="s10")
    result = batch(root, out, interrupted, jobs=1)
    assert result.interrupted and not (out / "grades.csv").exists()
    started = interrupted.calls
    # Nothing queued after the interrupt starts.
    assert started == [f"s{i:02d}" for i in range(11)]
    with Gradebook(out / "gradebook.sqlite") as book:
        saved = {r.student for r in book.reports()}
    assert {f"s{i:02d}" for i in range(10)} <= saved <= set(started)
    resumed = FakeGrade()
    batch(root, out, resumed, jobs=2)
    assert sorted(resumed.calls) == sorted({f"s{i:02d}" for i in range(30)} - saved)
    assert read_csv(out) == read_csv(tmp_path / "baseline")


def test_could_not_grade():
    graded = FakeGrade()("a.py", b"x", "a")
    assert could_not_grade(graded) == ""
    # Every exercise in error, with the engine's remarks on cells, is still the student's grade.
    crashed = replace(graded, notes=("cell 1: IPython magic made harmless",),
                      exercises=tuple(replace(e, status="error", score=0.0) for e in graded.exercises))
    assert could_not_grade(crashed) == ""
    assert could_not_grade(FakeGrade()("a.py", b"SANDBOX-DOWN", "a")) == "the sandbox could not start"
    assert could_not_grade(Report(submission="a.py", score=0, max_score=0, exercises=())) != ""


class FakeGrader:
    def __init__(self, grade: FakeGrade) -> None:
        self.grade_bytes, self.pack_hash, self.exercise_ids, self.closed = grade, "p1", EXERCISES, False

    def close(self) -> None:
        self.closed = True


def command(argv: list[str], grader: FakeGrader) -> int:
    parser = argparse.ArgumentParser(prog="grader")
    add_batch_arguments(parser.add_subparsers(dest="command"))
    return run_batch_command(parser.parse_args(["batch", *argv]), lambda: grader)


def test_command_exit_status_and_messages(tmp_path, capsys):
    root = make_class(tmp_path / "class", n=4)
    grader = FakeGrader(FakeGrade())
    assert command([str(root)], grader) == 0 and grader.closed
    assert (tmp_path / "class-graded" / "grades.csv").exists()
    assert "4 submissions: 4 graded now" in capsys.readouterr().out
    (root / "notes.txt").write_text("x")
    assert command([str(root), "--out", str(tmp_path / "o"), "-j", "3"], FakeGrader(FakeGrade())) == 1
    assert "notes.txt: not a submission" in capsys.readouterr().err
    assert command([str(tmp_path / "missing")], FakeGrader(FakeGrade())) == 2
    assert command([str(root), "--out", str(root / "out")], FakeGrader(FakeGrade())) == 2


def test_command_says_how_to_resume(ctrl_c, tmp_path, capsys):
    root = make_class(tmp_path / "class", n=4)
    grader = FakeGrader(FakeGrade(interrupt_at="s01"))
    assert command([str(root), "--jobs", "1", "--regrade"], grader) == 130 and grader.closed
    err = capsys.readouterr().err
    assert f"python -m grader batch {root} --out {tmp_path / 'class-graded'}" in err
    assert "--regrade" not in err.split("run `")[1]
