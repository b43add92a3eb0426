"""A private network namespace: its only interface is a loopback left down, so nothing,
not even 127.0.0.1 over TCP or UDP, can be reached. Needs root (CAP_SYS_ADMIN)."""
from __future__ import annotations

from . import syscalls


def isolate() -> None:
    syscalls.unshare(syscalls.CLONE_NEWNET)
