"""The plain data that flows through the pipeline: pack → plan → run → compare → report.

Every stage takes and returns these frozen dataclasses; nothing here imports torch, so the
loading stage, exporters and the gradebook stay cheap to import.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUSES = ("passed", "partial", "failed", "error", "missing")
# Every diagnosis code. Stable: LMS exports, statistics and packs' `diagnoses:`/`errors:` key on
# them. Each has its sentence in judge/diagnose.py MESSAGES (a unit test keeps the two equal).
DIAGNOSIS_CODES = (
    "not-defined", "not-attempted", "cell-error", "syntax-error", "typographic-characters",
    "int-dtype", "non-scalar-backward", "retain-graph", "create-graph", "no-grad-tracking",
    "grad-accumulation", "grad-aliasing", "ignored-gradient-arg", "transposed", "no-detach",
    "missing-no-grad", "first-derivative", "hessian-diagonal", "dot-2d", "shape-mismatch",
    "dtype-mismatch", "forbidden-call", "autograd-not-used", "not-a-leaf", "no-error-raised",
    "wrong-error", "no-control-flow", "gradcheck-failed", "no-figure", "curve-mismatch",
    "function-raised", "timeout", "memory-limit", "crashed", "mismatch",
)
SCORE_DECIMALS = 2


def round_score(value: float) -> float:
    """Every score the grader reports (check, exercise, total) has this one precision, so the
    JSON report, grades.csv, the text report and every LMS export show the same number."""
    return round(float(value), SCORE_DECIMALS) + 0.0


@dataclass(frozen=True)
class GraphPair:
    """The autograd graphs behind one failing case, the student's and the reference's, in the
    plain form observe/autograd_graph.py sends (None where none came back); the feedback draws
    them side by side (render/graph_svg.py)."""

    student: dict[str, Any] | None
    reference: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {"student": self.student, "reference": self.reference}


@dataclass(frozen=True)
class Diagnosis:
    """What went wrong in one case of one check: a stable code for programs, a message for people.
    `graphs` is set on the first failing public case of a check whose call left a graph."""

    code: str
    message: str
    case: str = ""
    check: str = ""
    details: str = ""
    hidden: bool = False
    graphs: GraphPair | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "code": self.code,
            "message": self.message,
            "case": self.case,
            "check": self.check,
            "details": self.details,
            "hidden": self.hidden,
        }
        if self.graphs is not None:
            data["graphs"] = self.graphs.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Diagnosis:
        graphs = data.get("graphs")
        return cls(**{**data, "graphs": GraphPair(graphs.get("student"), graphs.get("reference"))
                      if isinstance(graphs, dict) else None})


@dataclass(frozen=True)
class CheckResult:
    """One check of an exercise, scored over its cases."""

    name: str
    kind: str
    score: float
    max_score: float
    cases_passed: int
    cases_total: int
    diagnoses: tuple[Diagnosis, ...] = ()

    @property
    def passed(self) -> bool:
        return self.cases_passed == self.cases_total

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "score": self.score,
            "max_score": self.max_score,
            "passed": self.passed,
            "cases_passed": self.cases_passed,
            "cases_total": self.cases_total,
        }


@dataclass(frozen=True)
class Attachment:
    """A file shown beside an exercise's feedback, such as the figure a student drew."""

    kind: str
    media_type: str
    data_base64: str
    caption: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "media_type": self.media_type,
                "data_base64": self.data_base64, "caption": self.caption}


@dataclass(frozen=True)
class ExerciseResult:
    """The grade of one exercise: its checks, their diagnoses, and the status the spec names.

    `source` is the student's function as written and `behaviour` one token per case (what the
    call did: "ok", or the diagnosis code and a digest of the wrong value), kept for the class
    insight pages (grader/insight/), which compare students without re-reading submissions.
    """

    id: str
    title: str
    score: float
    max_score: float
    status: str
    checks: tuple[CheckResult, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    source: str = ""
    behaviour: tuple[str, ...] = ()

    @property
    def diagnoses(self) -> tuple[Diagnosis, ...]:
        return tuple(d for c in self.checks for d in c.diagnoses)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "diagnoses": [d.to_dict() for d in self.diagnoses],
            "checks": [c.to_dict() for c in self.checks],
            "attachments": [a.to_dict() for a in self.attachments],
            "source": self.source,
            "behaviour": list(self.behaviour),
        }


