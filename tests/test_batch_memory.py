"""A batch keeps no report in memory: grades.csv and summary.html are tallied or read back from
the gradebook, and come out the same after an interruption and a resume as from one run."""
from __future__ import annotations

import gc
import json
import weakref
from dataclasses import replace

from test_batch import FakeGrade, batch, ctrl_c, expected_row, make_class, notebook, read_csv  # noqa: F401

from grader.model import Report, report_from_dict
from grader.render.summary import render_summary


class Mistaken(FakeGrade):
    """FakeGrade whose wrong answers have a behaviour, so students share mistakes (grouped on
    summary.html with an example read back from the gradebook); every diagnosis is watched."""

    def __init__(self, interrupt_at: str = "") -> None:
        super().__init__(interrupt_at)
        self.diagnoses: list[weakref.ref] = []

    def __call__(self, name: str, data: bytes, student: str) -> Report:
        report = super().__call__(name, data, student)
        exercises = tuple(e if e.status == "passed" else
                          replace(e, behaviour=(f"c1=mismatch:{e.score:g}", "c2=ok"), source=f"def f_{student}(): pass")
                          for e in report.exercises)
        with self.lock:
            self.diagnoses += [weakref.ref(d) for e in exercises for d in e.diagnoses]
        return replace(report, exercises=exercises)


def test_the_batch_lets_every_report_go(tmp_path):
    grade = Mistaken()
    result = batch(make_class(tmp_path / "class"), tmp_path / "out", grade)
    gc.collect()
    assert result.tally.students == 30 and len(grade.diagnoses) > 10
    assert [ref for ref in grade.diagnoses if ref() is not None] == []


def test_a_resumed_batch_writes_the_summary_of_one_run(ctrl_c, tmp_path):
    root = make_class(tmp_path / "class")
    batch(root, tmp_path / "baseline", Mistaken(), jobs=1)
    out = tmp_path / "out"
    assert batch(root, out, Mistaken(interrupt_at="s10"), jobs=1).interrupted
    resumed = batch(root, out, Mistaken(), jobs=2)
    assert resumed.reused and resumed.graded
    page = (out / "summary.html").read_bytes()
    assert page == (tmp_path / "baseline" / "summary.html").read_bytes()
    assert read_csv(out) == read_csv(tmp_path / "baseline")
    # The same page as from every report in memory, shared mistakes and their examples included.
    reports = [report_from_dict(json.loads(p.read_text())) for p in (out / "reports").glob("*.json")]
    assert page.decode() == render_summary(reports)
    assert "Shared mistakes" in page.decode() and "<pre>def f_s0" in page.decode()


def test_a_file_changed_during_the_run_gets_the_grade_of_what_was_graded(tmp_path):
    root, changed = make_class(tmp_path / "class", n=12), notebook("changed after discovery")

    class Rewriting(FakeGrade):
        def __call__(self, name: str, data: bytes, student: str) -> Report:
            if student == "s00":  # s10 is read long after: at most 2 submissions are in flight
                (root / "s10.ipynb").write_bytes(changed)
            return super().__call__(name, data, student)

    result = batch(root, tmp_path / "out", Rewriting(), jobs=1)
    assert set(result.rehashed) == {"s10"}
    (row,) = [row for row in read_csv(tmp_path / "out") if row[0] == "s10"]
    assert row == expected_row("s10", changed)
