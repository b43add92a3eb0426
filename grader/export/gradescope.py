"""Gradescope's `results.json` (autograder_samples docs/specs.md) from a Report.

Each exercise is one test whose Markdown output holds the score and one block per diagnosis.
A test's visibility is the only thing Gradescope can delay, so hidden cases' diagnoses go into a
test of their own at `hidden_visibility`; the exercise's score stays in the visible test. The
spec documents no size limit, so outputs are capped to keep the page readable.

`python -m grader.export.gradescope --failure MSG --out FILE` writes the results for a
submission the grader could not grade; run_autograder calls it, so this module imports no torch.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from grader import i18n
from grader.i18n import N_, _
from grader.render.labels import status_label
from grader.render import fold, markdown
from grader.export._feedback import (budgets, cap, dumps, exercise_name,
                                     split_hidden, summary_lines)
from grader.render.fold import grouped
from grader.model import Diagnosis, ExerciseResult, Report
from grader.render.numbers import json_score, points

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
OUTPUT_CAP = 10_000
TOTAL_OUTPUT_CAP = 200_000
FAILED_NAME = "Autograder failed"

# What run_autograder says when it cannot grade (--reason KEY --field name=value, translated);
# its own English copy of each is the fallback when this module cannot run.
FAILURES = {
    "stopped": N_("The autograder stopped before grading."),
    "files": N_("Submit exactly one .ipynb or .py file; this submission has {count}{names}."),
    "exit": N_("The grader stopped (exit status {status}) without writing valid results."),
    "time": N_("Grading took longer than {seconds} seconds and was stopped."),
    "unreadable": N_("The grader could not read this submission: {reason}"),
}
_WHEN_SHOWN = {
    "hidden": N_("{count} problem(s) found in hidden cases; their details are not shown to students."),
    "after_due_date": N_("{count} problem(s) found in hidden cases; their details are shown after the due date."),
    "after_published": N_("{count} problem(s) found in hidden cases; their details are shown once grades "
                          "are published."),
    "visible": N_("{count} problem(s) found in hidden cases; their details are shown in the test that follows."),
}


def results_file(report: Report) -> str:
    """The file's text, ASCII-only JSON."""
    return dumps(render(report))


def render(report: Report, *, hidden_visibility: str = "after_published",
           output_cap: int = OUTPUT_CAP, total_cap: int = TOTAL_OUTPUT_CAP) -> dict[str, Any]:
    """The results.json object for one graded submission."""
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"hidden_visibility must be one of {VISIBILITIES} "
                         f"(got {hidden_visibility!r})")
    tests: list[dict[str, Any]] = []
    for number, exercise in enumerate(report.exercises, start=1):
        visible, hidden = split_hidden(exercise.diagnoses)
        tests.append(_exercise_test(exercise, str(number), visible, hidden, hidden_visibility))
        if hidden:
            tests.append(_hidden_test(exercise, f"{number}.1", hidden, hidden_visibility))
    summary = "\n\n".join(markdown.inline(line) for line in summary_lines(report))
    texts = [summary] + [t["output"] for t in tests]
    caps = budgets([len(t) for t in texts], output_cap, total_cap)
    for test, limit in zip(tests, caps[1:]):
        test["output"] = cap(test["output"], limit)
    return {
        "score": json_score(report.score),
        "execution_time": json_score(report.seconds),
        "output": cap(summary, caps[0]),
        "output_format": "md",
        "test_output_format": "md",
        "test_name_format": "text",
        "stdout_visibility": "hidden",
        "extra_data": {"submission": report.submission, "student": report.student,
                       "pack_hash": report.pack_hash, "submission_hash": report.submission_hash},
        "tests": tests,
    }


def failure_results(message: str, *, details: str = "") -> dict[str, Any]:
    """Results for a submission that could not be graded at all (otter's "Autograder Failed").

    `message` is for the student (it may tell them how to fix their upload); `details`, such as
    the grader's traceback, go into a test only staff can see.
    """
    shown = message + "\n\n" + _("The autograder could not grade this submission. If this message does "
                                   "not tell you how to fix it, please tell your instructor.")
    tests: list[dict[str, Any]] = [{"name": FAILED_NAME, "status": "failed",
                                    "visibility": "visible", "output": cap(shown, OUTPUT_CAP)}]
    if details:
        tests.append({"name": "Autograder error (staff only)", "status": "failed",
                      "visibility": "hidden", "output": cap(details, OUTPUT_CAP, keep="tail")})
    return {"score": 0.0, "output": cap(message, OUTPUT_CAP), "stdout_visibility": "hidden",
            "tests": tests}


