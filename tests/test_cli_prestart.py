"""`python -m grader x.ipynb` starts its fork server before reading its configuration.

The server is adopted by the Grader (which sends it the limits, protected paths and isolation
it had not been given) and grades as any other; when no Grader opens (a usage error, a broken
config), the grader kills it before exiting: no server is left behind.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO

SAMPLE = REPO / "examples" / "sample_submission.ipynb"


def _cli(marker: Path, *args: str) -> subprocess.CompletedProcess:
    """The server's command line carries the grader's sys.path: `marker` on it finds the server."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(marker)])}
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def _servers_with(marker: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"server_process import main" in command and str(marker).encode() in command:
            found.append(int(entry.name))
    return found


def test_a_usage_error_after_the_prestart_leaves_no_server(tmp_path):
    done = _cli(tmp_path, str(SAMPLE), "--format", "nonsense")
    assert done.returncode == 2 and "invalid choice" in done.stderr
    broken = tmp_path / "config.yaml"
    broken.write_text("limits: [unclosed\n", encoding="utf-8")
    done = _cli(tmp_path, str(SAMPLE), "--config", str(broken))
    assert done.returncode == 3, done.stderr
    time.sleep(0.5)
    assert _servers_with(tmp_path) == []


def test_the_prestarted_server_gets_the_configured_limits(tmp_path):
    """--file-size-mb is applied by the adopted server to its child (a sandbox rlimit, not part
    of the job): a cell writing 3 MB fails under 1 MB and passes under the default."""
    script = tmp_path / "big_file.py"
    script.write_text('with open("big", "wb") as f:\n    f.write(b"x" * 3_000_000)\n', encoding="utf-8")
    cells = {}
    for limit in ("1", "64"):
        done = _cli(tmp_path, str(script), "--format", "json", "--file-size-mb", limit)
        assert done.returncode == 0, done.stderr
        cells[limit] = json.loads(done.stdout)["cells"][0]
    assert cells["1"]["status"] == "error" and "File too large" in cells["1"]["message"]
    assert cells["64"]["status"] == "ok"
    assert _servers_with(tmp_path) == []
