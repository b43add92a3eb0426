"""Values ⇄ plain JSON data: the only form in which results cross from child to parent.

The child encodes whatever the student returned (a tensor, a tuple, a lying subclass); the
parent decodes with validation, so nothing from the child is ever unpickled or executed.
"""
from __future__ import annotations

import math
from typing import Any

from grader.text import shorten

MAX_ELEMENTS = 200_000
MAX_ITEMS = 64
MAX_DEPTH = 4
_DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64",
           "uint8", "bool")


def encode(value: Any, depth: int = 0) -> dict[str, Any]:
    """Plain data for a returned value; never raises (a faulty object becomes 'other')."""
    try:
        return _encode(value, depth)
    except BaseException as exc:  # a student object may raise anything from __len__ or tolist
        return {"t": "other", "type": _type_name(value), "repr": f"<unencodable: {type(exc).__name__}>"}


def _encode(value: Any, depth: int) -> dict[str, Any]:
    import torch

    if isinstance(value, torch.Tensor):
        return _encode_tensor(torch.Tensor.detach(value).as_subclass(torch.Tensor), value)
    if value is None:
        return {"t": "none"}
    if isinstance(value, bool):
        return {"t": "number", "v": bool(value)}
    if isinstance(value, (int, float)):
        return {"t": "number", "v": float(value) if isinstance(value, float) else int(value)}
    if isinstance(value, (tuple, list)) and depth < MAX_DEPTH:
        items = [encode(v, depth + 1) for v in list(value)[:MAX_ITEMS]]
        return {"t": "seq", "kind": type(value).__name__ if type(value) in (tuple, list) else "tuple",
                "items": items, "length": len(value)}
    if type(value).__module__ == "numpy" and hasattr(value, "shape"):
        return _encode_tensor(torch.as_tensor(value), None, container="ndarray")
    return {"t": "other", "type": _type_name(value), "repr": _safe_repr(value)}


def _encode_tensor(plain, original, container: str = "tensor") -> dict[str, Any]:
    dtype = str(plain.dtype).replace("torch.", "")
    record: dict[str, Any] = {"t": "tensor", "dtype": dtype, "shape": list(plain.shape),
                              "container": container}
    if plain.is_complex() or dtype not in _DTYPES:
        record["data"] = None
    elif plain.numel() > MAX_ELEMENTS:
        record["data"] = None
        record["too_large"] = True
    else:
        record["data"] = plain.reshape(-1).tolist()
    if original is not None:
        record["requires_grad"] = bool(original.requires_grad)
        record["is_leaf"] = bool(original.is_leaf)
        record["grad_fn"] = type(original.grad_fn).__name__ if original.grad_fn is not None else None
    return record


def _type_name(value: Any) -> str:
    try:
        return type(value).__qualname__
    except BaseException:
        return "object"


def _safe_repr(value: Any, limit: int = 200) -> str:
    try:
        text = repr(value)
    except BaseException as exc:
        return f"<repr raised {type(exc).__name__}>"
    return shorten(text, limit)


def decode(record: Any):
    """Validated data → tensors/tuples/numbers in the parent; anything malformed → Opaque."""
    import torch

    if not isinstance(record, dict):
        return Opaque("malformed", "?")
    kind = record.get("t")
    if kind == "none":
        return None
    if kind == "number" and isinstance(record.get("v"), (int, float, bool)):
        return record["v"]
    if kind == "seq" and isinstance(record.get("items"), list):
        items = tuple(decode(item) for item in record["items"][:MAX_ITEMS])
        return items if record.get("kind") != "list" else list(items)
    if kind == "tensor":
        return _decode_tensor(record, torch)
    return Opaque(str(record.get("type", "?"))[:80], str(record.get("repr", ""))[:200])


def _decode_tensor(record: dict, torch):
    dtype, shape, data = record.get("dtype"), record.get("shape"), record.get("data")
    shape_ok = isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)
    if dtype not in _DTYPES or not shape_ok:
        return Opaque("tensor", "a malformed tensor")
    if data is None:
        return Opaque(f"tensor {dtype}{shape}", "too large or of an unsupported dtype")
    if not isinstance(data, list) or len(data) != math.prod(shape):
        return Opaque("tensor", "a tensor whose data does not match its shape")
    if not all(isinstance(v, (int, float, bool)) for v in data):
        return Opaque("tensor", "a tensor with non-numeric data")
    try:
        tensor = torch.tensor(data, dtype=getattr(torch, dtype)).reshape(shape)
    except (RuntimeError, ValueError, OverflowError):
        return Opaque("tensor", f"values that do not fit its dtype {dtype}")
    return Decoded(tensor, record.get("container", "tensor"), bool(record.get("requires_grad")),
                   record.get("is_leaf"), record.get("grad_fn"))


class Decoded:
    """A tensor rebuilt from the child's data, with the properties the child reported."""

    def __init__(self, tensor, container: str, requires_grad: bool, is_leaf, grad_fn):
        self.tensor = tensor
        self.container = container
        self.requires_grad = requires_grad
        self.is_leaf = is_leaf
        self.grad_fn = grad_fn

    @classmethod
    def plain(cls, tensor, container: str = "tensor") -> "Decoded":
        """A tensor the parent made itself (a reference's transpose, ones), with no graph."""
        return cls(tensor, container, False, None, None)

    def __repr__(self) -> str:
        return f"Decoded({self.container} {self.tensor.dtype} {list(self.tensor.shape)})"


class Opaque:
    """Something that is not a tensor or number: only its type and a short repr survive."""

    def __init__(self, type_name: str, text: str):
        self.type_name = type_name
        self.text = text

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.text}>" if self.text else f"<{self.type_name}>"
