"""The grading machine's side: connect to the cluster, ship the pack, offer an Executor.

`grader.commands.batch` grades on any `concurrent.futures.Executor`; here that is Dask's own
`ClientExecutor`, wrapped so that each task returns a plain-JSON record, which becomes a `Report`
(or the SubmissionError a local run raises) again on this side. The batch records each report
once, as its future completes.
"""
from __future__ import annotations

import logging
import sys
import time
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

import dask
from distributed import Client, LocalCluster

from grader.cluster import WORKER_START_SECONDS, ClusterError
from grader.cluster.health import ClusterHealth
from grader.cluster.packfiles import pack_files
from grader.cluster.worker import (NOT_YET, OPENING, GraderOnWorker, PackOnNanny, RemoteGrade,
                                   graded_record, why_no_grader)
from grader.pack.config import find_config, load_settings
from grader.errors import SubmissionError
from grader.model import Report, report_from_dict
from grader.pack.load import load_pack
from grader.run.watchdog import Patience

# A task that raised (a worker without a Grader, a fork server that did not answer) runs again,
# on another worker when there is one; a worker's death is Dask's to retry (allowed-failures).
RETRIES = 2
CONNECT_SECONDS = 20
WORKER_WAIT_SECONDS = 120


@dataclass
class ClusterGrader:
    """What `grader.commands.batch` uses of a Grader, plus the executor and how many it grades at once."""

    grade_bytes: RemoteGrade
    pack_hash: str
    exercise_ids: list[str]
    executor: Executor
    jobs: int
    close: Callable[[], None]
    patience: Patience


class ReportExecutor(Executor):
    """Runs `fn(*args) -> Report` through `inner`; only a plain-JSON record crosses the network."""

    def __init__(self, inner: Executor) -> None:
        self._inner = inner

    def submit(self, fn: Callable[..., Report], /, *args: Any, **kwargs: Any) -> Future[Report]:
        remote = self._inner.submit(graded_record, fn, *args, **kwargs)
        local: Future[Report] = Future()
        # Until it settles, cancelling `local` cancels `remote`; then the link is dropped, or the
        # two futures would keep each other (and the report) alive until a full gc collection.
        unsettled = [remote]
        local.add_done_callback(lambda f: f.cancelled() and unsettled and unsettled[0].cancel())
        remote.add_done_callback(partial(_settle, local, unsettled))
        return local

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait and not cancel_futures)


def _settle(local: Future[Report], unsettled: list[Future[dict[str, Any]]],
            remote: Future[dict[str, Any]]) -> None:
    unsettled.clear()
    if remote.cancelled():
        local.cancel()
    if not local.set_running_or_notify_cancel():  # cancelled: this wakes whoever waits on it
        return
    try:
        record = remote.result()
        if record["kind"] == "submission-error":
            raise SubmissionError(record["message"])
        local.set_result(report_from_dict(record["report"]))
    except Exception as err:  # the task's or the submission's error, or a malformed record
        local.set_exception(err)


def open_cluster(spec: str, config: str | None, overrides: dict[str, Any],
                 worker_start_seconds: float = WORKER_START_SECONDS) -> ClusterGrader:
    """Connect to `spec` (or start `local:N`) and return once every worker has a warm Grader;
    `worker_start_seconds` bounds a worker's start-up (grader.cluster.WORKER_START_SECONDS)."""
    settings = load_settings(find_config(config), overrides)
    pack = load_pack(settings.root, settings.assignment, settings.solutions,
                     select=list(settings.select) or None, weights=settings.points,
                     language=settings.language)
    client, cluster = _connect(spec)
    try:
        # The nanny plugin last: its restart gives every running worker a clean process, which
        # opens its Grader on registering; a nanny that joins later unpacks before its worker.
        client.register_plugin(GraderOnWorker(settings, pack.hash))
        client.register_plugin(PackOnNanny(pack_files(settings, pack), pack.hash))
        wanted = _local_workers(spec)
        if cluster is not None:
            cluster.scale(wanted)  # started only now: no restart, the plugins are already there
        _wait_for_workers(client, wanted, worker_start_seconds)
        _check_graders(client, pack.hash)
        threads = client.nthreads()
    except TimeoutError:
        _close(client, cluster, pack.hash)
        raise ClusterError(f"no Dask worker joined {spec} within {WORKER_WAIT_SECONDS} s; start some "
                           f"with `dask worker {client.scheduler.address} --nthreads 1`") from None
    except BaseException:
        _close(client, cluster, pack.hash)
        raise
    print(f"grading on Dask at {client.scheduler.address}: {len(threads)} workers, "
          f"{sum(threads.values())} threads", file=sys.stderr)
    executor = ReportExecutor(client.get_executor(pure=False, retries=RETRIES))
    patience = Patience.for_limits(settings.limits, worker_start_seconds,
                                   health=ClusterHealth(client, worker_start_seconds))
    return ClusterGrader(RemoteGrade(pack.hash), pack.hash, [e.id for e in pack.exercises],
                         executor, sum(threads.values()), partial(_close, client, cluster, pack.hash),
                         patience)


