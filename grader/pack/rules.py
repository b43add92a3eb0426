"""Rules for one YAML value: each takes the value and returns what is wrong with it, or None.

Composable (`list_of(is_identifier)`, `one_of(1, 2)`) like attrs' validators. They need neither
yaml nor torch, so the table of check kinds, which the child reads too, is built from them.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from grader.pack import expressions

Rule = Callable[[Any], "str | None"]


def describe(value: Any) -> str:
    """`3, a int`; YAML's lists and mappings by those names (the loader's own types carry positions)."""
    name = "list" if isinstance(value, list) else "mapping" if isinstance(value, dict) else type(value).__name__
    return f"{value!r}, a {name}"


def is_str(value: Any) -> str | None:
    return None if isinstance(value, str) else f"must be a string (got {describe(value)})"


def is_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false (got {describe(value)})"


def is_number(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return None if ok else f"must be a number (got {describe(value)})"


def non_negative(value: Any) -> str | None:
    return is_number(value) or (None if value >= 0 else f"must be >= 0 (got {value!r})")


def one_of(*choices: str | int) -> Rule:
    """Exactly one of the choices, of the same type: `order: true` is not `order: 1`."""
    listed = ", ".join(str(choice) for choice in choices)

    def rule(value: Any) -> str | None:
        ok = any(type(value) is type(choice) and value == choice for choice in choices)
        return None if ok else f"must be one of {listed} (got {describe(value)})"
    return rule


def list_of(item: Rule) -> Rule:
    def rule(value: Any) -> str | None:
        if not isinstance(value, list):
            return f"must be a list (got {describe(value)})"
        for i, element in enumerate(value):
            message = item(element)
            if message:
                return f"item {i} {message}"
        return None
    return rule


def is_int(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return None if ok else f"must be a non-negative integer (got {describe(value)})"


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
    return None if ok else f"must be a Python name (got {describe(value)})"


def is_dotted(value: Any) -> str | None:
    ok = isinstance(value, str) and all(p.isidentifier() for p in value.split("."))
    return None if ok else f"must be a dotted name such as torch.cos (got {describe(value)})"


def is_anything(value: Any) -> str | None:
    return None
