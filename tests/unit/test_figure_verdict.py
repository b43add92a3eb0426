"""The figure finder returns the judges' one Verdict type."""
from __future__ import annotations

import math

from grader.judge.figurecheck import find_curves
from grader.judge.verdict import PASS, Verdict

OPTIONS = {"curves": ["torch.sin(x)", "torch.cos(x)"], "min_span": 1.0}


def _figure(*functions):
    xs = [i / 10 for i in range(40)]
    return {"cell": 3, "axes": [{"curves": [{"x": xs, "y": [f(x) for x in xs]} for f in functions]}]}


def test_a_figure_with_both_curves_passes():
    assert find_curves([_figure(math.sin, math.cos)], OPTIONS) == PASS


def test_no_figure_and_a_wrong_figure_are_failed_verdicts_with_codes():
    none = find_curves([], OPTIONS)
    assert isinstance(none, Verdict) and (none.ok, none.code) == (False, "no-figure")
    wrong = find_curves([_figure(math.sin, math.sin)], OPTIONS)
    assert (wrong.ok, wrong.code) == (False, "curve-mismatch")
    assert "no curve matches torch.cos(x)" in wrong.details and "cell 3" in wrong.details
