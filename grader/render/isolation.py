"""The sandbox in force, as one line for people (the child reports it as data)."""
from __future__ import annotations

from typing import Any


def describe(isolation: dict[str, Any]) -> str:
    parts = [f"uid {isolation['uid']}" if isolation.get("uid") is not None else "no uid drop"]
    network = isolation.get("network", "none")
    parts.append({"netns": "no network (netns)", "seccomp": "no network (seccomp)",
                  "landlock-tcp": "no TCP (Landlock), UDP open"}.get(network, "network open"))
    parts.append("Landlock file allow-list" if isolation.get("landlock") else "no Landlock")
    if isolation.get("hidden"):
        parts.append(f"{isolation['hidden']} protected paths hidden")
    parts.append("seccomp" if isolation.get("seccomp") else "no seccomp")
    parts.append(_limits(isolation.get("rlimits") or {}))
    if isolation.get("lazy_imports") is False:
        parts.append("preloaded modules only")
    return f"{isolation.get('level', 'basic')}: " + ", ".join(parts)


def _limits(rlimits: dict[str, Any]) -> str:
    shown = [f"{rlimits['cpu_seconds']} s CPU" if rlimits.get("cpu_seconds") is not None else "",
             f"{rlimits['memory_mb']} MiB" if rlimits.get("memory_mb") is not None else "",
             f"{rlimits['processes']} processes" if rlimits.get("processes") is not None else ""]
    shown = [s for s in shown if s]
    return f"rlimits ({', '.join(shown)})" if shown else "no rlimits"
