"""Student code sees none of the grader's environment variables, by any route."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, write_notebook

SECRET = "grader-secret-7c1f0d9e"
PROBE = f'''
import os, posix
def environ_of(pid):
    try:
        with open(f"/proc/{{pid}}/environ", "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"unreadable: {{type(exc).__name__}}"
parent = os.getppid()
print("os.environ", dict(os.environ))
print("posix.environ", posix.environ)
print("self", environ_of("self"))
print("parent", environ_of(parent))
print("HOME", os.environ.get("HOME") == os.getcwd(), "TMPDIR", os.environ.get("TMPDIR") == os.getcwd())
print("threads", os.environ.get("OMP_NUM_THREADS"), "PATH", os.environ.get("PATH"))
'''


@pytest.mark.parametrize("isolation", ["auto", "none"])
def test_a_secret_set_for_the_grader_is_invisible_to_student_code(tmp_path, isolation):
    """The grader runs in a real process whose environment holds the secret from exec on, as
    on Gradescope or a CI runner; with isolation none the child can read its server's memory."""
    path = write_notebook(tmp_path / "snoop.ipynb", [PROBE])
    env = {**os.environ, "GRADESCOPE_API_TOKEN": SECRET, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "grader", str(path), "--format", "json",
                           "--select", "grad_of_dot", "--isolation", isolation],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    output = json.loads(done.stdout)["output"]
    assert "os.environ" in output and "parent" in output
    assert SECRET not in output and "GRADESCOPE_API_TOKEN" not in output
    assert "HOME True TMPDIR True" in output
    assert "threads 1 PATH /usr/local/bin:/usr/bin:/bin" in output
    parent_line = next(line for line in output.splitlines() if line.startswith("parent"))
    assert "PATH=" in parent_line or "unreadable" in parent_line
