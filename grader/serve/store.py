"""The web service's state, in the batch's SQLite gradebook: people, sessions, the queue, overrides.

The queue is a table: an upload is committed before its page answers, a worker claims it with
one UPDATE, and its grade and its `done` mark commit in one transaction (Gradebook.record's
`also`), so a kill -9 at any moment loses no submission and grades none twice: a claimed job
that did not commit is queued again at the next start. Secrets (login links, session ids) are
stored as SHA-256 hashes only. Each thread gets its own connection.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.commands.gradebook import Gradebook
from grader.model import Report

_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_users (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, token_hash TEXT UNIQUE,
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS web_sessions (
    id_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, csrf TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS web_jobs (
    id INTEGER PRIMARY KEY, student TEXT NOT NULL, filename TEXT NOT NULL, data BLOB NOT NULL,
    sha256 TEXT NOT NULL, state TEXT NOT NULL, created_at REAL NOT NULL, finished_at REAL,
    pack_hash TEXT, score REAL, max_score REAL, error TEXT, graded_count INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS web_jobs_student ON web_jobs (student, id);
CREATE INDEX IF NOT EXISTS web_jobs_state ON web_jobs (state, id);
CREATE TABLE IF NOT EXISTS web_overrides (
    student TEXT NOT NULL, exercise_id TEXT NOT NULL, score REAL NOT NULL, comment TEXT NOT NULL,
    by TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (student, exercise_id));
CREATE TABLE IF NOT EXISTS web_kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS web_lti_links (user_id TEXT PRIMARY KEY, launch_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS web_outbox (
    user_id TEXT PRIMARY KEY, due REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '');
"""
SESSION_SECONDS = 14 * 24 * 3600
OUTBOX_SQL = ("INSERT INTO web_outbox (user_id, due) SELECT ?, ? WHERE EXISTS "
              "(SELECT 1 FROM web_lti_links WHERE user_id = ?) "
              "ON CONFLICT (user_id) DO UPDATE SET due = excluded.due, attempts = 0")


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: str  # "student" or "instructor"


