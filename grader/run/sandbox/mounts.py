"""A private mount namespace (root only): protected paths covered by empty read-only mounts,
and the interpreter made reachable again for the slot uid when a private home bars it.

It complements Landlock and stands in for it on kernels without Landlock. Mounts made here
never propagate back to the machine: the whole tree is made private first.
"""
from __future__ import annotations

import os

from . import paths, syscalls
from .syscalls import MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_REMOUNT


def isolate(protected: list[str], exposed: dict[str, list[str]], workdir: str,
            notes: list[str]) -> tuple[int, bool]:
    """Returns how many protected paths are now hidden, and whether every exposure held."""
    syscalls.unshare(syscalls.CLONE_NEWNS)
    syscalls.mount(None, "/", None, MS_REC | syscalls.MS_PRIVATE)
    exposed_all = True
    for barrier, targets in exposed.items():
        try:
            _expose(barrier, targets)
        except OSError as exc:
            exposed_all = False
            notes.append(f"could not re-expose {targets} under {barrier}: {exc}")
    return sum(_hide(path, workdir, notes) for path in protected), exposed_all


def _expose(barrier: str, targets: list[str]) -> None:
    """Lay a fresh world-readable tmpfs over `barrier` and bind back only `targets`: the
    interpreter becomes reachable while everything else under the barrier (a home
    directory and whatever secrets it holds) disappears. The targets are held open before
    the cover goes on, and bound through /proc/self/fd, as they are no longer reachable by path."""
    held = [(target, os.open(target, os.O_PATH | os.O_CLOEXEC)) for target in targets]
    try:
        syscalls.mount("tmpfs", barrier, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
        for target, fd in held:
            os.makedirs(target, mode=0o755, exist_ok=True)
            syscalls.mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
        syscalls.mount(None, barrier, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    finally:
        for _, fd in held:
            os.close(fd)


def _hide(path: str, workdir: str, notes: list[str]) -> bool:
    if paths.inside(workdir, path):
        notes.append(f"{path} holds the workdir and is not hidden by a mount")
        return False
    try:
        if os.path.isdir(path):
            syscalls.mount("tmpfs", path, "tmpfs",
                           MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=000")
        elif os.path.exists(path):
            syscalls.mount(os.devnull, path, None, MS_BIND)
        else:
            return False
    except OSError as exc:
        notes.append(f"could not hide {path}: {exc}")
        return False
    return True
