"""Helpers for the web service's tests: a real `python -m grader serve` child on a free loopback
port, started and always stopped by the test, and signed-in HTTP clients."""
from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx

REPO = Path(__file__).resolve().parent.parent
RIGHT = (REPO / "tests" / "fixtures" / "right" / "all_correct.py").read_bytes()
RETURNS_Y = (REPO / "tests" / "fixtures" / "wrong" / "grad_of_dot__returns-y.py").read_bytes()
START_SECONDS = 120
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_LINK = re.compile(r"(http://[^\s<]+/login/[A-Za-z0-9_\-]+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`python -m grader serve` in its own process group; `stop()` always ends it."""

    def __init__(self, data: Path, *args: str, port: int | None = None) -> None:
        self.data = data
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = data.with_name(data.name + f"-{self.port}.log")
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "grader", "serve", "--data", str(data), "--port",
                 str(self.port), *args],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.instructor_link = self._wait_ready()

    def _wait_ready(self) -> str:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log.read_text()}")
            found = _LINK.findall(self.log.read_text(errors="replace"))
            if found:
                try:
                    if httpx.get(self.base + "/static/app.js", timeout=2).status_code == 200:
                        return found[-1]
                except httpx.TransportError:
                    pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not start in {START_SECONDS} s:\n{self.log.read_text()}")

    def kill9(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def signed_in(link: str) -> Iterator[httpx.Client]:
    """A client (its own cookie jar) signed in through a private link."""
    with httpx.Client(timeout=30, follow_redirects=True) as client:
        response = client.get(link, follow_redirects=True)
        assert response.status_code == 200, response.text
        yield client


def csrf(client: httpx.Client, base: str, page: str = "/") -> str:
    return _CSRF.search(client.get(base + page).text).group(1)


def import_roster(instructor: httpx.Client, base: str, lines: str) -> dict[str, str]:
    """Import `id,name` lines through the dashboard's form; the private link of each student."""
    page = instructor.post(base + "/instructor/roster",
                           data={"csrf": csrf(instructor, base, "/instructor"), "roster": lines})
    assert page.status_code == 200, page.text
    rows = re.findall(r"<tr><td>([^<]+)</td><td>[^<]*</td><td>[^<]*</td><td><code>([^<]+)</code>",
                      page.text)
    return {ident: link for ident, link in rows}


def upload(client: httpx.Client, base: str, name: str, data: bytes, token: str | None = None
           ) -> httpx.Response:
    return client.post(base + "/submit", data={"csrf": token or csrf(client, base)},
                       files={"submission": (name, data)})


def job_ids(client: httpx.Client, base: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="job-(\d+)">', client.get(base + "/").text)]


def wait_done(client: httpx.Client, base: str, job_id: int, seconds: float = 180) -> dict:
    """Poll the status URL the page's script polls until the job is graded or failed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = client.get(f"{base}/api/jobs/{job_id}").json()
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} was not graded in {seconds} s")
