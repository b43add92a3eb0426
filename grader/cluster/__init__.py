"""Batch grading on a Dask distributed cluster: `python -m grader batch SUBMISSIONS --cluster ADDR`.

Dask does the distributing; this package only carries the pack out and the reports back:

    client.py     on the grading machine: connect (or start `local:N`), ship the pack once, and
                  hand `grader.commands.batch` the cluster as a `concurrent.futures.Executor`
    worker.py     on the cluster: each nanny keeps the pack's files, each worker process keeps one
                  warm Grader on them, and a task turns one submission's bytes into a plain dict
    packfiles.py  the pack as {relative path: bytes}, and back into a folder only its owner reads

Importing this package needs no Dask, so the local pool never pays for it.
"""
from __future__ import annotations

import argparse
import importlib.util
from typing import TYPE_CHECKING, Any

from grader.errors import GraderError

if TYPE_CHECKING:
    from grader.cluster.client import ClusterGrader

# A worker's start-up: a new process, torch, its fork server, the pack's references. It bounds
# waiting for the rest of local:N once one has joined, waiting for a worker when none is left,
# and is part of every submission's bound. `batch --worker-start-seconds` sets another.
WORKER_START_SECONDS = 60.0
INSTALL_HINT = "pip install 'autograd-grader[dask]' (or: pip install 'dask[distributed]')"


class ClusterError(GraderError, RuntimeError):
    """The cluster cannot grade: Dask is missing, the scheduler is unreachable, no worker joined,
    or a worker has no Grader (a different pack hash, no nanny, another pack's solutions).
    `grader batch` prints it on one line."""


def dask_missing() -> str:
    """Why --cluster cannot work here, or "" when Dask distributed is installed."""
    if importlib.util.find_spec("distributed") is None:
        return f"--cluster needs Dask distributed, which is not installed: {INSTALL_HINT}"
    return ""


def cluster_spec(text: str) -> str:
    """argparse type for --cluster: `local:N` or a scheduler address such as tcp://host:8786."""
    if text.startswith("local:"):
        count = text.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise argparse.ArgumentTypeError(f"local:N needs a number of workers N >= 1 (got {text!r})")
        return text
    if "://" not in text:
        raise argparse.ArgumentTypeError(
            f"expected local:N or a scheduler address like tcp://10.0.0.5:8786 (got {text!r})")
    return text


def open_cluster(spec: str, config: str | None, overrides: dict[str, Any],
                 worker_start_seconds: float = WORKER_START_SECONDS) -> ClusterGrader:
    """Connect, ship the pack and warm every worker; see `grader.cluster.client.open_cluster`."""
    problem = dask_missing()
    if problem:
        raise ClusterError(problem)
    from grader.cluster.client import open_cluster as open_

    return open_(spec, config, overrides, worker_start_seconds)
