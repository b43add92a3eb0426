"""Chaos: the batch survives any single failure, at a random moment, run after run.

Each run grades a small class with `python -m grader batch` while a killer SIGKILLs, at a seeded
random moment, one process of one kind (KINDS). Every run must end within its bound, and the
gradebook must equal a clean `--jobs 2` run: every student once, each with the clean score.
When the killed process was the batch itself (the scheduler of `local:N` lives in it), a rerun
must resume and finish. CHAOS_RUNS sets the number of runs (default 8: each kind once, each at
its own seeded moment; more runs repeat the kinds at other moments); CHAOS_SEED the first seed; CHAOS_LOG a file that gets one JSON line per run, from which
docs/failures.md's table is counted. Every line is also printed (pytest -s shows it).
"""
from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO, run_main

LIMITS = ["--cell-seconds", "5", "--submission-seconds", "20"]
# The bound of one run: a submission's (grader.run.watchdog: 2 x (20 + 5) + start-up 60 + slack 30)
# times the two that can wait in line, and the start of the cluster.
RUN_BOUND_SECONDS = 360
# Where the kill leaves a worker that never comes back, the batch waits out a worker's start-up
# (60 s by default) before it grades on the rest (worker-startup) or stops (every-nanny); how
# long is a setting, so these runs set it short.
SHORT_START = {"worker-startup": ["--worker-start-seconds", "5"], "every-nanny": ["--worker-start-seconds", "3"]}
CLUSTER_KINDS = ("worker", "worker-startup", "worker-forkserver", "student-child", "nanny",
                 "every-nanny", "scheduler")
KINDS = CLUSTER_KINDS + ("local-forkserver",)
SLOW = """
# %%
import ctypes, time
ctypes.CDLL(None).prctl(15, b"grader-chaos", 0, 0, 0)  # how the killer finds a student's child
time.sleep(2)
"""


def make_class(root: Path) -> Path:
    root.mkdir()
    right = (FIXTURES / "right" / "all_correct.py").read_text()
    (root / "s00.py").write_text(right)
    (root / "s01.py").write_text(right + "\n# %%\n" + (FIXTURES / "wrong" / "hessian__diagonal-only.py").read_text())
    (root / "s02.py").write_text(right + SLOW)
    (root / "s03.py").write_text(right + SLOW.replace("sleep(2)", "sleep(1)"))
    return root


def gradebook_rows(out: Path) -> list[tuple]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return sorted(db.execute("SELECT student, content_hash, score FROM submissions").fetchall())


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The class and its clean local gradebook."""
    base = tmp_path_factory.mktemp("chaos")
    root = make_class(base / "class")
    clean = run_main("batch", str(root), "--jobs", "2", "--out", str(base / "clean"), *LIMITS)
    assert clean.returncode == 0, clean.stderr
    return root, gradebook_rows(base / "clean")


def _runs() -> list[tuple[int, str]]:
    first = int(os.environ.get("CHAOS_SEED", "1900"))
    count = int(os.environ.get("CHAOS_RUNS", str(len(KINDS))))
    kinds = list(KINDS) + list(CLUSTER_KINDS)
    return [(first + i, kinds[i % len(kinds)]) for i in range(count)]


@pytest.mark.parametrize("seed,kind", _runs())
def test_a_batch_survives_a_kill(reference, tmp_path, seed, kind):
    root, clean = reference
    rnd = random.Random(seed)
    scheduler = None
    if kind in ("nanny", "every-nanny"):
        scheduler, address = _tcp_cluster(tmp_path, workers=2)
        cluster = ["--cluster", address]
    else:
        cluster = [] if kind == "local-forkserver" else ["--cluster", "local:2"]
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader", "batch", str(root), "--out", str(out), *LIMITS,
               *SHORT_START.get(kind, []), *cluster]
    try:
        started = time.monotonic()
        batch = _Batch(command)
        killed = Killer(kind, rnd, batch, [p.pid for p in (scheduler or [])[1:]]).run()
        code = batch.wait(RUN_BOUND_SECONDS)
        seconds = time.monotonic() - started
        rerun = None
        if kind in ("scheduler", "every-nanny"):  # resumed on a cluster of its own
            rerun = subprocess.run(command[:-2] + ["--cluster", "local:2"], cwd=REPO,
                                   capture_output=True, text=True, timeout=RUN_BOUND_SECONDS)
            seconds = time.monotonic() - started
    finally:
        for process in scheduler or ():
            _end(process)
    line = {"seed": seed, "kind": kind, "killed": killed, "exit": code, "seconds": round(seconds, 1),
            "rerun_exit": rerun and rerun.returncode, "grades_equal": gradebook_rows(out) == clean}
    _log(line)
    assert code is not None, f"the batch did not end within {RUN_BOUND_SECONDS} s: {line}\n{batch.err[-3000:]}"
    assert killed, f"nothing of kind {kind} was found to kill: {line}\n{batch.err[-3000:]}"
    if kind == "scheduler":  # in local:N it lives in the batch's own process
        assert code == -signal.SIGKILL and rerun.returncode == 0, rerun.stderr[-3000:]
    elif kind == "every-nanny":
        assert code == 3 and "Stopped: no Dask worker left" in batch.err, batch.err[-3000:]
        assert rerun.returncode == 0, rerun.stderr[-3000:]
    else:
        assert code == 0, f"{line}\n{batch.err[-3000:]}"
    assert gradebook_rows(out) == clean, f"{line}\n{batch.err[-3000:]}"  # none lost, none twice


class _Batch:
    """`python -m grader batch` in its own session; its stderr is read as it comes."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, start_new_session=True)
        self.err = ""
        self.grading = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.err += line
            if line.startswith("grading on Dask"):
                self.grading.set()
        self.grading.set()

    def wait(self, seconds: float) -> int | None:
        try:
            code = self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            code = None
        _end(self.process)
        return code


