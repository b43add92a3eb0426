"""Records from the child, decoded once, at the boundary, into typed records.

Everything the child writes is hostile input: a notebook can replace `json.dumps` or write to
the record pipe itself. Each line is parsed here and checked against the schema of its record
type (which fields, of which types, how long, how deep); what passes becomes a typed record
whose fields the rest of the parent can trust, and anything else becomes `Malformed`, naming
the record and the field. Nothing here raises.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from grader.observe.autograd_graph import GRAPH
from grader.observe.encode import _DTYPES, MAX_DEPTH, MAX_ELEMENTS, MAX_ITEMS
from grader.observe.schema_checks import (Invalid, fields, finite, flag, integer, list_of, nullable, number, one_of,
                                         text)

MAX_FIGURES = 50
MAX_CURVES = 50
MAX_POINTS = 20_000
MAX_NAMES = 2000
MAX_PROBES = 2000  # in one exercise's start record
MAX_TRACE_CALLS = 24
MAX_TRACE_ROOTS = 4
MAX_TRACE_WRITES = 8

ERROR = fields({"type": text(200)}, {
    "message": text(), "bases": list_of(text(200), 20), "signal": text(200),
    "phase": one_of("call", "observe"), "cell": integer, "line": integer,
    "source_line": text(), "trace": list_of(text(), 10)})


def value(data: Any, path: str, depth: int = 0) -> dict[str, Any]:
    """An encoded value (encode.py): none, number, seq, tensor or other, nested at most as deep
    as the child encodes."""
    kind = data.get("t") if isinstance(data, dict) else None
    if kind == "none":
        return {"t": "none"}
    if kind == "number":
        return {"t": "number", "v": number(data.get("v"), f"{path}.v")}
    if kind == "seq" and depth < MAX_DEPTH:
        items = data.get("items")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise Invalid(f"{path}.items", f"expected a list of at most {MAX_ITEMS} values")
        return {"t": "seq", "kind": one_of("tuple", "list")(data.get("kind"), f"{path}.kind"),
                "items": [value(item, f"{path}.items[{i}]", depth + 1) for i, item in enumerate(items)],
                "length": integer(data.get("length"), f"{path}.length")}
    if kind == "tensor":
        return _tensor(data, path)
    if kind == "other":
        return fields({"t": text(10), "type": text(200), "repr": text()})(data, path)
    raise Invalid(path, "expected an encoded value (none, number, seq, tensor or other)")


_TENSOR = fields({"t": text(10), "dtype": one_of(*_DTYPES), "shape": list_of(integer, 8),
                  "data": nullable(list_of(number, MAX_ELEMENTS))},
                 {"container": one_of("tensor", "ndarray"), "requires_grad": flag,
                  "is_leaf": nullable(flag), "grad_fn": nullable(text(200)), "too_large": flag})


def _tensor(data: dict[str, Any], path: str) -> dict[str, Any]:
    tensor = _TENSOR(data, path)
    if tensor["data"] is not None and len(tensor["data"]) != math.prod(tensor["shape"]):
        raise Invalid(f"{path}.data", "its length does not match the shape")
    return tensor


_WHERE = {"cell": integer, "line": integer, "source": text(300)}
_ROOT = fields({"op": text(120), "shape": list_of(integer, 8), "requires_grad": flag,
                "gradient": one_of("ones", "argument", "other", "none")}, {"argument": text(120)})
_WRITE = fields({"leaf": text(120), "before": one_of("none", "zero", "nonzero"),
                 "earlier_call": nullable(integer), "kept": flag},
                {"zeroed": flag, "earlier": value})
_CALL = fields({"api": one_of("backward", "grad"), "gradient_given": flag, "retain_graph": flag,
                "create_graph": flag,
                "inputs": list_of(text(120), MAX_TRACE_WRITES), "roots": list_of(_ROOT, MAX_TRACE_ROOTS),
                "writes": list_of(_WRITE, MAX_TRACE_WRITES)},
               {**_WHERE, "error": fields({"type": text(200), "message": text(500)})})
TRACE = fields({"calls": list_of(_CALL, MAX_TRACE_CALLS), "dropped": integer,
                "aliases": list_of(fields({"result": text(40), "leaf": text(120), "call": integer}),
                                   MAX_TRACE_WRITES),
                "changed": list_of(fields({"leaf": text(120), "call": integer, "value": value}),
                                   MAX_TRACE_WRITES),
                "cuts": list_of(one_of("detach", "no_grad"), 2), "incomplete": flag})

OBSERVATION = fields({"outcome": one_of("returned", "raised", "missing", "died")}, {
    "reason": one_of("timeout"), "not_run": flag, "detail": text(),
    "autograd_calls": integer, "forbidden": list_of(text(200), 20), "deadline": flag,
    "error": ERROR, "value": value, "gradient": value, "analytic": value,
    "numeric": value, "grad_after_backward": value, "backward_error": ERROR,
    "output_requires_grad": flag, "graph": GRAPH, "trace": TRACE})
CELL = fields({"index": integer, "status": one_of("ok", "error"), "seconds": finite},
              {"error": ERROR})
CURVE = fields({"x": list_of(number, MAX_POINTS), "y": list_of(number, MAX_POINTS),
                "label": text(200)})
FIGURE = fields({"cell": integer, "axes": list_of(fields({"curves": list_of(CURVE, MAX_CURVES),
                                                          "title": text(200)}), MAX_CURVES)},
                {"png": text(4_000_000)})
NAME = fields({"name": text(200), "callable": flag})
ISOLATION = fields({}, {
    "level": text(40), "uid": nullable(integer), "network": text(40), "landlock": flag,
    "seccomp": flag, "hidden": integer, "lazy_imports": flag, "notes": list_of(text(), 50),
    "ms": finite, "rlimits": fields({}, {name: nullable(finite) for name in (
        "core", "cpu_seconds", "memory_mb", "address_space_mb", "processes", "file_size_mb",
        "open_files")})})


@dataclass(frozen=True)
class CellStarted:
    index: int


@dataclass(frozen=True)
class CellFinished:
    index: int
    record: dict[str, Any]


@dataclass(frozen=True)
class ProbesStarted:
    """The child starts these probes (one exercise's), one after the other in this order."""

    keys: tuple[str, ...]


@dataclass(frozen=True)
class ProbeFinished:
    key: str
    observation: dict[str, Any]


@dataclass(frozen=True)
class Figures:
    figures: list[dict[str, Any]]


@dataclass(frozen=True)
class Names:
    names: list[dict[str, Any]]


@dataclass(frozen=True)
class Isolation:
    isolation: dict[str, Any]


@dataclass(frozen=True)
class Devices:
    cuda_on_cpu: bool


@dataclass(frozen=True)
class Done:
    pass


@dataclass(frozen=True)
class Malformed:
    """A record that broke the schema; `key`/`index` when it could still say which probe or
    cell it was about."""

    reason: str
    key: str | None = None
    index: int | None = None
    kind: str = field(default="?")

    def describe(self) -> str:
        return f"the child sent a malformed {self.kind!r} record ({self.reason[:300]})"


Record = (CellStarted | CellFinished | ProbesStarted | ProbeFinished | Figures | Names
          | Isolation | Devices | Done | Malformed)
_KEY = text(200)


def _build(kind: str, data: dict[str, Any]) -> Record:
    if kind == "cell_start":
        return CellStarted(integer(data.get("index"), "index"))
    if kind == "cell":
        record = CELL(data, "cell")
        return CellFinished(record["index"], {"type": "cell", **record})
    if kind == "probes_start":
        return ProbesStarted(tuple(list_of(_KEY, MAX_PROBES)(data.get("keys"), "keys")))
    if kind == "probe":
        return ProbeFinished(_KEY(data.get("key"), "key"), OBSERVATION(data, "probe"))
    if kind == "figures":
        return Figures(list_of(FIGURE, MAX_FIGURES)(data.get("figures"), "figures"))
    if kind == "names":
        return Names(list_of(NAME, MAX_NAMES)(data.get("names"), "names"))
    if kind == "isolation":
        return Isolation(ISOLATION(data.get("isolation"), "isolation"))
    if kind == "devices":
        return Devices(flag(data.get("cuda_on_cpu"), "cuda_on_cpu"))
    if kind == "done":
        return Done()
    raise Invalid("type", "unknown record type")


def decode_line(line: bytes) -> Record:
    """One line from the child's record pipe → its typed record, or Malformed."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError) as exc:
        return Malformed(f"not JSON: {type(exc).__name__}")
    if not isinstance(data, dict):
        return Malformed("not a JSON object")
    kind = data.get("type") if isinstance(data.get("type"), str) else "?"
    try:
        return _build(kind, data)
    except Invalid as exc:
        return Malformed(str(exc), key=_claimed(data, "key", str), index=_claimed(data, "index", int),
                         kind=kind[:40])
    except Exception as exc:  # a schema bug must still not reach the parent's caller
        return Malformed(f"undecodable: {type(exc).__name__}", kind=kind[:40])


def _claimed(data: dict[str, Any], name: str, kind: type) -> Any:
    claimed = data.get(name)
    ok = isinstance(claimed, kind) and not isinstance(claimed, bool)
    return claimed if ok and (kind is int or len(claimed) <= 200) else None


@dataclass
class RunResult:
    """Everything the child reported, decoded, keyed for the judges: what the run stage hands on."""

    cells: dict[int, dict[str, Any]] = field(default_factory=dict)
    figures: list[dict[str, Any]] = field(default_factory=list)
    names: list[dict[str, Any]] = field(default_factory=list)
    probes: dict[str, dict[str, Any]] = field(default_factory=dict)
    isolation: dict[str, Any] = field(default_factory=dict)
    output: str = ""
    notes: list[str] = field(default_factory=list)
