"""The parent's side of a run: start a child, read its records under deadlines, recover.

A child that hangs, crashes or exits in the middle costs only the cell or probe it was in: that
one is recorded as timed out or crashed, and a fresh child runs the rest (the cells again, then
the probes still owed). Everything read from the child is capped here and decoded, once, by
records.py.
"""
from __future__ import annotations

import json
import os
import selectors
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from grader.i18n import _
from grader.observe import devices, records
from grader.observe.records import RunResult
from grader.observe.budget import CallBudget, ProbeClock
from grader.observe.own_time import OwnClock
from grader.run.forkserver import ForkServer
from grader.pack.limits import Limits

GRACE_SECONDS = 2.0
MAX_RESTARTS = 6
MAX_SERVER_LOSSES = 2
MAX_RESULT_BYTES = 64_000_000


class OutputBuffer:
    """Keep the head and the tail of what the student printed, whatever its size."""

    def __init__(self, limit: int):
        self.limit = limit
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def add(self, data: bytes) -> None:
        room = self.limit // 2 - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        self.tail += data
        excess = len(self.tail) - self.limit // 2
        if excess > 0:
            self.dropped += excess
            del self.tail[:excess]

    def text(self) -> str:
        middle = f"\n… {self.dropped} bytes of output omitted …\n" if self.dropped else ""
        return (bytes(self.head).decode("utf-8", "replace") + middle
                + bytes(self.tail).decode("utf-8", "replace"))


class Runner:
    """Runs jobs on a fork server; one Runner serves many threads (slots are handed out here)."""

    def __init__(self, server: ForkServer, limits: Limits, slots: int = 1):
        self.server = server
        self.limits = limits
        self._slots: list[int] = list(range(slots))
        self._slot_lock = threading.Condition()

    def run(self, job: dict[str, Any]) -> RunResult:
        """Run all of a job's cells and probes, restarting after a crash or a hang.

        A fork server that dies under a job is the grader's loss, not the student's: the job
        runs again from the start on its replacement, so the grade is the one a clean run gives.
        """
        for _ in range(MAX_SERVER_LOSSES):
            try:
                return self._run_once(job)
            except _ServerLost:
                continue
        return self._run_once(job)

    def _run_once(self, job: dict[str, Any]) -> RunResult:
        """The submission's time limit counts only while one of its children runs: never the
        start of a fork server (spawn may start a replacement and wait seconds for it)."""
        result = RunResult()
        output = OutputBuffer(self.limits.output_kb * 1024)
        pending = list(job["probes"])
        skip_cells: list[int] = []
        left = self.limits.submission_seconds
        budget = CallBudget(self.limits.hung_seconds)
        for _attempt in range(MAX_RESTARTS + 1):
            attempt_job = {**job, "probes": pending, "skip_cells": skip_cells, "hung": budget.to_dict()}
            outcome = self._attempt(attempt_job, result, output, left, budget)
            left -= outcome.seconds
            pending = [p for p in pending if p["key"] not in result.probes]
            if outcome.finished:
                break
            if not outcome.culprit:
                for item in pending:
                    result.probes[item["key"]] = {"outcome": "died", **outcome.death}
                break
            kind, key = outcome.culprit
            if kind == "cell":
                skip_cells.append(key)
                result.cells[key] = {"type": "cell", "index": key, "status": "died", **outcome.death}
            else:
                result.probes[key] = {"outcome": "died", **outcome.death}
                pending = [p for p in pending if p["key"] != key]
            if left <= 0:
                break
        for item in pending:
            result.probes.setdefault(item["key"], {"outcome": "died", "reason": "timeout",
                                                   "detail": _("the submission's total time limit ran out")})
        result.output = output.text()
        return result

    def _acquire_slot(self) -> int:
        with self._slot_lock:
            while not self._slots:
                self._slot_lock.wait()
            return self._slots.pop(0)

    def _release_slot(self, slot: int) -> None:
        with self._slot_lock:
            self._slots.append(slot)
            self._slots.sort()
            self._slot_lock.notify()

    def _attempt(self, job: dict[str, Any], result: RunResult, output: OutputBuffer,
                 seconds_left: float, budget: CallBudget) -> "_Outcome":
        slot = self._acquire_slot()
        job_r, job_w = os.pipe()
        result_r, result_w = os.pipe()
        output_r, output_w = os.pipe()
        wake_r, wake_w = os.pipe()
        exit_code: list[int] = []
        exited = threading.Event()

        def on_exit(code: int) -> None:
            exit_code.append(code)
            exited.set()
            try:
                os.write(wake_w, b"x")
            except OSError:
                pass

        payload = json.dumps(job).encode()
        generation = self.server.generation
        writer = threading.Thread(target=_write_all, args=(job_w, payload), daemon=True)
        writer.start()
        try:
            pid = self.server.spawn(slot, job_r, result_w, output_w, on_exit)
        finally:
            for fd in (job_r, result_w, output_w):
                os.close(fd)
        clock = OwnClock(pid)
        try:
            running = time.monotonic()
            reader = _Reader(result, output, self.limits, running + seconds_left,
                             ProbeClock(job["probes"], budget, clock.now), clock)
            outcome = reader.follow(pid, result_r, output_r, wake_r, exit_code)
            if not outcome.finished and self.server.lost_since(generation):  # the child died with it
                raise _ServerLost
            outcome.seconds = time.monotonic() - running
            return outcome
        finally:
            ForkServer.kill(pid)
            clock.close()
            writer.join(timeout=1)
            # The slot's uid is swept when the server reaps this child: reuse it only after that.
            exited.wait(timeout=10)
            for fd in (result_r, output_r, wake_r, wake_w):
                os.close(fd)
            self._release_slot(slot)


