"""One score formatter for every output: the text report, feedback pages, CSVs, JUnit, JSON."""
from __future__ import annotations

import math

import pytest

from grader.export import gradescope, moodle
from grader.model import Report
from grader.render.numbers import json_score, points
from grader.render.terminal import to_text


@pytest.mark.parametrize("value, shown", [
    (10.0, "10"), (9.5, "9.5"), (1 / 3, "0.33"), (9.500000001, "9.5"), (1.9999999999, "2"),
    (1e6, "1000000"), (12345.67, "12345.67"), (-0.001, "0"), (math.nan, "0"), (math.inf, "0")])
def test_points_reads_as_people_write_scores(value, shown):
    assert points(value) == shown


@pytest.mark.parametrize("value, shown", [(0.5, "0.50"), (2.0, "2"), (1 / 3, "0.33"), (0.0, "0")])
def test_fixed_points_keep_every_decimal_of_a_fraction(value, shown):
    assert points(value, fixed=True) == shown


def test_json_score_is_finite_and_rounded():
    assert json_score(1.9999999999) == 2.0
    assert json_score(math.nan) == json_score(-math.inf) == 0.0


def test_every_output_shows_the_same_rounding():
    report = Report(submission="hw.py", score=2 / 3, max_score=3.0, exercises=(),
                    student="jane@example.edu")
    assert to_text(report).endswith("Total: 0.67/3\n")
    assert gradescope.render(report)["score"] == 0.67
    assert moodle.render([report]).text.splitlines()[1].split(",")[1] == "0.67"
