"""Build a case's arguments from their specs, bit for bit the same in the parent and the child.

The parent builds them to call the solution; the child builds them again to call the student's
function. Only the spec and a seed cross the process boundary, never a tensor.
"""
from __future__ import annotations

import math
import zlib
from typing import Any

import torch

from grader.i18n import _
from grader.pack import expressions

_DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64,
           "int32": torch.int32, "bool": torch.bool}


def argument_seed(seed: int, name: str, student: str = "") -> int:
    return zlib.crc32(f"{seed}/{name}/{student}".encode())


def build_inputs(specs: dict[str, dict[str, Any]], seed: int, student: str = "",
                 *, float64: bool = False, track: tuple[str, ...] = ()) -> dict[str, Any]:
    """Arguments in call order; `track` names inputs to pass with requires_grad on."""
    built = {}
    for name, spec in specs.items():
        value = build_one(spec, argument_seed(seed, name, student), float64=float64)
        if name in track and isinstance(value, torch.Tensor) and not value.requires_grad:
            value = value.detach().requires_grad_(True)
        built[name] = value
    return built


def build_one(spec: dict[str, Any], seed: int, *, float64: bool = False) -> Any:
    if "fn" in spec:
        return expressions.compile_function(spec["fn"], {"torch": torch, "math": math})
    if "number" in spec:
        return spec["number"]
    dtype = _DTYPES[spec.get("dtype", "float32")]
    if float64 and dtype.is_floating_point:
        dtype = torch.float64
    tensor = _draw(spec, seed, dtype)
    if spec.get("nonleaf"):
        base = tensor.reshape(-1).clone().requires_grad_(True)
        return base.reshape(tensor.shape)
    if spec.get("requires_grad"):
        tensor.requires_grad_(True)
    return tensor


def _draw(spec: dict[str, Any], seed: int, dtype: torch.dtype) -> torch.Tensor:
    if "values" in spec:
        return torch.tensor(spec["values"], dtype=dtype)
    shape = tuple(spec.get("shape", ()))
    generator = torch.Generator().manual_seed(seed)
    dist = spec.get("dist", "normal")
    if dist == "arange":
        return torch.arange(math.prod(shape), dtype=torch.float64).reshape(shape).to(dtype)
    if dist == "uniform":
        low, high = spec.get("low", 0.0), spec.get("high", 1.0)
        values = low + (high - low) * torch.rand(shape, generator=generator, dtype=torch.float64)
    else:
        values = spec.get("mean", 0.0) + spec.get("std", 1.0) * torch.randn(
            shape, generator=generator, dtype=torch.float64)
    if not dtype.is_floating_point:
        values = values.round()
    return values.to(dtype)


def describe(specs: dict[str, dict[str, Any]]) -> str:
    """`x: float32[2, 3], f: x**3`: what a case passes, for people (no torch needed)."""
    parts = []
    for name, spec in specs.items():
        if "fn" in spec:
            parts.append(f"{name}: x ↦ {spec['fn']}")
        elif "number" in spec:
            parts.append(f"{name}: {spec['number']}")
        else:
            shape = spec.get("shape")
            if shape is None and "values" in spec:
                shape = _literal_shape(spec["values"])
            dims = ", ".join(str(d) for d in shape or [])
            extra = " " + _("(non-leaf)") if spec.get("nonleaf") else ""
            parts.append(f"{name}: {spec.get('dtype', 'float32')}[{dims}]{extra}")
    return ", ".join(parts)


def _literal_shape(values: Any) -> list[int]:
    shape = []
    while isinstance(values, list):
        shape.append(len(values))
        values = values[0] if values else None
    return shape
