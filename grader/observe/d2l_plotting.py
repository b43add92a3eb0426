"""The book's plotting helpers (chapters 2–3), for d2l_standin: they draw with matplotlib as
d2l.torch's do, so a figure drawn through them is captured and graded like any other."""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np


def use_svg_display() -> None:
    """The book switches Jupyter to SVG; headless grading has nothing to switch."""


def set_figsize(figsize=(3.5, 2.5)) -> None:
    plt.rcParams["figure.figsize"] = figsize


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend) -> None:
    axes.set_xlabel(xlabel), axes.set_ylabel(ylabel)
    axes.set_xscale(xscale), axes.set_yscale(yscale)
    axes.set_xlim(xlim), axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


def _plain(values: Any) -> Any:
    return values.detach().cpu().numpy() if hasattr(values, "detach") else values


def _has_one_axis(values: Any) -> bool:
    return (hasattr(values, "ndim") and values.ndim == 1
            or isinstance(values, list) and not hasattr(values[0], "__len__"))


def plot(X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
         xscale="linear", yscale="linear", fmts=("-", "m--", "g-.", "r:"),
         figsize=(3.5, 2.5), axes=None) -> None:
    """One or several curves on one Axes, as the book's `plot` draws them."""
    if _has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif _has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    set_figsize(figsize)
    axes = axes if axes else plt.gca()
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts):
        x, y = _plain(x), _plain(y)
        axes.plot(x, y, fmt) if len(x) else axes.plot(y, fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5):
    """A grid of images (tensors or arrays), titled, axes hidden; returns the flat Axes."""
    _, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale))
    axes = np.asarray(axes).flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(_plain(img))
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    return axes


class Animator:
    """Curves that grow point by point (training loss per epoch); the figure is captured at
    the end of the cell, as Jupyter shows its last frame."""

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale="linear", yscale="linear", fmts=("-", "m--", "g-.", "r:"),
                 nrows=1, ncols=1, figsize=(3.5, 2.5)):
        self.fig, axes = plt.subplots(nrows, ncols, figsize=figsize)
        self.axes = list(np.asarray(axes).flatten())
        self.config_axes = lambda: set_axes(self.axes[0], xlabel, ylabel, xlim, ylim,
                                            xscale, yscale, legend or [])
        self.X: list[list] | None = None
        self.Y: list[list] | None = None
        self.fmts = fmts

    def add(self, x, y) -> None:
        y = list(y) if _is_sequence(y) else [y]
        x = list(x) if _is_sequence(x) else [x] * len(y)
        self.X = self.X or [[] for _ in y]
        self.Y = self.Y or [[] for _ in y]
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(_plain(a))
                self.Y[i].append(_plain(b))
        self.axes[0].cla()
        for xs, ys, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(xs, ys, fmt)
        self.config_axes()


def _is_sequence(value: Any) -> bool:
    return hasattr(value, "__len__") and getattr(value, "ndim", 1) != 0


HELPERS = (use_svg_display, set_figsize, set_axes, plot, show_images, Animator)
