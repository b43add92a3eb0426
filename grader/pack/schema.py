"""The exercise YAML schema as small composable rules, each with one message (attrs' validators).

A rule takes a value and returns an error message or None; `Checker` walks a document and turns
every message into a PackProblem with file, line, column and field path, so one pass reports all.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from grader.pack import expressions
from grader.errors import PackProblem
from grader.pack.yamlpos import position

Rule = Callable[[Any], "str | None"]

DTYPES = ("float32", "float64", "int64", "int32", "bool")
CHECK_KINDS = ("value", "grad", "input_grad", "raises", "properties", "differentiable",
               "gradcheck", "control_flow", "figure")


def _describe(value: Any) -> str:
    return f"{value!r}, a {type(value).__name__}"


def is_str(value: Any) -> str | None:
    return None if isinstance(value, str) else f"must be a string (got {_describe(value)})"


def is_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false (got {_describe(value)})"


def is_number(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return None if ok else f"must be a number (got {_describe(value)})"


def non_negative(value: Any) -> str | None:
    return is_number(value) or (None if value >= 0 else f"must be >= 0 (got {value!r})")


def one_of(*choices: str | int) -> Rule:
    """Exactly one of the choices, of the same type: `order: true` is not `order: 1`."""
    listed = ", ".join(str(choice) for choice in choices)

    def rule(value: Any) -> str | None:
        ok = any(type(value) is type(choice) and value == choice for choice in choices)
        return None if ok else f"must be one of {listed} (got {_describe(value)})"
    return rule


def list_of(item: Rule) -> Rule:
    def rule(value: Any) -> str | None:
        if not isinstance(value, list):
            return f"must be a list (got {_describe(value)})"
        for i, element in enumerate(value):
            message = item(element)
            if message:
                return f"item {i} {message}"
        return None
    return rule


def is_int(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return None if ok else f"must be a non-negative integer (got {_describe(value)})"


def is_regex(value: Any) -> str | None:
    if not isinstance(value, str):
        return is_str(value)
    try:
        re.compile(value)
    except re.error as exc:
        return f"is not a valid regular expression ({exc})"
    return None


def is_expression(value: Any) -> str | None:
    if not isinstance(value, str):
        return is_str(value)
    try:
        expressions.parse(value)
    except ValueError as exc:
        return str(exc)
    return None


def is_identifier(value: Any) -> str | None:
    ok = isinstance(value, str) and value.isidentifier()
    return None if ok else f"must be a Python name (got {_describe(value)})"


def is_dotted(value: Any) -> str | None:
    ok = isinstance(value, str) and all(p.isidentifier() for p in value.split("."))
    return None if ok else f"must be a dotted name such as torch.cos (got {_describe(value)})"


def is_anything(value: Any) -> str | None:
    return None


TENSOR_FIELDS: dict[str, Rule] = {
    "shape": list_of(is_int), "values": is_anything, "dtype": one_of(*DTYPES),
    "dist": one_of("normal", "uniform", "arange"), "mean": is_number, "std": non_negative,
    "low": is_number, "high": is_number, "requires_grad": is_bool, "nonleaf": is_bool,
}
INPUT_FIELDS: dict[str, Rule] = {**TENSOR_FIELDS, "fn": is_expression, "number": is_number}

EXERCISE_FIELDS: dict[str, Rule] = {
    "id": is_identifier, "title": is_str, "prompt": is_str, "stub": is_str,
    "function": is_identifier, "defines": list_of(is_identifier), "solution": is_identifier,
    "inputs": is_anything, "cases": is_anything, "checks": is_anything,
    "forbid": list_of(is_dotted), "require_autograd": is_bool, "rtol": non_negative,
    "atol": non_negative, "per_student": is_bool, "diagnoses": is_anything, "errors": is_anything,
}
CASE_FIELDS: dict[str, Rule] = {"inputs": is_anything, "hidden": is_bool, "seed": is_int,
                                "name": is_str}
COMMON_CHECK_FIELDS: dict[str, Rule] = {"kind": one_of(*CHECK_KINDS), "points": non_negative,
                                        "name": is_str, "function": is_identifier}
CHECK_FIELDS: dict[str, dict[str, Rule]] = {
    "value": {"rtol": non_negative, "atol": non_negative, "exact_dtype": is_bool},
    "grad": {"wrt": list_of(is_identifier), "order": one_of(1, 2), "gradient": is_anything,
             "rtol": non_negative, "atol": non_negative},
    "input_grad": {"input": is_identifier, "rtol": non_negative, "atol": non_negative},
    "raises": {"error": is_identifier, "match": is_regex},
    "properties": {"expect": is_anything, "same_values_as": is_identifier,
                   "backward_fills_grad": is_bool},
    "differentiable": {},
    "gradcheck": {"rtol": non_negative, "atol": non_negative},
    "control_flow": {},
    "figure": {"curves": list_of(is_expression), "min_span": non_negative,
               "rtol": non_negative, "atol": non_negative},
}
for _kind in ("value", "grad", "input_grad", "raises", "properties", "differentiable", "gradcheck"):
    CHECK_FIELDS[_kind]["trace"] = is_bool  # the autograd trace and graph walk (docs/trace.md)
DIAGNOSIS_FIELDS: dict[str, Rule] = {"code": is_str, "like": is_identifier, "at": is_str,
                                     "hint": is_str, "message": is_str}
ERROR_FIELDS: dict[str, Rule] = {"match": is_regex, "code": is_str, "hint": is_str}
PROPERTY_NAMES = ("is_leaf", "requires_grad", "grad_fn")


class Checker:
    """Collects problems for one file while the loader walks it."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[PackProblem] = []

    def problem(self, container: Any, key: Any, field: str, message: str) -> None:
        line, column = position(container, key)
        self.problems.append(PackProblem(self.file, line, column, field, message))

    def mapping(self, data: Any, rules: dict[str, Rule], path: str,
                required: tuple[str, ...] = ()) -> bool:
        """Check a mapping's keys and values; False if anything in it is wrong."""
        if not isinstance(data, dict):
            self.problem(data, None, path or "(document)",
                         f"must be a mapping (got {_describe(data)})")
            return False
        before = len(self.problems)
        for key, value in data.items():
            field = f"{path}.{key}" if path else str(key)
            if key not in rules:
                known = ", ".join(sorted(rules))
                self.problem(data, key, field, f"unknown key {key!r} (known: {known})")
                continue
            message = rules[key](value)
            if message:
                self.problem(data, key, field, message)
        for key in required:
            if key not in data:
                self.problem(data, None, f"{path}.{key}" if path else key, "is required")
        return len(self.problems) == before
