"""One submission from the command line, against `python -c "import torch"` in the same session.

    python bench/single.py [SUBMISSION] [--repeat 5] [--before CHECKOUT]

The two commands alternate, round after round. Prints the medians of wall seconds, CPU seconds and peak memory (PSS of the whole process
tree: grader, fork server, child), and the ratios to the torch import.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import median, run  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", nargs="?", type=lambda p: str(Path(p).resolve()),
                        default=str(REPO / "examples" / "sample_submission.ipynb"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--before", metavar="CHECKOUT",
                        help="also run the grader of another checkout (git archive REV | tar -x -C DIR)")
    args = parser.parse_args()
    grade = [sys.executable, "-m", "grader", args.submission]
    commands = {"python -c 'import torch'": ([sys.executable, "-c", "import torch"], REPO),
                "python -m grader SUBMISSION": (grade, REPO)}
    if args.before:  # `python -m` imports the grader from its working directory
        commands["  the same, --before checkout"] = (grade, Path(args.before).resolve())
    runs: dict[str, list] = {name: [] for name in commands}
    load = os.getloadavg()
    for _ in range(args.repeat):  # alternated, so that a change of load hits all alike
        for name, (command, checkout) in commands.items():
            runs[name].append(run(command, env={"PYTHONPATH": str(checkout)}, cwd=str(checkout)))
    print(f"medians of {args.repeat} rounds; load {'/'.join(f'{v:.1f}' for v in load)} before, "
          f"{'/'.join(f'{v:.1f}' for v in os.getloadavg())} after")
    rows = {name: (median([r.wall for r in done]), median([r.cpu for r in done]),
                   median([r.peak_mb for r in done])) for name, done in runs.items()}
    base = rows["python -c 'import torch'"]
    print(f"{'command':<30}{'wall s':>9}{'CPU s':>9}{'peak MB':>10}{'wall ×':>9}{'CPU ×':>8}{'mem ×':>8}")
    for name, (wall, cpu, peak) in rows.items():
        print(f"{name:<30}{wall:>9.2f}{cpu:>9.2f}{peak:>10.0f}{wall / base[0]:>9.2f}"
              f"{cpu / base[1]:>8.2f}{peak / base[2]:>8.2f}")


if __name__ == "__main__":
    main()
