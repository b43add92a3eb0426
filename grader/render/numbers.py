"""Scores as people and programs read them, with the one rounding of `model.round_score`."""
from __future__ import annotations

import math

from grader.model import SCORE_DECIMALS, round_score


def json_score(value: float) -> float:
    """A score JSON can carry (no NaN or infinity) without float noise such as 1.9999999999."""
    return round_score(value) if math.isfinite(value) else 0.0


def points(value: float, *, fixed: bool = False) -> str:
    """`9.5`, `10`, `0.33`: never `1e+01`, `9.500000001` or `nan`.

    `fixed` writes a fraction with every decimal (`0.50`, whole numbers stay `2`): the terminal
    report has always printed scores so, and its bytes are what scripts and saved reports hold.
    """
    text = f"{json_score(value):.{SCORE_DECIMALS}f}"
    return text if fixed and not text.endswith("0" * SCORE_DECIMALS) else (
        text.rstrip("0").rstrip("."))
