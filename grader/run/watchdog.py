"""Bounded waiting for a batch: no submission, and no batch, waits without end.

A submission cannot take longer than its `submission_seconds` (the runner enforces it in the
child), plus its worker's start-up when a worker has to be replaced first. At most 2 x jobs
submissions are in flight, so one waits behind at most one other on its slot: past twice that,
plus the start-up and some slack for the grader's own work, it is overdue. An overdue submission
is cancelled and sent again; after `retries` it is reported as not graded, which the gradebook
does not keep, so the next run grades it again. A cluster adds a health check, which says when
workers leave or come back and stops the batch when the scheduler or the last worker is gone.
"""
from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Collection

from grader.errors import GraderError
from grader.pack.limits import Limits

SLACK_SECONDS = 30.0
TICK_SECONDS = 1.0
RETRIES = 2


class ClusterLost(GraderError, RuntimeError):
    """Nothing is left to grade on (the scheduler or every worker is gone): the batch stops,
    keeping what it graded."""


@dataclass(frozen=True)
class Patience:
    """How long a batch waits for one submission, how often it tries, and what it watches."""

    seconds: float
    retries: int = RETRIES
    # Returns lines for the operator (a worker left, one came back); raises ClusterLost.
    health: Callable[[], list[str]] = field(default=lambda: [])

    @classmethod
    def for_limits(cls, limits: Limits, startup_seconds: float = 0.0, *, retries: int = RETRIES,
                   health: Callable[[], list[str]] | None = None) -> "Patience":
        seconds = 2 * (limits.submission_seconds + limits.cell_seconds) + startup_seconds + SLACK_SECONDS
        return cls(seconds, retries, health or (lambda: []))


class Watchdog:
    """Tracks when each in-flight future was sent and how often each submission was tried."""

    def __init__(self, patience: Patience, clock: Callable[[], float] = time.monotonic) -> None:
        self.patience = patience
        self._clock = clock
        self._sent: dict[Future[Any], tuple[float, str]] = {}
        self._tries: dict[str, int] = {}  # only of the submissions in flight: a class is not kept

    def sent(self, future: Future[Any], key: str) -> None:
        self._sent[future] = self._clock(), key
        self._tries[key] = self._tries.get(key, 0) + 1

    def wait(self, running: Collection[Future[Any]]) -> tuple[set[Future[Any]], list[str]]:
        """The futures done within one tick, and what the health check has to say."""
        done, _ = wait(running, timeout=TICK_SECONDS, return_when=FIRST_COMPLETED)
        for future in done:
            _, key = self._sent.pop(future, (0.0, ""))
            self._tries.pop(key, None)
        return done, self.patience.health()

    def overdue(self, running: Collection[Future[Any]]) -> list[Future[Any]]:
        now = self._clock()
        late = [f for f in running
                if not f.done() and now - self._sent.get(f, (now, ""))[0] > self.patience.seconds]
        for future in late:
            self._sent.pop(future, None)
        return late

    def give_up(self, key: str) -> str:
        """Why `key` is not tried again, or "" when it has tries left."""
        tries = self._tries.get(key, 0)
        if tries <= self.patience.retries:
            return ""
        return (f"no answer within {self.patience.seconds:g} s, {tries} times; "
                "not graded, the next run grades it again")
