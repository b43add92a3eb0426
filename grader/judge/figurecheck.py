"""Find asked-for curves (sin and its derivative) among the figures a student drew.

A figure passes when one figure (one Axes, or side-by-side subplots) holds a distinct curve
matching each expression, over x ranges that overlap by at least `min_span`.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import torch

from grader.i18n import _
from grader.judge.verdict import PASS, Verdict
from grader.pack import expressions


def find_curves(figures: list[dict[str, Any]], options: dict[str, Any],
                cell_name: Callable[[object], str] = lambda index: f"cell {index}") -> Verdict:
    """The figure holding every wanted curve; `cell_name` names a cell as the student finds it."""
    wanted = list(options.get("curves", []))
    if not isinstance(figures, list) or not figures:
        return Verdict(False, "no-figure", _("No matplotlib figure was drawn. Plot the curves with "
                                           "plt.plot(...) or d2l.plot(...) in a cell."))
    functions = [expressions.compile_function(w, {"torch": torch, "math": math}) for w in wanted]
    rtol, atol = options.get("rtol", 1e-3), options.get("atol", 1e-3)
    min_span = options.get("min_span", 0.0)
    notes = []
    for number, figure in enumerate(figures):
        curves = _curves(figure)
        matches = [[i for i, c in enumerate(curves) if _matches(c, f, rtol, atol)] for f in functions]
        assignment = _distinct(matches)
        if assignment is not None and _overlap([curves[i] for i in assignment]) >= min_span:
            return PASS
        notes.append(_note(number, figure, curves, wanted, matches, cell_name))
    message = _("A figure was drawn, but none shows all of: {curves} over a common x range of at least {span}.",
                curves=", ".join(wanted), span=format(min_span, "g"))
    return Verdict(False, "curve-mismatch", message, "\n".join(notes[:5]))


def _curves(figure: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for ax in figure.get("axes", []) if isinstance(ax, dict)
            for c in ax.get("curves", []) if isinstance(c, dict)
            and isinstance(c.get("x"), list) and isinstance(c.get("y"), list) and len(c["x"]) == len(c["y"]) > 1]


def _matches(curve: dict[str, Any], function, rtol: float, atol: float) -> bool:
    try:
        x = torch.tensor(curve["x"], dtype=torch.float64)
        y = torch.tensor(curve["y"], dtype=torch.float64)
        expected = torch.as_tensor(function(x), dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return False
    return bool(torch.isclose(y, expected, rtol=rtol, atol=atol).all())


def _distinct(matches: list[list[int]]) -> list[int] | None:
    """One different curve for each wanted expression (a tiny bipartite matching)."""
    def search(i: int, used: tuple[int, ...]) -> list[int] | None:
        if i == len(matches):
            return list(used)
        for candidate in matches[i]:
            if candidate not in used:
                found = search(i + 1, used + (candidate,))
                if found is not None:
                    return found
        return None
    return search(0, ())


def _overlap(curves: list[dict[str, Any]]) -> float:
    low = max(min(c["x"]) for c in curves)
    high = min(max(c["x"]) for c in curves)
    return high - low


def _note(number: int, figure: dict[str, Any], curves, wanted, matches,
          cell_name: Callable[[object], str]) -> str:
    found = [w for w, m in zip(wanted, matches) if m]
    missing = [w for w, m in zip(wanted, matches) if not m]
    where = _("figure {number} ({cell}), {count} curve(s)", number=number + 1,
              cell=cell_name(figure.get("cell")) or _("a cell"), count=len(curves))
    if not missing:
        return _("{where}: every curve is there, but their common x range is too short or they are one curve.",
                 where=where)
    return _("{where}: matches {found}; no curve matches {missing}.", where=where,
             found=", ".join(found) or _("nothing"), missing=", ".join(missing))
