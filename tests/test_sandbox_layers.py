"""Each sandbox layer against the attack it exists for, in real forked children.

This file is also the fork server the tests talk to (run as a script): it imports torch once,
calls prepare_server(), and per request forks a child that calls setsid() and enter(), runs
one attack, sends a JSON line back, and is then killed and swept like a real job. A layer this
machine lacks must show up as missing in enter's report: nothing here is skipped.
"""
from __future__ import annotations

import ctypes
import errno
import importlib.util
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
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.pack.config import load_settings

REPO = Path(__file__).resolve().parents[1]
SLOT = 7  # in the uid block this test's server claims for itself
ANSWER_SECONDS = 20.0

Attack = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


# ---- attacks: each runs inside the sandboxed child and returns plain JSON data ----

def _outcome(action: Callable[[], Any]) -> str:
    try:
        action()
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, type(exc).__name__)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def attack_read(iso: dict[str, Any], arg: dict[str, Any]) -> dict[str, Any]:
    try:
        text = Path(arg["path"]).read_text(encoding="utf-8")
    except OSError as exc:
        return {"outcome": errno.errorcode.get(exc.errno or 0, "OSError"), "text": ""}
    return {"outcome": "ok", "text": text}


def attack_write(iso: dict[str, Any], arg: dict[str, Any]) -> dict[str, Any]:
    def write(path: str) -> Callable[[], None]:
        return lambda: Path(path).write_text("pwned", encoding="utf-8")

    return {path: _outcome(write(path)) for path in arg["paths"]}


def attack_network(iso: dict[str, Any], arg: dict[str, Any]) -> dict[str, Any]:
    def connect() -> None:
        socket.create_connection(("127.0.0.1", arg["tcp"]), timeout=1).close()

    def send() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"leak", ("127.0.0.1", arg["udp"]))

    return {"tcp": _outcome(connect), "udp": _outcome(send)}


def attack_allocate(iso: dict[str, Any], arg: dict[str, Any]) -> dict[str, Any]:
    import torch

    return {"small": _outcome(lambda: torch.empty(64 << 20, dtype=torch.uint8).fill_(1)),
            "huge": _outcome(lambda: torch.empty(4 << 30, dtype=torch.uint8))}


def attack_fork_bomb(iso: dict[str, Any], arg: dict[str, Any]) -> dict[str, Any]:
    """Every process forks for ever; only RLIMIT_NPROC (per slot uid) can stop it."""
    if iso["rlimits"].get("processes") is None:
        return {"ran": False}
    forks = 0
    for _ in range(500):
        try:
            pid = os.fork()
        except OSError as exc:
            return {"ran": True, "forks": forks, "stopped_by": errno.errorcode[exc.errno or 0]}
        if pid == 0:
            while True:
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.01)
        forks += 1
    return {"ran": True, "forks": forks, "stopped_by": None}


def attack_daemon(iso: dict[str, Any], arg: dict[str, Any]) -> dict[str, Any]:
    """The classic double fork: a new session, then an orphan that outlives the job."""
    read_end, write_end = os.pipe()
    first = os.fork()
    if first == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(write_end, str(os.getpid()).encode())
            time.sleep(60)
        os._exit(0)
    os.waitpid(first, 0)
    return {"pids": [int(os.read(read_end, 32))]}


def attack_escape(iso: dict[str, Any], arg: dict[str, Any]) -> dict[str, Any]:
    libc = ctypes.CDLL(None, use_errno=True)

    def checked(result: int) -> None:
        if result < 0:
            raise OSError(ctypes.get_errno(), "")

    clone_newuser, ptrace_attach = 0x10000000, 16
    return {"unshare_user": _outcome(lambda: checked(libc.unshare(clone_newuser))),
            "ptrace_server": _outcome(lambda: checked(
                libc.ptrace(ptrace_attach, os.getppid(), None, None))),
            "signal_server": _outcome(lambda: os.kill(os.getppid(), 0)),
            "read_server_memory": _outcome(
                lambda: open(f"/proc/{os.getppid()}/maps", "rb").read(1))}


