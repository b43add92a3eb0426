"""Confining one forked child, layer by layer, before student code runs."""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Collection
from typing import Any

from grader.pack.limits import Limits
from . import fds, identity, interpreter, landlock, mounts, network, paths, rlimits, strength
from . import environment, seccomp, server


def enter(slot: int, workdir: str, limits: Limits, protected: list[str],
          keep_fds: Collection[int]) -> dict[str, Any]:
    """Apply every layer this machine offers and return what is in force; never raises.

    A layer that fails is named in "notes" and the others still apply, so a grader on a weaker
    machine still runs, and its reports say how weakly.
    """
    started = time.perf_counter()
    state: dict[str, Any] = {"level": "basic", "uid": None, "rlimits": {}, "network": "none",
                             "landlock": False, "seccomp": False, "hidden": 0,
                             "lazy_imports": True, "notes": []}
    try:
        _confine(state, slot, os.path.realpath(workdir), limits, paths.normalize(protected),
                 keep_fds)
    except Exception as exc:  # a bug in a layer must not stop the report
        state["notes"].append(f"sandbox error: {exc!r}")
    state["level"] = strength.level(state)
    state["ms"] = round((time.perf_counter() - started) * 1000, 2)
    return state


def _confine(state: dict[str, Any], slot: int, workdir: str, limits: Limits,
             protected: list[str], keep_fds: Collection[int]) -> None:
    """Order matters: namespaces and the ruleset need root and reachable paths, so they come
    before the uid drop; no_new_privs precedes Landlock; seccomp, which forbids unshare and
    mount, comes last."""
    notes: list[str] = state["notes"]
    caps = server.capabilities()
    if not caps:
        notes.append("prepare_server() was not called: layers tried without probing")
    parent, root = os.getppid(), os.geteuid() == 0
    readable, refused = interpreter.allowed(protected)
    if refused:
        notes.append(f"kept unreadable although on sys.path: {refused}")
    _step(notes, "descriptors", fds.keep_only, keep_fds)
    state["rlimits"] = _step(notes, "rlimits", rlimits.apply, limits, root, notes) or {}
    if root:
        _namespaces(state, caps, protected, readable, workdir)
    else:
        notes.append("not root: no namespaces, no uid drop, no process cap")
    _step(notes, "workdir", _use_workdir, workdir)
    version = caps["landlock_abi"] if "landlock_abi" in caps else landlock.abi()
    ruleset = _ruleset(notes, version, readable, workdir)
    if root:
        state["uid"] = _step(notes, "uid drop", identity.drop, slot)
        if state["uid"] is None and state["rlimits"]:
            state["rlimits"]["processes"] = None
    _step(notes, "no_new_privs/pdeathsig", identity.lock, parent)
    if ruleset is not None:
        state["landlock"] = _step(notes, "landlock", landlock.restrict, ruleset) is not None
    if state["landlock"] and version >= 4 and state["network"] == "none":
        state["network"] = "landlock-tcp"
    if caps.get("seccomp", True):
        state["seccomp"] = _step(notes, "seccomp", seccomp.install) is not None
    else:
        notes.append("seccomp unavailable")
    if state["seccomp"] and state["network"] != "netns":
        state["network"] = "seccomp"


def _namespaces(state: dict[str, Any], caps: dict[str, Any], protected: list[str],
                readable: list[str], workdir: str) -> None:
    notes: list[str] = state["notes"]
    if caps.get("netns", True):
        if _step(notes, "network namespace", network.isolate) is not None:
            state["network"] = "netns"
    else:
        notes.append("network namespace unavailable")
    plan, hopeless = interpreter.exposure_plan(readable)
    exposed = False
    if caps.get("mountns", True):
        done = _step(notes, "mount namespace", mounts.isolate, protected, plan, workdir, notes)
        if done is not None:
            state["hidden"], exposed = done
    else:
        notes.append("mount namespace unavailable")
    state["lazy_imports"] = not hopeless and (not plan or exposed)
    if not state["lazy_imports"]:
        notes.append("interpreter unreadable after the uid drop: only preloaded modules import")


def _ruleset(notes: list[str], version: int, readable: list[str], workdir: str) -> int | None:
    if not version:
        notes.append("Landlock unavailable: no file allow-list")
        return None
    return _step(notes, "landlock ruleset", landlock.ruleset, version,
                 [*readable, *landlock.SYSTEM_READ], [workdir, *landlock.SYSTEM_WRITE])


def _use_workdir(workdir: str) -> None:
    """The only writable directory, so temporary files must land there too."""
    os.chdir(workdir)
    environment.enter_workdir(workdir)
    tempfile.tempdir = workdir


def _step(notes: list[str], label: str, action: Callable[..., Any], *args: Any) -> Any:
    """Run one layer: its result (True when it returns nothing), or None and a note if it failed."""
    try:
        result = action(*args)
    except Exception as exc:
        notes.append(f"{label} failed: {exc}")
        return None
    return True if result is None else result
