"""Timestamps of one real `python -m grader` run, from the grader, its fork server and the child.

Active only when BENCH_TIMELINE names a directory (bench/cli_timeline.py sets it and puts this
folder on PYTHONPATH). Nothing under grader/ changes: a meta-path finder wraps the loaders of a
few modules so that, right after such a module has run, its stages are wrapped with marks. The
parent passes this folder on to the fork server through the server's environment, so the server
and every child it forks are timed by the same code.

Each mark is one JSON line in BENCH_TIMELINE/marks.jsonl: epoch seconds, role (grader, server,
child), the process's CPU seconds, and a label. The sandboxed child cannot write files: its
marks travel to the parent as one extra record before "done", which the parent writes down.
"""
from __future__ import annotations

import functools
import importlib.abc
import json
import os
import sys
import time

DIRECTORY = os.environ.get("BENCH_TIMELINE", "")
SITE = os.path.dirname(os.path.abspath(__file__))
ROLE = [os.environ.get("BENCH_ROLE", "grader")]
CHILD_MARKS: list[list] = []


def mark(label: str) -> None:
    entry = [time.time(), ROLE[0], time.process_time(), label]
    if ROLE[0] == "child":
        CHILD_MARKS.append(entry)
        return
    with open(os.path.join(DIRECTORY, "marks.jsonl"), "a") as handle:
        handle.write(json.dumps(entry) + "\n")


def around(owner, name: str, before: str | None, after: str | None) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapped(*args, **kwargs):
        if before:
            mark(before)
        try:
            return original(*args, **kwargs)
        finally:
            if after:
                mark(after)
    setattr(owner, name, wrapped)


def _forkserver(module) -> None:
    around(module.ForkServer, "_start", "fork server: started or adopted", None)
    around(module, "prestart", "fork server: prestarted", None)


def _server_process(module) -> None:
    around(module, "_warm_up", "warm-up starts", "warm-up done")
    around(module.sandbox, "prepare_server", None, "prepare_server done, ready")
    real_fork = os.fork

    def fork():
        pid = real_fork()
        if pid == 0:
            ROLE[0] = "child"
            mark("forked")
        return pid
    module.os.fork = fork


def _environment(module) -> None:
    original = module.for_server

    def for_server(*args, **kwargs):
        return {**original(*args, **kwargs), "BENCH_TIMELINE": DIRECTORY, "BENCH_ROLE": "server",
                "PYTHONPATH": SITE}
    module.for_server = for_server


def _harness(module) -> None:
    around(module, "run_job", "job read, sandbox entered", None)
    around(module, "_warm_function_transforms", "cells done", None)
    send = module.RecordWriter.send

    def send_with_marks(self, record):
        if record.get("type") == "done":
            mark("probes done")
            send(self, {"type": "bench", "marks": CHILD_MARKS})
        return send(self, record)
    module.RecordWriter.send = send_with_marks


class BenchRecord:
    """None of the reader's record types, so the reader passes it by."""


def _records(module) -> None:
    original = module.decode_line

    def decode_line(line):
        if line.startswith(b'{"type": "bench"'):
            with open(os.path.join(DIRECTORY, "marks.jsonl"), "a") as handle:
                for entry in json.loads(line)["marks"]:
                    handle.write(json.dumps(entry) + "\n")
            return BenchRecord()
        return original(line)
    module.decode_line = decode_line


def _api(module) -> None:
    around(module.Grader, "__init__", "Grader.open starts", "Grader.open done (torch, pack)")
    around(module, "load_pack", "torch imported; load pack", "pack loaded")
    around(module.Grader, "_graded", "grade starts", "grade done")


HOOKS = {
    "torch": lambda module: mark("import torch done"),
    "matplotlib.pyplot": lambda module: mark("import matplotlib.pyplot done"),
    "sympy": lambda module: mark("import sympy done"),
    "torch.fx.experimental.symbolic_shapes": lambda module: mark("import symbolic_shapes done"),
    "grader.api": _api,
    "grader.run.forkserver": _forkserver,
    "grader.run.server_process": _server_process,
    "grader.run.sandbox.environment": _environment,
    "grader.run.harness": _harness,
    "grader.observe.records": _records,
    "grader.run.references": lambda m: around(m.References, "warm", "references: start", "references: done"),
    "grader.run.runner": lambda m: around(m.Runner, "run", "job sent, waiting for the child", "child's records all read"),
    "grader.commands.cli": lambda m: around(m, "render", "render starts", "render done"),
}


class AfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: it lets the other finders find a hooked module, then wraps its loader."""

    def find_spec(self, name, path, target=None):
        if name not in HOOKS:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            HOOKS[name](module)
        spec.loader.exec_module = exec_module
        return spec


if DIRECTORY:
    sys.meta_path.insert(0, AfterImport())
    mark("interpreter up")
