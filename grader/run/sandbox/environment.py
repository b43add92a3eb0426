"""The environment student code sees: an allow-list, never the grader's own variables.

A token set for Gradescope, a CI runner or a Dask worker must not be one `print(os.environ)`
away from a student's feedback. Clearing `os.environ` in a forked process is not enough: the
kernel serves /proc/<pid>/environ from the memory the process was exec'd with, which a fork
copies. So the fork server is exec'd with this environment (and nothing else), and every
child it forks inherits only that; each child then points HOME and TMPDIR at its workdir.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
THREADS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
           "VECLIB_MAXIMUM_THREADS")
PASSED_ON = ("LANG", "LC_ALL", "TZ", "TMPDIR")


def for_server(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """What the fork server is started with: a fixed PATH, locale and time zone, one thread per
    math library, headless matplotlib, and matplotlib's cache (so fonts are not rebuilt)."""
    home = environ.get("HOME", "/")
    cache = environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    allowed = {name: environ[name] for name in PASSED_ON if name in environ}
    allowed.setdefault("LANG", "C.UTF-8")
    allowed.update({name: "1" for name in THREADS})
    allowed.update(PATH=SAFE_PATH, HOME=home, MPLBACKEND="Agg",
                   MPLCONFIGDIR=environ.get("MPLCONFIGDIR") or os.path.join(cache, "matplotlib"),
                   PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    return allowed


def enter_workdir(workdir: str) -> None:
    """In the child: home and temporary files in its own working directory."""
    os.environ["HOME"] = os.environ["TMPDIR"] = workdir
