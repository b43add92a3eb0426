"""The exercise YAML schema: the keys each mapping takes, each with its rule (pack/rules.py).

`Checker` walks a document and turns every rule's message into a PackProblem with file, line,
column and field path, so one pass reports all. A check's own keys are its kind's (pack/kinds.py).
"""
from __future__ import annotations

from typing import Any

from grader.errors import PackProblem
from grader.pack.rules import (Rule, describe, is_anything, is_bool, is_dotted, is_expression,
                               is_identifier, is_int, is_number, is_regex, is_str, list_of,
                               non_negative, one_of)
from grader.pack.yamlpos import position

DTYPES = ("float32", "float64", "int64", "int32", "bool")

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
DIAGNOSIS_FIELDS: dict[str, Rule] = {"code": is_str, "like": is_identifier, "at": is_str,
                                     "hint": is_str, "message": is_str}
ERROR_FIELDS: dict[str, Rule] = {"match": is_regex, "code": is_str, "hint": is_str}


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
                         f"must be a mapping (got {describe(data)})")
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
