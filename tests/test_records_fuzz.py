"""The parent's decoder of child records never raises, whatever the child sends (Hypothesis).

10,500 fuzzed records in all (2,000 Hypothesis examples, most drawing a batch of records, so
that the whole runs in seconds): random JSON and bytes, random objects shaped like records, and
valid records with exactly one field replaced (by a random or a known-hostile value) or removed. Each decoded record then goes through what
the parent does with it (values to tensors, errors to diagnoses), which must not raise either.
"""
from __future__ import annotations

import json
from typing import Any

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.judge import diagnose, trace_diagnose
from grader.observe import records
from grader.observe.encode import decode, encode
from grader.observe.exceptions import error_record
from grader.observe.probe import observe



def fast(examples: int) -> settings:
    """Seeded (derandomized), no per-example deadline, no example database left behind."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))

scalars = (st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text("ab\x00é{", max_size=4))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text("tvkx", max_size=2), inner, max_size=3), max_leaves=6)
HOSTILE = [None, True, -1, 2 ** 31, 2 ** 64, 10 ** 300, float("nan"), float("inf"), -0.0, "", "x" * 5000,
           [], [None], {}, {"t": "none"}, {"t": "seq"}, {"t": "tensor", "shape": [-1]},
           {"t": "tensor", "dtype": "float32", "shape": [2 ** 40], "data": []},
           {"t": "tensor", "dtype": "int8", "shape": [1], "data": [1000]}, [[[[[[[[[]]]]]]]]],
           {"type": "probe"}, ["probe", "key"], list(range(100)), ["k"] * 2001, [["a"]], ["x" * 201]]
replacements = st.sampled_from(HOSTILE) | scalars
TYPES = ("cell_start", "cell", "probes_start", "probe", "figures", "names", "isolation", "devices",
         "done", "other")
FIELDS = ("index", "key", "keys", "status", "seconds", "error", "outcome", "value", "autograd_calls",
          "forbidden", "figures", "names", "isolation", "cuda_on_cpu", "t", "dtype", "shape", "data",
          "trace", "graph")


def _error() -> dict[str, Any]:
    try:
        raise RuntimeError("only Tensors of floating point dtype can require gradients")
    except RuntimeError as exc:
        return {**error_record(exc), "phase": "call"}


def _traced() -> dict[str, Any]:
    """A real observation with a full trace: accumulation, an alias, a changed .grad, a graph."""
    def two_grads(x):
        x.requires_grad_(True)
        (2 * torch.dot(x, x)).backward()
        g1 = x.grad
        x.sum().backward()
        return g1, x.grad.clone()
    return json.loads(json.dumps(observe("value", two_grads, {"x": {"shape": [3]}}, 1, {})))


VALID = [
    {"type": "cell_start", "index": 3},
    {"type": "cell", "index": 3, "status": "error", "seconds": 0.25,
     "error": {**_error(), "cell": 3, "line": 2, "source_line": "x.requires_grad_(True)",
               "trace": ["cell 3, line 2, in <module>: x.requires_grad_(True)"]}},
    {"type": "probes_start", "keys": ["grad_of_dot/0/0", "grad_of_dot/0/1", "grad_of_dot/1/0"]},
    {"type": "probe", "key": "grad_of_dot/0/1", "outcome": "returned", "autograd_calls": 1,
     "value": encode((torch.arange(4.0, requires_grad=True) * 2, [torch.eye(2, dtype=torch.float64), 3, None]))},
    {"type": "probe", "key": "two_grads/0/0", "outcome": "raised", "autograd_calls": 0,
     "error": _error(), "forbidden": ["torch.cos"], "deadline": False},
    {"type": "probe", "key": "my_control_flow/2/0", "outcome": "returned", "autograd_calls": 2,
     "value": encode(torch.tensor(1.5)), "analytic": encode(torch.ones(1, 1, dtype=torch.float64)),
     "numeric": encode(torch.ones(1, 1, dtype=torch.float64)), "output_requires_grad": True},
    {"type": "figures", "figures": [{"cell": 4, "axes": [{"title": "", "curves": [
        {"x": [0.0, 1.0], "y": [0.0, 0.84], "label": "sin"}]}], "png": ""}]},
    {"type": "names", "names": [{"name": "grad_of_dot", "callable": True}, {"name": "x", "callable": False}]},
    {"type": "isolation", "isolation": {"level": "strong", "uid": 61000, "network": "netns",
                                        "landlock": True, "seccomp": True, "hidden": 4, "notes": [],
                                        "rlimits": {"cpu_seconds": 120, "processes": None}, "ms": 3.5}},
    {"type": "devices", "cuda_on_cpu": True},
    {"type": "done"},
    {"type": "probe", "key": "two_grads/0/1", **_traced()},
]


def _use(record: records.Record) -> None:
    """What the parent does with a record after decoding it."""
    assert isinstance(record, (records.CellStarted, records.CellFinished, records.ProbesStarted,
                               records.ProbeFinished, records.Figures, records.Names,
                               records.Isolation, records.Devices, records.Done, records.Malformed))
    if isinstance(record, records.Malformed):
        assert "malformed" in record.describe()
    payload = getattr(record, "observation", None) or getattr(record, "record", None) or {}
    for name in ("value", "gradient", "analytic", "numeric", "grad_after_backward"):
        if name in payload:
            repr(decode(payload[name]))
    for name in ("error", "backward_error"):
        if name in payload:
            diagnose.code_for_error(payload[name])
            diagnose.error_sentence(payload[name])
    if "trace" in payload or "graph" in payload:
        value = decode(payload.get("value"))
        trace_diagnose.explain_value(payload, payload, value, value, str)
        trace_diagnose.explain_value(payload, {**payload, "value": None}, value, None, str)
        trace_diagnose.explain_error(payload, str)


def _decode(data: Any) -> records.Record:
    record = records.decode_line(json.dumps(data, allow_nan=True).encode())
    _use(record)
    return record


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        found += _paths(child, prefix + (key,))
    return found


def _mutated(record: dict[str, Any], path: tuple, replacement: Any, remove: bool) -> dict[str, Any]:
    copy = json.loads(json.dumps(record))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    if remove and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = None if remove else replacement
    return copy


def test_every_valid_record_decodes_to_its_type():
    for data in VALID:
        record = _decode(data)
        assert not isinstance(record, records.Malformed), (data["type"], record)


BATCH = 5


@fast(400)
@given(st.lists(json_values, min_size=BATCH, max_size=BATCH))
def test_random_json_never_raises(batch):
    for data in batch:
        _decode(data)


@fast(500)
@given(st.binary(max_size=200))
def test_random_bytes_never_raise(line):
    _use(records.decode_line(line))


@fast(600)
@given(st.lists(st.tuples(st.sampled_from(TYPES), st.dictionaries(st.sampled_from(FIELDS), replacements,
                                                                   max_size=5)),
                min_size=BATCH, max_size=BATCH))
def test_random_objects_shaped_like_records_never_raise(batch):
    for kind, fields in batch:
        _decode({"type": kind, **fields})


SITES = [(number, path) for number, record in enumerate(VALID) for path in _paths(record)]
REMOVE = object()


@fast(500)
@given(st.lists(st.tuples(st.sampled_from(SITES), st.just(REMOVE) | replacements),
                min_size=2 * BATCH, max_size=2 * BATCH))
def test_a_valid_record_with_one_field_mutated_never_raises(batch):
    for (number, path), replacement in batch:
        original = VALID[number]
        record = _decode(_mutated(original, path, replacement, replacement is REMOVE))
        if isinstance(record, records.Malformed) and path[0] != "type":
            assert record.kind == original["type"]


def test_deeply_nested_and_huge_records_are_malformed_not_fatal():
    deep = b'{"type": "probe", "key": "k", "outcome": "returned", "value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert isinstance(records.decode_line(deep), records.Malformed)
    nested: Any = {"t": "none"}
    for _ in range(50):
        nested = {"t": "seq", "kind": "tuple", "items": [nested], "length": 1}
    record = _decode({"type": "probe", "key": "k", "outcome": "returned", "value": nested})
    assert isinstance(record, records.Malformed) and record.key == "k"
    huge = _decode({"type": "probe", "key": "k", "outcome": "returned",
                    "value": {"t": "tensor", "dtype": "int8", "shape": [2], "data": [1e300, 2 ** 64]}})
    assert isinstance(huge, records.ProbeFinished)
    assert "do not fit" in repr(decode(huge.observation["value"]))


def test_an_exercise_start_record_names_its_probes_in_order_or_is_malformed():
    started = _decode({"type": "probes_start", "keys": ["a/0/0", "a/0/1"]})
    assert started == records.ProbesStarted(("a/0/0", "a/0/1"))
    for keys in (None, "a/0/0", ["a/0/0", 3], ["k"] * 2001, ["x" * 201], {"a": 1}):
        record = _decode({"type": "probes_start", "keys": keys})
        assert isinstance(record, records.Malformed) and record.kind == "probes_start", keys
