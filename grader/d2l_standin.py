"""`from d2l import torch as d2l` without the real package: the book's chapter 2–3 helpers.

The real d2l pulls in torchvision, pandas and network downloads, none of which a sandboxed
child has. These are re-implementations with the book's names, signatures and behaviour, so a
notebook written against d2l.torch runs as it does in the book: plotting draws with matplotlib
(and is graded like any other figure), the device helpers return real devices (CPU ones on a
machine without a GPU), and the linear-regression and softmax helpers of chapter 3 compute.
Anything else (`d2l.load_data_fashion_mnist`, which downloads) is an inert stand-in.
"""
from __future__ import annotations

import time
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch

from grader.standins import InertModule

_TORCH_ALIASES = {name: name for name in (
    "ones", "zeros", "tensor", "arange", "meshgrid", "sin", "sinh", "cos", "cosh", "tanh",
    "linspace", "exp", "log", "normal", "rand", "randn", "matmul", "int32", "int64", "float32",
    "stack", "abs", "eye", "sigmoid")} | {"concat": "cat", "batch_matmul": "bmm"}


def module() -> InertModule:
    """A fresh d2l.torch stand-in."""
    d2l = InertModule("d2l.torch")
    d2l.plt, d2l.np, d2l.torch = plt, np, torch
    for name, target in _TORCH_ALIASES.items():
        setattr(d2l, name, getattr(torch, target))
    for helper in (*_TENSOR_HELPERS, *_PLOTTING, *_DEVICES, *_CHAPTER_3):
        setattr(d2l, helper.__name__, helper)
    return d2l


# The book's framework-neutral one-liners.
def numpy(x, *args, **kwargs):
    return x.detach().cpu().numpy(*args, **kwargs)


def size(x, *args, **kwargs):
    return x.numel(*args, **kwargs)


def reshape(x, *args, **kwargs):
    return x.reshape(*args, **kwargs)


def to(x, *args, **kwargs):
    return x.to(*args, **kwargs)


def reduce_sum(x, *args, **kwargs):
    return x.sum(*args, **kwargs)


def reduce_mean(x, *args, **kwargs):
    return x.mean(*args, **kwargs)


def argmax(x, *args, **kwargs):
    return x.argmax(*args, **kwargs)


def astype(x, *args, **kwargs):
    return x.type(*args, **kwargs)


def transpose(x, *args, **kwargs):
    return x.t(*args, **kwargs)


_TENSOR_HELPERS = (numpy, size, reshape, to, reduce_sum, reduce_mean, argmax, astype, transpose)


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


_PLOTTING = (use_svg_display, set_figsize, set_axes, plot, show_images, Animator)


def cpu() -> torch.device:
    return torch.device("cpu")


def num_gpus() -> int:
    return torch.cuda.device_count()


def gpu(i: int = 0) -> torch.device:
    """GPU i; on a machine without one, the CPU (CUDA code runs there, see README)."""
    return torch.device(f"cuda:{i}") if num_gpus() > i else cpu()


def try_gpu(i: int = 0) -> torch.device:
    return torch.device(f"cuda:{i}") if num_gpus() >= i + 1 else cpu()


def try_all_gpus() -> list[torch.device]:
    return [torch.device(f"cuda:{i}") for i in range(num_gpus())] or [cpu()]


_DEVICES = (cpu, num_gpus, gpu, try_gpu, try_all_gpus)


class Timer:
    """Several timed runs: start/stop, then their average, sum and running sum."""

    def __init__(self):
        self.times: list[float] = []
        self.start()

    def start(self) -> None:
        self.tik = time.time()

    def stop(self) -> float:
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self) -> float:
        return sum(self.times) / len(self.times)

    def sum(self) -> float:
        return sum(self.times)

    def cumsum(self) -> list[float]:
        return np.cumsum(self.times).tolist()


class Accumulator:
    """Running sums of n quantities (correct predictions, examples…)."""

    def __init__(self, n: int):
        self.data = [0.0] * n

    def add(self, *args) -> None:
        self.data = [total + float(value) for total, value in zip(self.data, args)]

    def reset(self) -> None:
        self.data = [0.0] * len(self.data)

    def __getitem__(self, index):
        return self.data[index]


def synthetic_data(w, b, num_examples):
    """Features X ~ N(0, 1) and labels y = Xw + b + N(0, 0.01²) noise, y as a column."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = X @ w + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def linreg(X, w, b):
    return X @ w + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size) -> None:
    """One minibatch step on each parameter, then its gradient zeroed."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def load_array(data_arrays, batch_size, is_train=True):
    dataset = torch.utils.data.TensorDataset(*data_arrays)
    return torch.utils.data.DataLoader(dataset, batch_size, shuffle=is_train)


def get_fashion_mnist_labels(labels) -> list[str]:
    names = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
             "bag", "ankle boot"]
    return [names[int(i)] for i in labels]


def get_dataloader_workers() -> int:
    """Data loading in the grader's child stays in-process."""
    return 0


def accuracy(y_hat, y) -> float:
    """How many predictions (the argmax of each row, or the values) equal the labels."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    return float((y_hat.type(y.dtype) == y).type(y.dtype).sum())


def evaluate_accuracy(net, data_iter) -> float:
    if isinstance(net, torch.nn.Module):
        net.eval()
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def evaluate_loss(net, data_iter, loss) -> float:
    metric = Accumulator(2)
    for X, y in data_iter:
        out = net(X)
        losses = loss(out, y.reshape(out.shape))
        metric.add(losses.sum(), losses.numel())
    return metric[0] / metric[1]


def train_epoch_ch3(net, train_iter, loss, updater):
    """One epoch; a torch optimizer steps on the mean loss, the book's own `updater(batch_size)`
    on the summed loss. Returns (mean training loss, training accuracy)."""
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        losses = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            losses.mean().backward()
            updater.step()
        else:
            losses.sum().backward()
            updater(X.shape[0])
        metric.add(float(losses.sum().detach()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    """Train for `num_epochs`, drawing loss and accuracies per epoch (the book's thresholds on
    the final numbers are asserts about Fashion-MNIST, not checked here)."""
    animator = Animator(xlabel="epoch", xlim=[1, num_epochs], ylim=[0.3, 0.9],
                        legend=["train loss", "train acc", "test acc"])
    for epoch in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        animator.add(epoch + 1, train_metrics + (evaluate_accuracy(net, test_iter),))


def predict_ch3(net, test_iter, n=6) -> None:
    for X, y in test_iter:
        break
    trues = get_fashion_mnist_labels(y)
    preds = get_fashion_mnist_labels(net(X).argmax(axis=1))
    titles = [true + "\n" + pred for true, pred in zip(trues, preds)]
    show_images(X[0:n].reshape((n, 28, 28)), 1, n, titles=titles[0:n])


_CHAPTER_3 = (Timer, Accumulator, synthetic_data, linreg, squared_loss, sgd, load_array,
              get_fashion_mnist_labels, get_dataloader_workers, accuracy, evaluate_accuracy,
              evaluate_loss, train_epoch_ch3, train_ch3, predict_ch3)
