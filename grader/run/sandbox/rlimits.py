"""Kernel resource limits: they bound CPU, memory, files and processes without a supervisor.

Soft and hard limits are set together so student code cannot raise them back; each one is
clamped to the hard limit already in force, since lowering is all an unprivileged process may do.
"""
from __future__ import annotations

import resource

from grader.pack.limits import Limits

MiB = 1 << 20


def apply(limits: Limits, per_uid: bool, notes: list[str]) -> dict[str, int | None]:
    """Set every limit it can; returns what is in force, None where a limit could not be set.

    RLIMIT_NPROC counts every process of the real uid on the machine, so it is only set when
    the child runs as a dedicated slot uid (`per_uid`); for root it would be ignored anyway.
    """
    base_mb = _vm_size_bytes() // MiB
    wanted: dict[str, tuple[int, int, int]] = {
        "core": (resource.RLIMIT_CORE, 0, 0),
        "cpu_seconds": (resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 1),
        "file_size_mb": (resource.RLIMIT_FSIZE, limits.file_size_mb * MiB, limits.file_size_mb * MiB),
        "open_files": (resource.RLIMIT_NOFILE, limits.open_files, limits.open_files),
        "address_space_mb": (resource.RLIMIT_AS, (base_mb + limits.memory_mb) * MiB,
                             (base_mb + limits.memory_mb) * MiB),
    }
    if per_uid:
        wanted["processes"] = (resource.RLIMIT_NPROC, limits.processes, limits.processes)
    applied: dict[str, int | None] = {"processes": None}
    for name, (which, soft, hard) in wanted.items():
        applied[name] = _set(name, which, soft, hard, notes)
    applied["memory_mb"] = limits.memory_mb if applied["address_space_mb"] is not None else None
    return applied


def _set(name: str, which: int, soft: int, hard: int, notes: list[str]) -> int | None:
    try:
        _, current_hard = resource.getrlimit(which)
        if current_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, current_hard), min(hard, current_hard)
        resource.setrlimit(which, (soft, hard))
    except (OSError, ValueError) as exc:
        notes.append(f"rlimit {name} not set: {exc}")
        return None
    return soft // MiB if name.endswith("_mb") else soft


def _vm_size_bytes() -> int:
    """The address space already mapped: import torch alone needs >500 MiB of it, and the
    budget must come on top, or the child could not even run."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()
