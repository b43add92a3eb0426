"""The worker side: one warm Grader per Dask worker process, and the task that grades with it.

The pack's files live with the nanny, not in the worker: a Grader forks its fork server before
it imports any solution, and every student child can read all of that server's memory, so the
solutions (and other students' submissions) must never have been in the worker process before
that fork. `PackOnNanny` therefore unpacks the files and restarts the worker; the fresh process
learns only the folder's path, and `GraderOnWorker` opens the Grader there as the local path
does: load the YAML, fork, then import the solutions and compute the references in this trusted
process. A nanny restarts a worker that dies, and the new process opens its Grader the same way.
"""
from __future__ import annotations

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
from grader.config import Settings
from grader.model import Report

# One Grader per pack this worker process grades for, opened by GraderOnWorker.setup.
_GRADERS: dict[str, Grader] = {}


def _pack_variable(pack_hash: str) -> str:
    return f"GRADER_PACK_{pack_hash}"


class PackOnNanny(NannyPlugin):
    """Keeps the pack's files in a private folder for the worker processes this nanny starts."""

    restart = True  # a fresh worker process: it has held no pack and no submission

    def __init__(self, files: dict[str, bytes], pack_hash: str) -> None:
        self.files = files
        self.pack_hash = pack_hash
        self.name = f"grader-pack-{pack_hash}"
        self.home: Path | None = None

    def setup(self, nanny: Nanny) -> None:
        self.home = unpack(self.files)
        nanny.env[_pack_variable(self.pack_hash)] = str(self.home)

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

    def setup(self, worker: Worker) -> None:
        home = os.environ.get(_pack_variable(self.pack_hash))
        if home is None:
            raise ClusterError(f"worker {worker.address} has no copy of pack {self.pack_hash}: "
                               "run workers under a nanny (the default; not --no-nanny)")
        grader = Grader(replace(self.settings, root=Path(home)), jobs=worker.state.nthreads)
        if grader.pack_hash != self.pack_hash:
            grader.close()
            raise ClusterError(f"worker {worker.address} computed pack hash {grader.pack_hash}, the "
                               f"client {self.pack_hash}: install the same grader version on both")
        grader.warm()
        _GRADERS[self.pack_hash] = grader

    def teardown(self, worker: Worker) -> None:
        grader = _GRADERS.pop(self.pack_hash, None)
        if grader is not None:
            grader.close()


@dataclass(frozen=True)
class RemoteGrade:
    """`grade_bytes` of the Grader for `pack_hash` on whichever worker runs the task."""

    pack_hash: str

    def __call__(self, name: str, data: bytes, student: str) -> Report:
        grader = _GRADERS.get(self.pack_hash)
        if grader is None:  # its setup failed here (the worker's log says why); retried elsewhere
            raise ClusterError(f"this worker has no Grader for pack {self.pack_hash}")
        return grader.grade_bytes(name, data, student)


def report_as_dict(grade: Callable[..., Report], *args: Any) -> dict[str, Any]:
    """Run `grade` and return its report's plain-JSON form: all a worker sends back."""
    return grade(*args).to_dict()
