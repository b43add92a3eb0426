"""A warm process that forks one sandboxed child per submission.

It is a fresh interpreter, exec'd with an allow-listed environment (sandbox/environment.py),
that never loads a pack, a solution or a reference, so it holds nothing secret: a child can
read all of its memory. It imports torch once, while the grader loads the pack; a child then
costs a fork (milliseconds) instead of a fresh interpreter and `import torch` (seconds).

Protocol over a Unix socket: the parent sends {"run": id, "slot": n} with three fds attached
(job pipe to read, result pipe to write, output pipe to write); the server answers
{"id": id, "pid": pid} and later {"exit": pid, "code": exit code or -signal}. A server started
before the grader read its configuration (`prestart`, the command line) first receives its
settings (limits, protected paths, isolation) as one message.

A server can die (SIGKILL, the OOM killer, a kill aimed at a Dask worker, whose command line it
shares). The handle then reaps it, tells every child's waiter, counts a new `generation`, and
starts a replacement, started the same way, on the next `spawn`.
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

from grader.run import sandbox
from grader.pack.limits import Limits
from grader.run.sandbox import environment

_PRELOAD = ("json", "math", "random", "re", "collections", "itertools", "functools", "typing",
            "dataclasses", "fractions", "statistics", "encodings.idna", "numpy", "numpy.random",
            "matplotlib.pyplot", "grader.run.harness")


# A fresh interpreter imports torch and warms up before its first fork: seconds when idle,
# much more on a loaded machine, so a request waits for that, not the usual answer time.
START_SECONDS = 180.0


class ForkServer:
    """The parent's handle on the server process; `spawn` and `kill` are thread-safe."""

    def __init__(self, limits: Limits, protected: list[str], isolation: str = "auto",
                 full_warm_up: bool = True):
        """`full_warm_up=False` (one submission) warms up only what every child needs."""
        self._settings = (limits, protected, isolation, full_warm_up)
        self._lock = threading.Lock()
        self._next_id = 0
        self._spawned: dict[int, threading.Event] = {}
        self._pids: dict[int, int] = {}
        self._exits: dict[int, int] = {}
        self._exit_waiters: dict[int, Callable[[int], None]] = {}
        self.capabilities: dict[str, Any] = {}
        self.generation = 0
        self._closed = False
        self._start()

    def _start(self) -> None:
        limits, protected, isolation, full_warm_up = self._settings
        settings = {"limits": limits.to_dict(), "protected": protected, "isolation": isolation}
        if _prestarted and not full_warm_up:
            self.pid, self._sock = _prestarted.pop()
            self._sock.send(json.dumps(settings).encode())
        else:
            self._sock, server_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                self.pid = _exec_server(server_sock, {**settings, "full_warm_up": full_warm_up})
            finally:
                server_sock.close()
        self._alive = True
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, args=(self._sock,),
                                        name="forkserver-reader", daemon=True)
        self._reader.start()

    def wait_ready(self, seconds: float = START_SECONDS) -> None:
        """Start a replacement for a dead server and wait until it has warmed up: a
        submission's time limit must not pay for the server's start-up."""
        with self._lock:
            if not self._alive and not self._closed:
                self._start()
            ready = self._ready
        if not ready.wait(seconds):
            raise RuntimeError(f"the fork server did not start within {seconds:g} s")

    def lost_since(self, generation: int) -> bool:
        """True when the server that was current at `generation` has died since."""
        with self._lock:
            return self.generation != generation or not self._alive

    def spawn(self, slot: int, job_fd: int, result_fd: int, output_fd: int,
              on_exit: Callable[[int], None]) -> int:
        """Start a child for one job; `on_exit(code)` is called from the reader thread.

        A dead server is replaced first; one that dies while asked is replaced and asked again.
        """
        for _ in range(3):
            self.wait_ready()
            with self._lock:
                if not self._alive:  # it died while starting: the next round replaces it
                    continue
                self._next_id += 1
                request = self._next_id
                event = self._spawned[request] = threading.Event()
                try:
                    socket.send_fds(self._sock, [json.dumps({"run": request, "slot": slot}).encode()],
                                    [job_fd, result_fd, output_fd])
                except OSError:  # the server died just now: its reader will say so
                    self._spawned.pop(request, None)
                    self._await_death()
                    continue
            if not event.wait(30):
                raise RuntimeError("the fork server did not answer")
            pid = self._pids.pop(request, None)
            if pid is None:  # it died before answering
                continue
            with self._lock:
                if pid in self._exits:
                    on_exit(self._exits.pop(pid))
                elif not self._alive:
                    on_exit(-signal.SIGKILL)
                else:
                    self._exit_waiters[pid] = on_exit
            return pid
        raise RuntimeError("the fork server died three times in a row")

    def _await_death(self) -> None:
        """Called with the lock held; the reader needs the lock to record the death."""
        reader = self._reader
        self._lock.release()
        try:
            reader.join(timeout=5)
        finally:
            self._lock.acquire()

    def _read(self, sock: socket.socket) -> None:
        while True:
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                self._server_died()
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

    def _server_died(self) -> None:
        """Reap the server (no zombie), end every wait on it, and let `spawn` replace it."""
        with self._lock:
            self._alive = False
            self.generation += 1
            _reap_server(self.pid)
            for waiter in self._exit_waiters.values():
                waiter(-signal.SIGKILL)
            self._exit_waiters.clear()
            for event in self._spawned.values():
                event.set()
            self._spawned.clear()
            self._ready.set()  # whoever waits for it to start learns it is gone

    @staticmethod
    def kill(pid: int) -> None:
        """Kill a child's whole process group (it called setsid, so the group id is its pid)."""
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        with self._lock:
            self._closed = True
        try:
            self._sock.close()
        except OSError:
            pass
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        _reap_server(self.pid)


def _reap_server(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:  # reaped already
        pass


_prestarted: list[tuple[int, socket.socket]] = []


def prestart() -> None:
    """Start one submission's server before the grader has read its configuration, so that its
    `import torch` begins a tenth of a second sooner: the first ForkServer with the short
    warm-up adopts it and sends it the settings its warm-up does not need."""
    sock, server_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        _prestarted.append((_exec_server(server_sock, {"full_warm_up": False}), sock))
    finally:
        server_sock.close()


def discard_prestarted() -> None:
    """A server started for a submission that was never graded (a usage error, a broken pack)."""
    while _prestarted:
        pid, sock = _prestarted.pop()
        sock.close()
        os.kill(pid, signal.SIGKILL)
        _reap_server(pid)


def _exec_server(server_sock: socket.socket, settings: dict[str, Any]) -> int:
    """A fresh interpreter with the allow-listed environment: it has seen no solution and no
    secret of the grader's (an exec'd process's /proc/PID/environ is what it was given)."""
    arguments = {**settings, "path": sys.path, "fd": server_sock.fileno()}
    return subprocess.Popen([sys.executable, "-c", _BOOT, json.dumps(arguments)],
                            env=environment.for_server(), pass_fds=(server_sock.fileno(),),
                            stdin=subprocess.DEVNULL).pid


_BOOT = ("import json, sys\nsettings = json.loads(sys.argv[1])\nsys.path[:] = settings['path']\n"
         "from grader.run.forkserver import main\nmain(settings)")


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
    """
    import importlib
    import io

    import torch

    for name in _PRELOAD:
        importlib.import_module(name)
    import matplotlib.pyplot as plt
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
