"""One grading pipeline behind every front door: the CLI, batch, LMS runners and Dask workers.

`Grader.open()` pays the fixed costs once: torch, the fork server (a fresh interpreter that never
imports a solution, so it holds no secret), the pack, and the references. `grade_bytes` is thread-safe and
costs one forked child per submission.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader import i18n
from grader.i18n import N_, _
from grader.judge import diagnose
from grader.pack.config import Settings, find_config, load_settings
from grader.model import CellRun, Report, round_score
from grader.pack.kinds import KINDS
from grader.pack.load import Pack, load_pack
from grader.source.static import SourceIndex
from grader.source.submission import Submission, parse_submission, read_submission

if TYPE_CHECKING:
    from grader.observe.records import RunResult
    from grader.run.references import References

# What imports torch (judge, run, observe) is imported in the methods, never at the top: the
# fork server must start before this process pays its own `import torch`, so that the two
# imports run side by side instead of one after the other (a whole torch import of wall time).


class Grader:
    """A loaded pack, its references and a warm fork server."""

    def __init__(self, settings: Settings, *, jobs: int = 1, figure_images: bool = True,
                 one_submission: bool = False):
        from grader.run.forkserver import ForkServer

        self.settings = settings
        self.figure_images = figure_images
        self.one_submission = one_submission
        self.server = ForkServer(settings.limits, settings.protected_paths(), settings.isolation,
                                 full_warm_up=not one_submission)
        import torch  # noqa: F401 - imported here while the fork server imports its own

        from grader.run.references import References
        from grader.run.runner import Runner
        try:
            self.pack: Pack = load_pack(settings.root, settings.assignment, settings.solutions,
                                        select=list(settings.select) or None, weights=settings.points,
                                        language=settings.language)
        except BaseException:
            self.server.close()
            raise
        self.runner = Runner(self.server, settings.limits, slots=max(1, jobs))
        self.references: References = References(self.pack)

    @classmethod
    def open(cls, config: str | None = None, overrides: dict[str, Any] | None = None,
             *, jobs: int = 1, figure_images: bool = True, one_submission: bool = False) -> "Grader":
        """`figure_images=False` skips rendering the student's figures as PNG (a terminal
        report shows none), which saves a tenth of a second per submission.
        `one_submission=True` (the command line) shortens the way to one report: the fork server
        leaves to the child what only some children need (sympy, matplotlib's first draw), and
        the known wrong answers are computed while the child runs instead of after it."""
        return cls(load_settings(find_config(config), overrides), jobs=jobs,
                   figure_images=figure_images, one_submission=one_submission)

    @property
    def pack_hash(self) -> str:
        return self.pack.hash

    @property
    def exercise_ids(self) -> list[str]:
        return [e.id for e in self.pack.exercises]

    def warm(self) -> None:
        """Compute every reference now (a batch pays this once, not per submission)."""
        self.references.warm()

    def grade_file(self, path: str | Path, student: str = "", *, public_only: bool = False) -> Report:
        with i18n.using(self.settings.language):  # reading names cells and notes what it skipped
            return self.grade(read_submission(Path(path)), student, public_only=public_only)

    def grade_bytes(self, name: str, data: bytes, student: str = "", *, public_only: bool = False) -> Report:
        with i18n.using(self.settings.language):
            return self.grade(parse_submission(name, data), student, public_only=public_only)

    def grade(self, submission: Submission, student: str = "", *, public_only: bool = False) -> Report:
        """Its sentences in the course's language, whichever thread or worker grades it."""
        with i18n.using(self.settings.language):
            return self._graded(submission, student, public_only)

    def _graded(self, submission: Submission, student: str, public_only: bool) -> Report:
        from grader.judge.grade import grade_exercise
        from grader.judge.outcome import Evidence

        started = time.perf_counter()
        student = student or submission.student
        self.references.warm(student)  # the per-call limits are multiples of the solutions' times
        run = self._run(self._job(submission, student, public_only), student)
        evidence = Evidence(run=run, source=SourceIndex(submission.cells),
                            references=self.references, student=student)
        exercises = tuple(grade_exercise(e, evidence, submission.cells, public_only=public_only,
                                         detail=self.settings.detail)
                          for e in self.pack.exercises)
        cells = tuple(_cell_run(record, evidence.source.cell_name(index))
                      for index, record in sorted(run.cells.items()))
        notes = tuple(f"{c.title}: {c.note}" for c in submission.cells if c.note) + tuple(run.notes)
        notes += _cell_counting(submission, exercises, cells, notes)
        return Report(
            submission=submission.name, student=student,
            score=round_score(sum(e.score for e in exercises)), max_score=self.pack.max_score,
            exercises=exercises, cells=cells, output=run.output, isolation=run.isolation,
            pack_hash=self.pack.hash, submission_hash=submission.sha256,
            seconds=time.perf_counter() - started, notes=notes)

    def _run(self, job: dict[str, Any], student: str) -> RunResult:
        if not self.one_submission:
            return self.runner.run(job)
        with ThreadPoolExecutor(1, thread_name_prefix="grader-run") as pool:
            running = pool.submit(self.runner.run, job)
            self.references.warm_known_wrong(student)
            return running.result()

    def _job(self, submission: Submission, student: str, public_only: bool) -> dict[str, Any]:
        from grader.observe import devices
        from grader.pack.probes import probes_for

        limits = self.settings.limits
        probes = [p.to_job(e.seed_owner(student), limits.per_call(self.references.seconds(e, p)))
                  for e in self.pack.exercises for p in probes_for(e, public_only=public_only)]
        return {
            "cells": [{"index": c.index, "code": c.code, "first_line": c.first_line}
                      for c in submission.cells],
            "probes": probes,
            "stub_modules": list(self.settings.stub_modules),
            "cuda_on_cpu": devices.needed([c.code for c in submission.cells]),
            "render_png": self.figure_images and any(KINDS[c.kind].figures for e in self.pack.exercises
                                                     for c in e.checks),
            "limits": self.settings.limits.to_dict(),
        }

    def close(self) -> None:
        self.server.close()

    def __enter__(self) -> "Grader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


COUNTING_NOTE = N_("Code cells are counted from the top of the notebook, Markdown cells left out: "
                   "code cell 3 is the third code cell.")


def _cell_counting(submission: Submission, exercises: tuple, cells: tuple[CellRun, ...],
                   notes: tuple[str, ...]) -> tuple[str, ...]:
    """Said once, where a notebook's report names a cell: Jupyter itself shows no cell numbers."""
    texts = [*notes, *(d.message + d.details for e in exercises for d in e.diagnoses)]
    code_cell = _("code cell {number}", number="").strip()
    named = any(c.error_type for c in cells) or any(code_cell in t for t in texts)
    return (_(COUNTING_NOTE),) if submission.kind == "ipynb" and named else ()


def _cell_run(record: dict[str, Any], label: str) -> CellRun:
    error = record.get("error") or {}
    status = record.get("status", "error")
    if status == "died":
        return CellRun(index=record["index"], status="died", error_type=record.get("reason", ""),
                       message=record.get("detail", ""), label=label)
    code, hint = (diagnose.cell_mistake(error) or ("", "")) if status == "error" else ("", "")
    return CellRun(index=record["index"], status=status, error_type=str(error.get("type", "")),
                   message=str(error.get("message", ""))[:500], line=int(error.get("line") or 0),
                   source_line=str(error.get("source_line", ""))[:200], code=code, hint=hint,
                   label=label)
