"""Threads that take uploads from the queue table and grade them on the one warm Grader.

The child processes do the work, so a thread per --jobs slot only waits on them (as in batch).
With --cluster the same `grade_bytes` sends the bytes to a Dask worker instead.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import Any, Callable

from grader.errors import SubmissionError
from grader.serve.store import Job, Store

log = logging.getLogger("grader.serve")
IDLE_SECONDS = 1.0


class GradingQueue:
    def __init__(self, store: Store, grader: Any, workers: int,
                 on_graded: Callable[[], None] = lambda: None) -> None:
        self.store = store
        self.grader = grader
        self.on_graded = on_graded
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._loop, name=f"grade-{i}", daemon=True)
                         for i in range(max(1, workers))]

    def start(self) -> None:
        requeued = self.store.requeue_interrupted()
        if requeued:
            log.warning("%d submissions were being graded when the server stopped: queued again",
                        requeued)
        for thread in self._threads:
            thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Finish the submissions being graded; the queued ones wait in the table for the next start."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            claimed = self.store.claim()
            if claimed is None:
                self._wake.wait(IDLE_SECONDS)
                self._wake.clear()
                continue
            self._grade(*claimed)

    def _grade(self, job: Job, data: bytes) -> None:
        try:
            report = self._run(job, data)
        except SubmissionError as err:
            self.store.fail(job.id, f"Your file could not be read: {err}")
            return
        except Exception:  # the grader's own failure: the student is told, the staff get the trace
            log.exception("grading job %d (%s) failed", job.id, job.student)
            self.store.fail(job.id, "The grader failed on this submission; your instructor can "
                                    "see why and grade it again.")
            return
        self.store.record_grade(job, replace(report, student=job.student,
                                             submission_hash=job.sha256,
                                             pack_hash=self.grader.pack_hash))
        self.on_graded()

    def _run(self, job: Job, data: bytes) -> Any:
        """On the local Grader, or (--cluster) as a task on a Dask worker's Grader."""
        executor = getattr(self.grader, "executor", None)
        if executor is None:
            return self.grader.grade_bytes(job.filename, data, job.student)
        return executor.submit(self.grader.grade_bytes, job.filename, data, job.student).result()