def _wait_for_workers(client: Client, wanted: int, start_seconds: float) -> None:
    """One worker within WORKER_WAIT_SECONDS, then the rest of local:N within a start-up: a
    worker that does not start is reported, and the batch grades on the others."""
    client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
    if wanted <= 1:
        return
    try:
        client.wait_for_workers(wanted, timeout=start_seconds)
    except TimeoutError:
        print(f"only {len(client.nthreads())} of {wanted} Dask workers started within "
              f"{start_seconds:g} s; grading on those", file=sys.stderr)


def _check_graders(client: Client, pack_hash: str) -> None:
    """Wait until every worker has opened its Grader; say which cannot, and why. Past the
    start-up bound, workers still opening are reported and the others grade."""
    deadline = time.monotonic() + WORKER_WAIT_SECONDS
    while True:
        # A worker that died meanwhile answers with an error: its nanny is starting another.
        answers = client.run(why_no_grader, pack_hash, on_error="return")
        missing = {w: why if isinstance(why, str) else OPENING for w, why in answers.items() if why}
        final = {w: why for w, why in missing.items() if why not in (OPENING, NOT_YET)}
        late = missing and time.monotonic() > deadline
        if final or (late and len(missing) == len(answers)):
            raise ClusterError("; ".join(f"no Grader on {w}: {why}"
                                         for w, why in (final or missing).items()))
        if late:
            print("; ".join(f"no Grader on {w} yet: {why}" for w, why in missing.items()),
                  file=sys.stderr)
        if not missing or late:
            return
        time.sleep(0.5)


def _local_workers(spec: str) -> int:
    return int(spec.removeprefix("local:")) if spec.startswith("local:") else 0


def _connect(spec: str) -> tuple[Client, LocalCluster | None]:
    if spec.startswith("local:"):
        # Saturation 1.0: a short submission never queues on a worker behind a long one.
        with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
            cluster = LocalCluster(n_workers=0, threads_per_worker=1,
                                   processes=True, host="127.0.0.1", dashboard_address=None,
                                   worker_dashboard_address=None, silence_logs=logging.ERROR)
        return Client(cluster), cluster
    try:  # TLS and credentials come from Dask's configuration (distributed.comm.tls.*)
        return Client(spec, timeout=CONNECT_SECONDS), None
    except (OSError, TimeoutError, TypeError) as err:  # TypeError: tls:// without TLS settings
        raise ClusterError(f"cannot reach the Dask scheduler at {spec}: {err}") from None


def _close(client: Client, cluster: LocalCluster | None, pack_hash: str) -> None:
    """Free the workers of this pack's Grader and files (a shared cluster grades other packs)."""
    if cluster is None:
        for name, nanny in ((f"grader-{pack_hash}", False), (f"grader-pack-{pack_hash}", True)):
            try:
                client.unregister_worker_plugin(name, nanny=nanny)
            except Exception:  # never registered, or the scheduler is gone: nothing to free
                pass
    client.close()
    if cluster is not None:
        cluster.close()