def attack_everyday(iso: dict[str, Any], arg: dict[str, Any]) -> dict[str, Any]:
    """What honest student code does, which no layer may break."""
    import matplotlib.pyplot as plt
    import torch

    def plot() -> None:
        figure = plt.figure()
        plt.plot([0, 1], [1, 0])
        figure.savefig(io.BytesIO(), format="png")
        plt.close(figure)

    return {"json": _outcome(lambda: json.dumps({"a": [1, 2]})),
            "matmul": float(torch.ones(3) @ torch.ones(3)),
            "backward": _outcome(lambda: (torch.ones(2, requires_grad=True) * 3).sum().backward()),
            "idna": _outcome(lambda: "x".encode("idna")),
            "lazy_import": _outcome(lambda: importlib.import_module("wave")),
            "plot": _outcome(plot),
            "tempfile": _outcome(lambda: tempfile.TemporaryFile().close()),
            "write_workdir": _outcome(lambda: Path("out.txt").write_text("ok", encoding="utf-8"))}


def attack_nothing(iso: dict[str, Any], arg: dict[str, Any]) -> dict[str, Any]:
    return {}


ATTACKS: dict[str, Attack] = {name[len("attack_"):]: fn for name, fn in globals().items()
                              if name.startswith("attack_")}


# ---- the fork server side (this file run as a script) ----

def serve(bare: bool) -> None:
    """`bare`: a server without pyseccomp, torch or the rest of the grader (the sandbox needs
    none of them), which starts in a fraction of a second."""
    if bare:
        sys.modules["pyseccomp"] = None  # type: ignore[assignment]  # its import now fails
        package = types.ModuleType("grader")
        package.__path__ = [str(REPO / "grader")]
        sys.modules["grader"] = package
    else:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401  (preloaded like the grader's server does)
        import torch

        torch.set_num_threads(1)
    from grader.render import isolation
    from grader.run import sandbox

    capabilities = sandbox.prepare_server(preload=() if bare else sandbox.PRELOAD)
    _answer({**capabilities, "slot_uid": sandbox.slot_uid(SLOT)})
    for line in sys.stdin:
        request = json.loads(line)
        if "describe" in request:
            _answer({"line": isolation.describe(request["describe"])})
        else:
            _answer(_job(request))


def _answer(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


def _job(request: dict[str, Any]) -> dict[str, Any]:
    """Fork, let the child attack, then end the job the way the grader's server does."""
    from grader.run import sandbox
    from grader.run.sandbox import reaper

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        _child(request, write_end)
    os.close(write_end)
    answer = _read_line(read_end, time.monotonic() + ANSWER_SECONDS)
    os.close(read_end)
    orphans_before = sandbox.orphans([pid])
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    swept = sandbox.sweep(request["slot"], pid, [])
    uid, me = sandbox.slot_uid(request["slot"]), os.getpid()
    procs = reaper.processes()
    return {**answer, "orphans_before": orphans_before, "swept": swept,
            "left": [p.pid for p in procs if p.uid == uid and not p.zombie],
            "zombies": [p.pid for p in procs if p.ppid == me and p.zombie],
            "alive": [p for p in answer.get("result", {}).get("pids", [])
                      if os.path.exists(f"/proc/{p}")]}


def _child(request: dict[str, Any], write_end: int) -> None:
    out: dict[str, Any] = {}
    try:
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)  # stdout is the protocol: student output must not reach it
        from grader.run import sandbox
        from grader.pack.limits import Limits
        from grader.run.sandbox import server

        server.capabilities().update(request.get("pretend", {}))
        iso = sandbox.enter(request["slot"], request["workdir"],
                            Limits(**request.get("limits", {})), request["protected"],
                            [write_end, *request.get("keep_fds", [])])
        out["isolation"] = iso
        out["result"] = ATTACKS[request["attack"]](iso, request.get("arg", {}))
    except BaseException as exc:
        out["crash"] = repr(exc)
    finally:
        try:
            os.write(write_end, (json.dumps(out) + "\n").encode())
        finally:
            os._exit(0)


def _read_line(fd: int, deadline: float) -> dict[str, Any]:
    data = b""
    while not data.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 65536) if ready else b""
        if not chunk:
            return {"crash": f"no answer: {data[:200]!r}"}
        data += chunk
    return json.loads(data)


