"""One rule for folding repeated diagnoses, shared by every format that shows them.

The same mistake on five cases is one mistake: each format shows the first case in full (its
message, case and details) and names the other cases on one line. Diagnoses fold when they come
from the same check with the same code.
"""
from __future__ import annotations

from typing import Callable, Iterable

from grader.i18n import _
from grader.model import Diagnosis, GraphPair

SHOWN_CASES = 3


def grouped(diagnoses: Iterable[Diagnosis]) -> list[list[Diagnosis]]:
    """Diagnoses of one check with one code, together, in the order they were found."""
    groups: dict[tuple[str, str], list[Diagnosis]] = {}
    for d in diagnoses:
        groups.setdefault((d.check, d.code), []).append(d)
    return list(groups.values())


def graphs(group: list[Diagnosis]) -> tuple[str, GraphPair] | None:
    """The autograd graphs a group draws under its first case: the case they belong to ("" when
    it is that first case, say a hidden one comes first) and the graphs; None when it has none."""
    for i, diagnosis in enumerate(group):
        if diagnosis.graphs is not None and not diagnosis.hidden:
            return ("" if i == 0 else diagnosis.case), diagnosis.graphs
    return None


def same_on(group: list[Diagnosis], show: Callable[[str], str] = str) -> str:
    """`x: float32[3]; a hidden case and 2 more` for the folded cases, "" when there are none;
    `show` formats a case's name (a code span in Markdown)."""
    others = group[1:]
    if not others:
        return ""
    names = "; ".join(show(d.case) if d.case and not d.hidden else d.case or _("another case")
                      for d in others[:SHOWN_CASES])
    more = _(" and {count} more", count=len(others) - SHOWN_CASES) if len(others) > SHOWN_CASES else ""
    return names + more
