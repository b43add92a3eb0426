"""What a drawing of the autograd graph says, whatever draws it (SVG for pages, text for terminals).

The words a student reads around a graph are here, in one place, for translation; so are the
node labels in d2l's own terms (`MulBackward0` is the `×` of `z = u * x`), and the decoding of
the two graphs a diagnosis carries with the first place where they part. The graphs come from a
stored report as often as from a fresh run, so they are checked again here before use: a graph
that does not pass the record schema is not drawn, it never breaks the feedback.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from grader.i18n import N_, _
from grader.model import GraphPair
from grader.observe.autograd_graph import (GRAPH, LEAF_OP, AutogradGraph, Node, Root, from_plain, op_symbol,
                                          parting)
from grader.observe.records import Invalid
from grader.text import shorten as text_shorten

MAX_DRAWN_NODES = 40
MAX_LABEL = 24

WORDS = {
    "student": N_("Your graph"),
    "reference": N_("The reference solution's graph"),
    "heading": N_("The autograd graph behind this case"),
    "heading-case": N_("The autograd graph behind case {case}"),
    "no-graph": N_("no graph: requires_grad=False"),
    "not-recorded": N_("no graph was recorded for this call"),
    "no-reference": N_("this check has no reference graph"),
    "too-large": N_("graph too large to draw ({count} nodes)"),
    "more-than": N_("more than {count}"),
    "cut": N_("detached / no_grad / constant"),
    "same-shape": N_("The two graphs have the same shape: the difference is in the values, not in "
                     "the graph."),
    "parting": N_("first place where your graph and the reference's differ"),
    "seen-above": N_("(see above)"),
    "legend-leaf": N_("input (leaf): backward() fills its .grad"),
    "legend-root": N_("a tensor the function returned or called backward() on"),
    "legend-op": N_("an operation, its backward function underneath"),
    "legend-cut": N_("an input that carries no gradient"),
    "legend-parting": N_("where the two graphs first differ"),
    "legend-arrows": N_("Arrows point the way gradients flow in backward(): from the output down to "
                        "the inputs."),
}

def words(key: str, **fields: Any) -> str:
    return _(WORDS[key], **fields) if fields else _(WORDS[key])


def heading(case: str = "") -> str:
    return words("heading-case", case=shorten(case, 80)) if case else words("heading")


def op_label(op: str) -> str:
    """`MulBackward0` → `×`; an operation without a d2l spelling keeps its own name, shortened."""
    return shorten(op_symbol(op))


def leaf_label(node: Node) -> str:
    """`x  float32[4]`, as a case names its inputs; an unnamed leaf is one the function made."""
    shape = "" if node.shape is None else f"{node.dtype}[{', '.join(map(str, node.shape))}]"
    return "  ".join(part for part in (shorten(node.leaf) or "leaf", shape) if part)


def node_label(node: Node) -> tuple[str, str]:
    """(the big label, the small one underneath)."""
    if node.op == LEAF_OP:
        return leaf_label(node), ""
    return op_label(node.op), shorten(node.op)


def root_label(root: Root) -> str:
    return shorten(root.name)


def shorten(text: str, limit: int = MAX_LABEL) -> str:
    """A label on one line: a character that cannot be printed (nor written in XML) becomes "?"."""
    return text_shorten("".join(ch if ch.isprintable() else "?" for ch in str(text)), limit)


def text_width(text: str, size: float) -> float:
    """The width of `text` in a monospace font of `size` pixels: wide (CJK) characters count twice."""
    return size * 0.62 * sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def too_large(graph: AutogradGraph) -> str:
    """The words instead of a drawing, or "" when the graph is small enough to draw."""
    if not graph.truncated and len(graph.nodes) <= MAX_DRAWN_NODES:
        return ""
    count = words("more-than", count=len(graph.nodes)) if graph.truncated else len(graph.nodes)
    return words("too-large", count=count)


@dataclass(frozen=True)
class Side:
    """One of the two graphs as drawn: None when none came back; `parting` is its node where
    the two first differ, or else `parting_root` the root that has no graph where the other
    side's has one."""

    graph: AutogradGraph | None
    parting: int | None = None
    parting_root: str | None = None


@dataclass(frozen=True)
class Shown:
    student: Side
    reference: Side
    has_reference: bool

    @property
    def same_shape(self) -> bool:
        return (self.has_reference and self.student.graph is not None and self.reference.graph is not None
                and self.student.parting is None and self.reference.parting is None)


def shown(pair: GraphPair) -> Shown | None:
    """The two graphs, decoded and compared; None when neither can be drawn."""
    student, reference = _decoded(pair.student), _decoded(pair.reference)
    if student is None and reference is None:
        return None
    if student is None or reference is None:
        return Shown(Side(student), Side(reference), pair.reference is not None)
    mine, theirs, root = _first_parting(student, reference)
    return Shown(Side(student, mine, root if mine is None and theirs is not None else None),
                 Side(reference, theirs, root if theirs is None and mine is not None else None), True)


def _decoded(plain: Any) -> AutogradGraph | None:
    if plain is None:
        return None
    try:
        return from_plain(GRAPH(plain, "graph"))
    except Invalid:
        return None


def _first_parting(student: AutogradGraph, reference: AutogradGraph) -> tuple[int | None, int | None, str]:
    """Root by root, paired by name (the result, then each backward, as the reference has them,
    then the student's others), the first pair of nodes that differs and the root's name."""
    names = [r.name for r in reference.roots]
    names += [r.name for r in student.roots if r.name not in names]
    for name in names:
        found = parting(_only(student, name), _only(reference, name))
        if found is not None:
            return found[0], found[1], name
    return None, None, ""


def _only(graph: AutogradGraph, name: str) -> AutogradGraph:
    """The graph seen from its root called `name` alone (no root when it has none by that name)."""
    return replace(graph, roots=tuple(r for r in graph.roots if r.name == name)[:1])
