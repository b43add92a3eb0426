"""The autograd graph as inline SVG: one graph, or the student's beside the reference's.

Pure and deterministic (the same graph gives the same bytes), no Graphviz, no script: the page
that holds it may forbid scripts, and a notebook output may be trusted or not. Colours follow
torchviz, the drawing PyTorch users meet first: inputs (leaves) light blue, the tensors the
function returned or backpropagated from green, operations white; a legend under the pair says
so. Every text can come from the student's code (an operation's class name), so all of it is
escaped and shortened.
"""
from __future__ import annotations

import math

from grader.model import GraphPair
from grader.observe.autograd_graph import AutogradGraph
from grader.render.html import escape
from grader.render.graph_layout import LABEL_SIZE, MARGIN, SMALL_SIZE, TOP, Box, Wire, layout
from grader.render.graph_view import Side, heading, shown, text_width, too_large, words

FONT = "ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace"
INK, MUTED, PARTING = "#1f2328", "#57606a", "#d9480f"
FILLS = {"leaf": "#add8e6", "root": "#caff70", "op": "#ffffff", "cut": "none"}


def graph_svg(graph: AutogradGraph | None, title: str, parting: int | None = None,
              parting_root: str | None = None, missing: str = "") -> str:
    """One graph under its title, the node `parting` (or the root named `parting_root`)
    highlighted; `missing` is said when there is no graph at all."""
    if graph is None or not graph.roots:
        return _message_svg(title, missing or words("not-recorded"))
    instead = too_large(graph)
    if instead:
        return _message_svg(title, instead)
    drawn = layout(graph)
    width = max(drawn.width, text_width(title, LABEL_SIZE) + 2 * MARGIN)
    parts = [_open(width, drawn.height, title), _title(title)]
    parts += [_wire(wire) for wire in drawn.wires]
    marked = {f"n{parting}"} | {f"r{i}" for i, root in enumerate(graph.roots) if root.name == parting_root}
    parts += [_box(box, box.key in marked) for box in drawn.boxes]
    return "".join(parts) + "</svg>"


def pair_html(pair: GraphPair, case: str = "") -> str:
    """The student's graph beside the reference's with the legend, under a heading naming `case`
    unless it is the case shown just above; "" when neither can be drawn."""
    view = shown(pair)
    if view is None:
        return ""
    panels = [_panel(view.student, words("student"), words("not-recorded"))]
    if view.has_reference:
        panels.append(_panel(view.reference, words("reference"), words("no-reference")))
    note = f'<p style="margin:.3em 0;color:{MUTED}">{escape(words("same-shape"))}</p>' if view.same_shape else ""
    return (f'<div class="autograd-graphs" style="margin:.6em 0">'
            f'<div style="font-weight:600;margin-bottom:.2em">{escape(heading(case))}</div>'
            f'<div style="display:flex;flex-wrap:wrap;gap:.8em 1.6em;align-items:flex-start">'
            f'{"".join(panels)}</div>{note}{legend_html()}</div>')


def legend_html() -> str:
    items = [(_swatch(FILLS["leaf"], MUTED), words("legend-leaf")),
             (_swatch(FILLS["root"], MUTED), words("legend-root")),
             (_swatch(FILLS["op"], MUTED), words("legend-op")),
             (_swatch("none", MUTED, dashed=True), words("legend-cut")),
             (_swatch(FILLS["op"], PARTING, width=3), words("legend-parting"))]
    spans = "".join(f'<span style="white-space:nowrap">{swatch} {escape(text)}</span>' for swatch, text in items)
    return (f'<div class="autograd-legend" style="font-size:85%;color:{MUTED};margin-top:.3em">'
            f'<div style="display:flex;flex-wrap:wrap;gap:.2em 1.2em">{spans}</div>'
            f'<div>{escape(words("legend-arrows"))}</div></div>')


def _panel(side: Side, title: str, missing: str) -> str:
    return (f'<figure style="margin:0;max-width:100%;overflow-x:auto">'
            f"{graph_svg(side.graph, title, side.parting, side.parting_root, missing)}</figure>")


