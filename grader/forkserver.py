"""A warm process that forks one sandboxed child per submission.

It is a fresh interpreter, exec'd with an allow-listed environment (sandbox/environment.py),
that never loads a pack, a solution or a reference, so it holds nothing secret: a child can
read all of its memory. It imports torch once, while the grader loads the pack; a child then
costs a fork (milliseconds) instead of a fresh interpreter and `import torch` (seconds).

Protocol over a Unix socket: the parent sends {"run": id, "slot": n} with three fds attached
(job pipe to read, result pipe to write, output pipe to write); the server answers
{"id": id, "pid": pid} and later {"exit": pid, "code": exit code or -signal}.
"""
from __future__ import annotations

import io
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from typing import Any, Callable

from grader import sandbox
from grader.sandbox import environment
from grader.limits import Limits

# A fresh interpreter imports torch and warms up before its first fork: seconds when idle,
# much more on a loaded machine, so the first request waits for that, not the usual answer time.
STARTUP_SECONDS = 180
_PRELOAD = ("json", "math", "random", "re", "collections", "itertools", "functools", "typing",
            "dataclasses", "fractions", "statistics", "encodings.idna", "numpy", "numpy.random",
            "matplotlib.pyplot", "grader.harness")


class ForkServer:
    """The parent's handle on the server process; `spawn` and `kill` are thread-safe."""

    def __init__(self, limits: Limits, protected: list[str], isolation: str = "auto"):
        self._sock, server_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        settings = {"path": sys.path, "limits": limits.to_dict(), "protected": protected,
                    "isolation": isolation, "fd": server_sock.fileno()}
        self._process = subprocess.Popen(
            [sys.executable, "-c", _BOOT, json.dumps(settings)], env=environment.for_server(),
            pass_fds=(server_sock.fileno(),), stdin=subprocess.DEVNULL)
        server_sock.close()
        self.pid = self._process.pid
        self._lock = threading.Lock()
        self._next_id = 0
        self._spawned: dict[int, threading.Event] = {}
        self._pids: dict[int, int] = {}
        self._exits: dict[int, int] = {}
        self._exit_waiters: dict[int, Callable[[int], None]] = {}
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, name="forkserver-reader", daemon=True)
        self._reader.start()
        self.capabilities: dict[str, Any] = {}

    def spawn(self, slot: int, job_fd: int, result_fd: int, output_fd: int,
              on_exit: Callable[[int], None]) -> int:
        """Start a child for one job; `on_exit(code)` is called from the reader thread."""
        if not self._ready.wait(STARTUP_SECONDS):
            raise RuntimeError("the fork server did not start")
        with self._lock:
            self._next_id += 1
            request = self._next_id
            event = self._spawned[request] = threading.Event()
            socket.send_fds(self._sock, [json.dumps({"run": request, "slot": slot}).encode()],
                            [job_fd, result_fd, output_fd])
        if not event.wait(30):
            raise RuntimeError("the fork server did not answer")
        pid = self._pids.pop(request)
        with self._lock:
            if pid in self._exits:
                on_exit(self._exits.pop(pid))
            else:
                self._exit_waiters[pid] = on_exit
        return pid

    def _read(self) -> None:
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self._lock:
                    for pid, waiter in self._exit_waiters.items():
                        waiter(-signal.SIGKILL)
                    self._exit_waiters.clear()
                    for event in self._spawned.values():
                        event.set()
                self._ready.set()
                return
            message = json.loads(data)
            if "pid" in message:
                self._pids[message["id"]] = message["pid"]
                self._spawned.pop(message["id"]).set()
            elif "exit" in message:
                with self._lock:
                    waiter = self._exit_waiters.pop(message["exit"], None)
                    if waiter is None:
                        self._exits[message["exit"]] = message["code"]
                if waiter is not None:
                    waiter(message["code"])
            elif "capabilities" in message:
                self.capabilities = message["capabilities"]
                self._ready.set()

    @staticmethod
    def kill(pid: int) -> None:
        """Kill a child's whole process group (it called setsid, so the group id is its pid)."""
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


_BOOT = ("import json, sys\nsettings = json.loads(sys.argv[1])\nsys.path[:] = settings['path']\n"
         "from grader.forkserver import main\nmain(settings)")


def main(settings: dict[str, Any]) -> None:
    """The server process's entry point, exec'd with the allow-listed environment."""
    sock = socket.socket(fileno=settings["fd"])
    try:
        _serve(sock, Limits.from_mapping(settings["limits"]), settings["protected"],
               settings["isolation"])
    except BaseException:
        os._exit(1)
    os._exit(0)


def _serve(sock: socket.socket, limits: Limits, protected: list[str], isolation: str) -> None:
    """The server loop: fork on request, report exits, leave no process of a job behind."""
    _warm_up()
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


def _warm_up() -> None:
    """Pay once, here, what every child would otherwise pay on first use (in parallel with
    the parent, which meanwhile reads the submission and computes the references).

    torch imports sympy (via torch.fx) the first time a gradient argument is passed, ~1.5 s;
    matplotlib loads its fonts at the first draw. Ops run single-threaded: a multi-threaded op
    before fork can hang the child's first matmul.
    """
    import importlib
    import io

    for name in _PRELOAD:
        importlib.import_module(name)
    import matplotlib.pyplot as plt
    import torch
    import torch.autograd.functional  # noqa: F401 - ruled-out calls are resolved against it
    import torch.func  # noqa: F401
    import torch.fx.experimental.symbolic_shapes  # noqa: F401

    torch.set_num_threads(1)
    x = torch.ones(3, requires_grad=True)
    (x * x).backward(gradient=torch.ones(3))
    (first,) = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    torch.autograd.grad(first.sum(), x)
    repr(x)
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
        from grader.harness import RecordWriter, run_job  # before enter(): no imports after it

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
