"""Where each box of an autograd graph goes: a small layered (Sugiyama) drawing, no Graphviz.

The tensors a function returned or backpropagated from sit in the top row, the inputs (leaves)
in the bottom row, every operation in the row of its longest path from the top; an edge that
skips rows passes through invisible points, one per row, so it bends around boxes instead of
crossing them. Boxes in a row are ordered by the mean position of their neighbours (a few sweeps
down and up, keeping the order with the fewest crossings), then placed as near that mean as
their widths allow. Everything is computed from the graph alone, so the same graph always gives
the same drawing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from grader.observe.autograd_graph import LEAF_OP, AutogradGraph
from grader.render.graph_view import node_label, root_label, text_width, words

LABEL_SIZE, SMALL_SIZE = 13.0, 10.0
ROW, ROW_GAP, BOX_GAP, MARGIN, TOP = 40.0, 34.0, 22.0, 12.0, 30.0
PARALLEL = 7.0
SWEEPS = 8


@dataclass
class Box:
    """One drawn box; `node` is the graph node it shows (a cut: the node it hangs from)."""

    key: str
    kind: str
    label: str = ""
    small: str = ""
    node: int | None = None
    width: float = 8.0
    height: float = ROW
    layer: int = 0
    x: float = 0.0
    y: float = 0.0


@dataclass(frozen=True)
class Wire:
    points: tuple[tuple[float, float], ...]
    dashed: bool = False


@dataclass
class Layout:
    boxes: list[Box] = field(default_factory=list)
    wires: list[Wire] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0


def layout(graph: AutogradGraph) -> Layout:
    boxes, edges = _boxes_and_edges(graph)
    _layer(boxes, edges)
    chains, rows = _rows(boxes, edges)
    _order(rows, chains)
    _place(rows, chains)
    width = max((b.x + b.width / 2 for b in boxes.values()), default=0.0) + MARGIN
    height = max((b.y + b.height for b in boxes.values()), default=TOP) + MARGIN
    wires = [wire for chain, count, dashed in chains for wire in _wires(chain, count, dashed)]
    return Layout([b for b in boxes.values() if b.kind != "dummy"], wires, width, height)


def _boxes_and_edges(graph: AutogradGraph) -> tuple[dict[str, Box], dict[tuple[str, str], list]]:
    """Boxes by key (roots `r0`, nodes `n3`, cuts `c3`) and edges with how many times each occurs."""
    boxes: dict[str, Box] = {}
    edges: dict[tuple[str, str], list] = {}
    for i, root in enumerate(graph.roots):
        small = "" if root.node is not None else words("no-graph")
        boxes[f"r{i}"] = _sized(Box(f"r{i}", "root", root_label(root), small))
        if root.node is not None:
            edges.setdefault((f"r{i}", f"n{root.node}"), [0, False])[0] += 1
    for node in graph.nodes:
        label, small = node_label(node)
        boxes[f"n{node.id}"] = _sized(Box(f"n{node.id}", "leaf" if node.op == LEAF_OP else "op",
                                          label, small, node.id))
        if node.cuts:
            cut = words("cut") + (f" ×{node.cuts}" if node.cuts > 1 else "")
            boxes[f"c{node.id}"] = _sized(Box(f"c{node.id}", "cut", cut, node=node.id))
            edges[(f"n{node.id}", f"c{node.id}")] = [1, True]
    for source, target in graph.edges:
        edges.setdefault((f"n{source}", f"n{target}"), [0, False])[0] += 1
    return boxes, edges


def _sized(box: Box) -> Box:
    size = SMALL_SIZE if box.kind == "cut" else LABEL_SIZE
    box.width = max(text_width(box.label, size), text_width(box.small, SMALL_SIZE), 24.0) + 16
    box.height = 22.0 if box.kind == "cut" else (38.0 if box.small else 26.0)
    return box


def _layer(boxes: dict[str, Box], edges: dict[tuple[str, str], list]) -> None:
    """Longest path from the top (Kahn's order); leaves to the bottom row. A cycle, which only a
    forged graph has, goes to one extra row below instead of looping."""
    incoming = {key: 0 for key in boxes}
    for _, target in edges:
        incoming[target] += 1
    ready = [key for key in boxes if incoming[key] == 0]
    done = set()
    while ready:
        key = ready.pop(0)
        done.add(key)
        for (source, target) in edges:
            if source == key:
                boxes[target].layer = max(boxes[target].layer, boxes[key].layer + 1)
                incoming[target] -= 1
                if incoming[target] == 0:
                    ready.append(target)
    deepest = max((b.layer for b in boxes.values()), default=0)
    for key, box in boxes.items():
        if key not in done:
            box.layer = deepest + 1
    bottom = max((b.layer for b in boxes.values()), default=0)
    for box in boxes.values():
        if box.kind == "leaf":
            box.layer = bottom


def _rows(boxes: dict[str, Box], edges: dict[tuple[str, str], list]) -> tuple[list, list[list[Box]]]:
    """Each edge as a chain of boxes, one per row it passes (invisible points between); the rows."""
    chains = []
    for (source, target), (count, dashed) in edges.items():
        chain = [boxes[source]]
        for layer in range(boxes[source].layer + 1, boxes[target].layer):
            dummy = Box(f"d{len(boxes)}", "dummy", layer=layer)
            boxes[dummy.key] = dummy
            chain.append(dummy)
        chains.append((chain + [boxes[target]], count, dashed))
    rows: list[list[Box]] = [[] for _ in range(max((b.layer for b in boxes.values()), default=0) + 1)]
    for box in boxes.values():
        rows[box.layer].append(box)
    return chains, rows


def _links(chains: list) -> list[tuple[Box, Box]]:
    """Every segment between two boxes on successive rows (an upward edge of a forged cycle has none)."""
    return [(a, b) for chain, _, _ in chains for a, b in zip(chain, chain[1:]) if b.layer == a.layer + 1]


def _order(rows: list[list[Box]], chains: list) -> None:
    """Barycentre sweeps, alternately down and up; the order with the fewest crossings wins."""
    links = _links(chains)
    up: dict[str, list[Box]] = {}
    down: dict[str, list[Box]] = {}
    for a, b in links:
        down.setdefault(a.key, []).append(b)
        up.setdefault(b.key, []).append(a)
    best, fewest = [list(row) for row in rows], _crossings(rows, links)
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        for r in (range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)):
            position = {b.key: i for i, b in enumerate(rows[r - 1 if downward else r + 1])}
            neighbours = up if downward else down
            current = {b.key: i for i, b in enumerate(rows[r])}

            def key(box: Box) -> tuple[float, int]:
                near = [position[n.key] for n in neighbours.get(box.key, ())]
                return (sum(near) / len(near) if near else current[box.key], current[box.key])
            rows[r].sort(key=key)
        count = _crossings(rows, links)
        if count < fewest:
            best, fewest = [list(row) for row in rows], count
    rows[:] = best
    _transpose(rows, links)


def _transpose(rows: list[list[Box]], links: list[tuple[Box, Box]]) -> None:
    """Swap neighbours in a row while that removes crossings: it settles the ties the mean
    positions leave (two boxes with the same mean keep whatever order they had)."""
    touching: dict[int, list[tuple[Box, Box]]] = {}
    for a, b in links:
        touching.setdefault(a.layer, []).append((a, b))
        touching.setdefault(b.layer, []).append((a, b))
    for _ in range(SWEEPS):
        improved = False
        for row in rows:
            local = touching.get(row[0].layer, []) if row else []
            for i in range(len(row) - 1):
                before = _crossings(rows, local)
                row[i], row[i + 1] = row[i + 1], row[i]
                if _crossings(rows, local) < before:
                    improved = True
                else:
                    row[i], row[i + 1] = row[i + 1], row[i]
        if not improved:
            return


def _crossings(rows: list[list[Box]], links: list[tuple[Box, Box]]) -> int:
    index = {b.key: i for row in rows for i, b in enumerate(row)}
    pairs = [(index[a.key], index[b.key], a.layer) for a, b in links]
    return sum(1 for i, (a1, b1, l1) in enumerate(pairs) for a2, b2, l2 in pairs[i + 1:]
               if l1 == l2 and (a1 - a2) * (b1 - b2) < 0)


def _place(rows: list[list[Box]], chains: list) -> None:
    """x: each box as near the mean of its neighbours as the boxes beside it allow; y: by row."""
    links = _links(chains)
    neighbours: dict[str, list[Box]] = {}
    for a, b in links:
        neighbours.setdefault(a.key, []).append(b)
        neighbours.setdefault(b.key, []).append(a)
    for row in rows:
        _fit(row, [0.0] * len(row))
    for _ in range(4):
        for row in rows[1:] + rows[-2::-1]:
            wanted = [sum(n.x for n in neighbours[b.key]) / len(neighbours[b.key])
                      if b.key in neighbours else b.x for b in row]
            _fit(row, wanted)
    left = min((b.x - b.width / 2 for row in rows for b in row), default=0.0)
    for r, row in enumerate(rows):
        for box in row:
            box.x += MARGIN - left
            box.y = TOP + r * (ROW + ROW_GAP) + (ROW - box.height) / 2


def _fit(row: list[Box], wanted: list[float]) -> None:
    """The x nearest `wanted` (least squares) that keeps the row's order and gaps: pooling
    adjacent violators on positions shifted by each box's minimum offset from the first."""
    offsets = [0.0]
    for a, b in zip(row, row[1:]):
        gap = BOX_GAP if "dummy" not in (a.kind, b.kind) else BOX_GAP / 2
        offsets.append(offsets[-1] + (a.width + b.width) / 2 + gap)
    blocks: list[list[float]] = []  # [mean, count]
    for target, offset in zip(wanted, offsets):
        blocks.append([target - offset, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean, count = blocks.pop()
            blocks[-1] = [(blocks[-1][0] * blocks[-1][1] + mean * count) / (blocks[-1][1] + count),
                          blocks[-1][1] + count]
    shifted = [mean for mean, count in blocks for _ in range(int(count))]
    for box, base, offset in zip(row, shifted, offsets):
        box.x = base + offset


def _wires(chain: list[Box], count: int, dashed: bool) -> list[Wire]:
    """One line per occurrence of the edge (`x * x` has two), side by side; straight down
    through each row it passes, so it bends between rows and never through a box."""
    first, last = chain[0], chain[-1]
    wires = []
    for k in range(count):
        shift = (k - (count - 1) / 2) * PARALLEL
        points = [(first.x + shift, first.y + first.height)]
        points += [(b.x + shift, b.y + dy) for b in chain[1:-1] for dy in (0.0, b.height)]
        points.append((last.x + shift, last.y))
        wires.append(Wire(tuple((round(x, 1), round(y, 1)) for x, y in points), dashed))
    return wires
