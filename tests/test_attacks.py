"""Hostile and careless submissions: whatever they do, grading finishes within its limits, they
earn nothing they did not compute, and they leave nothing behind."""
from __future__ import annotations

import glob
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

import pytest

from conftest import REPO, codes, exercise, run_cli, write_notebook
from grader.api import Grader

DETACH = textwrap.dedent('''
    def detach_grad(x):
        x = x.detach().requires_grad_(True)
        u = (x * x).detach()
        (u * x).sum().backward()
        return x.grad
''')
WRONG_DOT = "import torch\ndef grad_of_dot(x):\n    return x.detach().clone() * 0 + 1\n"


@pytest.fixture(scope="module")
def hardened():
    limits = {"cell_seconds": 3.0, "check_seconds": 2.0, "submission_seconds": 40.0,
              "memory_mb": 1024, "output_kb": 32}
    with Grader.open(str(REPO / "config.yaml"), {"limits": limits}) as grader:
        yield grader


def grade(grader, tmp_path, *cells):
    return grader.grade_file(write_notebook(tmp_path / "hostile.ipynb", [*cells, DETACH]))


def assert_rest_graded(report):
    assert exercise(report, "detach_grad").status == "passed"


def own_uids(grader) -> range:
    """The sandbox uids of this grader's own server (its block): other graders on the machine
    (another test suite, a batch) have blocks of their own."""
    from grader.run.sandbox import identity

    grader.server.wait_ready()  # the block is known once the server has started
    first = identity.UID_BASE + identity.BLOCK_SIZE * grader.server.capabilities["uid_block"]
    return range(first, first + identity.BLOCK_SIZE)


def slot_processes(grader) -> list[str]:
    """Processes still running under this grader's own sandbox uids."""
    if os.geteuid() != 0:
        return []
    out = subprocess.run(["ps", "-eo", "uid=,pid=,stat=,cmd="], capture_output=True, text=True).stdout
    return [line for line in out.splitlines()
            if int(line.split()[0]) in own_uids(grader) and "Z" not in line.split()[2]]


def slot_workdirs(grader) -> set[str]:
    """Workdirs in /tmp owned by this grader's sandbox uids (as root; every one without it)."""
    paths = set(glob.glob(os.path.join(tempfile.gettempdir(), "grader-slot*")))
    if os.geteuid() != 0:
        return paths
    return {p for p in paths if os.path.exists(p) and os.stat(p).st_uid in own_uids(grader)}


def test_sleep_forever_in_a_cell_and_in_a_function(hardened, tmp_path):
    report = grade(hardened, tmp_path, "import time\ntime.sleep(10**6)",
                   "import time\ndef grad_of_dot(x):\n    time.sleep(10**6)\n")
    assert report.cells[0].error_type == "Deadline"
    assert codes(exercise(report, "grad_of_dot")) == {"timeout"}
    assert_rest_graded(report)


def test_allocation_bomb_is_a_memory_limit(hardened, tmp_path):
    report = grade(hardened, tmp_path, "import torch\nbig = torch.empty(50_000_000_000)",
                   "import torch\ndef grad_of_dot(x):\n    return torch.ones(40_000_000_000)\n")
    assert report.cells[0].status == "error" and "allocate" in report.cells[0].message
    assert codes(exercise(report, "grad_of_dot")) == {"memory-limit"}
    assert_rest_graded(report)


def test_fork_bomb_is_contained_and_swept(hardened, tmp_path):
    bomb = "import os\nfor _ in range(10000):\n    try:\n        os.fork()\n    except OSError:\n        break"
    started = time.monotonic()
    report = grade(hardened, tmp_path, bomb)
    assert time.monotonic() - started < 40
    assert_rest_graded(report)
    time.sleep(0.5)
    assert slot_processes(hardened) == []


def test_exits_and_interrupts_inside_checked_functions(hardened, tmp_path):
    report = grade(hardened, tmp_path,
                   "import sys\ndef grad_of_dot(x):\n    sys.exit(0)\n",
                   "def two_grads(x):\n    raise KeyboardInterrupt\n",
                   "def vector_backward(f, x, v):\n    raise SystemExit(3)\n")
    assert codes(exercise(report, "grad_of_dot")) == {"crashed"}
    assert exercise(report, "two_grads").score == 0
    assert codes(exercise(report, "vector_backward")) == {"crashed"}
    assert_rest_graded(report)


def test_segfault_through_ctypes_costs_only_its_case(hardened, tmp_path):
    report = grade(hardened, tmp_path,
                   "import ctypes\ndef grad_of_dot(x):\n    return ctypes.string_at(0)\n")
    assert codes(exercise(report, "grad_of_dot")) == {"crashed"}
    assert_rest_graded(report)


