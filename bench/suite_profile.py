"""Where the test suite's time goes: wall and CPU per test and per file, and how many Python
interpreters each test starts (each one that imports torch pays ~3 CPU-s).

    PYTHONPATH=$PWD:$PWD/bench python -m pytest -q -p suite_profile [tests...]

writes `suite-profile.json` (SUITE_PROFILE_OUT to change it) and prints one line per test file:
wall s, CPU s (this process and every child it reaped: fork servers, graded children, Dask
workers, `python -m grader` runs), interpreters started, of which imported torch. Interpreters are
counted by a `sitecustomize` put first on PYTHONPATH for the run (a process killed with SIGKILL
is counted as started but not as importing torch), and the fork servers this process starts
where they are exec'd (a `python -m grader` child's or a Dask worker's own fork server is not
counted: add one per such interpreter). Per-test CPU counts a child when it is reaped: a fork
server shared by the session is counted in no test, only in the run's total (`/usr/bin/time`).
"""
from __future__ import annotations

import json
import os
import resource
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pytest

_SITECUSTOMIZE = '''
import atexit, os, sys
def _line(kind):
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
    with open("/proc/self/cmdline", "rb") as f:
        cmd = f.read().replace(b"\\0", b" ").decode(errors="replace")[:160]
    row = {"kind": kind, "pid": os.getpid(), "test": test, "cmd": cmd,
           "torch": "torch" in sys.modules}
    fd = os.open(os.environ["SUITE_PROFILE_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.write(fd, (__import__("json").dumps(row) + "\\n").encode())
    os.close(fd)
if os.environ.get("SUITE_PROFILE_LOG"):
    _line("start")
    _pid = os.getpid()
    atexit.register(lambda: os.getpid() == _pid and _line("exit"))
'''

_rows: list[dict] = []


def _cpu(who) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def pytest_configure(config):
    folder = Path(tempfile.mkdtemp(prefix="suite-profile-"))
    (folder / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    os.environ["SUITE_PROFILE_LOG"] = str(folder / "interpreters.jsonl")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
    _count_fork_servers()


def _count_fork_servers() -> None:
    """A fork server gets an allow-listed environment (no PYTHONPATH, so no sitecustomize): the
    ones this process starts are counted where they are exec'd."""
    from grader.run import forkserver

    exec_server = forkserver._exec_server

    def counted(*args, **kwargs):
        pid = exec_server(*args, **kwargs)
        test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
        with open(os.environ["SUITE_PROFILE_LOG"], "a", encoding="utf-8") as log:
            log.write(json.dumps({"kind": "start", "pid": pid, "test": test, "cmd": "fork server",
                                  "torch": True}) + "\n")
        return pid

    forkserver._exec_server = counted


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    wall, own, children = time.perf_counter(), _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    yield
    _rows.append({"test": item.nodeid, "file": item.nodeid.split("::")[0],
                  "wall": time.perf_counter() - wall,
                  "own_cpu": _cpu(resource.RUSAGE_SELF) - own,
                  "child_cpu": _cpu(resource.RUSAGE_CHILDREN) - children})


def _interpreters() -> dict[str, dict[str, int]]:
    per_test: dict[str, dict[str, int]] = defaultdict(lambda: {"started": 0, "torch": 0})
    log = Path(os.environ["SUITE_PROFILE_LOG"])
    for line in log.read_text().splitlines() if log.exists() else []:
        row = json.loads(line)
        test = row["test"] or "(outside a test)"
        if row["kind"] == "start":
            per_test[test]["started"] += 1
        elif row["torch"]:
            per_test[test]["torch"] += 1
    return per_test


def pytest_terminal_summary(terminalreporter):
    interpreters = _interpreters()
    files: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in _rows:
        row.update(interpreters.get(row["test"], {"started": 0, "torch": 0}))
        total = files[row["file"]]
        for key in ("wall", "own_cpu", "child_cpu", "started", "torch"):
            total[key] += row[key]
        total["tests"] += 1
    Path(os.environ.get("SUITE_PROFILE_OUT", "suite-profile.json")).write_text(
        json.dumps({"tests": _rows, "load": os.getloadavg()}, indent=1))
    write = terminalreporter.write_line
    write(f"{'file':44} {'tests':>5} {'wall s':>7} {'CPU s':>7} {'interp':>6} {'torch':>5}")
    for name, t in sorted(files.items(), key=lambda kv: -kv[1]["own_cpu"] - kv[1]["child_cpu"]):
        write(f"{name:44} {t['tests']:5.0f} {t['wall']:7.1f} {t['own_cpu'] + t['child_cpu']:7.1f}"
              f" {t['started']:6.0f} {t['torch']:5.0f}")
    cpu = sum(r["own_cpu"] + r["child_cpu"] for r in _rows)
    write(f"total: {len(_rows)} tests, wall {sum(r['wall'] for r in _rows):.0f} s, CPU {cpu:.0f} s, "
          f"interpreters {sum(r['started'] for r in _rows)}; load {os.getloadavg()}")
