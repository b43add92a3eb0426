"""The references: the solutions' observations of every probe, computed in the parent.

The plan (pack/probes.py: specs, seeds, function names) is what the child receives; the
references and the known-wrong answers stay here. Solutions are imported only in this trusted
process, after the fork server has been started, so no child can ever read them from memory.
"""
from __future__ import annotations

import importlib.util
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.observe import lazy_sympy, probe
from grader.errors import PackError, PackProblem
from grader.pack.kinds import KINDS
from grader.pack.load import Exercise, Pack
from grader.pack.probes import Probe, probes_for

# Students whose own references (a per-student exercise's) are kept: those being graded now,
# and a few more. A batch of thousands must not keep every student's; evicted ones are computed
# again, identically (they are seeded), if asked for again.
STUDENTS_KEPT = 64


class References:
    """Reference observations, computed on demand from the solutions; those of a per-student
    exercise are kept for the STUDENTS_KEPT students asked for last."""

    def __init__(self, pack: Pack):
        lazy_sympy.install()
        self.pack = pack
        self._modules: dict[str, ModuleType] = {}
        self._by_student: OrderedDict[str, dict[tuple[str, str], dict[str, Any]]] = OrderedDict()
        self._seconds: dict[str, float] = {}
        self._lock = threading.RLock()

    def module(self, exercise: Exercise) -> ModuleType:
        with self._lock:
            if exercise.solution not in self._modules:
                self._modules[exercise.solution] = _import_solution(
                    self.pack.solutions_dir / f"{exercise.solution}.py", exercise)
            return self._modules[exercise.solution]

    def observe(self, exercise: Exercise, item: Probe, like: str = "", student: str = "") -> dict[str, Any]:
        """The solution's (or a known-wrong answer's) observation for the same probe."""
        student = exercise.seed_owner(student)
        key = (item.key, like)
        with self._lock:
            cache = self._kept(student)
            if key not in cache:
                function = getattr(self.module(exercise), like or item.function, None)
                if function is None:
                    raise PackError([PackProblem(exercise.file, 0, 0, "diagnoses" if like else "solution",
                                                 f"solutions/{exercise.solution}.py defines no "
                                                 f"{like or item.function!r}")])
                cache[key] = probe.observe(item.kind, function, item.specs, item.seed,
                                           item.options, student=student)
            return cache[key]

    def _kept(self, student: str) -> dict[tuple[str, str], dict[str, Any]]:
        """The cache of `student` ("": everyone's), now the most recently used."""
        cache = self._by_student.pop(student, None) or {}
        self._by_student[student] = cache
        for old in list(self._by_student)[:-STUDENTS_KEPT]:
            if old:  # the shared references stay
                del self._by_student[old]
        return cache

    def seconds(self, exercise: Exercise, item: Probe) -> float:
        """The solution's CPU time on this probe (its thread's: a busy machine or other grading
        threads do not inflate it), from a second run (the first one pays torch's first-use
        costs, and is the reference observation of the inputs every student shares); the
        student's per-call limit is a multiple of it."""
        with self._lock:
            if item.key not in self._seconds:
                function = getattr(self.module(exercise), item.function, None)
                self._seconds[item.key] = self._second_run(exercise, item, function) if function else 0.0
            return self._seconds[item.key]

    def _second_run(self, exercise: Exercise, item: Probe, function: Any) -> float:
        if KINDS[item.kind].reference:
            self.observe(exercise, item)
        else:
            probe.observe(item.kind, function, item.specs, item.seed, item.options)
        started = time.thread_time()
        probe.observe(item.kind, function, item.specs, item.seed, item.options)
        return time.thread_time() - started

    def warm(self, student: str = "") -> None:
        """Compute every reference and time every probe now; PackError names each that fails."""
        problems = []
        for exercise in self.pack.exercises:
            for item in probes_for(exercise):
                self.seconds(exercise, item)
                if not KINDS[item.kind].reference:
                    continue
                observed = self.observe(exercise, item, student=student)
                if observed.get("outcome") != "returned":
                    error = observed.get("error", {})
                    problems.append(PackProblem(
                        exercise.file, 0, 0, f"checks[{item.check}]",
                        f"the reference solution failed on case {item.case}: "
                        f"{error.get('type', '')}: {error.get('message', '')}"))
        if problems:
            raise PackError(problems)

    def warm_known_wrong(self, student: str = "") -> None:
        """Every known wrong answer's observation of every compared probe, before the judge
        asks for one: one submission's grader does it while the child runs on the other core."""
        for exercise in self.pack.exercises:
            likes = [r.like for r in exercise.diagnoses if r.like]
            likes = [like for like in likes if hasattr(self.module(exercise), like)]
            for item in probes_for(exercise) if likes else ():
                for like in likes if KINDS[item.kind].judge == "compared" else ():
                    self.observe(exercise, item, like, student)


def _import_solution(path: Path, exercise: Exercise) -> ModuleType:
    name = f"grader_solution_{exercise.solution}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None or not path.exists():
        raise PackError([PackProblem(exercise.file, 0, 0, "solution", f"no solution file {path}")])
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise PackError([PackProblem(str(path), getattr(exc, "lineno", 0) or 0, 0, "",
                                     f"the solution does not import: {type(exc).__name__}: {exc}")]) from None
    sys.modules[name] = module
    return module
