"""The sandbox in force, as one line for people (the child reports it as data)."""
from __future__ import annotations

from typing import Any

from grader.i18n import N_, _


def describe(isolation: dict[str, Any]) -> str:
    parts = [f"uid {isolation['uid']}" if isolation.get("uid") is not None else _("no uid drop")]
    network = isolation.get("network", "none")
    parts.append(_(_NETWORK.get(network, _NETWORK_OPEN)))
    parts.append(_("Landlock file allow-list") if isolation.get("landlock") else _("no Landlock"))
    if isolation.get("hidden"):
        parts.append(_("{count} protected paths hidden", count=isolation["hidden"]))
    parts.append("seccomp" if isolation.get("seccomp") else _("no seccomp"))
    parts.append(_limits(isolation.get("rlimits") or {}))
    if isolation.get("lazy_imports") is False:
        parts.append(_("preloaded modules only"))
    return f"{isolation.get('level', 'basic')}: " + _(", ").join(parts)


_NETWORK = {"netns": N_("no network (netns)"), "seccomp": N_("no network (seccomp)"),
            "landlock-tcp": N_("no TCP (Landlock), UDP open")}
_NETWORK_OPEN = N_("network open")


def _limits(rlimits: dict[str, Any]) -> str:
    shown = [f"{rlimits['cpu_seconds']} s CPU" if rlimits.get("cpu_seconds") is not None else "",
             f"{rlimits['memory_mb']} MiB" if rlimits.get("memory_mb") is not None else "",
             _("{count} processes", count=rlimits["processes"]) if rlimits.get("processes") is not None else ""]
    shown = [s for s in shown if s]
    return "rlimits (" + _(", ").join(shown) + ")" if shown else _("no rlimits")
