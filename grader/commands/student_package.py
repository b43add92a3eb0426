"""`python -m grader student-package`: the wheel students install so `grader.check()` runs in
their kernel, checked to hold no solution and no exercise file.

The checks in a student's notebook need the grader's code and the public file that `assign`
writes (`<notebook>.public.json`: public cases and their reference results), never `solutions/`
or the exercise YAML, where the hidden cases are. The wheel is built by pip from this
repository's `pyproject.toml`, which packages `grader/` only; every member is then read back,
and the command fails rather than hand out a wheel holding a solution function's source, an
exercise file or a hidden case.
"""
from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from grader.commands.options import EXIT_INTERNAL, EXIT_OK
from grader.pack.config import REPO_ROOT, find_config, load_settings

PACK_SUFFIXES = (".yaml", ".yml")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m grader student-package",
        description="Build the wheel students install for grader.check() in Jupyter: the grader "
                    "without solutions/ or exercises/ (so without hidden cases). Hand out the "
                    "wheel, the notebook from `assign` and its .public.json.")
    parser.add_argument("--out", type=Path, default=Path("dist"), help="folder for the wheel (default: dist)")
    parser.add_argument("--config", help="config.yaml whose solutions/ and exercises/ must stay out")
    return parser


def command(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    settings = load_settings(find_config(args.config))
    wheel = build(args.out)
    leaks = leaks_in(wheel, settings.root / settings.solutions,
                     (settings.root / settings.assignment).parent)
    if leaks:
        wheel.unlink()
        print("grader student-package: refusing to write a wheel that holds "
              + "; ".join(leaks), file=sys.stderr)
        return EXIT_INTERNAL
    print(f"wrote {wheel}: no solutions, no exercise files, no hidden cases.\n"
          f"Hand out {wheel.name}, the notebook from `python -m grader assign` and its "
          f".public.json. Students install torch's CPU build and the wheel:\n"
          f"  python -m pip install --extra-index-url https://download.pytorch.org/whl/cpu "
          f"\"torch==2.13.0+cpu\" {wheel.name}")
    return EXIT_OK


def build(out: Path) -> Path:
    """pip builds the wheel of this repository (grader/ only) into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                               "--quiet", "--wheel-dir", scratch, str(REPO_ROOT)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pip wheel failed: {done.stderr.strip()[-2000:]}")
        built = next(Path(scratch).glob("*.whl"))
        target = out / built.name
        target.write_bytes(built.read_bytes())
    return target


def leaks_in(wheel: Path, solutions: Path, exercises: Path) -> list[str]:
    """What of the pack's secrets the wheel holds: solution functions' source, exercise files."""
    secrets = {f"{path.name}: {node.name}": ast.get_source_segment(text, node)
               for path in sorted(solutions.glob("*.py"))
               for text in [path.read_text(encoding="utf-8")]
               for node in ast.parse(text).body if isinstance(node, ast.FunctionDef)}
    exercise_texts = {path.name: path.read_text(encoding="utf-8").strip()
                      for path in sorted(exercises.glob("*.y*ml"))}
    found = []
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if member.endswith(PACK_SUFFIXES) or member.startswith(("solutions/", "exercises/")):
                found.append(f"the pack file {member}")
                continue
            text = archive.read(member).decode("utf-8", "replace")
            found += [f"the solution {name} in {member}" for name, source in secrets.items()
                      if source and source in text]
            found += [f"the exercise file {name} in {member}" for name, body in exercise_texts.items()
                      if body and body in text]
    return found
