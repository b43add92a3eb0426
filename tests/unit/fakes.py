"""A submission graded in this process: real torch, real probes, no child and no fork server.

`probe.observe` is the code the child runs on the student's function and the parent runs on the
solution, so calling it here on plain Python functions gives the judges the observations a real
run would send (as plain data), and `graded` runs the parent's judging on them.
"""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any, Callable

from grader.observe import probe
from grader.judge.outcome import Evidence
from grader.judge.grade import grade_exercise
from grader.model import ExerciseResult
from grader.pack.load import Case, Check, Exercise
from grader.pack.probes import Probe, probes_for
from grader.observe.records import RunResult
from grader.source.static import SourceIndex
from grader.source.submission import Cell

X3 = {"x": {"shape": [3]}}


def pack_folder(tmp_path: Path, exercise_yaml: str) -> Path:
    """A pack of one exercise file, `ex`, whose solution `f` returns its input."""
    (tmp_path / "exercises").mkdir()
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises" / "assignment.yaml").write_text("name: t\nexercises:\n  - ex\n")
    (tmp_path / "exercises" / "ex.yaml").write_text(exercise_yaml)
    (tmp_path / "solutions" / "ex.py").write_text("def f(x):\n    return x\n")
    return tmp_path


def check(kind: str, points: float = 1.0, index: int = 0, **options: Any) -> Check:
    return Check(index=index, kind=kind, name=kind, points=points, function=None, options=options)


def exercise(*checks: Check, cases: tuple[Case, ...] = (), **fields: Any) -> Exercise:
    fields.setdefault("function", "f")
    return Exercise(id="ex", title="ex", prompt="", stub="", defines=(fields["function"],),
                    solution="ex", arg_names=("x",), cases=cases or (Case(0, X3, seed=7),),
                    checks=checks, file="exercises/ex.yaml", **fields)


class SolutionFunctions:
    """run.references.References without files: the solution module is a dict of functions."""

    def __init__(self, **functions: Callable):
        self.functions = functions

    def observe(self, exercise: Exercise, item: Probe, like: str = "", student: str = "") -> dict:
        return probe.observe(item.kind, self.functions[like or item.function], item.specs,
                             item.seed, item.options, student=exercise.seed_owner(student))


def cells(*sources: str) -> tuple[Cell, ...]:
    return tuple(Cell(i, textwrap.dedent(s), textwrap.dedent(s)) for i, s in enumerate(sources, 1))


def evidence(exercise: Exercise, student: Callable | None, solutions: SolutionFunctions,
             source: tuple[Cell, ...] = (), **run: Any) -> Evidence:
    """Observe `student` on every planned probe, as the child would, into a RunResult."""
    probes = {}
    if student is not None:
        probes = {item.key: probe.observe(item.kind, student, item.specs, item.seed, item.options,
                                          forbid=exercise.forbid)
                  for item in probes_for(exercise)}
    names = [{"name": exercise.function, "callable": True}] if student is not None else []
    result = RunResult(probes=run.pop("probes", probes), names=run.pop("names", names), **run)
    return Evidence(run=result, source=SourceIndex(source), references=solutions)


def graded(exercise: Exercise, student: Callable | None, solution: Callable,
           source: tuple[Cell, ...] = (), **wrong_answers: Callable) -> ExerciseResult:
    """Grade `student` against `solution`; `wrong_answers` are the solution module's `like`s."""
    solutions = SolutionFunctions(**{exercise.function: solution}, **wrong_answers)
    return grade_exercise(exercise, evidence(exercise, student, solutions, source), source)
