"""Peak memory of `python -m grader batch` as the class grows: does it stay flat?

    python bench/memory.py [--sizes 100 1000] [--jobs 2]

A cheap class: the wrong-answer fixtures of tests/fixtures/wrong/ (and the right answers),
copied round-robin into N student files, so each report carries real diagnoses but a
submission costs a fraction of a notebook. For each N, the grader's own process (not its fork
server or the sandboxed children, which live one submission each) is sampled every 20 ms:
its peak resident set (VmRSS) is printed with the wall time and the load average.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def make_cheap_class(folder: Path, n: int) -> None:
    sources = sorted((REPO / "tests" / "fixtures").rglob("*.py"))
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        shutil.copy(sources[i % len(sources)], folder / f"student{i + 1:04d}.py")


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss(folder: Path, out: Path, jobs: int) -> tuple[float, float, int]:
    """(peak MB of the grader process, wall seconds, exit status)."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "grader", "batch", str(folder), "--out", str(out),
                                "--jobs", str(jobs)], cwd=str(REPO),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak, done = [0.0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(process.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    done.set()
    sampler.join()
    return peak[0], time.perf_counter() - started, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    try:
        for n in args.sizes:
            load_before = "/".join(f"{v:.2f}" for v in os.getloadavg())
            make_cheap_class(scratch / f"class{n}", n)
            peak, wall, code = peak_rss(scratch / f"class{n}", scratch / f"out{n}", args.jobs)
            load_after = "/".join(f"{v:.2f}" for v in os.getloadavg())
            print(f"N={n:>5}: grader process peak RSS {peak:7.1f} MB, {wall:6.1f} s wall, exit {code}; "
                  f"load {load_before} -> {load_after}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