def _exercise_test(exercise: ExerciseResult, number: str, visible: list[Diagnosis],
                   hidden: list[Diagnosis], hidden_visibility: str) -> dict[str, Any]:
    blocks = ["**" + _("{score} / {max_score} points", score=points(exercise.score),
                       max_score=points(exercise.max_score)) + f"** ({status_label(exercise.status)})"]
    blocks += [f"- {markdown.code(c.name or c.kind)}: " + _("{passed} of {total} cases passed", passed=c.cases_passed,
                                                              total=c.cases_total)
               for c in exercise.checks if c.cases_total]
    blocks += [_diagnosis_markdown(group) for group in grouped(visible)]
    if hidden:
        blocks.append(_(_WHEN_SHOWN[hidden_visibility], count=len(hidden)))
    return {
        "name": exercise_name(exercise),
        "number": number,
        "score": json_score(exercise.score),
        "max_score": json_score(exercise.max_score),
        "status": "passed" if exercise.status == "passed" else "failed",
        "output": "\n\n".join(blocks),
        "output_format": "md",
        "tags": [exercise.status] + list(dict.fromkeys(d.code for d in visible)),
        "visibility": "visible",
    }


def _hidden_test(exercise: ExerciseResult, number: str, hidden: list[Diagnosis],
                 visibility: str) -> dict[str, Any]:
    """No score: a pure pass/fail test, so the exercise's points are not counted twice."""
    return {
        "name": exercise_name(exercise) + " " + _("(hidden cases)"),
        "number": number,
        "status": "failed",
        "output": "\n\n".join(_diagnosis_markdown(group) for group in grouped(hidden)),
        "output_format": "md",
        "tags": ["hidden"] + list(dict.fromkeys(d.code for d in hidden)),
        "visibility": visibility,
    }


def _diagnosis_markdown(group: list[Diagnosis]) -> str:
    """The first case in full, its details (tensors, tracebacks) in a verbatim fence; the other
    cases of the fold named on one line, as the text report does."""
    first = group[0]
    where = [_("case {case}", case=markdown.code(first.case))] if first.case else []
    where += [_("check {check}", check=markdown.code(first.check))] if first.check else []
    block = f"**{markdown.code(first.code)}** {markdown.inline(first.message)}" + (
        f"  \n{' · '.join(where)}" if where else "")
    if first.details:
        fence = "`" * max(3, _longest_run(first.details, "`") + 1)
        block += f"\n\n{fence}text\n{first.details.rstrip()}\n{fence}"
    if len(group) > 1:
        block += "\n\n" + _("The same on {cases}.", cases=fold.same_on(group, markdown.code))
    return block


def _longest_run(text: str, char: str) -> int:
    return max((len(run) for run in re.findall(f"{re.escape(char)}+", text)), default=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.export.gradescope",
                                     description="Write Gradescope results for an ungradable "
                                                 "submission.")
    parser.add_argument("--failure", required=True, metavar="MESSAGE",
                        help="what the student reads")
    parser.add_argument("--reason", choices=sorted(FAILURES),
                        help="the same message as a key, said in --lang (--failure when unknown)")
    parser.add_argument("--field", action="append", default=[], metavar="NAME=VALUE",
                        help="a value the --reason message names")
    i18n.add_argument(parser)
    parser.add_argument("--details-file", type=Path,
                        help="a log whose end goes into a staff-only test")
    parser.add_argument("--out", type=Path, required=True, help="results.json to write")
    args = parser.parse_args(argv)
    details = ""
    if args.details_file and args.details_file.is_file():
        details = args.details_file.read_text(encoding="utf-8", errors="replace")
    fields = dict(field.partition("=")[::2] for field in args.field)
    with i18n.using(args.lang or i18n.DEFAULT_LANGUAGE):
        message = _(FAILURES[args.reason], **fields) if args.reason else args.failure
        text = dumps(failure_results(message, details=details))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