class Killer:
    """Finds one process of `kind` at a random moment and SIGKILLs it; returns what it killed."""

    def __init__(self, kind: str, rnd: random.Random, batch: _Batch, nannies: list[int]) -> None:
        self.kind, self.rnd, self.batch, self.nannies = kind, rnd, batch, nannies

    def run(self) -> str:
        if self.kind == "worker-startup":
            time.sleep(self.rnd.uniform(1.0, 6.0))
        elif self.kind == "local-forkserver":  # a local run says nothing until it is done
            time.sleep(self.rnd.uniform(2.0, 8.0))
        else:
            self.batch.grading.wait(RUN_BOUND_SECONDS)
            time.sleep(self.rnd.uniform(0.0, 2.5))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.batch.process.poll() is None:
            targets = self._targets(_tree())
            if targets:
                victims = sorted(targets) if self.kind == "every-nanny" else [self.rnd.choice(sorted(targets))]
                for victim in victims:
                    os.kill(victim, signal.SIGKILL)
                return f"{self.kind} {' '.join(map(str, victims))}"
            time.sleep(0.05)
        return ""

    def _targets(self, tree: dict[int, int]) -> list[int]:
        me = self.batch.process.pid
        workers = [p for p, parent in tree.items() if parent == me and "spawn_main" in _cmdline(p)]
        servers = [p for p, parent in tree.items() if parent in workers and _is_fork_server(p)]
        if self.kind == "scheduler":
            return [me]
        if self.kind in ("worker", "worker-startup"):
            return workers
        if self.kind == "worker-forkserver":
            return servers
        if self.kind == "local-forkserver":
            return [p for p, parent in tree.items() if parent == me and _is_fork_server(p)]
        if self.kind in ("nanny", "every-nanny"):
            return [p for p in self.nannies if p in tree]
        return [p for p in tree if _comm(p) == "grader-chaos"]


def _tree() -> dict[int, int]:
    """Every process with its parent."""
    parents = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                status = (proc / "status").read_text()
            except OSError:
                continue
            parents[int(proc.name)] = int(next(line.split()[1] for line in status.splitlines()
                                               if line.startswith("PPid:")))
    return parents


def _is_fork_server(pid: int) -> bool:
    """The fork server is a fresh interpreter started with the grader's boot line."""
    return "server_process import main" in _cmdline(pid)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _tcp_cluster(tmp_path: Path, workers: int) -> tuple[list[subprocess.Popen], str]:
    """A scheduler and `workers` nannies as separate processes on 127.0.0.1."""
    bin_dir = Path(sys.executable).parent
    scheduler_file = tmp_path / "scheduler.json"
    common = {"cwd": tmp_path, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
              "start_new_session": True}
    processes = [subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                   "--dashboard-address", "127.0.0.1:0",
                                   "--scheduler-file", str(scheduler_file)], **common)]
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    address = json.loads(scheduler_file.read_text())["address"]
    for _ in range(workers):
        processes.append(subprocess.Popen([str(bin_dir / "dask"), "worker", address, "--nthreads", "1",
                                           "--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0"],
                                          **common))
    return processes, address


def _end(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _log(line: dict) -> None:
    print("chaos:", json.dumps(line), flush=True)
    if os.environ.get("CHAOS_LOG"):
        with open(os.environ["CHAOS_LOG"], "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
