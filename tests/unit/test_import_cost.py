"""The command line's critical path: nothing on the way to `Grader.open` imports torch.

`Grader.__init__` starts the fork server (a fresh interpreter that imports torch) and only then
imports torch itself, so that the two imports run side by side. A module-level `import torch`
anywhere on the way there (grader.api, the CLI, reading the submission) makes them run one after
the other: a whole `import torch` more of wall time for every `python -m grader x.ipynb`.
`grader batch` draws summary.html with matplotlib at the end, not before its Grader opens.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "numpy", "matplotlib", "sympy")


def test_the_way_to_grader_open_imports_no_torch():
    code = ("import sys\n"
            "import grader.commands.cli, grader.commands.batch, grader.api, grader.source.submission\n"
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