def test_a_flood_of_output_is_capped(hardened, tmp_path):
    report = grade(hardened, tmp_path, "import sys\nsys.stdout.write('x' * 100_000_000)\nprint('the end')")
    assert len(report.output) < 40_000 and "bytes of output omitted" in report.output
    assert report.output.rstrip().endswith("the end")
    assert_rest_graded(report)


def test_solutions_and_pack_cannot_be_read(hardened, tmp_path):
    secret = (REPO / "solutions" / "two_grads.py").read_text()
    attempt = textwrap.dedent(f'''
        import glob, os
        found = []
        for path in [{str(REPO / "solutions" / "two_grads.py")!r}, {str(REPO / "exercises" / "two_grads.yaml")!r},
                     {str(REPO / "config.yaml")!r}]:
            try:
                found.append(open(path).read())
            except Exception as exc:
                found.append(type(exc).__name__)
        print("READ:", found)
    ''')
    report = grade(hardened, tmp_path, attempt)
    assert "READ:" in report.output
    assert "x.grad.zero_()" not in report.output and secret not in report.output
    assert "grad-accumulation" not in report.output and "stub_modules" not in report.output
    assert_rest_graded(report)


def test_no_writes_outside_the_working_directory(hardened, tmp_path):
    target = tmp_path / "planted.txt"
    os.chmod(tmp_path, 0o777)
    report = grade(hardened, tmp_path, f"open({str(target)!r}, 'w').write('x')",
                   f"open({str(REPO / 'grader' / 'planted.py')!r}, 'w').write('x')",
                   "open('scratch.txt', 'w').write('fine here')\nprint(open('scratch.txt').read())")
    assert not target.exists() and not (REPO / "grader" / "planted.py").exists()
    assert [c.status for c in report.cells[:3]] == ["error", "error", "ok"]
    assert "fine here" in report.output
    assert_rest_graded(report)


