"""Shared fixtures: one warm Grader per test session, one fork server per set of limits (each
fork server is an interpreter that imports torch: ~3 CPU-s), commands run in-process."""
from __future__ import annotations

import contextlib
import inspect
import io
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from browser_support import BROWSER, CHROMEDRIVER, CHROMIUM, FLAGS

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
UNIT = REPO / "tests" / "unit"


def pytest_ignore_collect(collection_path, config):
    """With exactly `-m "not slow"`, do not even import the slow modules: that alone costs seconds."""
    if (config.getoption("markexpr") == "not slow" and collection_path.name.startswith("test_")
            and collection_path.suffix == ".py" and UNIT not in collection_path.parents):
        return True
    return None


def pytest_collection_modifyitems(items):
    """Everything outside tests/unit/ forks children or a server: `-m "not slow"` skips it."""
    for item in items:
        if UNIT not in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.slow)


def pytest_configure(config):
    config.addinivalue_line("markers", "own_fork_server: every Grader this test opens starts a fork "
                                       "server of its own (the test kills it), not the session's shared one")


_OWN_FORK_SERVERS = [False]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before the test's fixtures: a module-scoped Grader opened for it must know."""
    _OWN_FORK_SERVERS[0] = item.get_closest_marker("own_fork_server") is not None


@pytest.fixture(scope="session", autouse=True)
def _shared_fork_servers(request):
    """Every Grader the tests open in this process (fixtures, `run_main`, a command's own) gets
    the session's fork server for its limits, protected paths and isolation, instead of starting
    one: the server holds no pack and no secret, and a handle replaces a server that died. Its
    `close` waits for the end of the session; tests marked `own_fork_server` start their own."""
    if all(UNIT in Path(str(item.fspath)).parents for item in request.session.items):
        yield  # the fast tier opens no Grader: it need not import the fork server's module
        return
    from grader.run import forkserver

    started: dict[str, forkserver.ForkServer] = {}
    real = forkserver.ForkServer
    signature = inspect.signature(real)

    class SessionForkServer(real):
        def __new__(cls, *args, **kwargs):
            if _OWN_FORK_SERVERS[0]:
                return real(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            key = repr(bound.arguments)  # the server's limits, protected paths, isolation, warm-up
            if key not in started:
                started[key] = super().__new__(cls)
            return started[key]

        def __init__(self, *args, **kwargs):
            if not hasattr(self, "pid"):  # the first Grader to ask starts it
                super().__init__(*args, **kwargs)

        def close(self) -> None:
            """Closed at the end of the session."""

    forkserver.ForkServer = SessionForkServer
    try:
        yield
    finally:
        forkserver.ForkServer = real
        for server in started.values():
            real.close(server)


@pytest.fixture(autouse=True)
def _process_language_restored():
    """A command run in-process (`cli.main([..., "--lang", "zh_CN"])`) sets its process's
    language, as a command should; the next test must not inherit it."""
    from grader import i18n

    yield
    i18n.set_language(i18n.DEFAULT_LANGUAGE)


@pytest.fixture(scope="session")
def grader():
    from grader.api import Grader

    with Grader.open(str(REPO / "config.yaml")) as opened:
        yield opened


def exercise(report, exercise_id):
    """The result of one exercise in a report."""
    return next(e for e in report.exercises if e.id == exercise_id)


def codes(result):
    return {d.code for d in result.diagnoses}


def write_notebook(path: Path, cells: list[str | tuple[str, str]], **metadata) -> Path:
    """A real .ipynb: plain strings are code cells, ("markdown", text) pairs are markdown."""
    notebook = nbformat.v4.new_notebook()
    for cell in cells:
        if isinstance(cell, tuple):
            notebook.cells.append(nbformat.v4.new_markdown_cell(cell[1]))
        else:
            notebook.cells.append(nbformat.v4.new_code_cell(cell))
    notebook.metadata.update(metadata)
    nbformat.write(notebook, str(path))
    return path


def run_cli(*args: str, cwd: Path = REPO, timeout: float = 240) -> subprocess.CompletedProcess:
    """`python -m grader ARGS` in a real child process."""
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def run_main(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """`python -m grader ARGS` in this process (`grader.commands.cli.main`, what `python -m grader`
    calls): its Grader shares the session's fork server and this process's torch. For tests of
    what a command does, not of its process (each command keeps a `run_cli` test)."""
    from grader.commands.cli import main

    out, err, before = io.StringIO(), io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(["python", "-m", "grader", *args], code, out.getvalue(),
                                       err.getvalue())


@pytest.fixture()
def browser(tmp_path):
    assert BROWSER, f"{CHROMIUM} and {CHROMEDRIVER} are needed: apt-get install chromium chromium-driver"
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
