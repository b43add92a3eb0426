"""A local Dask cluster against the local pool, on the same class, in one invocation.

    python bench/cluster.py [--n 40] [--workers 2] [--repeat 1]

The class is built from tests/fixtures: all_correct.py, all_correct.py followed by each wrong
fixture in turn (its definition replaces the right one), and one unreadable notebook. Each run
is a fresh process that grades it through `grader.commands.batch.run_batch`, with the local pool
(`--jobs WORKERS`) or with `--cluster local:WORKERS`, so both pay torch's import, the same
gradebook and the same outputs. Printed: medians of startup (to warm Graders), grading and
whole-process wall seconds, the mean time inside Grader.grade, ratios to the local pool, the
cluster's overhead per submission (grading-time difference / N), and Dask's own overhead per
task (an empty report through the same executor).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
FIXTURES = REPO / "tests" / "fixtures"

from grader.commands.batch import BatchResult, run_batch  # noqa: E402


def make_class(root: Path, n: int) -> Path:
    """N submissions: right, right with one wrong fixture appended (cycling), one broken."""
    root.mkdir(parents=True)
    right = (FIXTURES / "right" / "all_correct.py").read_text()
    wrong = sorted((FIXTURES / "wrong").glob("*.py"))
    (root / "s000.py").write_text(right)
    (root / "s001.ipynb").write_text('{"cells": [')
    for i in range(2, n):
        (root / f"s{i:03d}.py").write_text(right + "\n# %%\n" + wrong[i % len(wrong)].read_text())
    return root


Timing = tuple[float, ...]  # startup s, grading s, mean s inside Grader.grade[, whole process s]


def timed(open_: Callable[[], Any], grade: Callable[[Any], BatchResult]) -> Timing:
    """Open (start up), grade the class, close; the mean time in Grader.grade tells the workers'
    own slowness apart from the cost of getting work to them."""
    started = time.perf_counter()
    grader = open_()
    opened = time.perf_counter()
    try:
        result = grade(grader)
    finally:
        graded = time.perf_counter()
        grader.close()
    reports = (result.out / "reports").glob("*.json")  # the batch keeps no report in memory
    inside = statistics.mean(json.loads(path.read_text())["seconds"] for path in reports)
    return opened - started, graded - opened, inside


def run_local(root: Path, out: Path, workers: int) -> Timing:
    def open_() -> Any:
        from grader.api import Grader  # torch, timed as part of the startup

        grader = Grader.open(None, jobs=workers)
        grader.warm()
        return grader

    return timed(open_, lambda g: run_batch(root, out, jobs=workers, regrade=True, grade=g.grade_bytes,
                                            pack_hash=g.pack_hash, exercise_ids=g.exercise_ids,
                                            progress=False))


def run_cluster(root: Path, out: Path, workers: int) -> Timing:
    from grader.cluster import open_cluster

    return timed(lambda: open_cluster(f"local:{workers}", None, {}),
                 lambda g: run_batch(root, out, jobs=g.jobs, regrade=True, grade=g.grade_bytes,
                                     pack_hash=g.pack_hash, exercise_ids=g.exercise_ids,
                                     progress=False, executor=g.executor))


def empty_report(name: str, data: bytes, student: str):
    from grader.model import Report

    return Report(submission=name, student=student, score=0.0, max_score=0.0, exercises=())


def task_overhead(workers: int, tasks: int = 400) -> tuple[float, float]:
    """Milliseconds per empty task: one at a time (latency), and all at once (throughput)."""
    import dask
    from distributed import Client, LocalCluster

    from grader.cluster.client import ReportExecutor

    with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1",
                         dashboard_address=None, worker_dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.run(importlib.import_module, "grader.cluster.worker")  # torch, on every worker
        executor = ReportExecutor(client.get_executor(pure=False))
        started = time.perf_counter()
        for i in range(50):
            executor.submit(empty_report, f"{i}", b"x" * 4096, "s").result()
        latency = (time.perf_counter() - started) / 50
        started = time.perf_counter()
        futures = [executor.submit(empty_report, f"{i}", b"x" * 4096, "s") for i in range(tasks)]
        for future in futures:
            future.result()
        throughput = (time.perf_counter() - started) / tasks
    return latency * 1000, throughput * 1000


def measure(kind: str, root: Path, out: Path, workers: int) -> Timing:
    """Grade the class once in a fresh process, so that startup includes importing torch."""
    command = [sys.executable, __file__, "--measure", kind, "--workers", str(workers),
               "--root", str(root), "--out", str(out)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    startup, grading, inside = json.loads(done.stdout.splitlines()[-1])
    return startup, grading, inside, time.perf_counter() - started


def differences(tmp: Path, repeat: int) -> list[str]:
    """Lines of problems.txt that one path has and the other has not (the CSVs then differ)."""
    lines = {kind: {line for i in range(repeat)
                    for line in (tmp / f"{kind}{i}" / "problems.txt").read_text().splitlines()}
             for kind in ("local", "dask")}
    return sorted(f"{kind} only: {line}" for kind, other in (("local", "dask"), ("dask", "local"))
                  for line in lines[kind] - lines[other])


def report(rows: dict[str, list[Timing]], n: int, w: int, repeat: int, same: bool) -> None:
    med = {k: [statistics.median(t[i] for t in v) for i in range(4)] for k, v in rows.items()}
    local = med["local"]
    print(f"\n{n} submissions, {w} workers, median of {repeat}; identical grades.csv: {same}; "
          f"load average after: {os.getloadavg()[0]:.2f}\n")
    print("| path | startup s | grading s | whole run s | in Grader.grade s/sub "
          "| grading × local | whole run × local |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, kind in ((f"local pool `--jobs {w}`", "local"), (f"Dask `--cluster local:{w}`", "dask")):
        startup, grading, inside, whole = med[kind]
        print(f"| {label} | {startup:.1f} | {grading:.1f} | {whole:.1f} | {inside:.2f} "
              f"| {grading / local[1]:.2f} | {whole / local[3]:.2f} |")
    print(f"\ncluster overhead per submission (grading time difference / N): "
          f"{(med['dask'][1] - local[1]) / n * 1000:+.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="submissions in the class")
    parser.add_argument("--workers", type=int, default=2, help="local threads / Dask worker processes")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--measure", choices=("local", "dask"), help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        run = run_local if args.measure == "local" else run_cluster
        print(json.dumps(run(args.root, args.out, args.workers)))
        return
    print(f"{os.cpu_count()} CPUs, load average before: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        root = make_class(Path(tmp) / "class", args.n)
        rows: dict[str, list[Timing]] = {"local": [], "dask": []}
        for i in range(args.repeat):
            for kind in rows:
                rows[kind].append(measure(kind, root, Path(tmp) / f"{kind}{i}", args.workers))
        same = all((Path(tmp) / f"local{i}" / "grades.csv").read_bytes()
                   == (Path(tmp) / f"dask{i}" / "grades.csv").read_bytes() for i in range(args.repeat))
        for line in differences(Path(tmp), args.repeat):
            print(line, file=sys.stderr)
    latency, throughput = task_overhead(args.workers)
    report(rows, args.n, args.workers, args.repeat, same)
    print(f"Dask's own overhead per task (empty report, 4 KB of bytes): {latency:.1f} ms one at a time, "
          f"{throughput:.1f} ms each when {args.workers} workers share 400")

if __name__ == "__main__":
    main()
