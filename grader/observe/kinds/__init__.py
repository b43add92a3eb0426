"""The child's half of every check kind: what to record once the function has returned.

Each module here has `observe(call) -> dict` (plain data, encoded with observe/encode.py); the
table of kinds (pack/kinds.py) names the module of each kind. They run in the sandboxed child on
the student's function and in the parent on the solution, so they import only torch and observe/
(never the judges). The table is filled here, at import: the fork server loads every module
before the sandbox closes the files.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable

from grader.observe.call import Call
from grader.pack.kinds import KINDS

OBSERVERS: dict[str, Callable[[Call], dict[str, Any]]] = {
    name: importlib.import_module(f"{__name__}.{kind.observe}").observe
    for name, kind in KINDS.items() if kind.per_case}
