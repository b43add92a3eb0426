"""The gradebook survives reopening, a process killed mid-write, and regrading."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.commands.gradebook import Gradebook
from grader.model import CheckResult, Diagnosis, ExerciseResult, Report

ROOT = Path(__file__).resolve().parents[1]


def make_report(student: str, content_hash: str, pack_hash: str = "pack1", score: float = 2.0) -> Report:
    wrong = CheckResult("value", "value", 0.0, 2.0, 0, 3, diagnoses=(
        Diagnosis("grad-accumulation", "gradients accumulate", case="x: float32[4]", check="value"),
        Diagnosis("mismatch", "values differ", case="x: float32[]", check="value")))
    return Report(
        submission=f"class/{student}.ipynb", score=score, max_score=4.0, student=student,
        submission_hash=content_hash, pack_hash=pack_hash,
        exercises=(ExerciseResult("grad_of_dot", "Gradient of a dot product", score, 2.0, "passed",
                                  checks=(CheckResult("value", "value", score, 2.0, 3, 3),)),
                   ExerciseResult("two_grads", "Two gradients", 0.0, 2.0, "failed", checks=(wrong,))))


def child(code: str, db: Path) -> subprocess.Popen:
    script = textwrap.dedent(code)
    return subprocess.Popen([sys.executable, "-c", script, str(db)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def intact(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        orphans = conn.execute("SELECT COUNT(*) FROM grades WHERE submission_id NOT IN "
                               "(SELECT id FROM submissions)").fetchone()[0]
        assert orphans == 0


def test_recorded_reports_survive_reopening(tmp_path):
    db = tmp_path / "gradebook.sqlite"
    with Gradebook(db) as book:
        book.record(make_report("alice", "h1"))
        book.record(make_report("bob", "h2", score=1.0))
    with Gradebook(db) as book:
        assert book.is_graded("alice", "h1", "pack1")
        assert not book.is_graded("alice", "h1", "pack2")
        assert not book.is_graded("alice", "other-content", "pack1")
        assert book.lookup("bob", "h2", "pack1") == make_report("bob", "h2", score=1.0)
        assert book.lookup("carol", "h3", "pack1") is None
        assert [r.student for r in book.reports()] == ["alice", "bob"]


def test_one_row_per_exercise_with_codes(tmp_path):
    db = tmp_path / "gradebook.sqlite"
    with Gradebook(db) as book:
        book.record(make_report("alice", "h1"))
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT student, path, content_hash, pack_hash, exercise_id, score, max_score,"
                            " status, diagnoses FROM grades ORDER BY position").fetchall()
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert rows == [("alice", "class/alice.ipynb", "h1", "pack1", "grad_of_dot", 2.0, 2.0, "passed", ""),
                    ("alice", "class/alice.ipynb", "h1", "pack1", "two_grads", 0.0, 2.0, "failed",
                     "grad-accumulation,mismatch")]


def test_lookup_uses_the_index(tmp_path):
    db = tmp_path / "gradebook.sqlite"
    Gradebook(db).close()
    with sqlite3.connect(db) as conn:
        plan = conn.execute("EXPLAIN QUERY PLAN SELECT report_json FROM submissions WHERE student = ? "
                            "AND content_hash = ? AND pack_hash = ?", ("a", "b", "c")).fetchall()
    assert "submissions_key" in str(plan)


def test_regrade_replaces_and_latest_wins(tmp_path):
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        book.record(make_report("alice", "h1", score=0.0))
        book.record(make_report("alice", "h2", score=1.0))  # a resubmission
        book.record(make_report("alice", "h1", score=2.0))  # the first one, regraded
        (latest,) = book.reports()
        assert latest.submission_hash == "h1" and latest.score == 2.0
        assert book.lookup("alice", "h2", "pack1").score == 1.0
    with sqlite3.connect(tmp_path / "gradebook.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM grades").fetchone() == (4,)


def test_a_report_without_its_key_is_refused(tmp_path):
    with Gradebook(tmp_path / "gradebook.sqlite") as book, pytest.raises(ValueError, match="student"):
        book.record(make_report("", "h1"))


def test_exit_in_the_middle_of_a_write_loses_only_that_submission(tmp_path):
    db = tmp_path / "gradebook.sqlite"
    proc = child("""
        import os, sys
        from pathlib import Path
        from grader.commands.gradebook import Gradebook
        from tests.test_gradebook import make_report
        book = Gradebook(Path(sys.argv[1]))
        for i in range(3):
            book.record(make_report(f"s{i}", f"h{i}"))
        def die_before_the_grades(sql):  # like kill -9: the submission row is written, its grades not
            if sql.startswith("INSERT INTO grades"):
                os._exit(9)
        book._conn.set_trace_callback(die_before_the_grades)
        book.record(make_report("s3", "h3"))
        print("not reached")
    """, db)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 9 and "not reached" not in out
    intact(db)
    with Gradebook(db) as book:
        assert [r.student for r in book.reports()] == ["s0", "s1", "s2"]
        assert not book.is_graded("s3", "h3", "pack1")


def test_kill_9_loses_nothing_already_recorded(tmp_path):
    db = tmp_path / "gradebook.sqlite"
    proc = child("""
        import sys
        from pathlib import Path
        from grader.commands.gradebook import Gradebook
        from tests.test_gradebook import make_report
        book = Gradebook(Path(sys.argv[1]))
        for i in range(100000):
            book.record(make_report(f"s{i:06d}", f"h{i}"))
            print(i, flush=True)
    """, db)
    committed = [int(proc.stdout.readline()) for _ in range(20)]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    intact(db)
    with Gradebook(db) as book:
        assert all(book.is_graded(f"s{i:06d}", f"h{i}", "pack1") for i in committed)
        assert len(book.reports()) >= len(committed)