def test_no_network_not_even_loopback(hardened, tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(8)
    port = server.getsockname()[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.5)
    accepted = []
    threading.Thread(target=lambda: accepted.append(_accept(server)), daemon=True).start()
    report = grade(hardened, tmp_path,
                   f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)",
                   f"import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                   f"s.sendto(b'leak', ('127.0.0.1', {udp.getsockname()[1]}))")
    time.sleep(0.5)
    assert report.cells[0].status == "error" and report.cells[1].status == "error"
    with pytest.raises(socket.timeout):
        udp.recvfrom(16)
    assert accepted in ([], [None])
    assert_rest_graded(report)


def _accept(server):
    try:
        return server.accept()
    except OSError:
        return None


@pytest.mark.parametrize("patch", [
    "torch.allclose = lambda *a, **k: True",
    "import torch.testing\ntorch.testing.assert_close = lambda *a, **k: None",
    "torch.Tensor.__eq__ = lambda self, other: torch.tensor(True)",
])
def test_patching_the_comparison_earns_nothing(hardened, tmp_path, patch):
    report = grade(hardened, tmp_path, "import torch\n" + patch, WRONG_DOT)
    assert exercise(report, "grad_of_dot").score == 0
    assert_rest_graded(report)


def test_patching_the_grader_harness_earns_nothing(hardened, tmp_path):
    patch = ("import grader.observe.probe, grader.run.harness\n"
             "fake = lambda *a, **k: {'outcome': 'returned', 'passed': True, 'score': 36,"
             " 'value': {'t': 'number', 'v': 1.0}}\n"
             "grader.observe.probe.observe = fake\ngrader.run.harness.probe.observe = fake")
    report = grade(hardened, tmp_path, patch, WRONG_DOT)
    assert report.score == 0


def test_a_tensor_subclass_that_always_compares_equal_earns_nothing(hardened, tmp_path):
    liar = textwrap.dedent('''
        import torch
        class Liar(torch.Tensor):
            def __eq__(self, other):
                return True
            def allclose(self, *args, **kwargs):
                return True
        def grad_of_dot(x):
            return torch.zeros_like(x).as_subclass(Liar)
    ''')
    report = grade(hardened, tmp_path, liar)
    assert exercise(report, "grad_of_dot").score == 0
    assert_rest_graded(report)


def test_a_fake_report_on_stdout_is_not_the_report(tmp_path):
    fake = json.dumps({"submission": "x", "score": 36.0, "max_score": 36.0, "exercises": []})
    path = write_notebook(tmp_path / "fake.ipynb", [f"print({fake!r})", WRONG_DOT])
    done = run_cli(str(path), "--format", "json", "--select", "grad_of_dot")
    report = json.loads(done.stdout)
    assert report["score"] == 0 and report["max_score"] == 2
    assert fake in report["output"]


def test_a_daemon_that_outlives_the_child_is_killed_and_nothing_is_left(hardened, tmp_path):
    before = slot_workdirs(hardened)
    daemon = textwrap.dedent('''
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                while True:
                    time.sleep(0.05)
            os._exit(0)
    ''')
    report = grade(hardened, tmp_path, daemon)
    assert_rest_graded(report)
    time.sleep(0.5)
    assert slot_processes(hardened) == []
    assert slot_workdirs(hardened) <= before


FORGE = textwrap.dedent('''
    import json
    _real_dumps = json.dumps
    def _forged(obj, *args, **kwargs):
        if isinstance(obj, dict) and str(obj.get("key", "")).startswith("grad_of_dot"):
            if obj.get("type") == "probe":
                return (FORGERY)(dict(obj))
        return _real_dumps(obj, *args, **kwargs)
    json.dumps = _forged
''')
RIGHT_DOT = ("import torch\ndef grad_of_dot(x):\n    x.requires_grad_(True)\n"
             "    (2 * torch.dot(x, x)).backward()\n    return x.grad\n")


@pytest.mark.parametrize("forgery", [
    "lambda r: 'null'",
    "lambda r: _real_dumps({**r, 'key': None})",
    "lambda r: _real_dumps({k: v for k, v in r.items() if k != 'outcome'})",
    "lambda r: _real_dumps({**r, 'autograd_calls': float('nan')}, allow_nan=True)",
    "lambda r: _real_dumps({**r, 'value': {'t': 'tensor', 'dtype': 'float32', 'shape': [10**12], 'data': []}})",
    "lambda r: _real_dumps({**r, 'value': {'t': 'number', 'v': 'four'}})",
    "lambda r: '{\"type\": \"probe\", \"value\": ' + '[' * 100000 + ']' * 100000 + '}'",
    "lambda r: _real_dumps({**r, 'error': {'type': None}, 'outcome': 'raised'})",
    "lambda r: _real_dumps({**r, 'forbidden': [None, 3]})",
])
def test_forged_records_crash_only_their_probe(hardened, tmp_path, forgery):
    """A notebook that replaces json.dumps sends broken records for grad_of_dot's probes: each
    such probe fails as `crashed`, naming a malformed record; the parent never raises."""
    report = grade(hardened, tmp_path, FORGE.replace("FORGERY", forgery), RIGHT_DOT)
    result = exercise(report, "grad_of_dot")
    assert result.score == 0 and codes(result) == {"crashed"}
    assert all("malformed" in d.message for d in result.diagnoses)
    assert_rest_graded(report)


def test_records_written_to_the_channel_directly_earn_nothing(hardened, tmp_path):
    forger = textwrap.dedent('''
        import gc, os
        import grader.run.harness
        writer = next(o for o in gc.get_objects() if isinstance(o, grader.run.harness.RecordWriter))
        for line in (b'\\x00\\xff{{{', b'[' * 100000, b'{"type": "names", "names": [null]}',
                     b'{"type": "probe", "key": "grad_of_dot/0/0", "outcome": "returned", "value": null}',
                     b'{"type": "probe", "key": "grad_of_dot/0/1", "outcome": "returned", "autograd_calls": 1,'
                     b' "value": {"t": "tensor", "dtype": "int8", "shape": [4], "data": [1e300, 0, 0, 0]}}',
                     b'{"type": "cell", "index": "1", "status": "ok"}', b'{"type": "done", "x": NaN}'):
            os.write(writer.fd, line + b'\\n')
    ''')
    report = grade(hardened, tmp_path, forger, WRONG_DOT)
    result = exercise(report, "grad_of_dot")
    assert result.score == 0
    assert any("malformed" in d.message for d in result.diagnoses)
    assert_rest_graded(report)


def test_replacing_every_record_with_garbage_grades_to_zero_without_a_traceback(tmp_path):
    path = write_notebook(tmp_path / "garbage.ipynb", [
        "import json\njson.dumps = lambda *a, **k: '{\"type\": \"probe\", \"key\": null, \"outcome\": [[[[]]]]}'",
        RIGHT_DOT])
    done = run_cli(str(path), "--format", "json", "--select", "grad_of_dot", "detach_grad")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["score"] == 0 and {e["status"] for e in report["exercises"]} <= {"error", "missing"}
    assert any("malformed" in note for note in report["notes"])
    assert "Traceback" not in done.stderr
