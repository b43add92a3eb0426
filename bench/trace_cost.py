"""What the autograd trace and the graph walk cost the child, on correct work.

    PYTHONPATH=$PWD python bench/trace_cost.py [--repeat 20] [--children 3]

Runs what a grading child runs, in this process: every right-answer fixture and the sample
notebook, its cells executed as `<cell N>` code, then every probe of the pack (`probe.observe`, as
the harness calls it), in three settings, interleaved round after round so that the machine's
load falls on all three alike:

- bare:  no trace and no graph walk (the grader before issue 14);
- graph: the graph walk only (`observation["graph"]`);
- trace: the graph walk and the engine trace (the default).

It prints the CPU seconds (time.process_time) of each setting and the ratios trace/bare and
graph/bare, with the load average before and after. The sandbox set-up and the fork are left
out (and the figures are not rendered to PNG), so this ratio overstates what a real child pays.
Then (`--children ROUNDS`) the same submissions are graded for real, by two graders whose
fork servers were forked with the trace on and off, and the ratio of their children's CPU is
the figure the budget is about (trace + graph ≤ +10 % of the child's CPU on correct work).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

SETTINGS = ("bare", "graph", "trace")


def submissions() -> list[Path]:
    right = sorted((REPO / "tests" / "fixtures" / "right").glob("*.py"))
    return right + [REPO / "examples" / "sample_submission.ipynb"]


def load(path: Path) -> dict:
    """Run the submission's cells once (as the child does) and return its namespace."""
    import builtins
    import linecache

    from grader.source.submission import read_submission

    namespace = {"__name__": "__main__", "__builtins__": builtins}
    for cell in read_submission(path).cells:
        filename = f"<cell {cell.index}>"
        code = "\n" * (cell.first_line - 1) + cell.code
        linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
        try:
            exec(compile(code, filename, "exec"), namespace)  # noqa: S102 - our own fixtures
        except BaseException:
            pass
    return namespace


def run_probes(pack, namespace: dict) -> None:
    from grader.observe import probe
    from grader.run.plan import probes_for

    for exercise in pack.exercises:
        for item in probes_for(exercise):
            function = namespace.get(item.function)
            if callable(function):
                probe.observe(item.kind, function, item.specs, item.seed, item.options,
                              forbid=item.forbid, namespace=namespace, seconds=30)


@contextlib.contextmanager
def quiet():
    """The students' prints, warnings and figures are not the benchmark's output."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def configure(setting: str, originals: dict) -> None:
    from grader.observe import probe, trace

    trace.wanted = originals["wanted"] if setting == "trace" else (lambda kind, options: False)
    probe._graph = originals["graph"] if setting != "bare" else (lambda *args: {})


def children(paths: list[Path], originals: dict, repeat: int) -> None:
    """Real sandboxed children: two graders, one forked with the trace and graph walk on and one
    with both off, grading the same submissions in turn; each child's CPU is what its fork server
    reaped (cutime + cstime in /proc), so the sandbox, imports, figures and records count too."""
    from breakdown import proc_times
    from grader.api import Grader

    graders = {}
    for setting in ("trace", "bare"):
        configure(setting, originals)  # the fork server keeps the functions it was forked with
        graders[setting] = Grader.open(str(REPO / "config.yaml"))
        graders[setting].warm()
    configure("trace", originals)
    spent = dict.fromkeys(graders, 0.0)
    try:
        for _ in range(repeat):
            for setting, grader in graders.items():
                before = proc_times(grader.server.pid)[1]
                for path in paths:
                    grader.grade_file(path)
                time.sleep(0.5)  # let the server reap the last child
                spent[setting] += proc_times(grader.server.pid)[1] - before
    finally:
        for grader in graders.values():
            grader.close()
    print(f"{len(paths)} submissions x {repeat} rounds, CPU seconds of the sandboxed children:")
    for setting, seconds in spent.items():
        print(f"  {setting:6} {seconds:8.2f} s   ({seconds / repeat / len(paths) * 1000:.0f} ms per submission)")
    print(f"children: trace/bare = {spent['trace'] / spent['bare']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--children", type=int, default=3, metavar="ROUNDS",
                        help="rounds of real sandboxed grading (0: skip)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    from grader.observe import probe, trace
    from grader.pack.config import load_settings
    from grader.pack.load import load_pack

    settings = load_settings(REPO / "config.yaml")
    pack = load_pack(settings.root, settings.assignment, settings.solutions)
    originals = {"wanted": trace.wanted, "graph": probe._graph}
    paths = submissions()
    with quiet():
        for path in paths:  # warm up torch's first-use costs outside the measurement
            run_probes(pack, load(path))
    spent = dict.fromkeys(SETTINGS, 0.0)
    for _ in range(args.repeat):
        for setting in SETTINGS:
            configure(setting, originals)
            started = time.process_time()
            with quiet():
                for path in paths:
                    run_probes(pack, load(path))
            spent[setting] += time.process_time() - started
    configure("trace", originals)
    print(f"{len(paths)} submissions x {args.repeat} rounds, CPU seconds of their cells and probes:")
    for setting in SETTINGS:
        print(f"  {setting:6} {spent[setting]:8.3f} s")
    print(f"in process: graph/bare = {spent['graph'] / spent['bare']:.3f}   "
          f"trace/bare = {spent['trace'] / spent['bare']:.3f}")
    if args.children:
        children(paths, originals, args.children)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
