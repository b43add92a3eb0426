"""The child's side: run the cells, call the student's functions, stream observations back.

This is the only module that executes student code. It decides nothing: every record it writes
is plain JSON on a dedicated pipe (never stdout, which belongs to the student), and the parent
validates and judges it. The references never enter this process.
"""
from __future__ import annotations

import builtins
import json
import linecache
import os
import random
import re
import sys
import time
from typing import Any

import torch

from grader.observe import d2l_standin, devices, guards, probe, standins  # noqa: F401 - all loaded before the sandbox closes the files
from grader.observe.budget import CallBudget
from grader.observe.exceptions import error_record
from grader.observe.figures import FigureCapture

MAX_RECORD_BYTES = 8_000_000


class RecordWriter:
    """JSON lines on the result pipe; a record too large to send becomes a short error."""

    def __init__(self, fd: int):
        self.fd = fd

    def send(self, record: dict[str, Any]) -> None:
        data = json.dumps(record, allow_nan=True, default=str).encode()
        if len(data) > MAX_RECORD_BYTES:
            data = json.dumps({**{k: record[k] for k in ("type", "exercise", "check", "case") if k in record},
                               "outcome": "raised",
                               "error": {"type": "ObservationTooLarge",
                                         "message": "the result was too large to send back"}}).encode()
        view = memoryview(data + b"\n")
        while view:
            written = os.write(self.fd, view)
            view = view[written:]


def run_job(job: dict[str, Any], writer: RecordWriter) -> None:
    """Execute the submission's cells, then every planned probe, in the job's order; CUDA
    devices run on the CPU when the job may use them and this machine has no GPU."""
    standins.install(tuple(job.get("stub_modules", ())))
    guards.engine()
    if not job.get("cuda_on_cpu") or torch.cuda.is_available():
        _run(job, writer)
        return
    cuda_on_cpu = devices.CudaOnCpu()
    with cuda_on_cpu:
        _run(job, writer, lambda: cuda_on_cpu.used)


def _run(job: dict[str, Any], writer: RecordWriter, cuda_used=lambda: False) -> None:
    capture = FigureCapture(render_png=job.get("render_png", False))
    namespace = _fresh_namespace()
    limits = job["limits"]
    skip_cells = set(job.get("skip_cells", ()))
    _seed(0)
    for cell in job["cells"]:
        if cell["index"] in skip_cells:
            continue
        writer.send({"type": "cell_start", "index": cell["index"]})
        capture.cell = cell["index"]
        record = _run_cell(cell, namespace, limits["cell_seconds"])
        capture.collect(cell["index"])
        _flush_output()
        writer.send(record)
    writer.send({"type": "figures", "figures": capture.figures})
    writer.send({"type": "names", "names": _names(namespace)})
    budget = CallBudget(limits["hung_seconds"], job.get("hung"))
    _warm_function_transforms(job["cells"])
    for group in _by_exercise(job["probes"]):
        writer.send({"type": "probes_start", "keys": [item["key"] for item in group]})
        for item in group:
            writer.send({"type": "probe", "key": item["key"], **_run_probe(item, namespace, limits, budget)})
    _flush_output()
    if cuda_used():
        writer.send({"type": "devices", "cuda_on_cpu": True})
    writer.send({"type": "done"})


def _by_exercise(probes: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Consecutive probes of one exercise: the child announces them in one record, runs them in
    that order, and each one's result tells the parent that the next one has started."""
    groups: list[list[dict[str, Any]]] = []
    for item in probes:
        if groups and groups[-1][0].get("exercise") == item.get("exercise"):
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


_USES_TORCH_FUNC = re.compile(r"torch\.func|functorch|from\s+torch\s+import\s+[^\n]*\bfunc\b")


def _warm_function_transforms(cells: list[dict[str, Any]]) -> None:
    """torch.func's first transform imports torch._dynamo (~1.6 s, more on a busy machine): pay
    it before the student's calls are timed, and only for code that uses torch.func, so that a
    right answer written with `torch.func.grad` is never a timeout of its first case."""
    if not any(_USES_TORCH_FUNC.search(cell["code"]) for cell in cells):
        return
    try:
        torch.func.grad(lambda x: x.sum())(torch.ones(1))
    except BaseException:  # a cell may have broken torch.func; the calls then report it themselves
        pass


def _flush_output() -> None:
    """Student output must reach its pipe before the record that follows it."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def _fresh_namespace() -> dict[str, Any]:
    """What a new kernel offers: builtins, __name__ == '__main__', display and get_ipython."""
    return {"__name__": "__main__", "__builtins__": builtins, "display": standins.display,
            "get_ipython": lambda: standins.Inert("get_ipython()")}


def _seed(seed: int) -> None:
    random.seed(seed)
    torch.default_generator.manual_seed(seed)
    try:
        import numpy

        numpy.random.seed(seed)
    except ImportError:
        pass


def _run_cell(cell: dict[str, Any], namespace: dict[str, Any], seconds: float) -> dict[str, Any]:
    filename = f"<cell {cell['index']}>"
    code_text = "\n" * (cell.get("first_line", 1) - 1) + cell["code"]
    lines = code_text.splitlines(keepends=True)
    linecache.cache[filename] = (len(code_text), None, lines, filename)
    started = time.perf_counter()
    record: dict[str, Any] = {"type": "cell", "index": cell["index"]}
    watch = guards.Watch()
    try:
        code = compile(code_text, filename, "exec")
        with guards.deadline(seconds, watch):
            exec(code, namespace)  # noqa: S102 - running the student's cell is the point
        record["status"] = "ok"
    except BaseException as exc:  # SystemExit and KeyboardInterrupt included, as Jupyter does
        record.update(status="error", error=error_record(exc))
    record["seconds"] = round(time.perf_counter() - started, 4)
    return record


def _names(namespace: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": name, "callable": callable(value)} for name, value in list(namespace.items())
            if not name.startswith("__")][:2000]


def _run_probe(item: dict[str, Any], namespace: dict[str, Any], limits: dict[str, Any],
               budget: CallBudget) -> dict[str, Any]:
    function = namespace.get(item["function"]) if item.get("function") else None
    if item.get("function") and not callable(function):
        return {"outcome": "missing"}
    seconds = budget.limit(item["function"], item.get("seconds") or limits["check_seconds"])
    if not seconds:
        return budget.not_run(item["function"])
    started = guards.OWN_CLOCK.now()
    observed = probe.observe(item["kind"], function, item["inputs"], item["seed"],
                             item["options"], student=item.get("student", ""),
                             forbid=tuple(item.get("forbid", ())), namespace=namespace, seconds=seconds)
    budget.spent(item["function"], guards.OWN_CLOCK.now() - started, bool(observed.get("deadline")))
    return observed
