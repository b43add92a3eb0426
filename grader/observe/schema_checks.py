"""The checks a record's schema is built from: each takes a value and its path, returns the
value it vouches for, or raises `Invalid` naming the field. Shared by every record schema
(records.py) and the autograd graph's (autograd_graph.py).
"""
from __future__ import annotations

import math
from typing import Any, Callable

MAX_TEXT = 4000
Check = Callable[[Any, str], Any]


class Invalid(Exception):
    """A field that does not follow the schema: where, and why."""

    def __init__(self, path: str, why: str):
        super().__init__(f"{path}: {why}")


def text(limit: int = MAX_TEXT) -> Check:
    def check(value: Any, path: str) -> str:
        if not isinstance(value, str) or len(value) > limit:
            raise Invalid(path, f"expected a string of at most {limit} characters")
        return value
    return check


def integer(value: Any, path: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2 ** 31:
        raise Invalid(path, "expected a non-negative integer")
    return value


def flag(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(path, "expected true or false")
    return value


def number(value: Any, path: str) -> int | float | bool:
    if not isinstance(value, (int, float)):
        raise Invalid(path, "expected a number")
    return value


def finite(value: Any, path: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise Invalid(path, "expected a finite number")
    return value


def one_of(*choices: str) -> Check:
    def check(value: Any, path: str) -> str:
        if value not in choices:
            raise Invalid(path, f"expected one of {', '.join(choices)}")
        return value
    return check


def nullable(inner: Check) -> Check:
    return lambda value, path: None if value is None else inner(value, path)


_JSON_NUMBERS = frozenset((int, float, bool))


def list_of(inner: Check, limit: int) -> Check:
    def check(value: Any, path: str) -> list:
        if not isinstance(value, list) or len(value) > limit:
            raise Invalid(path, f"expected a list of at most {limit} items")
        if inner is number and _JSON_NUMBERS.issuperset(map(type, value)):
            return value  # curves and tensor data: one pass in C instead of a call per element
        return [inner(item, f"{path}[{i}]") for i, item in enumerate(value)]
    return check


def fields(required: dict[str, Check], optional: dict[str, Check] | None = None) -> Check:
    """A mapping with these fields (others are dropped): the record's schema."""
    def check(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Invalid(path, "expected an object")
        out = {}
        for name, inner in required.items():
            if name not in value:
                raise Invalid(f"{path}.{name}", "missing")
            out[name] = inner(value[name], f"{path}.{name}")
        for name, inner in (optional or {}).items():
            if name in value:
                out[name] = inner(value[name], f"{path}.{name}")
        return out
    return check
