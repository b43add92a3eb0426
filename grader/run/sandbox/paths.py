"""Path arithmetic shared by the layers that decide what stays visible."""
from __future__ import annotations

import os
from collections.abc import Iterable


def normalize(paths: Iterable[str]) -> list[str]:
    """Real, absolute paths, so a symlink or a `..` cannot slip a protected path past a check."""
    return sorted({os.path.realpath(os.path.abspath(p)) for p in paths if p})


def inside(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def overlaps(path: str, others: Iterable[str]) -> bool:
    return any(inside(path, o) or inside(o, path) for o in others)


def outermost(paths: Iterable[str]) -> list[str]:
    """Drop paths nested in another one: one rule or mount for the outer covers them."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(inside(path, k) for k in kept):
            kept.append(path)
    return sorted(kept)
