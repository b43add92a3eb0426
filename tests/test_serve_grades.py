"""Which submission counts and how overrides apply, on the real store (SQLite) and real reports."""
from __future__ import annotations

from dataclasses import replace

import pytest

from grader.model import ExerciseResult, Report
from grader.serve.grades import Override, counting_job, counting_reports, with_overrides
from grader.serve.instructor import parse_roster
from grader.serve.store import Store

pytest.importorskip("starlette")


def _report(student: str, digest: str, scores: dict[str, float]) -> Report:
    exercises = tuple(ExerciseResult(id=i, title=i, score=s, max_score=2.0, status="passed" if s == 2
                                     else "failed") for i, s in scores.items())
    return Report(submission="hw.py", score=sum(scores.values()), max_score=2.0 * len(scores),
                  exercises=exercises, student=student, submission_hash=digest, pack_hash="p1")


def _graded(store: Store, student: str, data: bytes, scores: dict[str, float]) -> None:
    store.enqueue(student, "hw.py", data)
    job, _ = store.claim()
    store.record_grade(job, _report(student, job.sha256, scores))


def test_latest_or_best_and_overrides_on_top(tmp_path):
    store = Store(tmp_path / "gradebook.sqlite")
    _graded(store, "ada", b"first", {"a": 2.0, "b": 2.0})
    _graded(store, "ada", b"second", {"a": 2.0, "b": 0.0})
    jobs = store.jobs_of("ada")
    assert counting_job(jobs, "latest").id == 2 and counting_job(jobs, "best").id == 1
    assert counting_reports(store, "latest")["ada"].score == 2.0
    assert counting_reports(store, "best")["ada"].score == 4.0
    store.set_override("ada", "b", 1.5, "partly right", "tom", "2026-01-01 10:00 UTC")
    latest = counting_reports(store, "latest")["ada"]
    assert latest.score == 3.5 and [e.score for e in latest.exercises] == [2.0, 1.5]
    assert any("by tom on 2026-01-01 10:00 UTC: partly right" in n for n in latest.notes)
    store.regrade_all()
    assert store.queue_counts()["queued"] == 2 and counting_reports(store, "latest")["ada"].score == 3.5


def test_an_override_is_clamped_to_the_exercise():
    report = _report("ada", "h", {"a": 0.0})
    assert with_overrides(report, [Override("a", 9.0, "x", "t", "now")]).score == 2.0
    assert with_overrides(report, [Override("a", -1.0, "x", "t", "now")]).score == 0.0
    assert with_overrides(replace(report), []) == report


def test_roster_lines_or_a_csv_with_a_header():
    people, problems = parse_roster("ada@uni.edu,Ada\n\nbob@uni.edu\n,nameless", "student")
    assert [(p.id, p.name) for p in people] == [("ada@uni.edu", "Ada"), ("bob@uni.edu", "bob@uni.edu")]
    assert problems == ["line 3: no id; skipped"]
    people, _ = parse_roster("Name,ID\nAda,ada@uni.edu", "instructor")
    assert [(p.id, p.name, p.role) for p in people] == [("ada@uni.edu", "Ada", "instructor")]
