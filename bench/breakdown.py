"""Where the CPU seconds of grading go: parent, fork server, child; and one CLI run's wall time.

    python bench/breakdown.py batch [--n 100] [--jobs 2] [--mix] [--isolation auto] [--cprofile]
    python bench/breakdown.py cli [SUBMISSION] [--repeat 3]     (bench/cli_timeline.py)

Nothing under grader/ is changed: this script imports the engine, wraps some of its functions
with timers before the fork server is forked (so the server and every child inherit the
wrappers), and runs the same code paths as `python -m grader batch` / `python -m grader`.

- Child: CPU of its one thread (time.thread_time, which starts at 0 at fork) for fork-to-harness (job read,
  sandbox entry), cells, probes, figure capture and its PNG rendering, JSON encoding of the
  records; sent to the parent as one extra record before "done" (the parent ignores unknown
  record types; here a wrapper of the reader keeps it).
- Fork server: CPU of fork, workdir, sweep, reaping; dumped to a file after each reap.
- Parent: per-thread CPU (time.thread_time) of parsing, static analysis, the run's reader
  (select + JSON decoding), judging (comparisons, known-wrong references, diagnoses), report
  building, the gradebook and the output files.
Totals come from the kernel: the parent's RUSAGE_SELF, the server's utime/stime and its
reaped children's cutime/cstime from /proc, so what the timers miss shows as "other".

--cprofile: also profile each child's run_job with cProfile and print the top functions,
summed over all children (what a per-probe cost is made of).
"""
from __future__ import annotations

import argparse
import collections
import functools
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TICK = os.sysconf("SC_CLK_TCK")


class Acc:
    """name -> [seconds, calls]; thread-safe enough for += under the GIL plus a lock."""

    def __init__(self) -> None:
        self.data: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0])
        self.lock = threading.Lock()

    def add(self, name: str, seconds: float) -> None:
        with self.lock:
            entry = self.data[name]
            entry[0] += seconds
            entry[1] += 1

    def plain(self) -> dict[str, list[float]]:
        return {k: list(v) for k, v in self.data.items()}


PARENT, CHILD, SERVER = Acc(), Acc(), Acc()
CHILD_RECORDS: list[dict] = []


class _BenchRecord:
    """Not one of the reader's record types, so it passes through untouched."""
WALL = Acc()


def timed(acc: Acc, name: str, clock=time.thread_time, wall: bool = False):
    def wrap(function):
        @functools.wraps(function)
        def inner(*args, **kwargs):
            started = clock()
            w0 = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                acc.add(name, clock() - started)
                if wall:
                    WALL.add(name, time.perf_counter() - w0)
        return inner
    return wrap


def patch(module, attribute: str, acc: Acc, name: str, clock=time.thread_time, wall: bool = False) -> bool:
    original = getattr(module, attribute, None)
    if original is None:
        return False
    setattr(module, attribute, timed(acc, name, clock, wall)(original))
    return True


def install(profile_dir: Path, cprofile: bool) -> None:
    """Wrap the engine's stages; call before the Grader (and so the fork server) exists.

    The fork server is a fresh interpreter (forkserver._BOOT), so the parent's wrappers never
    reach it: its boot string is extended here to import this module and call `install_server`
    there, before the server's loop starts (the children it forks inherit those wrappers)."""
    from grader.run import forkserver

    boot = (f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\nimport breakdown\n"
            f"breakdown.install_server({str(profile_dir)!r}, {cprofile!r})\n")
    marker = "from grader.run.server_process import main"
    if marker not in forkserver._BOOT:
        raise SystemExit("bench/breakdown.py: forkserver._BOOT changed; update install()")
    forkserver._BOOT = forkserver._BOOT.replace(marker, boot + marker)
    install_parent()


