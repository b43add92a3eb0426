"""Page latency of `python -m grader serve` while it grades: a bounded loopback load.

    python bench/serve_load.py [SUBMISSIONS] [STUDENTS] [JOBS]     # default 200 50 2

Starts a real server on a free loopback port with a fresh data folder, has STUDENTS simulated
students upload SUBMISSIONS files between them and follow their status once a second (as the
page's script does), then prints the grading time and p50/p95 of every page request made while
grading. The server is always stopped.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from serve_load import run_load  # noqa: E402
from serve_support import Server, signed_in  # noqa: E402


def main(argv: list[str]) -> int:
    submissions, students, jobs = (int(a) for a in (argv + ["200", "50", "2"][len(argv):]))
    with tempfile.TemporaryDirectory() as folder:
        with Server(Path(folder) / "data", "--jobs", str(jobs)) as server, \
                signed_in(server.instructor_link) as instructor:
            result = run_load(server.base, instructor, submissions, students)
    print(result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
