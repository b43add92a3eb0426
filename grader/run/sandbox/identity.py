"""A dedicated uid per concurrent slot: the child can then neither signal nor read what the
grader (root) owns, RLIMIT_NPROC becomes a per-job fork cap, and sweep can find every
process the job left by its uid."""
from __future__ import annotations

import fcntl
import os
import signal
import tempfile

from . import syscalls

UID_BASE = 61000
BLOCK_SIZE = 64
_claimed: dict[str, int] = {}


def claim_block() -> int:
    """Reserve a block of uids for this fork server alone.

    Two graders on one machine (two TAs, a test suite beside a batch) must never share a uid:
    sweeping one's slot would kill the other's running child. The block is held by an flock
    that the kernel releases when the server dies, even by kill -9. Claiming again returns
    the block already held.
    """
    if "block" in _claimed:
        return _claimed["block"]
    for block in range(1000):
        path = os.path.join(tempfile.gettempdir(), f"grader-uid-block-{block}.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        _claimed.update(block=block, fd=fd)
        return block
    raise OSError("no free uid block for the sandbox")


def slot_uid(slot: int) -> int:
    if not 0 <= slot < BLOCK_SIZE:
        raise ValueError(f"slot must be in 0..{BLOCK_SIZE - 1} (got {slot!r})")
    return UID_BASE + _claimed.get("block", 0) * BLOCK_SIZE + slot


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