@dataclass(frozen=True)
class CellRun:
    """How one code cell of the submission ran in the child."""

    index: int
    status: str
    error_type: str = ""
    message: str = ""
    line: int = 0
    source_line: str = ""
    code: str = ""
    hint: str = ""
    label: str = ""

    @property
    def name(self) -> str:
        """As the student finds the cell: `code cell 4 (`def f(x):`)`."""
        return self.label or f"cell {self.index}"

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "status": self.status, "error_type": self.error_type,
                "message": self.message, "line": self.line, "source_line": self.source_line,
                "code": self.code, "hint": self.hint, "label": self.label}


@dataclass(frozen=True)
class Report:
    """The whole grade of one submission, in the assignment's order of exercises."""

    submission: str
    score: float
    max_score: float
    exercises: tuple[ExerciseResult, ...]
    cells: tuple[CellRun, ...] = ()
    output: str = ""
    isolation: dict[str, Any] = field(default_factory=dict)
    pack_hash: str = ""
    submission_hash: str = ""
    student: str = ""
    seconds: float = 0.0
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "submission": self.submission,
            "student": self.student,
            "score": self.score,
            "max_score": self.max_score,
            "exercises": [e.to_dict() for e in self.exercises],
            "cells": [c.to_dict() for c in self.cells],
            "output": self.output,
            "notes": list(self.notes),
            "isolation": self.isolation,
            "pack_hash": self.pack_hash,
            "submission_hash": self.submission_hash,
            "seconds": round(self.seconds, 3),
        }


def report_from_dict(data: dict[str, Any]) -> Report:
    """Rebuild a Report from its JSON form (the gradebook and exporters store that form)."""
    exercises = tuple(
        ExerciseResult(
            id=e["id"], title=e.get("title", e["id"]), score=e["score"],
            max_score=e["max_score"], status=e["status"],
            checks=_checks_from_dict(e),
            attachments=tuple(Attachment(**a) for a in e.get("attachments", [])),
            source=str(e.get("source", "")), behaviour=tuple(e.get("behaviour", [])),
        )
        for e in data["exercises"]
    )
    return Report(
        submission=data["submission"], score=data["score"], max_score=data["max_score"],
        exercises=exercises, cells=tuple(CellRun(**c) for c in data.get("cells", [])),
        output=data.get("output", ""), isolation=data.get("isolation", {}),
        pack_hash=data.get("pack_hash", ""), submission_hash=data.get("submission_hash", ""),
        student=data.get("student", ""), seconds=data.get("seconds", 0.0),
        notes=tuple(data.get("notes", [])),
    )


def _checks_from_dict(exercise: dict[str, Any]) -> tuple[CheckResult, ...]:
    diagnoses_by_check: dict[str, list[Diagnosis]] = {}
    for d in exercise.get("diagnoses", []):
        diagnoses_by_check.setdefault(d.get("check", ""), []).append(Diagnosis.from_dict(d))
    checks = [
        CheckResult(name=c["name"], kind=c["kind"], score=c["score"], max_score=c["max_score"],
                    cases_passed=c["cases_passed"], cases_total=c["cases_total"],
                    diagnoses=tuple(diagnoses_by_check.pop(c["name"], [])))
        for c in exercise.get("checks", [])
    ]
    leftover = tuple(d for ds in diagnoses_by_check.values() for d in ds)
    if leftover:
        checks.append(CheckResult(name="", kind="", score=0.0, max_score=0.0,
                                  cases_passed=0, cases_total=0, diagnoses=leftover))
    return tuple(checks)
