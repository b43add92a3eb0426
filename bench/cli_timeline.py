"""One `python -m grader x.ipynb` run as a timeline: grader, fork server and child side by side.

    python bench/cli_timeline.py [SUBMISSION] [--repeat 3] [--checkout DIR]

Runs the real command, unchanged, with bench/timeline/ on PYTHONPATH: its sitecustomize marks
the stages of each process (see there). Prints, per mark, the median over the runs of the
seconds since launch and of that process's CPU seconds, sorted by time, then the exit; the
critical path is the chain of marks that ends last before "grade done". A `python -c "import
torch"` run comes first in each round, as the floor.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SITE = Path(__file__).resolve().parent / "timeline"


def one_run(command: list[str], directory: Path, checkout: Path) -> tuple[list[list], float]:
    """`python -m` imports the grader from its working directory: the checkout's."""
    env = {**os.environ, "BENCH_TIMELINE": str(directory),
           "PYTHONPATH": os.pathsep.join([str(SITE), str(checkout)])}
    launched = time.time()
    done = subprocess.run(command, env=env, cwd=str(checkout), capture_output=True, text=True)
    ended = time.time() - launched
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    marks_file = directory / "marks.jsonl"
    marks = [json.loads(line) for line in marks_file.read_text().splitlines()] if marks_file.exists() else []
    marks_file.unlink(missing_ok=True)
    return [[at - launched, role, cpu, label] for at, role, cpu, label in marks], ended


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", nargs="?", default=str(REPO / "examples" / "sample_submission.ipynb"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--checkout", type=Path, default=REPO,
                        help="time another checkout's grader (git archive REV | tar -x -C DIR)")
    args = parser.parse_args(argv)
    checkout = args.checkout.resolve()
    submission = str(Path(args.submission).resolve())
    directory = Path(tempfile.mkdtemp(prefix="bench-timeline-"))
    load_before = os.getloadavg()
    torch_walls, exits = [], []
    seen: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    try:
        for _ in range(args.repeat):
            torch_walls.append(one_run([sys.executable, "-c", "import torch"], directory, checkout)[1])
            marks, ended = one_run([sys.executable, "-m", "grader", submission], directory, checkout)
            exits.append(ended)
            for at, role, cpu, label in marks:
                seen[(role, label)].append((at, cpu))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    floor = median(torch_walls)
    print(f"python -m grader {Path(args.submission).name} ({checkout}): medians of {args.repeat} runs; load "
          f"{'/'.join(f'{v:.1f}' for v in load_before)} before, "
          f"{'/'.join(f'{v:.1f}' for v in os.getloadavg())} after")
    print(f"  python -c 'import torch': {floor:.2f} s wall")
    rows = sorted((median([a for a, _ in v]), median([c for _, c in v]), role, label)
                  for (role, label), v in seen.items())
    for at, cpu, role, label in rows:
        print(f"  {at:>6.2f} s  {role:<7} CPU {cpu:>5.2f} s  {label}")
    end = median(exits)
    print(f"  {end:>6.2f} s  process exit: {end / floor:.2f} × the torch import")


if __name__ == "__main__":
    main()
