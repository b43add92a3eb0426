"""Shared fixtures: one warm Grader per test session (torch and the fork server cost seconds)."""
from __future__ import annotations

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
