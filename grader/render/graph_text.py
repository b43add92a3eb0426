"""The autograd graph as an indented tree, for terminals (`--verbose`) and check()'s text view.

The same labels as the SVG, from each root down to the inputs; a node reached a second time
(a value used twice) is named again with "(see above)" instead of being expanded twice, so the
text stays as long as the graph is large. The first place where the student's graph parts from
the reference's is marked on both.
"""
from __future__ import annotations

from grader.model import GraphPair
from grader.observe.autograd_graph import LEAF_OP, AutogradGraph
from grader.render.graph_view import Side, heading, node_label, root_label, shown, too_large, words

PARTING_MARK = "◀"


def pair_lines(pair: GraphPair, case: str = "") -> list[str]:
    """The student's graph, then the reference's, under a heading naming `case` unless it is the
    case shown just above; [] when neither can be drawn."""
    view = shown(pair)
    if view is None:
        return []
    lines = [f"{heading(case)}:"]
    lines += _side(view.student, words("student"), words("not-recorded"))
    if view.has_reference:
        lines += _side(view.reference, words("reference"), words("no-reference"))
    if view.same_shape:
        lines.append(words("same-shape"))
    return lines


def _side(side: Side, title: str, missing: str) -> list[str]:
    if side.graph is None or not side.graph.roots:
        return [f"  {title}: {missing}"]
    return [f"  {title}:"] + ["    " + line for line in graph_lines(side.graph, side.parting, side.parting_root)]


def graph_lines(graph: AutogradGraph, parting: int | None = None, parting_root: str | None = None) -> list[str]:
    instead = too_large(graph)
    if instead:
        return [instead]
    lines: list[str] = []
    expanded: set[int] = set()
    for root in graph.roots:
        mark = f"  {PARTING_MARK} {words('parting')}" if root.name == parting_root else ""
        if root.node is None:
            lines.append(f"{root_label(root)}: {words('no-graph')}{mark}")
            continue
        lines.append(root_label(root) + mark)
        _tree(graph, root.node, "", True, parting, expanded, lines)
    return lines


def _tree(graph: AutogradGraph, node_id: int, prefix: str, last: bool, parting: int | None,
          expanded: set[int], lines: list[str]) -> None:
    node = graph.node(node_id)
    label, small = node_label(node)
    text = f"{label}  ({small})" if small else label
    again = node_id in expanded and node.op != LEAF_OP
    if again:
        text += f" {words('seen-above')}"
    if node_id == parting:
        text += f"  {PARTING_MARK} {words('parting')}"
    lines.append(f"{prefix}{'└─ ' if last else '├─ '}{text}")
    if again:
        return
    expanded.add(node_id)
    inner = prefix + ("   " if last else "│  ")
    inputs = graph.inputs(node_id)
    for i, child in enumerate(inputs):
        _tree(graph, child, inner, i == len(inputs) - 1 and not node.cuts, parting, expanded, lines)
    if node.cuts:
        times = f" ×{node.cuts}" if node.cuts > 1 else ""
        lines.append(f"{inner}└┄ {words('cut')}{times}")
