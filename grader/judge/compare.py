"""Compare a student's decoded value with the reference, the way torch.testing.assert_close does.

Order is fixed: structure (with paths such as `result[1]`), shape (never coerced), dtype (a
float64 answer to a float32 case is accepted), then values with dtype-aware tolerances. NaN is
never equal to anything. The numbers in the message are assert_close's own.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Any

import torch
from torch.testing._comparison import make_scalar_mismatch_msg, make_tensor_mismatch_msg

from grader import i18n
from grader.i18n import N_, _
from grader.observe.encode import Decoded, Opaque

TABLE_ROWS = 4
# assert_close's own sentences, said again in the course's language with their numbers.
ASSERT_CLOSE_LINES = (
    N_("Mismatched elements: {count} / {total} ({share})"),
    N_("Greatest absolute difference: {value} at index {index} (up to {allowed} allowed)"),
    N_("Greatest relative difference: {value} at index {index} (up to {allowed} allowed)"),
    N_("Scalars are not close!"), N_("Expected {expected} but got {got}."),
    N_("Absolute difference: {value} (up to {allowed} allowed)"),
    N_("Relative difference: {value} (up to {allowed} allowed)"),
)


@dataclass(frozen=True)
class Mismatch:
    """Why one leaf of a result differs: a code, a one-line summary and optional details."""

    path: str
    code: str
    summary: str
    details: str = ""


def default_tolerances(dtype: torch.dtype) -> tuple[float, float]:
    """assert_close's defaults per dtype (rtol, atol)."""
    return {torch.float16: (1e-3, 1e-5), torch.bfloat16: (1.6e-2, 1e-5),
            torch.float32: (1.3e-6, 1e-5), torch.float64: (1e-7, 1e-7)}.get(dtype, (0.0, 0.0))


def compare(got: Any, expected: Any, *, rtol: float | None = None, atol: float | None = None,
            exact_dtype: bool = False, path: str = "result") -> list[Mismatch]:
    """Every leaf that differs; an empty list means the values agree."""
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return [Mismatch(path, "mismatch", _("{path} is {kind}, but a tuple of {count} values was expected",
                                                 path=path, kind=_kind(got), count=len(expected)))]
        if len(got) != len(expected):
            return [Mismatch(path, "mismatch", _("{path} has {count} values, but {expected} were expected",
                                                 path=path, count=len(got), expected=len(expected)))]
        return [m for i, (g, e) in enumerate(zip(got, expected))
                for m in compare(g, e, rtol=rtol, atol=atol, exact_dtype=exact_dtype, path=f"{path}[{i}]")]
    if isinstance(expected, Decoded):
        return _compare_tensor(got, expected, rtol, atol, exact_dtype, path)
    if expected is None:
        return [] if got is None else [Mismatch(path, "mismatch", _("{path} should be None, got {kind}", path=path,
                                                                    kind=_kind(got)))]
    if isinstance(expected, (int, float)):
        return _compare_number(got, expected, rtol, atol, path)
    return [Mismatch(path, "mismatch", _("{path}: the reference is {kind}", path=path, kind=_kind(expected)))]


def _compare_number(got: Any, expected: float, rtol, atol, path: str) -> list[Mismatch]:
    if isinstance(got, Decoded) and got.tensor.numel() == 1:
        got = got.tensor.item()
    if not isinstance(got, (int, float)):
        return [Mismatch(path, "mismatch", _("{path} is {kind}, but a number was expected", path=path, kind=_kind(got)))]
    rtol = 1.3e-6 if rtol is None else rtol
    atol = 1e-5 if atol is None else atol
    if math.isclose(got, expected, rel_tol=rtol, abs_tol=atol):
        return []
    return [Mismatch(path, "mismatch", _("{path} is {got}, expected {expected}", path=path, got=repr(got),
                                         expected=repr(expected)),
                     _("absolute difference {difference} (up to {atol} + {rtol}·|expected| allowed)",
                       difference=format(abs(got - expected), ".3g"), atol=format(atol, "g"), rtol=format(rtol, "g")))]


