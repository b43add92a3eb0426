"""Preparing the fork server, once, before its first fork: what every child inherits."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from typing import Any

from . import interpreter, landlock, network, reaper, seccomp, syscalls

_capabilities: dict[str, Any] = {}


def prepare_server(preload: Iterable[str] = interpreter.PRELOAD) -> dict[str, Any]:
    """Become a subreaper, compile the seccomp filter, probe what the kernel allows, and preload
    modules when a uid drop would lock the interpreter's files away. Returns the capabilities."""
    notes: list[str] = []
    caps: dict[str, Any] = {"root": os.geteuid() == 0, "subreaper": _subreaper(notes),
                            "landlock_abi": landlock.abi()}
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
        notes.append(f"interpreter under {sorted(plan) or hopeless} is closed to other uids: "
                     + ("children re-expose it in a mount namespace" if caps["mountns"]
                        and not hopeless else "only preloaded modules import after the uid drop"))
    caps["notes"] = notes
    _capabilities.clear()
    _capabilities.update(caps)
    return dict(caps)


def capabilities() -> dict[str, Any]:
    """What prepare_server found; empty when it was not called."""
    return _capabilities


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
    pid = os.fork()
    if pid == 0:
        os._exit(_probe_bits(root, scratch))
    _, status = os.waitpid(pid, 0)
    shutil.rmtree(scratch, ignore_errors=True)
    bits = os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 0
    return {"netns": bool(bits & 1), "mountns": bool(bits & 2), "seccomp": bool(bits & 4)}


def _probe_bits(root: bool, scratch: str) -> int:
    bits = 0
    try:
        if root:
            network.isolate()
            bits |= 1
    except OSError:
        pass
    try:
        if root:
            syscalls.unshare(syscalls.CLONE_NEWNS)
            syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE)
            syscalls.mount("tmpfs", scratch, "tmpfs", syscalls.MS_RDONLY, "size=4k")
            bits |= 2
    except OSError:
        pass
    try:
        syscalls.prctl(syscalls.PR_SET_NO_NEW_PRIVS, 1)
        seccomp.install()
        bits |= 4
    except Exception:
        pass
    return bits