@dataclass(frozen=True)
class Job:
    """One uploaded submission and where it stands; `data` is loaded only to grade it."""

    id: int
    student: str
    filename: str
    sha256: str
    state: str  # queued, running, done, failed
    created_at: float
    pack_hash: str | None = None
    score: float | None = None
    max_score: float | None = None
    error: str | None = None
    graded_count: int = 0


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_JOB_COLUMNS = ("id, student, filename, sha256, state, created_at, pack_hash, score, max_score, "
                "error, graded_count")


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        with Gradebook(path):
            pass  # creates the batch's tables with their schema version
        self._conn().executescript(f"BEGIN IMMEDIATE; {_SCHEMA} COMMIT;")

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            conn.execute("PRAGMA synchronous = FULL")
            self._local.conn = conn
        return conn

    def gradebook(self) -> Gradebook:
        book = getattr(self._local, "gradebook", None)
        if book is None:
            book = self._local.gradebook = Gradebook(self.path)
        return book

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self._conn().execute(sql, params).fetchone()

    # People and sessions
    def add_user(self, user: User) -> str:
        """Create or rename `user` and give them a new private login link token."""
        token = secrets.token_urlsafe(24)
        self._conn().execute(
            "INSERT INTO web_users (id, name, role, token_hash, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, "
            "token_hash = excluded.token_hash", (user.id, user.name, user.role, digest(token), time.time()))
        return token

    def upsert_lti_user(self, user: User) -> None:
        self._conn().execute(
            "INSERT INTO web_users (id, name, role, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) "
            "DO UPDATE SET name = excluded.name, role = excluded.role",
            (user.id, user.name, user.role, time.time()))

    def user(self, user_id: str) -> User | None:
        row = self._one("SELECT id, name, role FROM web_users WHERE id = ?", (user_id,))
        return User(*row) if row else None

    def user_by_token(self, token: str) -> User | None:
        row = self._one("SELECT id, name, role FROM web_users WHERE token_hash = ?", (digest(token),))
        return User(*row) if row else None

    def users(self, role: str) -> list[User]:
        rows = self._conn().execute("SELECT id, name, role FROM web_users WHERE role = ? ORDER BY id",
                                    (role,)).fetchall()
        return [User(*row) for row in rows]

    def new_session(self, user_id: str) -> tuple[str, str]:
        """A fresh session id (for the cookie) and its CSRF token."""
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._conn().execute("INSERT INTO web_sessions VALUES (?, ?, ?, ?)",
                             (digest(sid), user_id, csrf, time.time() + SESSION_SECONDS))
        return sid, csrf

    def session(self, sid: str) -> tuple[User, str] | None:
        row = self._one("SELECT u.id, u.name, u.role, s.csrf FROM web_sessions s JOIN web_users u "
                        "ON u.id = s.user_id WHERE s.id_hash = ? AND s.expires > ?",
                        (digest(sid), time.time()))
        return (User(*row[:3]), row[3]) if row else None

    def end_session(self, sid: str) -> None:
        self._conn().execute("DELETE FROM web_sessions WHERE id_hash = ?", (digest(sid),))

    # The queue
    def enqueue(self, student: str, filename: str, data: bytes) -> int:
        cursor = self._conn().execute(
            "INSERT INTO web_jobs (student, filename, data, sha256, state, created_at) "
            "VALUES (?, ?, ?, ?, 'queued', ?)",
            (student, filename, data, hashlib.sha256(data).hexdigest(), time.time()))
        return int(cursor.lastrowid)

    def requeue_interrupted(self) -> int:
        """At start: jobs a killed server had claimed but not committed go back in the queue."""
        return self._conn().execute("UPDATE web_jobs SET state = 'queued' WHERE state = 'running'").rowcount

    def claim(self) -> tuple[Job, bytes] | None:
        row = self._one(
            f"UPDATE web_jobs SET state = 'running' WHERE id = (SELECT id FROM web_jobs WHERE "
            f"state = 'queued' ORDER BY id LIMIT 1) RETURNING {_JOB_COLUMNS}, data")
        return (Job(*row[:-1]), bytes(row[-1])) if row else None

    def record_grade(self, job: Job, report: Report) -> None:
        """The report, the job's `done` and an LTI score to send, in one transaction."""
        done = ("UPDATE web_jobs SET state = 'done', finished_at = ?, pack_hash = ?, score = ?, "
                "max_score = ?, error = NULL, graded_count = graded_count + 1 WHERE id = ?",
                (time.time(), report.pack_hash, report.score, report.max_score, job.id))
        self.gradebook().record(report, also=[done, self.outbox_statement(job.student)])

    def fail(self, job_id: int, error: str) -> None:
        self._conn().execute("UPDATE web_jobs SET state = 'failed', error = ?, finished_at = ? "
                             "WHERE id = ?", (error[:2000], time.time(), job_id))

    def job(self, job_id: int) -> Job | None:
        row = self._one(f"SELECT {_JOB_COLUMNS} FROM web_jobs WHERE id = ?", (job_id,))
        return Job(*row) if row else None

    def jobs_of(self, student: str) -> list[Job]:
        rows = self._conn().execute(f"SELECT {_JOB_COLUMNS} FROM web_jobs WHERE student = ? "
                                    "ORDER BY id DESC", (student,)).fetchall()
        return [Job(*row) for row in rows]

    def all_jobs(self) -> list[Job]:
        rows = self._conn().execute(f"SELECT {_JOB_COLUMNS} FROM web_jobs ORDER BY id").fetchall()
        return [Job(*row) for row in rows]

    def uploads_since(self, student: str, since: float) -> int:
        return self._one("SELECT COUNT(*) FROM web_jobs WHERE student = ? AND created_at > ?",
                         (student, since))[0]

    def queue_counts(self) -> dict[str, int]:
        rows = self._conn().execute("SELECT state, COUNT(*) FROM web_jobs GROUP BY state").fetchall()
        return {"queued": 0, "running": 0, "done": 0, "failed": 0, **dict(rows)}

    def regrade_all(self) -> int:
        """Queue every graded or failed job again; its old score shows until the new one lands."""
        return self._conn().execute(
            "UPDATE web_jobs SET state = 'queued' WHERE state IN ('done', 'failed')").rowcount

    def report(self, job: Job) -> Report | None:
        if job.pack_hash is None:
            return None
        return self.gradebook().lookup(job.student, job.sha256, job.pack_hash)

    # Overrides
    def set_override(self, student: str, exercise_id: str, score: float, comment: str, by: str,
                     at: str) -> None:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT OR REPLACE INTO web_overrides VALUES (?, ?, ?, ?, ?, ?)",
                     (student, exercise_id, score, comment, by, at))
        conn.execute(*self.outbox_statement(student))
        conn.execute("COMMIT")

    def overrides(self) -> list[tuple[str, str, float, str, str, str]]:
        return self._conn().execute("SELECT student, exercise_id, score, comment, by, at FROM "
                                    "web_overrides ORDER BY student, exercise_id").fetchall()

    # Short-lived values (LTI state and nonces)
    def kv_set(self, key: str, value: Any, seconds: float) -> None:
        now = time.time()
        self._conn().execute("DELETE FROM web_kv WHERE expires < ?", (now,))
        self._conn().execute("INSERT OR REPLACE INTO web_kv VALUES (?, ?, ?)",
                             (key, json.dumps(value), now + seconds))

    def kv_get(self, key: str) -> Any:
        row = self._one("SELECT value FROM web_kv WHERE key = ? AND expires > ?", (key, time.time()))
        return json.loads(row[0]) if row else None

    def kv_take(self, key: str) -> bool:
        """Delete a live key and say whether it was there: a nonce is good for one launch only."""
        return self._conn().execute("DELETE FROM web_kv WHERE key = ? AND expires > ?",
                                    (key, time.time())).rowcount == 1

    # LTI launches and the scores owed to the platform
    def save_launch(self, user_id: str, launch: dict[str, Any]) -> None:
        self._conn().execute("INSERT OR REPLACE INTO web_lti_links VALUES (?, ?)",
                             (user_id, json.dumps(launch)))

    def launch(self, user_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT launch_json FROM web_lti_links WHERE user_id = ?", (user_id,))
        return json.loads(row[0]) if row else None

    @staticmethod
    def outbox_statement(user_id: str) -> tuple[str, tuple[Any, ...]]:
        return OUTBOX_SQL, (user_id, time.time(), user_id)

    def outbox_due(self) -> list[str]:
        rows = self._conn().execute("SELECT user_id FROM web_outbox WHERE due <= ? ORDER BY due",
                                    (time.time(),)).fetchall()
        return [row[0] for row in rows]

    def outbox_sent(self, user_id: str, queued_at: float) -> None:
        """Done, unless a newer grade was queued while this one was on its way."""
        self._conn().execute("DELETE FROM web_outbox WHERE user_id = ? AND due <= ?",
                             (user_id, queued_at))

    def outbox_retry(self, user_id: str, error: str) -> None:
        self._conn().execute(
            "UPDATE web_outbox SET attempts = attempts + 1, last_error = ?, "
            "due = ? + MIN(600, 5 * (1 << MIN(attempts, 7))) WHERE user_id = ?",
            (error[:500], time.time(), user_id))

    def outbox_due_now(self) -> None:
        """At start: whatever is owed is tried at once (the restart may be the fix)."""
        self._conn().execute("UPDATE web_outbox SET due = MIN(due, ?)", (time.time(),))

    def outbox_errors(self) -> list[tuple[str, int, str]]:
        return self._conn().execute("SELECT user_id, attempts, last_error FROM web_outbox "
                                    "WHERE attempts > 0 ORDER BY user_id").fetchall()
