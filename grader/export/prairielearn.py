"""PrairieLearn's external-grader `results.json` (docs/externalGrading.md) from a Report.

PrairieLearn rejects a results.json of 1 MB or more outright (issue #1153), shows `message` and
`output` as preformatted text (no Markdown), and has no per-test visibility: a hidden case's
diagnosis therefore shows its code only. Every test carries `points` and `max_points`, because
one test without them switches the points display off for all.

`python -m grader.export.prairielearn --not-gradable MSG --out FILE` writes the results for a
notebook the grader could not read, from a grading container's entrypoint script.
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from grader.render.labels import status_label
from grader.export._feedback import (cap, diagnosis_line, dumps, exercise_name, first_details,
                                     hidden_line, split_hidden, summary_lines)
from grader.render.fold import grouped
from grader.model import ExerciseResult, Report
from grader.render.numbers import json_score

SIZE_LIMIT = 1_000_000
OUTPUT_CAP = 20_000


def results_file(report: Report) -> str:
    """The file's text, ASCII-only JSON."""
    return dumps(render(report))


def render(report: Report) -> dict[str, Any]:
    """The results.json object, its serialised size under SIZE_LIMIT bytes.

    Caps shrink until it fits, so a runaway traceback costs detail, never the grade.
    """
    limit = OUTPUT_CAP
    while True:
        results = _results(report, limit)
        if len(dumps(results).encode("utf-8")) < SIZE_LIMIT or limit == 0:
            return results
        limit //= 4


def not_gradable(message: str) -> dict[str, Any]:
    """For a submission that cannot be read: no points lost, no attempt used."""
    return {"gradable": False, "format_errors": [cap(message, OUTPUT_CAP)]}


def _results(report: Report, limit: int) -> dict[str, Any]:
    # not rounded: PrairieLearn multiplies the fraction by the question's points
    score = report.score / report.max_score if report.max_score > 0 else 0.0
    return {
        "gradable": True,
        "score": min(1.0, max(0.0, score)) if math.isfinite(score) else 0.0,
        "message": cap("\n".join(summary_lines(report)), limit),
        "tests": [_test(e, limit) for e in report.exercises],
    }


def _test(exercise: ExerciseResult, limit: int) -> dict[str, Any]:
    visible, hidden = split_hidden(exercise.diagnoses)
    lines = [diagnosis_line(g) for g in grouped(visible)] + [hidden_line(g)
                                                             for g in grouped(hidden)]
    details = "\n\n".join(first_details(grouped(visible)))
    return {
        "name": exercise_name(exercise),
        "points": json_score(exercise.score),
        "max_points": json_score(exercise.max_score),
        "message": cap("\n".join(lines) or status_label(exercise.status), limit),
        "output": cap(details, limit),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.export.prairielearn",
                                     description="Write PrairieLearn results for a submission "
                                                 "that cannot be graded.")
    parser.add_argument("--not-gradable", required=True, metavar="MESSAGE",
                        help="why, for the student")
    parser.add_argument("--out", type=Path, required=True, help="results.json to write")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(not_gradable(args.not_gradable)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
