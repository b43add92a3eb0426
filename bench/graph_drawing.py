"""What drawing the autograd graphs costs the feedback: time and bytes, with and without them.

    PYTHONPATH=$PWD python bench/graph_drawing.py [--fixtures 12] [--repeat 5]

Grades the first N wrong-answer fixtures once (tests/fixtures/wrong), then renders each report
with its graphs and with them removed (the reports of before graphs existed), in this process:
HTML feedback, verbose text and JSON. Prints the ratios, the sizes and the load average.
Grading itself is not timed: the graphs are walked by the probes whether or not they are drawn.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path

from grader.api import Grader
from grader.model import Report
from grader.render import feedback, terminal

REPO = Path(__file__).resolve().parent.parent


def _without_graphs(report: Report) -> Report:
    def bare(exercise):
        checks = tuple(dataclasses.replace(c, diagnoses=tuple(dataclasses.replace(d, graphs=None)
                                                              for d in c.diagnoses)) for c in exercise.checks)
        return dataclasses.replace(exercise, checks=checks)
    return dataclasses.replace(report, exercises=tuple(bare(e) for e in report.exercises))


def _timed(render, reports: list[Report], bare: list[Report], repeat: int) -> list[tuple[float, int]]:
    """(seconds per report, bytes) with the graphs and without: the fastest of `repeat` passes,
    the two alternating so that a burst of load on the shared machine hits both alike."""
    best = [float("inf"), float("inf")]
    sizes = [0, 0]
    for _ in range(repeat):
        for i, batch in enumerate((reports, bare)):
            started = time.perf_counter()
            sizes[i] = sum(len(render(r)) for r in batch)
            best[i] = min(best[i], (time.perf_counter() - started) / len(batch))
    return list(zip(best, sizes))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixtures", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    paths = sorted((REPO / "tests" / "fixtures" / "wrong").glob("*.py"))[: args.fixtures]
    with Grader.open(str(REPO / "config.yaml")) as grader:
        reports = [grader.grade_file(str(p)) for p in paths]
    bare = [_without_graphs(r) for r in reports]
    drawn = sum(1 for r in reports for e in r.exercises for d in e.diagnoses if d.graphs)
    print(f"{len(reports)} reports, {drawn} diagnoses with graphs")
    renders = {"html feedback": feedback.to_html, "verbose text": lambda r: terminal.to_text(r, verbose=True),
               "json": terminal.to_json}
    for name, render in renders.items():
        (with_s, with_b), (without_s, without_b) = _timed(render, reports, bare, args.repeat)
        print(f"{name:14} {with_s * 1000:7.2f} ms/report with graphs, {without_s * 1000:6.2f} without: "
              f"x{with_s / without_s:.1f}; bytes x{with_b / without_b:.2f} ({with_b // len(reports)} per report)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
