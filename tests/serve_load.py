"""A bounded loopback load on a running server: simulated students upload and follow their
status as the page's script does, while every page request's latency is recorded.

Used by tests/test_serve_robust.py (which asserts exactly-once grading, not timings) and by
bench/serve_load.py (which prints the latency figures)."""
from __future__ import annotations

import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from serve_support import RETURNS_Y, RIGHT, csrf, import_roster, signed_in, upload

POLL_SECONDS = 1.0


@dataclass
class LoadResult:
    submissions: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    scores: dict[str, list[str]] = field(default_factory=dict)  # file → the scores it got
    lock: threading.Lock = field(default_factory=threading.Lock)

    def p95_ms(self) -> float:
        return 1000 * statistics.quantiles(self.latencies, n=20)[-1]

    def summary(self) -> str:
        return (f"{self.submissions} submissions graded in {self.seconds:.1f} s; "
                f"{len(self.latencies)} page requests while grading: p50 "
                f"{1000 * statistics.median(self.latencies):.0f} ms, p95 {self.p95_ms():.0f} ms")


def run_load(base: str, instructor: httpx.Client, submissions: int, students: int) -> LoadResult:
    roster = "\n".join(f"load{i:03d},Load Student {i}" for i in range(students))
    links = list(import_roster(instructor, base, roster).values())
    per_student = [submissions // students + (i < submissions % students) for i in range(students)]
    result = LoadResult(submissions)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=min(students, 25)) as pool:
        for future in [pool.submit(_student, base, link, n, i, result)
                       for i, (link, n) in enumerate(zip(links, per_student)) if n]:
            future.result()
    result.seconds = time.perf_counter() - started
    return result


def _timed(result: LoadResult, call, *args, **kwargs) -> httpx.Response:
    began = time.perf_counter()
    response = call(*args, **kwargs)
    with result.lock:
        result.latencies.append(time.perf_counter() - began)
    return response


def _student(base: str, link: str, count: int, index: int, result: LoadResult) -> None:
    with signed_in(link) as client:
        token = csrf(client, base)
        for n in range(count):
            name, data = (("right.py", RIGHT) if (index + n) % 2 == 0 else ("wrong.py", RETURNS_Y))
            assert upload(client, base, name, data + f"\n# upload {n}\n".encode(), token).status_code == 200
        pending = {int(i) for i in _job_ids(_timed(result, client.get, base + "/").text)}
        while pending:
            time.sleep(POLL_SECONDS)
            for job in sorted(pending):
                status = _timed(result, client.get, f"{base}/api/jobs/{job}").json()
                if status["state"] in ("done", "failed"):
                    pending.discard(job)
            _timed(result, client.get, base + "/")
        for row in _rows(client.get(base + "/").text):
            with result.lock:
                result.scores.setdefault(row[0], []).append(row[1])


def _job_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="job-(\d+)">', html)


def _rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr id="job-\d+"><td>#\d+</td><td>([^<]+)</td><td>[^<]+</td><td[^>]*>[^<]*'
                      r"</td><td>([^<✔]+?)(?: ✔ counts)?</td>", html)
