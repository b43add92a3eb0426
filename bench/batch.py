"""Grade a generated class with `python -m grader batch` and compare with kernel-based grading.

    python bench/batch.py [--n 100] [--jobs 2] [--repeat 3] [--sample 3] [--otter-python PY]
    python bench/batch.py --scaling [--sizes 10 100 1000] [--jobs-list 1 2] [--budget 900]

Default: ONE table, all measured in this invocation: `python -c "import torch"`; the grader's
batch on N generated notebooks (bench/make_class.py; a fresh --out each run); plain nbclient
execution of k of the same notebooks (the floor of any kernel-based grader), one process per
notebook; and `otter run` on the same k notebooks with an equivalent test file
(bench/baselines.py) when otter-grader is importable by --otter-python (an optional bench
extra, e.g. a venv made with --system-site-packages so it shares this torch).

CPU seconds are RUSAGE_CHILDREN of the whole process tree (bench/measure.py), peak memory the
largest sum of PSS over the tree; each row is the median of --repeat runs.

--scaling: the table of N x --jobs. A run whose wall time, estimated from the smaller N with
the same --jobs, would exceed --budget seconds is not run: its row is extrapolated and marked.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import baselines  # noqa: E402
from make_class import describe, make_class  # noqa: E402
from measure import Measurement, median, run  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Row:
    what: str
    n: int               # submissions (or notebooks) per run
    jobs: str
    wall: float          # seconds per run
    cpu: float           # CPU seconds per run
    peak: float          # MB
    note: str = ""
    extrapolated: bool = False

    @property
    def cpu_per(self) -> float:
        return self.cpu / self.n

    @property
    def rate(self) -> float:
        return self.n / self.wall if self.wall else 0.0


def machine() -> str:
    model = ""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.node()}: {len(os.sched_getaffinity(0))} cores ({model or platform.machine()}), "
            f"{mem:.0f} GiB, Linux {platform.release()}, Python {platform.python_version()}, "
            f"torch {torch.__version__}; {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}")


def load() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def medians(runs: list[Measurement]) -> tuple[float, float, float]:
    return (median([r.wall for r in runs]), median([r.cpu for r in runs]),
            median([r.peak_mb for r in runs]))


def measure_torch(repeat: int) -> Row:
    runs = [run([sys.executable, "-c", "import torch"]) for _ in range(repeat)]
    return Row('python -c "import torch"', 1, "-", *medians(runs))


def measure_batch(class_dir: Path, n: int, jobs: int, repeat: int, scratch: Path,
                  extra: list[str] = ()) -> Row:
    runs, codes = [], set()
    for attempt in range(repeat):
        out = scratch / f"out-{n}-{jobs}-{attempt}"
        shutil.rmtree(out, ignore_errors=True)
        runs.append(run([sys.executable, "-m", "grader", "batch", str(class_dir), "--jobs", str(jobs),
                         "--out", str(out), *extra], cwd=str(REPO)))
        codes.add(runs[-1].returncode)
        graded = _graded(out)
        shutil.rmtree(out, ignore_errors=True)
    note = f"exit {'/'.join(map(str, sorted(codes)))}, {graded} graded"
    return Row("python -m grader batch", n, str(jobs), *medians(runs), note=note)


def _graded(out: Path) -> int:
    try:
        rows = (out / "grades.csv").read_text(encoding="utf-8").splitlines()[1:]
    except OSError:
        return 0
    return sum(1 for r in rows if not r.endswith(","))


def sample_notebooks(class_dir: Path, k: int) -> list[Path]:
    """The first k notebooks nbformat can read, 0: all (a malformed one would cost a baseline nothing)."""
    import nbformat

    chosen = []
    for path in sorted(class_dir.rglob("*.ipynb")):
        try:
            nbformat.read(path, as_version=4)
        except Exception:
            continue
        chosen.append(path)
        if len(chosen) == k:
            break
    return chosen


def measure_nbclient(notebooks: list[Path], scratch: Path, repeat: int) -> Row:
    shim = baselines.write_d2l_shim(scratch / "shim")
    env = {"PYTHONPATH": str(shim)}
    per = []
    for notebook in notebooks:
        copy = baselines.kernel_copy(notebook, scratch / notebook.name)
        per.append(medians([run(baselines.nbclient_command(copy), env=env, cwd=str(scratch))
                            for _ in range(repeat)]))
    return _per_notebook("nbclient, one kernel per notebook", notebooks, per)


def measure_otter(python: str, notebooks: list[Path], scratch: Path, repeat: int) -> Row:
    work = scratch / "otter"
    work.mkdir(exist_ok=True)
    shim = baselines.write_d2l_shim(scratch / "shim")
    autograder = baselines.otter_autograder(python, work)
    # The kernelspec says "python": the otter environment's, which can import otter.
    env = {"PYTHONPATH": str(shim), "PATH": f"{Path(python).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    per = []
    for notebook in notebooks:
        copy = baselines.kernel_copy(notebook, work / notebook.name)
        runs = []
        for attempt in range(repeat):
            out = work / f"out-{notebook.stem}-{attempt}"
            out.mkdir(exist_ok=True)
            runs.append(run(baselines.otter_command(python, autograder, copy, out), env=env, cwd=str(work)))
        per.append(medians(runs))
    return _per_notebook(f"otter run ({len(baselines.OTTER_CASES) + len(baselines.OTTER_SPECIAL)} tests)",
                         notebooks, per)


def _per_notebook(what: str, notebooks: list[Path], per: list[tuple[float, float, float]]) -> Row:
    names = ", ".join(p.stem for p in notebooks)
    return Row(what, 1, "1", median([p[0] for p in per]), median([p[1] for p in per]),
               max(p[2] for p in per), note=f"median over k={len(notebooks)}: {names}")


def print_table(rows: list[Row], torch_row: Row, title: str) -> None:
    print(title)
    head = (f"{'':<36}{'subs':>6}{'jobs':>5}{'wall s':>9}{'CPU s/sub':>11}{'peak MB':>9}"
            f"{'subs/s':>8}{'CPU ÷ import torch':>20}")
    print(head)
    print("-" * len(head))
    for row in rows:
        mark = "~" if row.extrapolated else " "
        print(f"{row.what:<36}{row.n:>6}{row.jobs:>5}{mark}{row.wall:>8.2f}{row.cpu_per:>11.3f}"
              f"{row.peak:>9.0f}{row.rate:>8.2f}{row.cpu_per / torch_row.cpu:>20.3f}"
              + (f"   {row.note}" if row.note else ""))


def default_otter_python() -> str:
    return os.environ.get("OTTER_PYTHON", sys.executable)


def compare(args: argparse.Namespace) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        class_dir = scratch / "class"
        students = make_class(class_dir, args.n, seed=args.seed)
        print(machine())
        print(f"class: {describe(students)} (bench/make_class.py --seed {args.seed})")
        print(f"load average before: {load()}")
        torch_row = measure_torch(args.repeat)
        rows = [torch_row, measure_batch(class_dir, args.n, args.jobs, args.repeat, scratch)]
        grader = rows[1]
        sample = sample_notebooks(class_dir, args.sample)
        if args.sample:
            rows.append(measure_nbclient(sample, scratch, args.repeat))
        otter_note = ""
        if args.sample and baselines.otter_available(args.otter_python):
            rows.append(measure_otter(args.otter_python, sample, scratch, args.repeat))
        else:
            otter_note = f"otter run: otter not installed (not importable by {args.otter_python})"
        print(f"load average after: {load()}; medians of {args.repeat} runs")
        print()
        print_table(rows, torch_row, f"One class of {args.n}, grader --jobs {args.jobs}, against kernel-based grading")
        if otter_note:
            print(otter_note)
        print()
        for row in rows[2:]:
            print(f"{row.what}: {row.cpu_per / grader.cpu_per:.0f}x the grader's CPU per submission, "
                  f"{row.peak / grader.peak:.2f}x its peak memory "
                  f"(per notebook, against the whole batch of {args.n})")
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def scaling(args: argparse.Namespace) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    try:
        print(machine())
        print(f"load average before: {load()}")
        torch_row = measure_torch(args.repeat)
        rows: list[Row] = []
        for n in args.sizes:
            class_dir = scratch / f"class{n}"
            students = make_class(class_dir, n, seed=args.seed)
            print(f"class {n}: {describe(students)}", flush=True)
        for jobs in args.jobs_list:
            done: list[Row] = []
            for n in args.sizes:
                estimate = _estimate(done, n)
                if estimate is not None and estimate > args.budget:
                    row = _extrapolate(done, n, jobs)
                    row.note = (f"NOT RUN: estimated {estimate:.0f} s > --budget {args.budget:.0f} s; "
                                "linear fit of the rows above")
                    rows.append(row)
                    continue
                repeat = args.repeat if n <= 100 else 1
                row = measure_batch(scratch / f"class{n}", n, jobs, repeat, scratch)
                row.note += f", median of {repeat}, load {load()}"
                print(f"  N={n} jobs={jobs}: {row.wall:.1f} s wall, {row.cpu_per:.3f} CPU s/sub", flush=True)
                done.append(row)
                rows.append(row)
        print(f"load average after: {load()}")
        print()
        print_table(rows, torch_row, "Scaling: python -m grader batch, N generated submissions")
        print()
        for jobs in args.jobs_list:
            fitted = [r for r in rows if r.jobs == str(jobs) and not r.extrapolated]
            if len(fitted) >= 2:
                fixed, marginal = _fit([(r.n, r.cpu) for r in fitted])
                wall_fixed, wall_marginal = _fit([(r.n, r.wall) for r in fitted])
                print(f"--jobs {jobs}: CPU = {fixed:.2f} s + {marginal:.4f} s x N; "
                      f"wall = {wall_fixed:.2f} s + {wall_marginal:.4f} s x N (least squares)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    slope = sum((p[0] - mx) * (p[1] - my) for p in points) / sxx if sxx else 0.0
    return my - slope * mx, slope


def _estimate(done: list[Row], n: int) -> float | None:
    if not done:
        return None
    if len(done) == 1:
        return done[0].wall * n / done[0].n
    fixed, marginal = _fit([(r.n, r.wall) for r in done])
    return fixed + marginal * n


def _extrapolate(done: list[Row], n: int, jobs: int) -> Row:
    points = [(r.n, r.wall) for r in done]
    wall = _fit(points) if len(points) > 1 else (0.0, done[0].wall / done[0].n)
    cpu = _fit([(r.n, r.cpu) for r in done]) if len(done) > 1 else (0.0, done[0].cpu / done[0].n)
    return Row("python -m grader batch", n, str(jobs), wall[0] + wall[1] * n, cpu[0] + cpu[1] * n,
               max(r.peak for r in done), extrapolated=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="submissions in the class (default 100)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the median is shown")
    parser.add_argument("--sample", type=int, default=3,
                        help="k notebooks for the nbclient and otter baselines (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--otter-python", default=default_otter_python(),
                        help="an interpreter that can import otter (default: $OTTER_PYTHON or this one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--scaling", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--jobs-list", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--budget", type=float, default=900.0,
                        help="--scaling: longest run, in seconds, before extrapolating instead")
    args = parser.parse_args(argv)
    scaling(args) if args.scaling else compare(args)


if __name__ == "__main__":
    main()
