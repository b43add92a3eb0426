"""How strong the confinement in force is, as one word the report carries."""
from __future__ import annotations

from typing import Any

def level(isolation: dict[str, Any]) -> str:
    """strong: own uid, Landlock allow-list, no network at all (TCP and UDP);
    standard: protected files unreadable (Landlock or mounts) and at least TCP closed;
    basic: anything less, i.e. resource limits only."""
    closed = isolation.get("network") in ("netns", "seccomp")
    if isolation.get("uid") is not None and isolation.get("landlock") and closed:
        return "strong"
    guarded = isolation.get("landlock") or isolation.get("hidden", 0) > 0
    if guarded and isolation.get("network", "none") != "none":
        return "standard"
    return "basic"
