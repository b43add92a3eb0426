"""The grading machine's side: connect to the cluster, ship the pack, offer an Executor.

`grader.batch` grades on any `concurrent.futures.Executor`; here that is Dask's own
`ClientExecutor`, wrapped so each task returns its report as a plain dict that becomes a
`Report` again on this side. The batch records each report once, as its future completes.
"""
from __future__ import annotations

import sys
from concurrent.futures import CancelledError, Executor, Future
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

import dask
from distributed import Client, LocalCluster

from grader.cluster import ClusterError
from grader.cluster.packfiles import pack_files
from grader.cluster.worker import GraderOnWorker, PackOnNanny, RemoteGrade, report_as_dict
from grader.config import find_config, load_settings
from grader.model import Report, report_from_dict
from grader.pack import load_pack

# A task that raised (a worker without a Grader, a fork server that did not answer) runs again,
# on another worker when there is one; a worker's death is Dask's to retry (allowed-failures).
RETRIES = 2
CONNECT_SECONDS = 20
WORKER_WAIT_SECONDS = 120


@dataclass
class ClusterGrader:
    """What `grader.batch` uses of a Grader, plus the executor and how many it grades at once."""

    grade_bytes: RemoteGrade
    pack_hash: str
    exercise_ids: list[str]
    executor: Executor
    jobs: int
    close: Callable[[], None]


class ReportExecutor(Executor):
    """Runs `fn(*args) -> Report` through `inner`; only the report's dict crosses the network."""

    def __init__(self, inner: Executor) -> None:
        self._inner = inner

    def submit(self, fn: Callable[..., Report], /, *args: Any, **kwargs: Any) -> Future[Report]:
        remote = self._inner.submit(report_as_dict, fn, *args, **kwargs)
        local: Future[Report] = Future()
        local.set_running_or_notify_cancel()  # like a started task: cancelled only through `inner`
        remote.add_done_callback(partial(_settle, local))
        return local

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait and not cancel_futures)


def _settle(local: Future[Report], remote: Future[dict[str, Any]]) -> None:
    if remote.cancelled():
        local.set_exception(CancelledError("cancelled on the cluster"))
        return
    try:
        local.set_result(report_from_dict(remote.result()))
    except Exception as err:  # the task's own error, or a malformed report
        local.set_exception(err)


def open_cluster(spec: str, config: str | None, overrides: dict[str, Any]) -> ClusterGrader:
    """Connect to `spec` (or start `local:N`), put the pack on every worker, and wait for one."""
    settings = load_settings(find_config(config), overrides)
    pack = load_pack(settings.root, settings.assignment, settings.solutions,
                     select=list(settings.select) or None, weights=settings.points)
    client, cluster = _connect(spec)
    try:
        # Nanny first: it restarts the workers, so the Grader opens in processes that never held
        # the pack's bytes; every worker that joins later gets both plugins in the same order.
        client.register_plugin(PackOnNanny(pack_files(settings, pack), pack.hash))
        client.register_plugin(GraderOnWorker(settings, pack.hash))
        client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
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
    return ClusterGrader(RemoteGrade(pack.hash), pack.hash, [e.id for e in pack.exercises],
                         executor, sum(threads.values()), partial(_close, client, cluster, pack.hash))


def _connect(spec: str) -> tuple[Client, LocalCluster | None]:
    if spec.startswith("local:"):
        # Saturation 1.0: a short submission never queues on a worker behind a long one.
        with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
            cluster = LocalCluster(n_workers=int(spec.removeprefix("local:")), threads_per_worker=1,
                                   processes=True, host="127.0.0.1", dashboard_address=None,
                                   worker_dashboard_address=None)
        return Client(cluster), cluster
    try:  # TLS and credentials come from Dask's configuration (distributed.comm.tls.*)
        return Client(spec, timeout=CONNECT_SECONDS), None
    except (OSError, TimeoutError) as err:
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
