"""The public half of a pack: what a student's notebook needs to check itself, and nothing more.

`python -m grader assign` computes it in the trusted process (the solutions are imported there)
and writes it beside the notebook as `<name>.public.json`: every exercise restricted to its public
cases, plus the reference observations, and the known-wrong `like` observations that diagnoses
compare against, for those cases only. Hidden cases, their inputs, their expected values and the
solutions' source never enter it, so handing the file to students gives nothing away.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.errors import PackError, PackProblem
from grader.pack.load import Case, Check, DiagnosisRule, ErrorRule, Exercise, Pack
from grader.pack.kinds import KINDS
from grader.pack.probes import Probe, probes_for
from grader.run.references import References

FORMAT = "grader-public/1"


@dataclass(frozen=True)
class PublicData:
    """An assignment's public cases and their reference observations, for one student."""

    assignment: str
    pack_hash: str
    student: str
    check_seconds: float
    exercises: tuple[Exercise, ...]
    hidden_cases: dict[str, int] = field(default_factory=dict)
    observations: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    @property
    def max_score(self) -> float:
        return round(sum(e.max_score for e in self.exercises), 6)

    def exercise(self, exercise_id: str) -> Exercise | None:
        return next((e for e in self.exercises if e.id == exercise_id), None)


def build(pack: Pack, references: References, student: str = "", *,
          check_seconds: float = 10.0) -> PublicData:
    """Compute the public observations from the solutions (trusted process only)."""
    exercises, hidden, observations = [], {}, {}
    for exercise in pack.exercises:
        public = public_exercise(exercise)
        exercises.append(public)
        hidden[exercise.id] = len(exercise.cases) - len(public.cases)
        for item in probes_for(public, public_only=True):
            if KINDS[item.kind].reference:
                observations[item.key] = _observations_for(exercise, item, references, student)
    return PublicData(assignment=pack.name, pack_hash=pack.hash, student=student,
                      check_seconds=check_seconds, exercises=tuple(exercises),
                      hidden_cases=hidden, observations=observations)


def public_exercise(exercise: Exercise) -> Exercise:
    """The exercise without its hidden cases; prompt and stub live in the notebook instead."""
    return replace(exercise, prompt="", stub="", cases=tuple(c for c in exercise.cases if not c.hidden))


def _observations_for(exercise: Exercise, item: Probe, references: References,
                      student: str) -> dict[str, dict[str, Any]]:
    """The reference (key "") and every known-wrong answer a diagnosis may compare with."""
    likes = [""] + [rule.like for rule in exercise.diagnoses if rule.like]
    return {like: references.observe(exercise, item, like=like, student=student) for like in likes}


class PublicReferences:
    """Serves precomputed observations to the judges, as run.references.References does on the server."""

    def __init__(self, data: PublicData):
        self.data = data

    def observe(self, exercise: Exercise, item: Probe, like: str = "", student: str = "") -> dict[str, Any]:
        try:
            return self.data.observations[item.key][like]
        except KeyError:
            raise PackError([PackProblem(exercise.file, 0, 0, "public data",
                                         f"no reference for {item.key}{' ' + like if like else ''}: "
                                         "the public file does not match this exercise; "
                                         "generate it again with `python -m grader assign`")]) from None


def to_json(data: PublicData) -> str:
    return json.dumps({
        "format": FORMAT, "assignment": data.assignment, "pack_hash": data.pack_hash,
        "student": data.student, "check_seconds": data.check_seconds,
        "exercises": [asdict(e) for e in data.exercises], "hidden_cases": data.hidden_cases,
        "observations": data.observations,
    }, ensure_ascii=False, separators=(",", ":"))


def load(path: Path) -> PublicData:
    """Read a public file; PackError says plainly when it is not one."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackError([PackProblem(str(path), 0, 0, "", f"cannot read the public data ({exc})")]) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise PackError([PackProblem(str(path), 0, 0, "format", f"not a {FORMAT} file")])
    try:
        return PublicData(
            assignment=raw["assignment"], pack_hash=raw["pack_hash"], student=raw["student"],
            check_seconds=float(raw["check_seconds"]),
            exercises=tuple(_exercise(e) for e in raw["exercises"]),
            hidden_cases=dict(raw["hidden_cases"]), observations=dict(raw["observations"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise PackError([PackProblem(str(path), 0, 0, "", f"a damaged {FORMAT} file ({exc!r})")]) from None


def _exercise(data: dict[str, Any]) -> Exercise:
    tuples = {name: tuple(data[name]) for name in ("defines", "arg_names", "forbid")}
    return Exercise(**{
        **data, **tuples,
        "cases": tuple(Case(**c) for c in data["cases"]),
        "checks": tuple(Check(**c) for c in data["checks"]),
        "diagnoses": tuple(DiagnosisRule(**d) for d in data["diagnoses"]),
        "errors": tuple(ErrorRule(**e) for e in data["errors"]),
    })
