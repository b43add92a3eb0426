"""Capture matplotlib figures the way Jupyter's inline backend shows them.

A figure is complete at the end of the cell that drew it (or at `plt.show()`), then closed, so a
curve added in a later cell is a new figure. Only curve data (and, when asked, a small PNG)
leaves the child.
"""
from __future__ import annotations

import base64
import io
from typing import Any

MAX_POINTS = 4000
MAX_FIGURES = 20
MAX_IMAGES = 4  # the feedback shows the first few figures: drawing more as PNG is wasted work


class FigureCapture:
    """Installed once per child; `collect(cell)` empties pyplot into plain records."""

    def __init__(self, render_png: bool):
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt

        self.plt = plt
        self.render_png = render_png
        self.figures: list[dict[str, Any]] = []
        self.cell = 0
        original_show = plt.show

        def show(*args, **kwargs):
            self.collect(self.cell)
        show.__wrapped__ = original_show
        plt.show = show

    def collect(self, cell: int) -> None:
        for number in self.plt.get_fignums():
            if len(self.figures) < MAX_FIGURES:
                image = self.render_png and len(self.figures) < MAX_IMAGES
                self.figures.append(record_figure(self.plt.figure(number), cell, image))
        self.plt.close("all")


def record_figure(figure, cell: int, render_png: bool) -> dict[str, Any]:
    """A figure's curves as plain data (and a small PNG for feedback pages, when asked)."""
    axes = []
    for ax in figure.get_axes():
        curves = []
        for line in ax.get_lines():
            xs, ys = _floats(line.get_xdata()), _floats(line.get_ydata())
            if xs is not None and ys is not None and len(xs) == len(ys):
                curves.append({"x": xs, "y": ys, "label": str(line.get_label())[:80]})
        axes.append({"curves": curves, "title": str(ax.get_title())[:80]})
    record: dict[str, Any] = {"cell": cell, "axes": axes}
    if render_png:
        buffer = io.BytesIO()
        try:
            figure.savefig(buffer, format="png", dpi=60)
            record["png"] = base64.b64encode(buffer.getvalue()[:2_000_000]).decode()
        except Exception:
            record["png"] = ""
    return record


def _floats(data: Any) -> list[float] | None:
    try:
        import numpy as np

        if hasattr(data, "detach"):
            data = data.detach().cpu().numpy()
        array = np.asarray(data, dtype=float).reshape(-1)
    except Exception:
        return None
    if array.size > MAX_POINTS:
        array = array[:: int(np.ceil(array.size / MAX_POINTS))]
    return [float(v) for v in array]
