"""`from d2l import torch as d2l` without the real package: the book's chapter 2–3 helpers.

The real d2l pulls in torchvision, pandas and network downloads, none of which a sandboxed
child has. These are re-implementations with the book's names, signatures and behaviour, so a
notebook written against d2l.torch runs as it does in the book: plotting draws with matplotlib
(and is graded like any other figure), the device helpers return real devices (CPU ones on a
machine without a GPU), and the linear-regression and softmax helpers of chapter 3 compute.
Anything else (`d2l.load_data_fashion_mnist`, which downloads) is an inert stand-in. The
tensor one-liners and device helpers are here; plotting in d2l_plotting, chapter 3 in
d2l_chapter3.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from grader.observe import d2l_chapter3, d2l_plotting
from grader.observe.standins import InertModule

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
    for helper in (*_TENSOR_HELPERS, *d2l_plotting.HELPERS, *_DEVICES, *d2l_chapter3.HELPERS):
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


def cpu() -> torch.device:
    return torch.device("cpu")


def num_gpus() -> int:
    return torch.cuda.device_count()


def gpu(i: int = 0) -> torch.device:
    """GPU i; on a machine without one, the CPU (CUDA code runs there, see docs/instructors.md)."""
    return torch.device(f"cuda:{i}") if num_gpus() > i else cpu()


def try_gpu(i: int = 0) -> torch.device:
    return torch.device(f"cuda:{i}") if num_gpus() >= i + 1 else cpu()


def try_all_gpus() -> list[torch.device]:
    return [torch.device(f"cuda:{i}") for i in range(num_gpus())] or [cpu()]


_DEVICES = (cpu, num_gpus, gpu, try_gpu, try_all_gpus)
