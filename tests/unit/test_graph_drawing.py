"""Drawing the autograd graph: real torch graphs from `walk`, drawn as SVG and as text.

The SVG is parsed as XML (so a hostile name that broke out of its text would fail here), and
the boxes, wires, labels and the highlighted parting point are read back from it.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import torch

from grader.model import GraphPair
from grader.observe.autograd_graph import MAX_NODES, AutogradGraph, from_plain, to_plain, walk
from grader.render.graph_layout import layout
from grader.render.graph_svg import graph_svg, pair_html
from grader.render.graph_text import graph_lines, pair_lines
from grader.render.graph_view import MAX_DRAWN_NODES, shown, words

SVG = "{http://www.w3.org/2000/svg}"


def _parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _nodes(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "node" in g.get("class", "").split()]


def _texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def _detach(with_detach: bool) -> AutogradGraph:
    """d2l 2.5.3 as the reference (a copied leaf) and as a student who forgot detach()."""
    x = torch.arange(4.0)
    leaf = x.detach().clone().requires_grad_(True) if with_detach else x.requires_grad_(True)
    y = leaf * leaf
    z = (y.detach() if with_detach else y) * leaf
    z.sum().backward()
    return walk({"result": leaf.grad, "backward 1": z.sum()}, {"x": x})


def test_a_forgotten_detach_shows_the_extra_path_and_the_parting_node_in_both():
    student, reference = _detach(False), _detach(True)
    view = shown(GraphPair(to_plain(student), to_plain(reference)))
    assert (view.student.parting, view.reference.parting) == (1, 1)
    mine = _parsed(graph_svg(student, "Your graph", view.student.parting))
    theirs = _parsed(graph_svg(reference, "Reference", view.reference.parting))
    # boxes: 2 roots + the graph's nodes (+ one cut box in the reference)
    assert len(_nodes(mine)) == 2 + 4 and len(_nodes(theirs)) == 2 + 3 + 1
    # wires: root→sum, sum→×, ×→×, ×→x, and x * x twice; the reference: 3 + the dashed cut
    assert len([p for p in mine.iter(f"{SVG}path") if p.get("class") == "wire"]) == 6
    dashed = [p for p in theirs.iter(f"{SVG}path") if p.get("class") == "wire" and p.get("stroke-dasharray")]
    assert len(dashed) == 1
    for svg in (mine, theirs):
        (parting,) = [g for g in _nodes(svg) if "parting" in g.get("class")]
        assert parting.get("data-node") == "1" and _texts(parting) == ["×", "MulBackward0"]
    assert "x  float32[4]" in _texts(mine) and "x  float32[4]" in _texts(theirs)
    assert words("cut") in _texts(theirs) and words("no-graph") in _texts(mine)


def test_a_no_grad_part_is_a_cut_on_the_sum():
    x = torch.arange(1.0, 4.0, requires_grad=True)
    with torch.no_grad():
        y2 = x ** 3
    graph = walk({"backward 1": (x ** 2 + y2).sum()}, {"x": x})
    svg = _parsed(graph_svg(graph, "g"))
    (cut,) = [g for g in _nodes(svg) if "cut" in g.get("class").split()]
    assert _texts(cut) == [words("cut")] and cut.find(f"{SVG}rect").get("stroke-dasharray")
    assert [line.strip("│├└─┄ ") for line in graph_lines(graph)] == [
        "backward 1", "sum  (SumBackward0)", "+  (AddBackward0)", "**  (PowBackward0)",
        "x  float32[3]", words("cut")]


def test_a_gradient_without_create_graph_is_drawn_as_having_no_graph():
    x = torch.arange(3.0, requires_grad=True)
    (first,) = torch.autograd.grad((x ** 3).sum(), x)
    (kept,) = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    mine, theirs = walk({"backward 2": first.sum()}, {"x": x}), walk({"backward 2": kept.sum()}, {"x": x})
    view = shown(GraphPair(to_plain(mine), to_plain(theirs)))
    assert (view.student.parting, view.student.parting_root, view.reference.parting) == (None, "backward 2", 0)
    svg = _parsed(graph_svg(mine, "Your graph", parting_root="backward 2"))
    (root,) = _nodes(svg)
    assert root.get("class") == "node root parting" and _texts(root) == ["backward 2", words("no-graph")]
    lines = pair_lines(GraphPair(to_plain(mine), to_plain(theirs)))
    assert f"backward 2: {words('no-graph')}  ◀ {words('parting')}" in [line.strip() for line in lines]


def test_a_matrix_product_reads_as_the_book_writes_it():
    x, t = torch.ones(2, 3), torch.ones(3, 4)
    x.requires_grad_(True)
    t.requires_grad_(True)
    graph = walk({"backward 1": 2 * (x @ t).sum()}, {"x": x, "t": t})
    texts = _texts(_parsed(graph_svg(graph, "g")))
    assert {"@", "MmBackward0", "sum", "×", "x  float32[2, 3]", "t  float32[3, 4]"} <= set(texts)


def test_a_graph_beyond_forty_nodes_says_it_is_too_large():
    x = torch.ones(2, requires_grad=True)
    y = x
    for _ in range(MAX_DRAWN_NODES // 2 + 1):
        y = y * 1.5 + 1
    graph = walk({"y": y}, {"x": x})
    assert MAX_DRAWN_NODES < len(graph.nodes) < MAX_NODES
    message = words("too-large", count=len(graph.nodes))
    svg = _parsed(graph_svg(graph, "g"))
    assert not _nodes(svg) and message in _texts(svg)
    assert graph_lines(graph) == [message]
    for _ in range(MAX_NODES):
        y = y * 1.5
    capped = walk({"y": y}, {"x": x})
    assert words("more-than", count=MAX_NODES) in _texts(_parsed(graph_svg(capped, "g")))[-1]


def test_hostile_names_stay_text():
    hostile = "</text><script>alert(1)</script>&"

    def forward(ctx, x):
        return x * 2

    def backward(ctx, grad):
        return grad * 2

    named = type(hostile, (torch.autograd.Function,), {"forward": staticmethod(forward),
                                                       "backward": staticmethod(backward)})
    x = torch.ones(3, requires_grad=True)
    graph = walk({"<svg onload=alert(1)>\x00": named.apply(x).sum()}, {hostile: x})
    svg = graph_svg(graph, hostile, parting=1)
    parsed = _parsed(svg)
    assert "<script" not in svg and not list(parsed.iter(f"{SVG}script")) and "\x00" not in svg
    texts = _texts(parsed)
    assert texts[0] == hostile and any(t.startswith("</text><script>") for t in texts[1:])
    page = ET.fromstring(f"<div>{pair_html(GraphPair(to_plain(graph), None))}</div>")
    assert not list(page.iter("script"))


def test_the_drawing_is_deterministic_and_its_boxes_never_overlap():
    a, b, c = (torch.arange(1.0, 4.0, requires_grad=True) for _ in range(3))
    graph = walk({"backward 1": (a * b).sum() + (b * c).sum() + (c * a.sin()).exp().mean()},
                 {"a": a, "b": b, "c": c})
    again = from_plain(json.loads(json.dumps(to_plain(graph))))
    assert graph_svg(graph, "g", 2) == graph_svg(again, "g", 2)
    drawn = layout(graph)
    for i, one in enumerate(drawn.boxes):
        for other in drawn.boxes[i + 1:]:
            apart_x = abs(one.x - other.x) >= (one.width + other.width) / 2
            apart_y = one.y + one.height <= other.y or other.y + other.height <= one.y
            assert apart_x or apart_y, (one.label, other.label)
    leaves = [box for box in drawn.boxes if box.kind == "leaf"]
    assert len({box.y for box in leaves}) == 1 and leaves[0].y == max(box.y for box in drawn.boxes)


def test_the_ordering_finds_a_drawing_without_crossings_where_there_is_one():
    a, b, c = (torch.arange(1.0, 4.0, requires_grad=True) for _ in range(3))
    # walked in the order b, a, c: drawn in that order, b * a and c * b would cross
    graph = walk({"backward 1": (b * a).sum() + (c * b).sum()}, {"a": a, "b": b, "c": c})
    assert [n.leaf for n in graph.nodes if n.leaf] == ["b", "a", "c"]
    drawn = layout(graph)
    assert _crossings(drawn) == 0
    assert [box.label[0] for box in sorted(drawn.boxes, key=lambda box: box.x) if box.kind == "leaf"] in (
        ["a", "b", "c"], ["c", "b", "a"])


def _crossings(drawn) -> int:
    segments = [(wire, p, q) for wire in drawn.wires for p, q in zip(wire.points, wire.points[1:])]

    def side(p, q, r):
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
    crossings = 0
    for i, (w1, p1, q1) in enumerate(segments):
        for w2, p2, q2 in segments[i + 1:]:
            if w1 is w2 or {p1, q1} & {p2, q2} or w1.points[0] == w2.points[0] or w1.points[-1] == w2.points[-1]:
                continue
            if side(p1, q1, p2) * side(p1, q1, q2) < 0 and side(p2, q2, p1) * side(p2, q2, q1) < 0:
                crossings += 1
    return crossings


def test_a_stored_graph_that_fails_the_schema_is_not_drawn():
    plain = to_plain(_detach(False))
    plain["edges"].append([0, 99])
    assert shown(GraphPair(plain, None)) is None and pair_html(GraphPair(plain, None)) == ""
