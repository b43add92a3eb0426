"""The one table of output formats: every entry renders a hand-made Report, and the CLI offers
exactly the table's per-submission formats."""
from __future__ import annotations

import argparse
import json
import xml.etree.ElementTree as ET

from grader.commands.cli import _grade_parser
from grader.export import cli as export_cli
from grader.export.formats import BATCH_FORMATS, FORMATS, SUBMISSION_FORMATS
from grader.model import CheckResult, Diagnosis, ExerciseResult, Report

MISMATCH = Diagnosis("mismatch", "The gradient differs.", case="x: float32[3]", check="grad")
REPORT = Report(submission="jane.ipynb", student="jane@example.edu", score=1.5, max_score=3.0,
                exercises=(ExerciseResult("grad_of_dot", "Gradient of a dot", 1.0, 1.0, "passed"),
                           ExerciseResult("two_grads", "Two gradients", 0.5, 2.0, "partial",
                                          (CheckResult("grad", "grad", 0.5, 2.0, 1, 4,
                                                       (MISMATCH,)),))))
PARSES = {"text": str.splitlines, "json": json.loads, "gradescope": json.loads,
          "prairielearn": json.loads, "junit": ET.fromstring}


def test_every_format_is_in_exactly_one_group():
    assert set(SUBMISSION_FORMATS) | set(BATCH_FORMATS) == set(FORMATS)
    assert not set(SUBMISSION_FORMATS) & set(BATCH_FORMATS)


def test_every_per_submission_format_renders_a_report_it_names():
    assert set(PARSES) == set(SUBMISSION_FORMATS), "a new format needs a parser here"
    for name in SUBMISSION_FORMATS:
        text = FORMATS[name].render(REPORT)
        assert text.endswith("\n"), name
        assert PARSES[name](text), name
        assert "two_grads" in text, name


def test_only_the_text_format_honours_verbose():
    assert [name for name, f in FORMATS.items() if f.takes_verbose] == ["text"]
    for name in SUBMISSION_FORMATS[1:]:
        assert FORMATS[name].render(REPORT, verbose=True) == FORMATS[name].render(REPORT), name


def test_the_cli_offers_exactly_the_per_submission_formats():
    action = next(a for a in _grade_parser()._actions if a.dest == "format")
    assert tuple(action.choices) == SUBMISSION_FORMATS
    assert action.default in SUBMISSION_FORMATS


def test_every_batch_format_is_an_export_subcommand_that_writes_a_csv(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section,HW2 (12)\n"
                      "Jane Doe,101,s1,jane@example.edu,A,\n", encoding="utf-8")
    needs = {"canvas": ["--roster", str(roster)]}
    parser = argparse.ArgumentParser()
    export_cli.add_export_arguments(parser.add_subparsers())
    for name in BATCH_FORMATS:
        args = parser.parse_args(["export", name, "--batch", str(tmp_path), *needs.get(name, [])])
        export_format = FORMATS[args.lms]
        result = getattr(export_format.load(), export_format.function)([REPORT], args)
        jane = [row for row in result.text.splitlines() if "jane@example.edu" in row]
        assert len(jane) == 1 and ",1.5" in jane[0], (name, result.text)
