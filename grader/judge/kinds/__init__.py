"""The parent's half of every check kind: its judge, which turns observations into a Verdict.

The table of kinds (pack/kinds.py) names each kind's module here. A per-case kind's module has
`judge(exercise, check, case, item, observation, evidence) -> Verdict`, called once per case
with the child's observation (wrapped in judge/outcome.py's `when_returned`, it sees only calls
that returned); a kind judged from the whole submission has `judge(exercise, check, evidence)`. A judge
never raises on student data. (Like torch.testing's pair_types: one small class of comparison
per kind of thing compared, and one table.)
"""
from __future__ import annotations

import importlib
from typing import Callable

from grader.judge.verdict import Verdict
from grader.pack.kinds import KINDS

JUDGES: dict[str, Callable[..., Verdict]] = {
    name: importlib.import_module(f"{__name__}.{kind.judge}").judge for name, kind in KINDS.items()}
