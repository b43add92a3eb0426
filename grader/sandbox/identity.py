"""A dedicated uid per concurrent slot: the child can then neither signal nor read what the
grader (root) owns, RLIMIT_NPROC becomes a per-job fork cap, and sweep can find every
process the job left by its uid."""
from __future__ import annotations

import os
import signal

from . import syscalls

UID_BASE = 61000


def slot_uid(slot: int) -> int:
    return UID_BASE + slot


def drop(slot: int) -> int:
    uid = slot_uid(slot)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    # The uid change makes the process non-dumpable, which hands /proc/self to root and
    # breaks libraries that read it; core dumps stay off through RLIMIT_CORE.
    syscalls.prctl(syscalls.PR_SET_DUMPABLE, 1)
    return uid


def lock(parent: int) -> None:
    """Die with the server, and never regain privileges through a setuid binary or exec.

    The death signal is set after the uid change, which clears it; if the server is already
    gone by then, nobody would read the result, so the child kills itself.
    """
    syscalls.prctl(syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)
    syscalls.prctl(syscalls.PR_SET_NO_NEW_PRIVS, 1)
