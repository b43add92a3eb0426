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

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from typing import Any, Callable

from grader.pack.limits import Limits
from grader.run.sandbox import environment

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
        """Start a replacement for a dead server and wait until one has warmed up (a server
        that dies while starting also ends the wait on it: a replacement is started then)."""
        for _ in range(3):
            with self._lock:
                if not self._alive and not self._closed:
                    self._start()
                ready = self._ready
            if not ready.wait(seconds):
                raise RuntimeError(f"the fork server did not start within {seconds:g} s")
            with self._lock:
                if self._alive or self._closed:
                    return
        raise RuntimeError("the fork server died three times in a row while starting")

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
         "from grader.run.server_process import main\nmain(settings)")
