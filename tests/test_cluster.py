"""Batch grading on a real Dask cluster gives the local run's results, even when a worker dies.

A scheduler and two worker processes (each under a nanny) run on 127.0.0.1. `python -m grader
batch --cluster tcp://...` grades a small class while the test SIGKILLs the worker process that
is grading the slow submission. The sandbox keeps student code from touching its worker, so the
test does it: the slow submission names its own process "grader-slow" (prctl), and the test
kills that process's grandparent, checked to be one of the cluster's workers (worker -> fork
server -> child). The same class graded with `--jobs 2` is the reference: grades.csv,
problems.txt, feedback, every report but its timing and isolation fields, and one gradebook row
per graded student. The smaller tests need no cluster: what crosses the network, the one-line
message without Dask, and bad --cluster values.
"""
from __future__ import annotations

import gc
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO, run_main
from grader.commands.batch import command
from grader.errors import SubmissionError
from grader.model import CheckResult, Diagnosis, ExerciseResult, Report

try:
    import dask
    from distributed import Client, LocalCluster

    from grader.cluster.client import ReportExecutor
except ImportError:  # pragma: no cover - CI installs the extra; say so instead of skipping
    pytest.fail("tests/test_cluster.py needs Dask: pip install -e '.[dask]'", pytrace=False)

LIMITS = ["--cell-seconds", "3"]  # the hanging cell costs 3 s, not the default 20
SLOW = """
# %%
import ctypes
ctypes.CDLL(None).prctl(15, b"grader-slow", 0, 0, 0)  # PR_SET_NAME: how the test finds this child
# %%
import time
time.sleep(2)
# %%
time.sleep(2)
"""
# A student who looks for the reference solutions in the memory their process was forked from.
SNOOP = '''
# %%
import gc as _gc
def _snoop():
    marks = ("Reference for " + "hessian: H[i]",)
    marks += (marks[0].encode(),)
    hits = 0
    for obj in _gc.get_objects():
        if type(obj) is dict:
            for v in obj.values():
                for w in (v.values() if type(v) is dict else (v,)):  # gc tracks no dict of plain values
                    if type(w) in (str, bytes) and all(w is not m for m in marks):
                        hits += marks[type(w) is bytes] in w
    return hits
print("solution text found in memory:", _snoop())
'''


def make_class(root: Path) -> Path:
    root.mkdir()
    right = (FIXTURES / "right" / "all_correct.py").read_text()
    (root / "s00.py").write_text(right)
    for i, wrong in enumerate(("grad_of_dot__returns-y", "hessian__diagonal-only", "two_grads__forgets-zero"), 1):
        (root / f"s0{i}.py").write_text(right + "\n# %%\n" + (FIXTURES / "wrong" / f"{wrong}.py").read_text())
    (root / "broken.ipynb").write_text('{"cells": [')
    (root / "hang.py").write_text(right + "\n# %%\nwhile True:\n    pass\n")
    (root / "snoop.py").write_text(right + SNOOP)
    (root / "slow.py").write_text(right + SLOW)
    return root


@pytest.fixture
def cluster():
    with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
        local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                             dashboard_address=None, worker_dashboard_address=None,
                             silence_logs=logging.ERROR)
    with local, Client(local) as client:
        yield local, client


class WorkerKiller(threading.Thread):
    """SIGKILLs, once, the worker whose sandboxed child is called "grader-slow"."""

    def __init__(self, client: Client) -> None:
        super().__init__(daemon=True)
        self.client, self.stop, self.killed, self.problem = client, threading.Event(), 0, ""

    def run(self) -> None:
        while not self.stop.wait(0.1):
            children = [int(p.name) for p in Path("/proc").iterdir() if _comm(p) == "grader-slow"]
            if not children:
                continue
            # Asked now, not at the start: registering the pack restarted every worker. Another
            # test suite on the machine may have a "grader-slow" of its own: only ours count.
            workers = set(self.client.run(os.getpid).values())
            worker = next((w for w in map(_grandparent, children) if w in workers), 0)
            if worker:
                os.kill(worker, signal.SIGKILL)
                self.killed = worker
                return
            self.problem = f"no grader-slow child {children} has a Dask worker as grandparent"


def _grandparent(pid: int) -> int:
    try:
        return _parent(_parent(pid))
    except (OSError, StopIteration):  # it ended meanwhile
        return 0


def _comm(proc: Path) -> str:
    try:
        return (proc / "comm").read_text().strip()
    except OSError:  # not a process, or one that just ended
        return ""


def _parent(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))


def graded(out: Path) -> dict[str, dict]:
    """Every report without what may differ between runs: timings and sandbox details."""
    reports = {}
    for path in sorted((out / "reports").glob("*.json")):
        report = json.loads(path.read_text())
        del report["seconds"], report["isolation"]
        reports[path.stem] = report
    return reports


