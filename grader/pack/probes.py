"""The plan of a pack: one Probe per check × case, the call the child makes and the parent judges.

Plain data derived from the exercises alone (no torch, no solutions), so the judges and the
notebook's check() read the same plan the runner sends to the child.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.pack.kinds import KINDS
from grader.pack.load import Exercise


@dataclass(frozen=True)
class Probe:
    """One call the child makes: check × case of one exercise."""

    key: str
    exercise: str
    check: int
    case: int
    kind: str
    function: str
    specs: dict[str, dict[str, Any]]
    seed: int
    options: dict[str, Any]
    forbid: tuple[str, ...]

    def to_job(self, student: str = "", seconds: float = 0.0) -> dict[str, Any]:
        return {"key": self.key, "exercise": self.exercise, "kind": self.kind, "function": self.function,
                "inputs": self.specs, "seed": self.seed, "options": self.options,
                "forbid": list(self.forbid), "student": student, "seconds": seconds}


def probes_for(exercise: Exercise, *, public_only: bool = False) -> list[Probe]:
    planned = []
    for check in exercise.checks:
        if not KINDS[check.kind].per_case:
            continue
        for case in exercise.cases:
            if public_only and case.hidden:
                continue
            planned.append(Probe(
                key=f"{exercise.id}/{check.index}/{case.index}", exercise=exercise.id,
                check=check.index, case=case.index, kind=check.kind,
                function=check.function or exercise.function or "", specs=case.inputs,
                seed=case.seed, options=check.options, forbid=exercise.forbid))
    return planned