def install_server(profile_dir: str, cprofile: bool) -> None:
    """In the fork server's interpreter: wrap the server's and the children's stages."""
    import cProfile  # noqa: F401 - children import nothing after the sandbox closes the files
    import importlib.abc  # noqa: F401
    import pstats  # noqa: F401
    import traceback  # noqa: F401

    from grader.observe import figures
    from grader.run import harness, sandbox
    from grader.run import server_process as forkserver
    profile_dir = Path(profile_dir)

    # --- child: its only thread's CPU. Not process_time: with RLIMIT_CPU set (the sandbox's
    # cpu_seconds) Linux reads the process clock from the group cputimer, updated at ticks and
    # context switches, so a record's pipe write is charged the CPU of the probe before it. ---
    pclock = time.thread_time
    patch(harness, "_run_cell", CHILD, "cells", pclock)
    patch(harness, "_run_probe", CHILD, "probes (student calls + encode)", pclock)
    patch(harness, "_names", CHILD, "names", pclock)
    patch(harness.standins, "install", CHILD, "stand-ins (d2l, IPython)", pclock)
    patch(figures.FigureCapture, "collect", CHILD, "figure capture (incl. PNG)", pclock)
    time_savefig(CHILD)
    patch(harness.RecordWriter, "send", CHILD, "record JSON encode + write", pclock)
    if hasattr(sandbox, "enter"):
        original_enter = sandbox.enter

        def enter(*args, **kwargs):
            started = time.thread_time()
            CHILD.add("fork to sandbox entry (setsid, job read, imports)", started)
            try:
                return original_enter(*args, **kwargs)
            finally:
                CHILD.add("sandbox.enter", time.thread_time() - started)
        sandbox.enter = enter

    original_run_job = harness.run_job

    def run_job(job, writer):
        CHILD.add("fork to run_job", time.thread_time())
        faults_at_start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        profiler = None
        if cprofile:
            import cProfile

            profiler = cProfile.Profile(time.thread_time)  # CPU, not the wall time spent blocked
            profiler.enable()
        send = writer.send
        modules_before = set(sys.modules)
        import importlib.abc
        import traceback

        stacks: dict[str, str] = {}

        class Finder(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name.startswith("grader") and name not in stacks:
                    stacks[name] = "".join(traceback.format_stack(limit=6)[:-1])
                return None
        sys.meta_path.insert(0, Finder())

        timeouts = [0]

        def send_with_bench(record):
            if record.get("type") == "probe" and (record.get("deadline") or record.get("not_run")):
                timeouts[0] += 1
            if record.get("type") != "done":
                started = time.thread_time()
                send(record)
                CHILD.add(f"  send '{record.get('type')}'", time.thread_time() - started)
                return None
            if record.get("type") == "done":
                if profiler is not None:
                    profiler.disable()
                ru = resource.getrusage(resource.RUSAGE_SELF)
                threads = open("/proc/self/status").read().split("Threads:")[1].split()[0]
                CHILD.add(f"threads at done: {threads}", 0.0)
                extra = {"type": "bench", "acc": CHILD.plain(), "cpu": time.thread_time(), "timeouts": timeouts[0],
                         "new_modules": sorted(set(sys.modules) - modules_before), "stacks": stacks,
                         "minflt": ru.ru_minflt, "minflt_before_run_job": faults_at_start, "majflt": ru.ru_majflt, "maxrss_mb": ru.ru_maxrss / 1024}
                if profiler is not None:
                    import pstats

                    stats = pstats.Stats(profiler)
                    extra["cprofile"] = [[f"{Path(k[0]).name}:{k[1]}({k[2]})", v[1], round(v[2], 5),
                                          round(v[3], 5)] for k, v in stats.stats.items()]
                send(extra)
            return send(record)
        writer.send = send_with_bench
        return original_run_job(job, writer)
    harness.run_job = run_job

    # --- fork server (its own process; dumps after each reap) ---
    original_serve = forkserver._serve

    def serve(*args, **kwargs):
        import os as os_module

        real_fork = os_module.fork

        def fork():
            started = time.process_time()
            pid = real_fork()
            if pid == 0:
                CHILD.data.clear()  # what the server's warm-up recorded is not the child's
            else:
                SERVER.add("os.fork", time.process_time() - started)
            return pid
        os_module.fork = fork
        original_reap = forkserver._reap
        dump = profile_dir / "server.json"

        def reap(sock, jobs):
            before = len(jobs)
            original_reap(sock, jobs)
            if len(jobs) != before:
                dump.write_text(json.dumps({"acc": SERVER.plain(), "cpu": time.process_time()}))
        forkserver._reap = timed(SERVER, "reap loop (waitpid, sweep, rmtree, send)", time.process_time)(reap)
        patch(forkserver, "_workdir", SERVER, "mkdtemp workdir", time.process_time)
        patch(forkserver.sandbox, "sweep", SERVER, "  of which sandbox.sweep", time.process_time)
        patch(forkserver, "_warm_up", SERVER, "warm-up (once)", time.process_time, wall=True)
        patch(forkserver.sandbox, "prepare_server", SERVER, "prepare_server (once)", time.process_time, wall=True)
        return original_serve(*args, **kwargs)
    forkserver._serve = serve


def time_savefig(acc: Acc) -> None:
    """PNG rendering, wherever it happens (a child's figures, the parent's summary)."""
    import matplotlib.figure

    original_savefig = matplotlib.figure.Figure.savefig

    def savefig(self, *args, **kwargs):
        started = time.thread_time()
        try:
            return original_savefig(self, *args, **kwargs)
        finally:
            acc.add("  of which PNG savefig", time.thread_time() - started)
    matplotlib.figure.Figure.savefig = savefig


def install_parent() -> None:
    """In the grader's process: per-thread CPU of each stage."""
    from grader import api
    from grader.run import references, runner
    from grader.source import submission

    patch(submission, "parse_submission", PARENT, "parse notebook (nbformat)")
    patch(api, "parse_submission", PARENT, "parse notebook (nbformat)")
    patch(api, "SourceIndex", PARENT, "static analysis (ast)")
    from grader.judge import grade
    patch(grade, "grade_exercise", PARENT, "judge exercises (compare, diagnose)")  # imported at each call
    patch(references.References, "warm", PARENT, "references warm()", wall=True)
    original_observe = references.References.observe

    def observe(self, exercise, item, like="", student=""):
        if (item.key, like) in self._by_student.get(exercise.seed_owner(student), {}):
            return original_observe(self, exercise, item, like, student)
        started = time.thread_time()
        try:
            return original_observe(self, exercise, item, like, student)
        finally:
            PARENT.add("  reference/known-wrong computed (cache miss)", time.thread_time() - started)
    references.References.observe = observe
    patch(runner.Runner, "run", PARENT, "runner thread: run (select loop, pipes)", wall=True)
    patch(runner._Reader, "_feed", PARENT, "  of which JSON decode of records")
    patch(runner, "_write_all", PARENT, "job JSON write")
    original_decode = runner.records.decode_line

    def decode_line(line):
        """The bench's own record is kept here, before the typed decoder calls it malformed."""
        if b'"type": "bench"' in line[:40]:
            CHILD_RECORDS.append(json.loads(line))
            return _BenchRecord()
        return original_decode(line)
    runner.records.decode_line = decode_line
    patch(api.Grader, "_job", PARENT, "build job (probes)")
    patch(api, "Report", PARENT, "Report()")
    from grader.commands import batch, gradebook
    time_savefig(PARENT)
    patch(batch, "discover", PARENT, "discover (sha256)", wall=True)
    patch(gradebook.Gradebook, "record", PARENT, "gradebook.record (JSON + SQLite)", wall=True)
    patch(batch, "_write_outputs", PARENT, "write outputs (csv, reports, feedback, summary)", wall=True)
    patch(batch, "write_summary", PARENT, "  of which summary.html (matplotlib)", wall=True)
    patch(batch, "to_html", PARENT, "  of which feedback html")
    patch(batch, "to_markdown", PARENT, "  of which feedback md")


def proc_times(pid: int) -> tuple[float, float]:
    """(own CPU, reaped children's CPU) of a live process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(v) / TICK for v in fields[11:15])
    return utime + stime, cutime + cstime


NESTED = {  # a nested timer's enclosing stage; its time is part of that stage's
    "  of which JSON decode of records": "runner thread: run (select loop, pipes)",
    "  of which summary.html (matplotlib)": "write outputs (csv, reports, feedback, summary)",
    "  of which feedback html": "write outputs (csv, reports, feedback, summary)",
    "  of which feedback md": "write outputs (csv, reports, feedback, summary)",
    "  of which sandbox.sweep": "reap loop (waitpid, sweep, rmtree, send)",
}


def _enclosing(name: str, present: dict) -> str | None:
    if name in NESTED:
        return NESTED[name]
    if name == "  of which PNG savefig":
        return ("figure capture (incl. PNG)" if "figure capture (incl. PNG)" in present
                else "write outputs (csv, reports, feedback, summary)")
    if name.startswith("  send "):
        return "record JSON encode + write"
    if name.startswith("  reference/known-wrong"):
        return "references warm()"
    return None


def print_acc(title: str, acc: dict[str, list[float]], per: int, total: float | None = None) -> None:
    """Top-level stages by CPU, each followed by what is nested in it."""
    print(f"  {title}" + (f": {total / per * 1000:.1f} ms/sub in all" if total is not None else ""))
    acc = {k: v for k, v in acc.items() if "this thread only" not in k and not k.startswith(("tasks", "threads"))}
    children: dict[str | None, list[str]] = collections.defaultdict(list)
    for name in acc:
        children[_enclosing(name, acc) if name.startswith("  ") else None].append(name)

    def show(name: str) -> None:
        seconds, calls = acc[name]
        print(f"    {name:<55}{seconds / per * 1000:>9.1f} ms/sub{calls / per:>8.1f} calls/sub")
        for child in sorted(children.get(name, ()), key=lambda k: -acc[k][0]):
            show(child)
    for name in sorted(children[None], key=lambda k: -acc[k][0]):
        show(name)
    orphans = [n for parent, names in children.items() if parent is not None and parent not in acc for n in names]
    for name in orphans:
        show(name)


def summed_stages(records: list[dict]) -> dict[str, list[float]]:
    summed: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0])
    for record in records:
        for name, (seconds, calls) in record["acc"].items():
            summed[name][0] += seconds
            summed[name][1] += calls
    return dict(summed)


def print_profile(records: list[dict], top: int) -> None:
    """Every child's cProfile summed, per child run: the top functions by cumulative and by own
    time (cumulative times of recursive functions are counted once per child, as cProfile does)."""
    summed: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0, 0.0])
    for record in records:
        for name, calls, tottime, cumtime in record.get("cprofile", []):
            entry = summed[name]
            entry[0] += calls
            entry[1] += tottime
            entry[2] += cumtime
    runs = max(len(records), 1)
    for title, column in (("cumulative", 2), ("own time", 1)):
        print(f"  cProfile of run_job, summed over {runs} children, per child, top {title}:")
        for name, (calls, tottime, cumtime) in sorted(summed.items(), key=lambda kv: -kv[1][column])[:top]:
            print(f"    {cumtime / runs * 1000:>8.1f} ms cum {tottime / runs * 1000:>7.1f} ms self "
                  f"{calls / runs:>8.1f} calls  {name}")


def profile_batch(args: argparse.Namespace) -> None:
    from make_class import describe, make_class

    scratch = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    try:
        class_dir = scratch / "class"
        students = make_class(class_dir, args.n, seed=args.seed, mix=args.mix)
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        import torch  # noqa: F401

        from grader.commands import batch
        from grader.api import Grader
        t_import = time.perf_counter() - t0
        cpu_import = time.process_time() - cpu0
        install(scratch, args.cprofile)
        overrides = {"isolation": args.isolation} if args.isolation else None
        t1, c1 = time.perf_counter(), time.process_time()
        grader = Grader.open(None, overrides, jobs=args.jobs)
        grader.warm()
        t_open, c_open = time.perf_counter() - t1, time.process_time() - c1
        t2, c2 = time.perf_counter(), time.process_time()
        result = batch.run_batch(class_dir, scratch / "out", jobs=args.jobs, regrade=True,
                                 grade=grader.grade_bytes, pack_hash=grader.pack_hash,
                                 exercise_ids=grader.exercise_ids, progress=False)
        t_batch, c_batch = time.perf_counter() - t2, time.process_time() - c2
        time.sleep(0.3)
        server_self, server_children = proc_times(grader.server.pid)
        grader.close()
        n = len(result.graded)
        print(f"{describe(students)}; graded {n}, --jobs {args.jobs}, isolation "
              f"{args.isolation or 'config'}; load {'/'.join(f'{v:.1f}' for v in os.getloadavg())}")
        print(f"parent fixed: imports {t_import:.2f} s wall / {cpu_import:.2f} s CPU (process); "
              f"Grader.open + warm() {t_open:.2f} s wall / {c_open:.2f} s CPU (process, all threads)")
        print(f"batch: {t_batch:.1f} s wall, {t_batch / max(n, 1) * 1000:.0f} ms/sub; "
              f"parent CPU {c_batch:.2f} s = {c_batch / max(n, 1) * 1000:.1f} ms/sub")
        server = json.loads((scratch / "server.json").read_text()) if (scratch / "server.json").exists() else {}
        children_cpu = sum(r["cpu"] for r in CHILD_RECORDS)
        runs = len(CHILD_RECORDS)
        print(f"per submission (n={n}; {runs} child runs reported):")
        print_acc("PARENT (thread CPU, per stage)", PARENT.plain(), max(n, 1), c_batch)
        print_acc(f"FORK SERVER (own CPU {server_self:.2f} s incl. warm-up)", server.get("acc", {}), max(n, 1),
                  server_self)
        print(f"  CHILDREN: {server_children / max(n, 1) * 1000:.1f} ms/sub by the kernel (cutime+cstime, "
              f"incl. exit/teardown); {children_cpu / max(runs, 1) * 1000:.1f} ms reported up to 'done'")
        print_acc("CHILD stages (thread CPU)", summed_stages(CHILD_RECORDS), max(runs, 1))
        hung = [r for r in CHILD_RECORDS if r.get("timeouts")]
        if hung:
            hung_cpu = sum(r["cpu"] for r in hung)
            print(f"    of which {len(hung)} child runs with a timed-out call: {hung_cpu / max(n, 1) * 1000:.1f} ms/sub "
                  f"({hung_cpu / len(hung) * 1000:.0f} ms each); the other {runs - len(hung)}: "
                  f"{(children_cpu - hung_cpu) / max(runs - len(hung), 1) * 1000:.0f} ms each, by stage:")
            print_acc("CHILD stages, runs without a timeout (thread CPU)",
                      summed_stages([r for r in CHILD_RECORDS if not r.get("timeouts")]), max(runs - len(hung), 1))
        faults = sum(r["minflt"] for r in CHILD_RECORDS) / max(runs, 1)
        early = sum(r.get("minflt_before_run_job", 0) for r in CHILD_RECORDS) / max(runs, 1)
        rss = max((r["maxrss_mb"] for r in CHILD_RECORDS), default=0)
        print(f"    minor page faults {faults:.0f}/child up to 'done' ({early:.0f} before run_job; "
              f"copy-on-write after fork), max RSS {rss:.0f} MB")
        imported = collections.Counter(m for r in CHILD_RECORDS for m in r.get("new_modules", []))
        if imported:
            print(f"    modules imported after fork ({len(imported)}): " + ", ".join(
                f"{m} ({c})" for m, c in imported.most_common(30)))
        for record in CHILD_RECORDS[:1]:
            for name, stack in record.get("stacks", {}).items():
                print(f"    first import of {name} in a child:\n" + stack)
        if WALL.data:
            print("  wall of once-per-run stages (s): " + ", ".join(
                f"{k} {v[0]:.2f}" for k, v in WALL.plain().items()))
        if args.cprofile and CHILD_RECORDS:
            print_profile(CHILD_RECORDS, args.top)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("batch")
    b.add_argument("--n", type=int, default=100)
    b.add_argument("--jobs", type=int, default=2)
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--mix", action="store_true", help="mix in hung, crashing and plotting notebooks")
    b.add_argument("--isolation", choices=("auto", "none"), default=None)
    b.add_argument("--cprofile", action="store_true")
    b.add_argument("--top", type=int, default=25)
    sub.add_parser("cli", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "batch":
        parser.parse_args(argv)
        profile_batch(args)
    else:
        import cli_timeline

        cli_timeline.main(rest)


if __name__ == "__main__":
    main()