def gradebook_rows(out: Path) -> list[tuple]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return sorted(db.execute("SELECT student, content_hash, score FROM submissions").fetchall())


def test_a_cluster_grades_like_the_local_pool_when_a_worker_dies(tmp_path, cluster):
    local_cluster, client = cluster
    root = make_class(tmp_path / "class")
    local = run_main("batch", str(root), "--jobs", "2", "--out", str(tmp_path / "local"), *LIMITS)
    assert local.returncode == 1, local.stderr  # broken.ipynb cannot be graded

    killer = WorkerKiller(client)
    killer.start()
    out = tmp_path / "dask"
    run = subprocess.run([sys.executable, "-m", "grader", "batch", str(root), "--out", str(out),
                          "--cluster", local_cluster.scheduler_address, *LIMITS],
                         cwd=REPO, capture_output=True, text=True, timeout=240)
    killer.stop.set()
    assert run.returncode == 1, run.stderr
    assert killer.killed, killer.problem or "the slow submission's worker was not found"

    for name in ("grades.csv", "problems.txt"):
        assert (out / name).read_text() == (tmp_path / "local" / name).read_text()
    assert graded(out) == graded(tmp_path / "local")
    assert len(graded(out)) == 7 and "broken" not in graded(out)
    for page in sorted((tmp_path / "local" / "feedback").iterdir()):
        assert (out / "feedback" / page.name).read_bytes() == page.read_bytes(), page.name
    assert gradebook_rows(out) == gradebook_rows(tmp_path / "local")  # each graded once, none lost
    assert "solution text found in memory: 0" in graded(out)["snoop"]["output"]
    assert [c["error_type"] for c in graded(out)["hang"]["cells"] if c["status"] != "ok"] == ["Deadline"]


def test_without_dask_one_line_says_what_to_install(tmp_path, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "distributed" else real(name, *a))
    root = tmp_path / "class"
    root.mkdir()
    (root / "s00.py").write_text("x = 1\n")
    assert command([str(root), "--cluster", "local:2"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pip install 'autograd-grader[dask]'" in err


@pytest.mark.parametrize("spec", ["local:0", "local:two", "scheduler:8786"])
def test_a_bad_cluster_address_is_a_usage_error(spec, capsys):
    with pytest.raises(SystemExit) as exit_:
        command(["class", "--cluster", spec])
    assert exit_.value.code == 2 and "--cluster" in capsys.readouterr().err


class Recording(ThreadPoolExecutor):
    """A one-thread stand-in for Dask's executor that keeps what each task returned."""

    def __init__(self) -> None:
        super().__init__(1)
        self.sent: list[Future] = []

    def submit(self, fn, /, *args, **kwargs) -> Future:
        self.sent.append(super().submit(fn, *args, **kwargs))
        return self.sent[-1]


def test_a_settled_report_is_let_go_at_once_not_at_a_full_gc_collection():
    """The batch drops each report once it is recorded: the executor's two futures must not keep
    each other, and the report, alive until a full collection (a class's worth can pile up)."""
    report = Report(submission="a.py", student="a", score=1.0, max_score=2.0, exercises=())
    sent = threading.Event()  # the task ends after both futures are linked, as a real one does

    def grade(*args) -> Report:
        sent.wait(10)
        return report

    gc.disable()
    try:
        with ThreadPoolExecutor(1) as inner:
            future = ReportExecutor(inner).submit(grade, "a.py", b"x", "a")
            sent.set()
            received = weakref.ref(future.result())
            del future
        assert received() is None
    finally:
        gc.enable()


def test_only_plain_json_crosses_and_an_unreadable_file_is_not_a_task_error():
    wrong = Diagnosis("mismatch", "grad differs", case="x: float32[3]", check="value")
    check = CheckResult("value", "value", 1.0, 2.0, 1, 2, (wrong,))
    report = Report(submission="a.py", student="a", score=1.0, max_score=2.0, seconds=0.5,
                    exercises=(ExerciseResult("e", "E", 1.0, 2.0, "partial", (check,)),))

    def grade(name: str, data: bytes, student: str) -> Report:
        if data == b"unreadable":
            raise SubmissionError(f"{name}: not a readable Jupyter notebook")
        return report

    with Recording() as inner:
        executor = ReportExecutor(inner)
        assert executor.submit(grade, "a.py", b"x", "a").result() == report
        with pytest.raises(SubmissionError, match="b.ipynb: not a readable"):
            executor.submit(grade, "b.ipynb", b"unreadable", "b").result()
    records = [future.result() for future in inner.sent]  # neither task raised: no Dask retry
    assert json.loads(json.dumps(records)) == records
    assert [r["kind"] for r in records] == ["report", "submission-error"]
