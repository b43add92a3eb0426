"""The worker side: one warm Grader per Dask worker process, and the task that grades with it.

The pack's files live with the nanny, not in the worker: a Grader forks its fork server before
it imports any solution, and every student child can read all of that server's memory, so the
solutions (and other students' submissions) must never have been in the worker process before
that fork. `PackOnNanny` therefore unpacks the files and restarts the worker; the fresh process
learns only the folder's path, and `GraderOnWorker` opens the Grader there as the local path
does: load the YAML, fork, then import the solutions and compute the references in this trusted
process. For the same reason a process opens one Grader in its life; a worker that cannot says
why (`why_no_grader`), and a nanny restart gives it a clean process. A nanny also restarts a
worker that dies, and the new process opens its Grader the same way.
"""
from __future__ import annotations

import asyncio
import gc
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from distributed import Nanny, Worker
from distributed.diagnostics.plugin import NannyPlugin, WorkerPlugin

from grader.api import Grader
from grader.cluster import ClusterError
from grader.cluster.packfiles import unpack
from grader.pack.config import Settings
from grader.errors import SubmissionError
from grader.model import Report

# What `why_no_grader` says while a worker's Grader may still come: the client waits for it.
OPENING, NOT_YET = "opening its Grader", "its Grader is not set up yet"

# This process's Grader, by pack hash; why it has none for a pack; the packs it ever opened.
_GRADERS: dict[str, Grader] = {}
_WHY_NOT: dict[str, str] = {}
_OPENED: set[str] = set()


def _pack_variable(pack_hash: str) -> str:
    return f"GRADER_PACK_{pack_hash}"


class PackOnNanny(NannyPlugin):
    """Keeps the pack's files in a private folder for the worker processes this nanny starts."""

    restart = True  # fresh worker processes, which hold no pack and no submission yet

    def __init__(self, files: dict[str, bytes], pack_hash: str) -> None:
        self.files = files
        self.pack_hash = pack_hash
        self.name = f"grader-pack-{pack_hash}"
        self.home: Path | None = None

    def setup(self, nanny: Nanny) -> None:
        # A nanny replaces a plugin of the same name without tearing it down (a client that
        # died never unregistered it): its folder is found here, and removed.
        stale = nanny.env.get(_pack_variable(self.pack_hash))
        self.home = unpack(self.files)
        nanny.env[_pack_variable(self.pack_hash)] = str(self.home)
        if stale is not None:
            shutil.rmtree(stale, ignore_errors=True)

    def teardown(self, nanny: Nanny) -> None:
        nanny.env.pop(_pack_variable(self.pack_hash), None)
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)


class GraderOnWorker(WorkerPlugin):
    """Opens this worker's Grader on the nanny's copy of the pack and checks the pack hash."""

    def __init__(self, settings: Settings, pack_hash: str) -> None:
        self.settings = settings
        self.pack_hash = pack_hash
        self.name = f"grader-{pack_hash}"

    async def setup(self, worker: Worker) -> None:
        home = os.environ.get(_pack_variable(self.pack_hash))
        if home is None:  # until PackOnNanny restarts this worker, or for good without a nanny
            _WHY_NOT[self.pack_hash] = "no copy of the pack: run workers under a nanny (the default)"
        elif _OPENED:
            _WHY_NOT[self.pack_hash] = (f"this process has imported the solutions of pack "
                                        f"{min(_OPENED)}: one pack per worker process at a time")
        else:
            _OPENED.add(self.pack_hash)
            _WHY_NOT[self.pack_hash] = OPENING
            try:  # in a thread, so that the worker answers the scheduler (and the client) meanwhile
                grader = await asyncio.to_thread(self._open, Path(home), worker.state.nthreads)
            except Exception as err:  # the client shows it: see why_no_grader
                _WHY_NOT[self.pack_hash] = f"{type(err).__name__}: {err}"
            else:
                _GRADERS[self.pack_hash] = grader
                del _WHY_NOT[self.pack_hash]

    def _open(self, home: Path, threads: int) -> Grader:
        grader = _open_without_gc_callbacks(replace(self.settings, root=home), jobs=threads)
        if grader.pack_hash != self.pack_hash:
            grader.close()
            raise ClusterError(f"the worker computed pack hash {grader.pack_hash}, the client "
                               f"{self.pack_hash}: install the same grader version on both")
        grader.warm()
        return grader

    def teardown(self, worker: Worker) -> None:
        grader = _GRADERS.pop(self.pack_hash, None)
        if grader is not None:
            grader.close()


def _open_without_gc_callbacks(settings: Settings, *, jobs: int) -> Grader:
    """Open a Grader whose fork server inherits none of the worker's gc callbacks.

    Dask's GC diagnosis reads the worker's /proc entry on every full collection: in the server
    and every student child it would print errors into the student's output, and once the worker
    is gone it spins the server in an error loop that never notices its parent has died.
    """
    saved = gc.callbacks[:]
    gc.callbacks.clear()
    try:
        return Grader(settings, jobs=jobs)
    finally:
        gc.callbacks[:] = saved


def why_no_grader(pack_hash: str) -> str:
    """"" when this worker process can grade for `pack_hash`, else why not."""
    if pack_hash in _GRADERS:
        return ""
    return _WHY_NOT.get(pack_hash, NOT_YET)


@dataclass(frozen=True)
class RemoteGrade:
    """`grade_bytes` of the Grader for `pack_hash` on whichever worker runs the task."""

    pack_hash: str

    def __call__(self, name: str, data: bytes, student: str) -> Report:
        grader = _GRADERS.get(self.pack_hash)
        if grader is None:  # retried, on another worker when there is one
            raise ClusterError(f"no Grader on this worker: {why_no_grader(self.pack_hash)}")
        return grader.grade_bytes(name, data, student)


def graded_record(grade: Callable[..., Report], *args: Any) -> dict[str, Any]:
    """Run `grade` and return a tagged plain-JSON record: all that a worker sends back.

    An unreadable submission is the student's problem, not the cluster's, so it comes back as a
    record: Dask neither retries it nor logs it as a failed task.
    """
    try:
        return {"kind": "report", "report": grade(*args).to_dict()}
    except SubmissionError as err:
        return {"kind": "submission-error", "message": str(err)}
