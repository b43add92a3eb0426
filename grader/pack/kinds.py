"""Every check kind, in one table: its YAML keys, what it needs, and where its two halves live.

A kind is split at the process boundary. Its child half, `grader/observe/kinds/<observe>.py`,
calls nothing itself: after the student's function returned, it records what the kind looks at
(a value, a gradient, a Jacobian) as plain data. Its parent half, `grader/judge/kinds/<judge>.py`,
turns that record into a verdict. The child never loads the judges (they import the comparison,
the diagnoses and the solutions' references), so the two halves cannot be one module; this table
holds what both sides and the pack loader need, and needs neither yaml nor torch, so the child
reads it too. A kind judged from the whole submission (its source, its figures) has no child half.

Adding a kind: one line here, and its modules in observe/kinds/ and judge/kinds/ (see
docs/instructors.md, "Adding a check kind"). Several kinds may share a half (value and raises
record the same thing; value, grad and input_grad are judged the same way).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.pack.rules import (Rule, is_anything, is_bool, is_expression, is_identifier, is_regex,
                               is_str, list_of, non_negative, one_of)

TOLERANCES: dict[str, Rule] = {"rtol": non_negative, "atol": non_negative}
TRACE: dict[str, Rule] = {"trace": is_bool}  # the autograd trace and graph walk (docs/trace.md)
PROPERTIES: dict[str, Rule] = {"is_leaf": is_anything, "requires_grad": is_anything,
                               "grad_fn": is_anything}


@dataclass(frozen=True)
class Kind:
    """One check kind. `track`: which inputs the child passes with requires_grad on ("wrt": the
    check's `wrt` list; "tensors": every tensor input). `reference`: judged against the solution's
    observation of the same call, so the pack needs solutions/. `input_keys`: keys whose value
    names an input of the exercise. `nested`: keys holding a mapping, with that mapping's keys.
    `figures`: judged from the figures the submission drew (rendered, and attached to the report).
    `traced`: its judge reads the autograd trace, so the child records it unless `trace: false`."""

    name: str
    fields: dict[str, Rule]
    judge: str
    observe: str = ""
    reference: bool = False
    track: str = ""
    float64: bool = False
    input_keys: tuple[str, ...] = ()
    nested: dict[str, dict[str, Rule]] = field(default_factory=dict)
    figures: bool = False
    traced: bool = False

    @property
    def per_case(self) -> bool:
        """Observed on every case in the child, rather than judged once from the submission."""
        return bool(self.observe)


KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    Kind("value", {**TOLERANCES, "exact_dtype": is_bool, **TRACE}, observe="value", judge="compared",
         reference=True, traced=True),
    Kind("grad", {"wrt": list_of(is_identifier), "order": one_of(1, 2), "gradient": is_anything,
                  **TOLERANCES, **TRACE}, observe="grad", judge="compared", reference=True, track="wrt",
         input_keys=("wrt",), traced=True),
    Kind("input_grad", {"input": is_identifier, **TOLERANCES, **TRACE}, observe="input_grad",
         judge="compared", reference=True, input_keys=("input",), traced=True),
    Kind("raises", {"error": is_identifier, "match": is_regex, **TRACE}, observe="value", judge="raises",
         traced=True),
    Kind("properties", {"expect": is_anything, "same_values_as": is_identifier,
                        "backward_fills_grad": is_bool, **TRACE}, observe="properties", judge="properties",
         input_keys=("same_values_as",), nested={"expect": PROPERTIES}, traced=True),
    Kind("differentiable", TRACE, observe="differentiable", judge="differentiable", track="tensors"),
    Kind("gradcheck", {**TOLERANCES, **TRACE}, observe="gradcheck", judge="gradcheck", track="tensors",
         float64=True),
    Kind("control_flow", {}, judge="control_flow"),
    Kind("figure", {"curves": list_of(is_expression), "min_span": non_negative, **TOLERANCES},
         judge="figure", figures=True),
)}


def is_kind(value: Any) -> str | None:
    return one_of(*KINDS)(value)


COMMON_FIELDS: dict[str, Rule] = {"kind": is_kind, "points": non_negative, "name": is_str,
                                  "function": is_identifier}
