"""What a student's call did on each case, as short tokens that can be compared across a class.

Made while judging (each ExerciseResult carries its tokens) and read by class insight (insight/).

Two students who return the same wrong numbers on the same case get the same digest: values
are rounded to 4 significant digits (operation order changes the last bits, not the mistake),
-0.0 is 0.0, and only the first MAX_HASHED elements of a tensor are read, with its shape.
"""
from __future__ import annotations

import hashlib
from typing import Any

from grader.observe.encode import Decoded, Opaque

MAX_HASHED = 4096
OK = "ok"


def value_digest(value: Any) -> str:
    """12 hex digits naming a decoded value up to rounding; never raises."""
    parts: list[str] = []
    _describe(value, parts)
    return hashlib.blake2b("|".join(parts).encode(), digest_size=6).hexdigest()


def _describe(value: Any, parts: list[str]) -> None:
    if isinstance(value, (tuple, list)):
        parts.append(f"seq{len(value)}(")
        for item in value:
            _describe(item, parts)
        parts.append(")")
    elif isinstance(value, Decoded):
        tensor = value.tensor
        parts.append(f"tensor{list(tensor.shape)}")
        parts.extend(_number(v) for v in tensor.reshape(-1)[:MAX_HASHED].tolist())
    elif isinstance(value, bool) or value is None:
        parts.append(repr(value))
    elif isinstance(value, (int, float)):
        parts.append(_number(value))
    elif isinstance(value, Opaque):
        parts.append(f"opaque:{value.type_name}")
    else:
        parts.append(type(value).__name__)


def _number(value: float | int | bool) -> str:
    return f"{float(value) + 0.0:.4g}"


def case_token(check_index: int, case_index: int | None, ok: bool, code: str, observed: str) -> str:
    """`0.1=ok`, `0.1=grad-accumulation:3fa2…` or `0.1=function-raised`: one case's behaviour."""
    where = f"{check_index}.{'' if case_index is None else case_index}"
    if ok:
        return f"{where}={OK}"
    return f"{where}={code}:{observed}" if observed else f"{where}={code}"


def wrong_tokens(behaviour: tuple[str, ...]) -> tuple[str, ...]:
    """The tokens of the cases that went wrong: the behaviour a mistake is named by."""
    return tuple(t for t in behaviour if not t.endswith("=" + OK))


def wrong_values(behaviour: tuple[str, ...]) -> frozenset[str]:
    """Cases where the call returned a wrong value (with its digest), not an error."""
    return frozenset(t for t in wrong_tokens(behaviour) if ":" in t.partition("=")[2])
