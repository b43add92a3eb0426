"""The fork server's own process: warm up, then fork one sandboxed child per request.

This is the side that runs in the fresh interpreter `forkserver.py` execs (its `main` is the
boot string's entry point); the grader's handle on it, and the protocol, are in forkserver.py.
"""
from __future__ import annotations

import io
import json
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
from typing import Any

from grader.pack.limits import Limits
from grader.run import sandbox, torch_libraries
from grader.run.sandbox import environment

_PRELOAD = ("json", "math", "random", "re", "collections", "itertools", "functools", "typing",
            "dataclasses", "fractions", "statistics", "encodings.idna", "numpy", "numpy.random",
            "matplotlib.pyplot")


def main(settings: dict[str, Any]) -> None:
    """The server process's entry point."""
    sock = socket.socket(fileno=settings["fd"])
    try:
        _warm_up(settings["full_warm_up"])
        if "limits" not in settings:  # prestarted: the grader sends them when it opens
            settings.update(json.loads(sock.recv(1 << 20)))
        _serve(sock, Limits.from_mapping(settings["limits"]), settings["protected"],
               settings["isolation"])
    except BaseException:
        os._exit(1)
    os._exit(0)


def _serve(sock: socket.socket, limits: Limits, protected: list[str], isolation: str) -> None:
    """The server loop: fork on request, report exits, leave no process of a job behind."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    capabilities = sandbox.prepare_server() if isolation != "none" else {"level": "none"}
    sock.send(json.dumps({"capabilities": capabilities}, default=str).encode())
    jobs: dict[int, tuple[int, str]] = {}
    while True:
        ready, _, _ = select.select([sock], [], [], 0.02)
        if ready:
            try:
                data, fds, _, _ = socket.recv_fds(sock, 65536, 3)
            except OSError:
                data = b""
            if not data:
                for pid, (slot, _) in jobs.items():
                    _kill_job(pid, slot, set())
                return
            request = json.loads(data)
            workdir = _workdir(request["slot"], isolation)
            pid = os.fork()
            if pid == 0:
                sock.close()
                _child(request["slot"], workdir, fds, limits, protected, isolation)
            for fd in fds:
                os.close(fd)
            jobs[pid] = (request["slot"], workdir)
            sock.send(json.dumps({"id": request["run"], "pid": pid}).encode())
        _reap(sock, jobs)


def _warm_up(full: bool) -> None:
    """Pay once, here, what every child would otherwise pay on first use (in parallel with
    the parent, which meanwhile reads the submission and computes the references).

    A gradient argument is checked without sympy (observe/lazy_sympy.py). matplotlib loads its
    fonts at the first draw; a full warm-up (many submissions) pays that and sympy here, for
    the children that need them; one submission's child pays them only if it does. Ops run
    single-threaded: a multi-threaded op before fork can hang the child's first matmul.
    What needs no torch is imported while torch's libraries load (run/torch_libraries.py).
    """
    import importlib
    import io

    torch_libraries.start()
    for name in _PRELOAD:
        importlib.import_module(name)
    torch_libraries.wait()
    import matplotlib.pyplot as plt
    import torch

    import grader.run.harness  # noqa: F401 - every child runs it
    import torch.autograd.functional  # noqa: F401 - ruled-out calls are resolved against it
    import torch.func  # noqa: F401

    from grader.observe import lazy_sympy

    lazy_sympy.install()
    torch.set_num_threads(1)
    x = torch.ones(3, requires_grad=True)
    (x * x).backward(gradient=torch.ones(3))
    (first,) = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    torch.autograd.grad(first.sum(), x)
    repr(x)
    if not full:
        return
    import torch.fx.experimental.symbolic_shapes  # noqa: F401
    figure = plt.figure()
    plt.plot([0.0, 1.0], [0.0, 1.0], label="warm")
    plt.legend()
    figure.savefig(io.BytesIO(), format="png", dpi=60)
    plt.close("all")


def _reap(sock: socket.socket, jobs: dict[int, tuple[int, str]]) -> None:
    """Wait only for the server's own job children; sweep reaps the orphans it kills."""
    for pid in list(jobs):
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 0
        if done == 0:
            continue
        slot, workdir = jobs.pop(pid)
        _kill_job(pid, slot, set(jobs))
        shutil.rmtree(workdir, ignore_errors=True)
        sock.send(json.dumps({"exit": pid, "code": os.waitstatus_to_exitcode(status)}).encode())


def _workdir(slot: int, isolation: str) -> str:
    """A fresh, empty working directory, owned by the slot's uid when the child will drop to it."""
    workdir = tempfile.mkdtemp(prefix=f"grader-slot{slot}-")
    if isolation != "none" and os.geteuid() == 0:
        os.chown(workdir, sandbox.slot_uid(slot), sandbox.slot_uid(slot))
    return workdir


def _kill_job(pid: int, slot: int, live: set[int]) -> None:
    """sweep kills the job's process group first, then whatever of the job escaped it."""
    sandbox.sweep(slot, pid, live)


def _child(slot: int, workdir: str, fds: list[int], limits: Limits, protected: list[str],
           isolation: str) -> None:
    """Become the sandboxed child: own session, student output to the pipe, then the harness."""
    code = 0
    try:
        os.setsid()
        job_fd, result_fd, output_fd = fds
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True)
        with os.fdopen(job_fd, "rb") as job_file:
            job = json.loads(job_file.read())
        os.closerange(3, result_fd)
        os.closerange(result_fd + 1, 65536)
        from grader.run.harness import RecordWriter, run_job  # before enter(): no imports after it

        environment.enter_workdir(workdir)
        if isolation == "none":
            os.chdir(workdir)
            report = {"level": "none", "notes": ["isolation turned off in the configuration"]}
        else:
            report = sandbox.enter(slot, workdir, limits, protected, [result_fd])
        writer = RecordWriter(result_fd)
        writer.send({"type": "isolation", "isolation": report})
        run_job(job, writer)
    except BaseException as exc:  # the harness itself failed: say so on stderr, exit non-zero
        try:
            os.write(2, f"grader harness error: {type(exc).__name__}: {exc}\n".encode())
        except OSError:
            pass
        code = 70
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code)
