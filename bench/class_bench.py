"""A class as a TA has it: the grader's batch CPU per submission against nbclient's, in one run.

    python bench/class_bench.py FOLDER [--jobs 2] [--sample 10] [--repeat 3]
    python bench/class_bench.py --make-class 30 [--seed 0] [--copies 3] [--keep DIR]
    python bench/class_bench.py FOLDER --before TREE [--rounds 3] [--grader-args "--hung-seconds 0.5"] [--repeat 0]

FOLDER is any folder (or .zip) `python -m grader batch` accepts. --make-class writes a realistic
class with bench/make_class.py --mix (hung, crashing and plotting notebooks mixed in; see
bench/README.md for the proportions), each notebook --copies times, as a class with
resubmitted or shared notebooks has them. Printed, all measured in this invocation:

1. batch: `python -m grader batch FOLDER --jobs N`, CPU seconds of the whole process tree per
   submission (every file in the folder counts, broken ones included);
2. nbclient: each of --sample notebooks (evenly spaced over the folder; 0 = all) executed in a
   fresh Jupyter kernel, the floor of any kernel-based grader, CPU seconds per notebook;
3. their ratio; with --before TREE, the batch of an older checkout too, and whether its
   grades.csv is identical; and for one notebook, `python -m grader NOTEBOOK` against `python -c "import
   torch"`, wall seconds, the medians of --repeat alternating runs.

The load average before and after is printed: the machine may be shared, and every figure
inflates with it, so compare ratios from one run, never figures across runs.
"""
from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import baselines  # noqa: E402
from batch import sample_notebooks  # noqa: E402
from make_class import describe, make_class  # noqa: E402
from measure import median, run  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def load() -> str:
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def evenly(items: list[Path], k: int) -> list[Path]:
    if k <= 0 or k >= len(items):
        return items
    return [items[i * len(items) // k] for i in range(k)]


def batch_cpu(folder: Path, jobs: int, out: Path, tree: Path = REPO,
              extra: tuple[str, ...] = ()) -> tuple[float, int, float]:
    """(CPU seconds, submissions, wall seconds) of one `grader batch` run of the grader in `tree`."""
    shutil.rmtree(out, ignore_errors=True)
    measured = run([sys.executable, "-m", "grader", "batch", str(folder), "--jobs", str(jobs),
                    "--out", str(out), *extra], cwd=str(tree), env={"PYTHONPATH": str(tree)})
    submissions = len([p for p in folder.rglob("*") if p.suffix in (".ipynb", ".py")])
    return measured.cpu, submissions, measured.wall


def nbclient_cpu(notebooks: list[Path], scratch: Path) -> list[float]:
    shim = baselines.write_d2l_shim(scratch / "shim")
    cpus = []
    for notebook in notebooks:
        copy = baselines.kernel_copy(notebook, scratch / f"kernel-{notebook.name}")
        cpus.append(run(baselines.nbclient_command(copy), env={"PYTHONPATH": str(shim)},
                        cwd=str(scratch)).cpu)
    return cpus


def single_wall(notebook: Path, repeat: int) -> tuple[float, float]:
    """Medians of (import torch, grader on one notebook) wall seconds, runs alternating."""
    torch_runs, grader_runs = [], []
    for _ in range(repeat):
        torch_runs.append(run([sys.executable, "-c", "import torch"], cwd=str(REPO)).wall)
        grader_runs.append(run([sys.executable, "-m", "grader", str(notebook)], cwd=str(REPO)).wall)
    return median(torch_runs), median(grader_runs)


def compare_before(args: argparse.Namespace, folder: Path, scratch: Path, extra: tuple[str, ...],
                   this: tuple[float, int, float]) -> None:
    """One run of the grader in --before right after this one's: on a shared machine only
    alternating rounds (--rounds) tell a few per cent from the load's drift."""
    cpu, subs, wall = this
    old_cpu, _, old_wall = batch_cpu(folder, args.jobs, scratch / "graded-before", args.before, extra)
    same = (scratch / "graded" / "grades.csv").read_bytes() == \
        (scratch / "graded-before" / "grades.csv").read_bytes()
    print(f"grader in {args.before}: {old_cpu / subs:.3f} CPU s / submission, {old_wall:.0f} s wall; "
          f"this one: {cpu / subs:.3f}, {wall:.0f} s; grades.csv {'identical' if same else 'DIFFERENT'}; "
          f"load {load()}", flush=True)


def make(folder: Path, n: int, seed: int, copies: int) -> str:
    students = make_class(folder / "originals", n, seed=seed, mix=True)
    for copy in range(copies):
        for path in sorted((folder / "originals").glob("*.ipynb")):
            shutil.copy(path, folder / f"{path.stem}-{copy + 1}.ipynb")
    shutil.rmtree(folder / "originals")
    return f"{describe(students)}; each {copies}x"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--make-class", type=int, metavar="N", help="generate N realistic notebooks instead")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sample", type=int, default=10, help="notebooks run by nbclient (0: all)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the single-notebook comparison (0: skip it)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="with --before: alternate this many (this, before) pairs; the ratio uses this one's median")
    parser.add_argument("--grader-args", default="", metavar="ARGS",
                        help="more flags for `grader batch`, both runs (e.g. \"--hung-seconds 0.5\": a what-if)")
    parser.add_argument("--keep", type=Path, help="--make-class: write the class here and keep it")
    parser.add_argument("--before", type=Path, metavar="TREE",
                        help="also grade with the grader in TREE (e.g. `git archive OLD | tar -x -C TREE`)")
    args = parser.parse_args(argv)
    if (args.folder is None) == (args.make_class is None):
        parser.error("give a FOLDER or --make-class N")
    scratch = Path(tempfile.mkdtemp(prefix="bench-class-"))
    try:
        folder = args.folder
        if args.make_class:
            folder = args.keep or scratch / "class"
            folder.mkdir(parents=True, exist_ok=True)
            print(f"class: {make(folder, args.make_class, args.seed, args.copies)}")
        notebooks = sample_notebooks(folder, 0)
        sample = evenly(notebooks, args.sample)
        print(f"load average before: {load()}", flush=True)
        extra = tuple(shlex.split(args.grader_args))
        runs = []
        for _ in range(args.rounds if args.before else 1):
            cpu, subs, wall = batch_cpu(folder, args.jobs, scratch / "graded", extra=extra)
            runs.append(cpu)
            if args.before:
                compare_before(args, folder, scratch, extra, (cpu, subs, wall))
        cpu = median(runs)
        kernel = nbclient_cpu(sample, scratch)
        torch_wall, grader_wall = single_wall(sample[0], args.repeat) if args.repeat else (0.0, 0.0)
        print(f"load average after: {load()}")
        per_sub, per_kernel = cpu / subs, sum(kernel) / len(kernel)
        print(f"\n{'':<44}{'CPU s / submission':>20}")
        print(f"{f'grader batch --jobs {args.jobs} ({subs} submissions, {wall:.0f} s wall)':<44}{per_sub:>20.3f}")
        print(f"{f'nbclient, one kernel each ({len(kernel)} notebooks)':<44}{per_kernel:>20.3f}")
        print(f"ratio: the grader uses 1/{per_kernel / per_sub:.1f} of nbclient's CPU per submission")
        if args.repeat:
            print(f"\none notebook ({sample[0].name}), wall s, median of {args.repeat}: "
                  f"import torch {torch_wall:.2f}, python -m grader {grader_wall:.2f}, "
                  f"ratio {grader_wall / torch_wall:.2f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
