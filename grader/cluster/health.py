"""What the batch watches on a cluster while it waits: workers leaving and joining, and the end.

A worker that dies is restarted by its nanny (under a new address); one that cannot be is
reported, and the batch goes on with the others. With no worker for longer than a worker's
start-up, or no scheduler for `SCHEDULER_GONE_SECONDS`, nothing is left to grade on: the batch
stops (grader.run.watchdog.ClusterLost) and keeps what it graded.
"""
from __future__ import annotations

import time
from typing import Callable

from distributed import Client

from grader.run.watchdog import ClusterLost

CHECK_EVERY_SECONDS = 2.0
SCHEDULER_GONE_SECONDS = 10.0


class ClusterHealth:
    """The `health` of a `grader.run.watchdog.Patience`: lines for the operator, or ClusterLost."""

    def __init__(self, client: Client, startup_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.startup_seconds = startup_seconds
        self.clock = clock
        self.address = client.scheduler.address
        self.workers = set(client.nthreads())
        self.checked = self.clock()
        self.unreachable_since: float | None = None
        self.empty_since: float | None = None

    def __call__(self) -> list[str]:
        now = self.clock()
        if now - self.checked < CHECK_EVERY_SECONDS:
            return []
        self.checked = now
        workers = self._workers()
        if workers is None:
            self.unreachable_since = self.unreachable_since or now
            if now - self.unreachable_since > SCHEDULER_GONE_SECONDS:
                raise ClusterLost(f"the Dask scheduler at {self.address} is gone")
            return []
        self.unreachable_since = None
        lines = [f"a Dask worker left: {w} ({len(workers)} now)" for w in sorted(self.workers - workers)]
        lines += [f"a Dask worker joined: {w} ({len(workers)} now)" for w in sorted(workers - self.workers)]
        self.workers = workers
        self.empty_since = None if workers else (self.empty_since or now)
        if self.empty_since is not None and now - self.empty_since > self.startup_seconds:
            raise ClusterLost(f"no Dask worker left at {self.address} for {self.startup_seconds:g} s")
        return lines

    def _workers(self) -> set[str] | None:
        if self.client.status != "running":
            return None
        try:
            return set(self.client.nthreads())
        except Exception:  # the scheduler went away during the call
            return None
