"""Preparing the fork server, once, before its first fork: what every child inherits."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

from . import identity, interpreter, landlock, network, reaper, seccomp, syscalls

_capabilities: dict[str, Any] = {}


def prepare_server(preload: Iterable[str] = interpreter.PRELOAD) -> dict[str, Any]:
    """Become a subreaper, compile the seccomp filter, probe what the kernel allows, and preload
    modules when a uid drop would lock the interpreter's files away. Returns the capabilities."""
    notes: list[str] = []
    caps: dict[str, Any] = {"root": os.geteuid() == 0, "subreaper": _subreaper(notes),
                            "landlock_abi": landlock.abi()}
    caps["uid_block"] = _uid_block(notes) if caps["root"] else None
    if seccomp.compile_filter() is None:
        notes.append("pyseccomp is not importable: no seccomp layer")
    caps.update(_probe_in_child(caps["root"]))
    plan, hopeless = interpreter.exposure_plan(interpreter.roots())
    caps["interpreter_readable"] = not plan and not hopeless
    caps["preloaded"] = []
    if caps["root"] and not caps["interpreter_readable"]:
        wanted = list(preload)
        failed = interpreter.preload(wanted)
        caps["preloaded"] = [name for name in wanted if name not in failed]
        remedy = ("children re-expose it in a mount namespace" if caps["mountns"] and not hopeless
                  else "after the uid drop only preloaded modules import")
        notes.append(f"the interpreter is closed to other uids ({sorted(plan) or hopeless}): "
                     f"{remedy}")
    caps["notes"] = notes
    _capabilities.clear()
    _capabilities.update(caps)
    return dict(caps)


def capabilities() -> dict[str, Any]:
    """What prepare_server found; empty when it was not called."""
    return _capabilities


def _uid_block(notes: list[str]) -> int | None:
    try:
        return identity.claim_block()
    except OSError as exc:
        notes.append(f"no uid block of its own ({exc}): another grader may share slot uids")
        return None


def _subreaper(notes: list[str]) -> bool:
    try:
        reaper.become_subreaper()
    except OSError as exc:
        notes.append(f"not a subreaper ({exc}): orphans go to PID 1 and sweep cannot reap them")
        return False
    return True


def _probe_in_child(root: bool) -> dict[str, bool]:
    """Try namespaces and the seccomp filter for real, in a throwaway child: a container's
    own seccomp profile can refuse them even to root."""
    scratch = tempfile.mkdtemp(prefix="sandbox-probe-")
    try:
        pid = os.fork()
        if pid == 0:
            bits = 0
            try:
                bits = _probe_bits(root, scratch)
            finally:
                os._exit(bits)
        _, status = os.waitpid(pid, 0)
        bits = os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 0
    except OSError:
        bits = 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"netns": bool(bits & 1), "mountns": bool(bits & 2), "seccomp": bool(bits & 4)}


def _probe_bits(root: bool, scratch: str) -> int:
    def private_tmpfs() -> None:
        syscalls.unshare(syscalls.CLONE_NEWNS)
        syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE)
        syscalls.mount("tmpfs", scratch, "tmpfs", syscalls.MS_RDONLY, "size=4k")

    def filtered() -> None:
        syscalls.prctl(syscalls.PR_SET_NO_NEW_PRIVS, 1)
        seccomp.install()

    return (1 * (root and _works(network.isolate)) + 2 * (root and _works(private_tmpfs))
            + 4 * _works(filtered))


def _works(action: Callable[[], None]) -> bool:
    try:
        action()
    except Exception:
        return False
    return True
