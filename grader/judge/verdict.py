"""What a judge decides about one check: passed, or failed with a diagnosis code and its words.

Every judge returns this one type, the figure finder included, so grading reads one shape.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from grader.model import GraphPair


@dataclass(frozen=True)
class Verdict:
    ok: bool
    code: str = ""
    message: str = ""
    details: str = ""
    raised: bool = False
    observed: str = ""
    graphs: GraphPair | None = field(default=None, compare=False)


PASS = Verdict(True)
