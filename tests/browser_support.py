"""Debian's headless Chromium driven by Selenium through /usr/bin/chromedriver (no downloaded
browser), for the tests that look at a page as a student sees it (the `browser` fixture is in
conftest.py). Screenshots are saved to the
test's folder, and copied to $SCREENSHOTS_DIR when it is set, to be looked at."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
BROWSER = CHROMIUM.exists() and CHROMEDRIVER.exists()
# CI installs the browser (.ci/run), so there a missing browser fails every test that uses it
# instead of hiding them; on a developer's machine without it they are reported as not run.
needs_browser = pytest.mark.skipif(not BROWSER and not os.environ.get("CI"),
                                   reason="Debian's chromium and chromium-driver are not installed "
                                          "(apt-get install chromium chromium-driver; .ci/run does)")

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1200,1400")


def shot(target, folder: Path, name: str, wanted_env: str = "SCREENSHOTS_DIR") -> Path:
    """Save a screenshot of `target` (the driver: the window; an element: just it)."""
    path = folder / name
    target.screenshot(str(path)) if hasattr(target, "rect") else target.save_screenshot(str(path))
    wanted = os.environ.get(wanted_env)
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(wanted) / name)
    return path
