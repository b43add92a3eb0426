"""Wall and CPU time of test files, each run alone, in one or more source trees, alternating
trees file by file so that both see the same load.

    PYTHONPATH=$PWD python bench/suite_files.py --tree before=/tmp/old --tree after=$PWD \\
        tests/test_notebooks.py tests/test_cluster.py

CPU is user + sys of pytest and every process it waited for (fork servers, graded children,
Dask workers, `python -m grader` runs): it follows the work more than the load does; wall time
follows the load. Each line gives the 1-minute load average before and after the run.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time


def run(tree: str, test_file: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load, started = os.getloadavg()[0], time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file],
                          cwd=tree, env={**os.environ, "PYTHONPATH": tree}, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-200:]
    return {"wall": wall, "cpu": cpu, "load": (load, os.getloadavg()[0]), "result": tail}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", required=True, metavar="NAME=PATH")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    trees = [t.split("=", 1) for t in args.tree]
    print(f"{'file':38} {'tree':7} {'wall s':>7} {'CPU s':>7} {'load':>11}  result", flush=True)
    for test_file in args.files:
        for name, path in trees:
            r = run(path, test_file)
            print(f"{test_file:38} {name:7} {r['wall']:7.1f} {r['cpu']:7.1f} {r['load'][0]:5.1f}→{r['load'][1]:<5.1f}"
                  f"  {r['result']}", flush=True)


if __name__ == "__main__":
    main()
