"""The interpreter's own files: what must stay readable for lazy imports once the uid drops.

An interpreter installed under a private home (pyenv in /root, mode 700) is unreachable for a
slot uid: every import not done before the drop fails. The mount layer re-exposes just those
directories; where it cannot, the modules students commonly use are imported in advance.
"""
from __future__ import annotations

import functools
import importlib
import os
import stat
import sys
import sysconfig
from collections.abc import Iterable

from . import paths

PRELOAD = (
    "encodings.idna", "encodings.ascii", "encodings.latin_1", "encodings.utf_16",
    "encodings.utf_32", "stringprep", "unicodedata", "json", "random", "math", "cmath",
    "collections", "itertools", "functools", "operator", "re", "typing", "dataclasses", "copy",
    "string", "textwrap", "statistics", "fractions", "decimal", "heapq", "bisect", "time",
    "datetime", "enum", "abc", "contextlib", "warnings", "traceback", "io", "pathlib",
    "tempfile", "pprint", "numpy", "matplotlib.pyplot",
)


@functools.cache
def roots() -> list[str]:
    """Where the interpreter and its installed packages live (cached: sysconfig is slow)."""
    found = [sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(sys.executable)]
    found += [sysconfig.get_path(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")]
    return paths.outermost(p for p in paths.normalize(found) if os.path.isdir(p))


def allowed(protected: list[str]) -> tuple[list[str], list[str]]:
    """Readable roots for the child, and the sys.path entries refused because they hold or
    sit in a protected path (an editable install puts the grader's repo on sys.path)."""
    every = list(roots())
    base = [r for r in every if not any(paths.inside(p, r) for p in protected)]
    entries = paths.normalize(e for e in sys.path if e and os.path.isdir(e))
    extra = [e for e in entries if not paths.overlaps(e, protected)]
    refused = [r for r in every if r not in base]
    refused += [e for e in entries if paths.overlaps(e, protected)
                and not any(paths.inside(e, b) for b in base)]
    return paths.outermost(base + extra), refused


def exposure_plan(targets: Iterable[str]) -> tuple[dict[str, list[str]], list[str]]:
    """For each directory that bars other users, the targets beneath it to re-expose; and the
    targets no mount can help, because they themselves are closed to other users."""
    plan: dict[str, list[str]] = {}
    hopeless: list[str] = []
    for target in targets:
        if not _open_to_others(target, stat.S_IROTH | stat.S_IXOTH):
            hopeless.append(target)
            continue
        barrier = _first_barrier(target)
        if barrier is not None:
            plan.setdefault(barrier, []).append(target)
    return plan, hopeless


def preload(names: Iterable[str] = PRELOAD) -> list[str]:
    """Import ahead of the fork; returns the names that failed to import."""
    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # a missing optional package is not the sandbox's problem
            failed.append(name)
    return failed


def _first_barrier(target: str) -> str | None:
    parts = target.strip("/").split("/")
    for depth in range(len(parts)):
        ancestor = "/" + "/".join(parts[:depth])
        if not _open_to_others(ancestor, stat.S_IXOTH):
            return ancestor
    return None


def _open_to_others(path: str, bits: int) -> bool:
    """A slot uid is neither owner nor group of anything the grader installed: only the
    permission bits for others apply to it."""
    try:
        return os.stat(path).st_mode & bits == bits
    except OSError:
        return False