# ---- the test side ----

class Server:
    """A fork server subprocess, answering one JSON line per request."""

    def __init__(self, *flags: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.process = subprocess.Popen([sys.executable, __file__, *flags], cwd=REPO, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.capabilities = self._receive()
        self.slot_uid: int = self.capabilities.pop("slot_uid")

    def run(self, attack: str, workdir: str, protected: list[str], **request: Any) -> dict[str, Any]:
        answer = self._send({"attack": attack, "slot": SLOT, "workdir": workdir,
                             "protected": protected, **request})
        assert "crash" not in answer, answer
        return answer

    def describe(self, isolation: dict[str, Any]) -> str:
        return self._send({"describe": isolation})["line"]

    def _send(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()
        return self._receive()

    def _receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        return _read_line(self.process.stdout.fileno(), time.monotonic() + 60)

    def close(self) -> None:
        """Killed rather than asked to exit: unloading torch takes seconds; sweep has already
        ended every process a job started."""
        self.process.kill()
        self.process.wait(timeout=10)


def _landlock_abi() -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    return max(0, libc.syscall(ctypes.c_long(444), None, ctypes.c_size_t(0), ctypes.c_uint32(1)))


ROOT = os.geteuid() == 0
LANDLOCK = _landlock_abi() > 0
PYSECCOMP = importlib.util.find_spec("pyseccomp") is not None


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


def _workdir(owner: int) -> str:
    """As the grader's server makes it: fresh, and owned by the slot's uid."""
    path = tempfile.mkdtemp(prefix="sandbox-work-")
    if ROOT:
        os.chown(path, owner, owner)
    return path


@pytest.fixture()
def workdir(server: Server) -> Iterator[str]:
    path = _workdir(server.slot_uid)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture()
def secret_dir() -> Iterator[str]:
    """World-readable, so that only Landlock or a mount can keep the child out."""
    path = tempfile.mkdtemp(prefix="sandbox-solutions-")
    os.chmod(path, 0o755)
    Path(path, "answer.py").write_text("SECRET = 42\n", encoding="utf-8")
    os.chmod(Path(path, "answer.py"), 0o644)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_prepare_server_reports_what_this_machine_offers(server: Server) -> None:
    caps = server.capabilities
    assert caps["root"] is ROOT
    assert (caps["uid_block"] is not None) is ROOT
    assert caps["subreaper"] is True
    assert (caps["landlock_abi"] > 0) is LANDLOCK
    assert caps["seccomp"] is PYSECCOMP
    if not PYSECCOMP:
        assert any("pyseccomp" in note for note in caps["notes"])
    if ROOT and not caps["interpreter_readable"]:
        assert "encodings.idna" in caps["preloaded"]


def test_protected_file_cannot_be_read(server: Server, workdir: str, secret_dir: str) -> None:
    answer = server.run("read", workdir, [secret_dir, str(REPO)],
                        arg={"path": f"{secret_dir}/answer.py"})
    iso, result = answer["isolation"], answer["result"]
    assert iso["landlock"] is LANDLOCK
    if not LANDLOCK:
        assert any("Landlock unavailable" in note for note in iso["notes"])
    if iso["landlock"] or iso["hidden"]:
        assert result["outcome"] in ("EACCES", "ENOENT") and "SECRET" not in result["text"]
    else:
        assert iso["level"] == "basic"


def test_mounts_alone_still_hide_protected_paths(server: Server, workdir: str,
                                                  secret_dir: str) -> None:
    """Where Landlock is missing, root's mount namespace is the fallback."""
    answer = server.run("read", workdir, [secret_dir], pretend={"landlock_abi": 0},
                        arg={"path": f"{secret_dir}/answer.py"})
    iso = answer["isolation"]
    assert iso["landlock"] is False
    if ROOT:
        assert iso["hidden"] == 1 and iso["level"] == "standard"
        assert "SECRET" not in answer["result"]["text"]
    else:
        assert iso["hidden"] == 0 and iso["level"] == "basic"


def test_nothing_outside_workdir_can_be_written(server: Server, workdir: str) -> None:
    open_dir = tempfile.mkdtemp(prefix="sandbox-open-")
    os.chmod(open_dir, 0o777)  # the uid drop alone would not stop this one
    targets = [f"{open_dir}/planted.py", f"/tmp/sandbox-planted-{os.getpid()}",
               str(REPO / "grader" / "planted.py"), f"{workdir}/fine.txt"]
    try:
        answer = server.run("write", workdir, [str(REPO)], arg={"paths": targets})
        planted = [t for t in targets[:3] if os.path.exists(t)]
    finally:
        shutil.rmtree(open_dir, ignore_errors=True)
        for path in targets[1:3]:
            Path(path).unlink(missing_ok=True)
    result = answer["result"]
    assert result[targets[3]] == "ok"
    if answer["isolation"]["landlock"]:
        assert planted == [] and all(result[t] == "EACCES" for t in targets[:3])
    else:
        assert not LANDLOCK


def test_no_tcp_or_udp_reaches_localhost(server: Server, workdir: str) -> None:
    with socket.socket() as listener, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        udp.bind(("127.0.0.1", 0))
        answer = server.run("network", workdir, [], arg={"tcp": listener.getsockname()[1],
                                                         "udp": udp.getsockname()[1]})
        listener.setblocking(False)
        udp.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
        udp_arrived = _arrived(udp)
    iso, result = answer["isolation"], answer["result"]
    assert result["tcp"] != "ok"
    assert iso["network"] == ("netns" if ROOT else "seccomp" if PYSECCOMP else
                              "landlock-tcp" if _landlock_abi() >= 4 else "none")
    if iso["network"] in ("netns", "seccomp"):
        assert result["udp"] != "ok" and not udp_arrived
    else:
        assert iso["level"] != "strong"


def _arrived(udp: socket.socket) -> bool:
    try:
        udp.recvfrom(64)
    except BlockingIOError:
        return False
    return True


def test_network_falls_back_to_seccomp_without_a_namespace(server: Server, workdir: str) -> None:
    answer = server.run("network", workdir, [], pretend={"netns": False},
                        arg={"tcp": 9, "udp": 9})
    iso, result = answer["isolation"], answer["result"]
    assert iso["network"] == ("seccomp" if PYSECCOMP else "landlock-tcp")
    if PYSECCOMP:
        assert result == {"tcp": "EPERM", "udp": "EPERM"}


def test_address_space_limit_makes_huge_tensors_fail(server: Server, workdir: str) -> None:
    answer = server.run("allocate", workdir, [], limits={"memory_mb": 256})
    assert answer["isolation"]["rlimits"]["memory_mb"] == 256
    assert answer["result"]["small"] == "ok"
    assert answer["result"]["huge"].startswith("RuntimeError")
    assert "can't allocate memory" in answer["result"]["huge"]


def test_fork_bomb_is_capped_and_swept(server: Server, workdir: str) -> None:
    answer = server.run("fork_bomb", workdir, [], limits={"processes": 12})
    iso, result = answer["isolation"], answer["result"]
    if ROOT:
        assert iso["uid"] == server.slot_uid and iso["rlimits"]["processes"] == 12
        assert result["ran"] and result["stopped_by"] == "EAGAIN" and result["forks"] < 12
    else:
        assert iso["uid"] is None and iso["rlimits"]["processes"] is None and not result["ran"]
    assert answer["left"] == [] and answer["zombies"] == []


def test_double_forked_daemon_is_killed_by_sweep(server: Server, workdir: str) -> None:
    answer = server.run("daemon", workdir, [])
    daemon = answer["result"]["pids"][0]
    assert daemon in answer["orphans_before"]
    assert daemon in answer["swept"]
    assert answer["alive"] == [] and answer["left"] == [] and answer["zombies"] == []


def test_child_cannot_reach_the_server_or_new_namespaces(server: Server, workdir: str) -> None:
    answer = server.run("escape", workdir, [str(REPO)])
    iso, result = answer["isolation"], answer["result"]
    assert iso["seccomp"] is PYSECCOMP
    if PYSECCOMP:
        assert result["unshare_user"] == "EPERM" and result["ptrace_server"] == "EPERM"
    if iso["uid"] is not None or _landlock_abi() >= 6:
        assert result["signal_server"] == "EPERM"
    if iso["uid"] is not None or iso["landlock"]:
        assert result["read_server_memory"] == "EACCES"


def test_everyday_student_code_still_works(server: Server, workdir: str) -> None:
    # What grading protects, not the whole checkout: a venv made in it (.venv) is on sys.path.
    protected = load_settings(REPO / "config.yaml").protected_paths()
    answer = server.run("everyday", workdir, protected)
    iso, result = answer["isolation"], answer["result"]
    if ROOT and LANDLOCK:
        assert iso["level"] == "strong" and iso["lazy_imports"]
    assert result.pop("matmul") == 3.0
    if not iso["lazy_imports"]:
        assert result.pop("lazy_import") != "ok"
    assert {name: outcome for name, outcome in result.items() if outcome != "ok"} == {}
    assert Path(workdir, "out.txt").read_text(encoding="utf-8") == "ok"


def test_enter_never_raises_and_says_what_failed(server: Server) -> None:
    answer = server.run("nothing", "/nonexistent/workdir", ["/nonexistent/solutions"],
                        keep_fds=[987])
    iso = answer["isolation"]
    assert any(note.startswith("workdir failed") for note in iso["notes"])
    assert iso["level"] in ("strong", "standard", "basic")
    assert iso["ms"] < 100


def test_without_pyseccomp_the_layer_is_reported_missing(server: Server) -> None:
    bare = Server("--bare")
    workdir = _workdir(bare.slot_uid)
    try:
        answer = bare.run("escape", workdir, [])
    finally:
        bare.close()
        shutil.rmtree(workdir, ignore_errors=True)
    iso = answer["isolation"]
    if ROOT:  # two servers at once: each its own uid block, so neither sweeps the other's jobs
        assert bare.slot_uid != server.slot_uid and iso["uid"] == bare.slot_uid
    assert bare.capabilities["seccomp"] is False and iso["seccomp"] is False
    assert "seccomp unavailable" in iso["notes"]
    assert iso["network"] == ("netns" if ROOT else "landlock-tcp" if LANDLOCK else "none")


def test_describe_is_one_line_naming_each_layer(server: Server) -> None:
    line = server.describe({"level": "strong", "uid": 61003, "network": "netns",
                            "landlock": True, "seccomp": True, "hidden": 2,
                            "rlimits": {"cpu_seconds": 120, "memory_mb": 2048,
                                        "processes": 64}})
    assert line == ("strong: uid 61003, no network (netns), Landlock file allow-list, "
                    "2 protected paths hidden, seccomp, rlimits (120 s CPU, 2048 MiB, "
                    "64 processes)")
    assert server.describe({}) == ("basic: no uid drop, network open, no Landlock, "
                                   "no seccomp, no rlimits")


if __name__ == "__main__":
    serve(bare="--bare" in sys.argv)