def _compare_tensor(got: Any, expected: Decoded, rtol, atol, exact_dtype, path) -> list[Mismatch]:
    ref = expected.tensor
    if got is None:
        return [Mismatch(path, "no-grad-tracking", _("{path} is None where a tensor was expected (a .grad that "
                                                     "was never filled, or a missing `return`)", path=path))]
    if isinstance(got, (int, float)) and ref.dim() == 0:
        got = Decoded.plain(torch.tensor(got, dtype=torch.float64), "number")
    if not isinstance(got, Decoded):
        return [Mismatch(path, "mismatch", _("{path} is {kind}, but a tensor was expected", path=path, kind=_kind(got)))]
    value = got.tensor
    if tuple(value.shape) != tuple(ref.shape):
        return [Mismatch(path, "shape-mismatch",
                         _("{path} has shape {shape}, expected {expected}", path=path, shape=list(value.shape),
                           expected=list(ref.shape)))]
    if (exact_dtype and value.dtype != ref.dtype) or (ref.is_floating_point() and not value.is_floating_point()):
        return [Mismatch(path, "dtype-mismatch", _("{path} has dtype {dtype}, expected {expected}", path=path,
                                                   dtype=_dtype(value), expected=_dtype(ref)))]
    default_rtol, default_atol = default_tolerances(ref.dtype)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    actual, wanted = value.to(torch.float64), ref.to(torch.float64)
    matches = torch.isclose(actual, wanted, rtol=rtol, atol=atol, equal_nan=False)
    if matches.all():
        return []
    # assert_close's own message, without assert_close: its first call imports part of
    # torch.distributed (~1 s of CPU), which a grading run need never pay.
    if actual.dim() == 0:
        message = make_scalar_mismatch_msg(actual.item(), wanted.item(), rtol=rtol, atol=atol)
    else:
        message = make_tensor_mismatch_msg(actual, wanted, matches, rtol=rtol, atol=atol)
    return [Mismatch(path, "mismatch", _("{path} differs from the expected values", path=path),
                     _details(message, actual, wanted, rtol, atol))]


def _details(assert_message: str, got: torch.Tensor, expected: torch.Tensor, rtol, atol) -> str:
    lines = [i18n.reword(line.strip(), ASSERT_CLOSE_LINES) for line in assert_message.splitlines()
             if line.strip() and not line.startswith("Tensor-likes")]
    lines.append(_("Tolerances: rtol={rtol}, atol={atol}.", rtol=format(rtol, "g"), atol=format(atol, "g")))
    if got.dim() == 0:
        return "\n".join(lines)
    error = (got - expected).abs().nan_to_num(nan=math.inf).reshape(-1)
    worst = torch.argsort(error, descending=True, stable=True)[:TABLE_ROWS]
    lines.append(_padded(_("index"), -12) + _padded(_("got"), 14) + _padded(_("expected"), 14)
                 + _padded(_("abs diff"), 12))
    for flat in worst.tolist():
        index = _unravel(flat, tuple(got.shape))
        g, e = got.reshape(-1)[flat].item(), expected.reshape(-1)[flat].item()
        lines.append(f"{str(index):<12}{_fmt(g):>14}{_fmt(e):>14}{_fmt(abs(g - e)):>12}")
    return "\n".join(lines)


def _unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """torch.unravel_index of one index in plain ints: the same tuple, without its ten
    torch._check calls per row (the worst rows are on the way to every report)."""
    index = []
    for size in reversed(shape):
        flat, position = divmod(flat, size)
        index.append(position)
    return tuple(reversed(index))


def _padded(text: str, width: int) -> str:
    """Right-aligned in `width` columns (left-aligned if negative), a CJK character taking two."""
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return f"{text:<{-width - wide}}" if width < 0 else f"{text:>{width - wide}}"


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _dtype(tensor: torch.Tensor) -> str:
    return str(tensor.dtype).replace("torch.", "")


def _kind(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, Decoded):
        return _("a {container} of shape {shape}", container=value.container, shape=list(value.tensor.shape))
    if isinstance(value, (tuple, list)):
        return _("a {type} of {count} values", type=type(value).__name__, count=len(value))
    if isinstance(value, Opaque):
        return f"a {value.type_name} ({value.text})" if value.text else f"a {value.type_name}"
    return f"a {type(value).__name__} ({value!r})"


def close(got: Any, expected: Any, rtol: float | None = None, atol: float | None = None) -> bool:
    """Whether two values agree: the primitive the diagnoses are built from."""
    return not compare(got, expected, rtol=rtol, atol=atol)
