"""One finished call of a function on one case: what a check kind's observe step looks at.

The same record is made in the child around the student's function and in the parent around the
solution, so the kind's observe step (observe/kinds/) is written once for both.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Call:
    function: Callable
    result: Any
    args: dict[str, Any]
    specs: dict[str, dict[str, Any]]
    seed: int
    student: str
    options: dict[str, Any]


def grad_of(tensor: Any) -> Any:
    """`tensor.grad` as the grader reads it: without torch's warning about a non-leaf's .grad,
    which would show the grader's own file in the student's output for a mistake that
    `not-a-leaf` already names."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return getattr(tensor, "grad", None)
