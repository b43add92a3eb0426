"""The class gradebook in SQLite: what is graded survives Ctrl-C, kill -9 and a power cut.

Only this module touches SQLite. Each submission is written in one transaction, and WAL with
synchronous=FULL makes every committed one durable, so a re-run resumes where a run stopped.
The `grades` table repeats the submission's key on each exercise row so a TA can query it
without joins; the full report is stored once, in `submissions`.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, Sequence

from grader.model import Report, report_from_dict

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    pack_hash TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    report_json TEXT NOT NULL,
    graded_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS submissions_key ON submissions (student, content_hash, pack_hash);
CREATE TABLE IF NOT EXISTS grades (
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    position INTEGER NOT NULL,
    student TEXT NOT NULL,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    pack_hash TEXT NOT NULL,
    exercise_id TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    status TEXT NOT NULL,
    diagnoses TEXT NOT NULL,
    graded_at TEXT NOT NULL,
    PRIMARY KEY (submission_id, position)
);
"""
_KEY = "student = ? AND content_hash = ? AND pack_hash = ?"


class Gradebook:
    """One SQLite file of graded submissions; use it from one thread (the batch's main thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            self._conn.close()
            raise ValueError(f"{path}: gradebook schema version {version}; "
                             f"this grader knows version {SCHEMA_VERSION}")
        self._conn.executescript(
            f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")

    def lookup(self, student: str, content_hash: str, pack_hash: str) -> Report | None:
        """The stored report of this exact content graded with this exact pack, if any."""
        row = self._conn.execute(f"SELECT report_json FROM submissions WHERE {_KEY}",
                                 (student, content_hash, pack_hash)).fetchone()
        return report_from_dict(json.loads(row[0])) if row else None

    def scores(self, student: str, content_hash: str, pack_hash: str) -> tuple[dict[str, float], float] | None:
        """The stored scores per exercise and the total of this content with this pack, if any:
        a grades.csv row without parsing the report."""
        row = self._conn.execute(f"SELECT id, score FROM submissions WHERE {_KEY}",
                                 (student, content_hash, pack_hash)).fetchone()
        if row is None:
            return None
        rows = self._conn.execute("SELECT exercise_id, score FROM grades WHERE submission_id = ? "
                                  "ORDER BY position", (row[0],))
        return dict(rows.fetchall()), row[1]

    def is_graded(self, student: str, content_hash: str, pack_hash: str) -> bool:
        row = self._conn.execute(f"SELECT 1 FROM submissions WHERE {_KEY}",
                                 (student, content_hash, pack_hash)).fetchone()
        return row is not None

    def record(self, report: Report, also: Sequence[tuple[str, tuple[Any, ...]]] = ()) -> None:
        """Store a graded submission in one transaction, replacing a grade of the same key.

        `also` are statements committed in the same transaction: the web service marks its
        queued job done with the grade, so a kill -9 can lose neither nor grade a job twice."""
        if not report.student or not report.submission_hash:
            raise ValueError("a gradebook row needs the report's student and submission_hash")
        graded_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        key = (report.student, report.submission_hash, report.pack_hash)
        rows_key = (report.student, report.submission, report.submission_hash, report.pack_hash)
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.execute(f"DELETE FROM grades WHERE submission_id IN "
                               f"(SELECT id FROM submissions WHERE {_KEY})", key)
            self._conn.execute(f"DELETE FROM submissions WHERE {_KEY}", key)
            cursor = self._conn.execute(
                "INSERT INTO submissions (student, path, content_hash, pack_hash, score, max_score,"
                " report_json, graded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*rows_key, report.score, report.max_score,
                 json.dumps(report.to_dict(), ensure_ascii=False), graded_at))
            self._conn.executemany(
                "INSERT INTO grades VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(cursor.lastrowid, position, *rows_key, e.id, e.score, e.max_score, e.status,
                  ",".join(d.code for d in e.diagnoses), graded_at)
                 for position, e in enumerate(report.exercises)])
            for statement, parameters in also:
                self._conn.execute(statement, parameters)
        except BaseException:
            # BaseException too: a Ctrl-C between two inserts must not leave half a submission.
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def reports(self) -> list[Report]:
        """The latest report of each student, sorted by student."""
        rows = self._conn.execute(
            "SELECT report_json FROM submissions WHERE id IN "
            "(SELECT MAX(id) FROM submissions GROUP BY student) ORDER BY student").fetchall()
        return [report_from_dict(json.loads(r[0])) for r in rows]

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