def _open(width: float, height: float, label: str) -> str:
    w, h = math.ceil(width), math.ceil(height)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="autograd-graph" width="{w}" height="{h}" '
            f'viewBox="0 0 {w} {h}" role="img" aria-label="{escape(label)}" font-family="{FONT}">')


def _title(title: str) -> str:
    return (f'<text class="graph-title" x="{MARGIN}" y="{TOP - 12}" font-size="{LABEL_SIZE}" '
            f'font-weight="600" fill="{INK}">{escape(title)}</text>')


def _message_svg(title: str, message: str) -> str:
    width = max(text_width(title, LABEL_SIZE), text_width(message, SMALL_SIZE + 2) + 16) + 2 * MARGIN
    box = width - 2 * MARGIN
    return (_open(width, TOP + 40 + MARGIN, title) + _title(title)
            + f'<g class="graph-message"><rect x="{MARGIN}" y="{TOP}" width="{_n(box)}" height="40" rx="6" '
              f'fill="#f6f8fa" stroke="{MUTED}" stroke-dasharray="4 3"/>'
              f'<text x="{_n(MARGIN + box / 2)}" y="{TOP + 24}" font-size="{SMALL_SIZE + 2}" '
              f'text-anchor="middle" fill="{INK}">{escape(message)}</text></g></svg>')


def _box(box: Box, highlighted: bool) -> str:
    stroke, width = (PARTING, 3) if highlighted else (MUTED, 1.2)
    classes = f"node {box.kind}" + (" parting" if highlighted else "")
    left, top = box.x - box.width / 2, box.y
    dash = ' stroke-dasharray="4 3"' if box.kind == "cut" else ""
    tooltip = "; ".join(filter(None, [box.small or box.label, words("parting") if highlighted else ""]))
    size = SMALL_SIZE if box.kind == "cut" else LABEL_SIZE
    first_line = top + (16 if box.small else box.height / 2 + size * 0.36)
    parts = [f'<g class="{classes}"' + (f' data-node="{box.node}"' if box.node is not None else "") + ">",
             f"<title>{escape(tooltip)}</title>",
             f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(box.width)}" height="{_n(box.height)}" rx="6" '
             f'fill="{FILLS[box.kind]}" stroke="{stroke}" stroke-width="{width}"{dash}/>',
             f'<text x="{_n(box.x)}" y="{_n(first_line)}" font-size="{size}" text-anchor="middle" '
             f'fill="{MUTED if box.kind == "cut" else INK}">{escape(box.label)}</text>']
    if box.small:
        parts.append(f'<text x="{_n(box.x)}" y="{_n(top + 31)}" font-size="{SMALL_SIZE}" text-anchor="middle" '
                     f'fill="{MUTED}">{escape(box.small)}</text>')
    return "".join(parts) + "</g>"


def _wire(wire: Wire) -> str:
    """A line through the wire's points and an arrowhead where it meets its box."""
    path = "M" + " L".join(f"{_n(x)} {_n(y)}" for x, y in wire.points)
    dash = ' stroke-dasharray="4 3"' if wire.dashed else ""
    (x0, y0), (x1, y1) = wire.points[-2], wire.points[-1]
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    head = [(x1, y1), (x1 - 7 * ux - 3.5 * uy, y1 - 7 * uy + 3.5 * ux), (x1 - 7 * ux + 3.5 * uy, y1 - 7 * uy - 3.5 * ux)]
    return (f'<path class="wire" d="{path}" fill="none" stroke="{MUTED}" stroke-width="1.3"{dash}/>'
            f'<path class="arrowhead" d="M{" L".join(f"{_n(x)} {_n(y)}" for x, y in head)} Z" fill="{MUTED}"/>')


def _swatch(fill: str, stroke: str, *, dashed: bool = False, width: float = 1.2) -> str:
    dash = ' stroke-dasharray="3 2"' if dashed else ""
    return (f'<svg width="22" height="14" style="vertical-align:middle"><rect x="1.5" y="1.5" width="19" '
            f'height="11" rx="3" fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dash}/></svg>')


def _n(value: float) -> str:
    """A coordinate with one decimal at most, the same bytes on every machine."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
