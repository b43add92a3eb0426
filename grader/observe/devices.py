"""CUDA in student code, on a grader without a GPU: it runs on the CPU.

Many d2l readers work on a Colab GPU and write `x.cuda()`, `device='cuda'`, `.to('cuda')` or
`.to(d2l.try_gpu())`. On a CPU-only grader those raise "Torch not compiled with CUDA enabled"
and a correct answer would score 0. While student code runs, this torch function mode maps
every CUDA device it is handed to the CPU, and remembers that it did, so the report can say so.
With a GPU the mode is never entered: student code runs on the GPU, and results cross to the
parent as plain numbers whatever their device.
"""
from __future__ import annotations

import re
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from grader.i18n import N_

_CUDA_NAME = re.compile(r"cuda(:\d+)?")
NOTE = N_("CUDA devices in the code ran on the CPU: this grader has no GPU.")


def needed(sources: list[str]) -> bool:
    """Whether a submission can reach a GPU at all (then the child maps it to the CPU)."""
    return any("cuda" in text or "gpu" in text for text in sources)


def _is_cuda(value: Any) -> bool:
    if isinstance(value, torch.device):
        return value.type == "cuda"
    return isinstance(value, str) and _CUDA_NAME.fullmatch(value) is not None


class CudaOnCpu(TorchFunctionMode):
    """`x.cuda()` is x; a CUDA device in any call's arguments becomes the CPU."""

    def __init__(self) -> None:
        super().__init__()
        self.used = False

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if func is torch.Tensor.cuda:
            self.used = True
            return args[0]
        if _is_cuda(kwargs.get("device")):
            kwargs["device"] = "cpu"
            self.used = True
        if func is torch.Tensor.to and any(_is_cuda(a) for a in args[1:]):
            args = (args[0], *("cpu" if _is_cuda(a) else a for a in args[1:]))
            self.used = True
        return func(*args, **kwargs)