def _write_all(fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        pass
    finally:
        os.close(fd)


class _ServerLost(Exception):
    """The fork server died while a child of this job ran."""


@dataclass
class _Outcome:
    finished: bool
    culprit: tuple[str, Any] | None = None
    death: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0  # how long the child ran: what the attempt cost the submission's limit


class _Reader:
    """Follows one child's records, with a deadline for the cell or probe it is in.

    A step's deadline is first set on the wall clock; when it passes, the child's own time
    decides (observe/own_time.py): a child that only waited for a CPU gets the rest of its
    limit, as the child's own timer gives it. The submission's limit is on the wall clock."""

    def __init__(self, result: RunResult, output: OutputBuffer, limits: Limits, deadline: float,
                 calls: ProbeClock, clock: OwnClock):
        self.result = result
        self.expected = set(calls.probes)
        self.output = output
        self.limits = limits
        self.deadline = deadline
        self.calls = calls
        self.current: tuple[str, Any] | None = None
        self.queue: list[str] = []
        self.step_limit = limits.cell_seconds
        self.step_deadline = deadline
        self.clock = clock
        self.step_started = 0.0
        self.buffer = b""
        self.received = 0
        self.done = False

    def follow(self, pid, result_r, output_r, wake_r, exit_code) -> _Outcome:
        selector = selectors.DefaultSelector()
        for fd in (result_r, output_r, wake_r):
            selector.register(fd, selectors.EVENT_READ)
        while True:
            timeout = min(self.step_deadline, self.deadline) - time.monotonic()
            if timeout <= 0:
                if not self._out_of_time():
                    continue
                ForkServer.kill(pid)
                return self._death("timeout")
            for key, _ in selector.select(timeout):
                fd = key.fd
                if fd == wake_r:
                    self._drain(result_r, output_r)
                    if self._finished():
                        return _Outcome(True)
                    return self._death_by_exit(exit_code[0] if exit_code else -signal.SIGKILL)
                data = os.read(fd, 1 << 16)
                if not data:
                    selector.unregister(fd)
                    continue
                if fd == output_r:
                    self.output.add(data)
                elif self._feed(data):
                    self._drain(result_r, output_r)
                    return _Outcome(True)

    def _drain(self, result_r: int, output_r: int) -> None:
        """After the child exited, take what is still in the pipes without blocking on them."""
        for fd, sink in ((result_r, self._feed), (output_r, self.output.add)):
            os.set_blocking(fd, False)
            while True:
                try:
                    data = os.read(fd, 1 << 16)
                except BlockingIOError:
                    break
                if not data:
                    break
                sink(data)

    def _feed(self, data: bytes) -> bool:
        """Decode complete lines (records.py, once, here); True once the child says it is done."""
        self.received += len(data)
        if self.received > MAX_RESULT_BYTES:
            return False
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        done = False
        for line in lines:
            done = self._accept(records.decode_line(line)) or done
        return done

    def _accept(self, record: records.Record) -> bool:
        now = time.monotonic()
        if isinstance(record, records.CellStarted):
            self.current = ("cell", record.index)
            self._start_step(now, self.limits.cell_seconds)
        elif isinstance(record, records.CellFinished):
            self.result.cells.setdefault(record.index, record.record)
            self.current = None
        elif isinstance(record, records.ProbesStarted):
            self.queue = [key for key in record.keys if key not in self.result.probes]
            self._next_probe(now)
        elif isinstance(record, records.ProbeFinished):
            self.result.probes.setdefault(record.key, record.observation)
            self.calls.finish(record.key, record.observation)
            self.current = None
            self._next_probe(now)
        elif isinstance(record, records.Figures):
            self.result.figures = record.figures
        elif isinstance(record, records.Names):
            self.result.names = record.names
        elif isinstance(record, records.Isolation):
            self.result.isolation = record.isolation
        elif isinstance(record, records.Devices) and record.cuda_on_cpu:
            if _(devices.NOTE) not in self.result.notes:
                self.result.notes.append(_(devices.NOTE))
        elif isinstance(record, records.Malformed):
            self._malformed(record)
            if self.current is None:
                self._next_probe(now)
        elif isinstance(record, records.Done) and self.expected <= self.result.probes.keys():
            self.done = True
            return True
        if self.current is None:
            self.step_deadline = self.deadline
        return False

    def _next_probe(self, now: float) -> None:
        """The first announced probe without a result is the one running now, on its own limit
        from now on: the child starts it as soon as it has sent the one before."""
        while self.queue and self.queue[0] in self.result.probes:
            self.queue.pop(0)
        if self.queue:
            self.current = ("probe", self.queue[0])
            self._start_step(now, self.calls.start(self.queue[0], self.limits.check_seconds))

    def _start_step(self, now: float, limit: float) -> None:
        self.step_limit = limit
        self.step_started = self.clock.now()
        self.step_deadline = now + limit + GRACE_SECONDS

    def _out_of_time(self) -> bool:
        """At a wall-clock deadline: the submission's is final; a step's moves on by the own
        time the child has not used yet."""
        now = time.monotonic()
        if now >= self.deadline or self.current is None:
            return True
        unused = self.step_limit + GRACE_SECONDS - (self.clock.now() - self.step_started)
        if unused <= 0:
            return True
        self.step_deadline = now + unused
        return False

    def _malformed(self, record: records.Malformed) -> None:
        """The probe (or cell) the record was about, else the one running, fails as crashed;
        the first record about a probe or cell is the one that counts."""
        death = {"reason": "crashed", "detail": record.describe()}
        kind, key = ("probe", record.key) if record.key is not None else (
            ("cell", record.index) if record.index is not None else self.current or (None, None))
        if kind == "probe":
            self.result.probes.setdefault(key, {"outcome": "died", **death})
        elif kind == "cell":
            self.result.cells.setdefault(key, {"type": "cell", "index": key, "status": "died", **death})
        elif len(self.result.notes) < 20:
            self.result.notes.append(record.describe())
        if self.current == (kind, key):
            self.current = None

    def _finished(self) -> bool:
        return self.done

    def _death(self, reason: str) -> _Outcome:
        if self.current and self.current[0] == "probe":
            self.calls.finish(self.current[1], {}, killed=True)
        detail = _("ran past its time limit of {seconds} s", seconds=format(self.step_limit, "g"))
        if time.monotonic() >= self.deadline:
            detail = _("the submission ran past its total time limit of {seconds} s",
                       seconds=format(self.limits.submission_seconds, "g"))
        return _Outcome(False, self.current, {"reason": reason, "detail": detail})

    def _death_by_exit(self, code: int) -> _Outcome:
        if code >= 0:
            reason, detail = "crashed", _("the process exited with status {code} (sys.exit, os._exit or a fatal "
                                          "error)", code=code)
        elif -code == signal.SIGXCPU:
            reason, detail = "timeout", _("the process used up its CPU-time limit")
        else:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            reason, detail = "crashed", _("the process was killed by {signal}", signal=name)
        return _Outcome(False, self.current, {"reason": reason, "detail": detail})
