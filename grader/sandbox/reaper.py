"""Ending everything a job left behind, in the fork server.

The server is a child subreaper: a job's orphans (double-forked daemons, the rest of a fork
bomb whose parents died) are re-parented to it instead of to PID 1, which here reaps slowly,
so the server can both find them and reap them. As root, a job's processes are also found by
their slot uid, which no process of the job can shed.
"""
from __future__ import annotations

import os
import signal
import time
from collections.abc import Collection
from typing import NamedTuple

from . import identity, syscalls

ROUNDS = 50
REAP_SECONDS = 2.0


class Proc(NamedTuple):
    pid: int
    ppid: int
    uid: int
    zombie: bool


def become_subreaper() -> None:
    syscalls.prctl(syscalls.PR_SET_CHILD_SUBREAPER, 1)


def orphans(live_pids: Collection[int]) -> list[int]:
    """The server's children it did not start or no longer wants: every child not in
    `live_pids` (zombies included, so that they get reaped)."""
    me = os.getpid()
    return sorted(p.pid for p in processes() if p.ppid == me and p.pid not in live_pids)


def kill_slot_processes(slot: int) -> int:
    """SIGKILL every live process of the slot's uid (root only); returns how many were seen.

    A helper that takes the slot uid sends kill(-1), which reaches all of them at once, so a
    fork bomb cannot outrun it. The helper costs a fork of the server (~13 ms with torch
    loaded), so it runs only when a scan finds something left.
    """
    uid = identity.slot_uid(slot)
    seen: set[int] = set()
    for _ in range(ROUNDS):
        alive = [p.pid for p in processes() if p.uid == uid and not p.zombie]
        if not alive:
            break
        seen.update(alive)
        _kill_all_as(uid)
    return len(seen)


def sweep(slot: int, pgid: int, live_pids: Collection[int] = ()) -> list[int]:
    """Kill the job's process group, its uid's processes (as root) and every orphan, and reap
    what became the server's zombies. Returns the orphans it killed and reaped.

    `live_pids`: every child of the server it has not yet waited for and still wants (other
    jobs, helpers). The job's own child (`pgid`) is never reaped here: the server waits for it.
    """
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
    if os.geteuid() == 0:
        kill_slot_processes(slot)
    spared = {pgid, *live_pids}
    deadline = time.monotonic() + REAP_SECONDS
    done: list[int] = []
    while time.monotonic() < deadline:
        left = orphans(spared)
        if not left:
            break
        for pid in left:
            _kill(pid)
        done += _reap(left, deadline)
    return sorted(set(done))


def processes() -> list[Proc]:
    """Every process, from /proc/<pid>/status (its Uid line is the real uid, which a
    process cannot hide by making itself non-dumpable)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            proc = _read_status(int(name))
            if proc is not None:
                found.append(proc)
    return found


def _read_status(pid: int) -> Proc | None:
    fields: dict[str, str] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                key, _, value = line.partition(":")
                fields[key] = value
    except OSError:
        return None
    try:
        return Proc(pid, int(fields["PPid"]), int(fields["Uid"].split()[0]),
                    fields["State"].split()[0] in ("Z", "X"))
    except (KeyError, IndexError, ValueError):
        return None


def _kill_all_as(uid: int) -> None:
    helper = os.fork()
    if helper == 0:
        try:
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(helper, 0)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _reap(pids: list[int], deadline: float) -> list[int]:
    """waitpid only these pids, never -1, which would steal the exit status of job children
    the server is waiting for."""
    pending, reaped = set(pids), []
    while pending and time.monotonic() < deadline:
        for pid in sorted(pending):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pending.discard(pid)
                continue
            if done:
                pending.discard(pid)
                reaped.append(pid)
        if pending:
            time.sleep(0.002)
    return reaped
