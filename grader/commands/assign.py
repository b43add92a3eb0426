"""`python -m grader assign`: the student's notebook, and the public data its checks read.

The notebook holds the prompts and stubs. Its `grader.check()` cells need reference values, which
only this trusted process can compute (it imports the solutions), so they are written beside the
notebook as `<notebook>.public.json`: public cases only (grader/public.py), safe to hand out.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.run import public
from grader.commands.options import EXIT_OK, EXIT_USAGE
from grader.pack.config import find_config, load_settings
from grader.render.numbers import points
from grader.pack.load import Exercise, Pack, load_pack
from grader.run.references import References


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m grader assign",
        description="Write the student notebook for the assignment (a prompt, a stub and a "
                    "grader.check cell per exercise) and its public data, <notebook>.public.json, "
                    "beside it. Hand out both files.")
    parser.add_argument("--out", help="the notebook to write (default: <assignment>.ipynb, "
                                      "or <assignment>-<student>.ipynb)")
    parser.add_argument("--student", default="",
                        help="the student's id: per-student exercises draw their inputs from it")
    parser.add_argument("--config", help="config.yaml to use (default: ./config.yaml, else the bundled one)")
    parser.add_argument("--select", nargs="+", metavar="ID", help="only these exercises")
    parser.add_argument("--check-seconds", type=float,
                        help="time limit of one call in grader.check() (default: config.yaml's)")
    return parser


def command(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    overrides = {"select": tuple(args.select) if args.select else None,
                 "limits": {"check_seconds": args.check_seconds} if args.check_seconds else {}}
    settings = load_settings(find_config(args.config), overrides)
    pack = load_pack(settings.root, settings.assignment, settings.solutions,
                     select=list(settings.select) or None, weights=settings.points)
    out = Path(args.out) if args.out else Path(_default_name(pack.name, args.student))
    public_path = public_path_for(out)
    data = public.build(pack, References(pack), args.student,
                        check_seconds=settings.limits.check_seconds)
    notebook = build_notebook(pack, public_path.name, args.student)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, str(out))
        public_path.write_text(public.to_json(data), encoding="utf-8")
    except OSError as exc:
        print(f"grader: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {out} and {public_path}: {len(pack.exercises)} exercises, "
          f"{points(pack.max_score)} points" + (f", for {args.student}" if args.student else ""))
    return EXIT_OK


def public_path_for(notebook: Path) -> Path:
    """`hw.ipynb` → `hw.public.json`, beside it (the setup cell names it)."""
    return notebook.with_name(notebook.name.removesuffix(".ipynb") + ".public.json")


def _default_name(assignment: str, student: str) -> str:
    stem = assignment + (f"-{student}" if student else "")
    return re.sub(r"[^\w.@-]", "_", stem) + ".ipynb"


def build_notebook(pack: Pack, public_name: str, student: str = "") -> nbformat.NotebookNode:
    """The nbformat v4 notebook: title, setup, then prompt, stub and check per exercise."""
    cells = [new_markdown_cell(_title(pack, public_name, student), id="title"),
             new_code_cell(_SETUP.format(public=public_name, path=repr(public_name)), id="setup")]
    for number, exercise in enumerate(pack.exercises, start=1):
        cells += [
            new_markdown_cell(f"## {number}. {exercise.title} ({points(exercise.max_score)} points)\n\n"
                              + exercise.prompt.strip(), id=f"{exercise.id}-prompt"),
            new_code_cell(_stub(exercise), id=f"{exercise.id}-answer"),
            new_code_cell(f'grader.check("{exercise.id}")', id=f"{exercise.id}-check"),
        ]
    cells += [new_markdown_cell("## Total on the public cases", id="total-title"),
              new_code_cell("grader.check_all()", id="total")]
    metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "grader": {"assignment": pack.name, "pack_hash": pack.hash, "public": public_name,
                   **({"student": student} if student else {})},
    }
    notebook = new_notebook(cells=cells, metadata=metadata)
    nbformat.validate(notebook)
    return notebook


_SETUP = """\
# Run this cell first: it loads torch and the checker, which reads {public} (keep it beside
# this notebook). grader.check("id") then checks one exercise on its public cases.
import torch
import grader.notebook
grader.notebook.setup({path})"""


def _title(pack: Pack, public_name: str, student: str) -> str:
    lines = [f"# {pack.name}", "",
             f"{len(pack.exercises)} exercises, {points(pack.max_score)} points. Run the setup cell "
             "first. For each exercise, write your answer in the code cell under its prompt, run "
             "it, then run the `grader.check(...)` cell below it: it checks your current definition "
             "on the exercise's **public** cases and explains what differs.", "",
             "Final grading runs this whole notebook afresh, top to bottom, on every case, "
             "including hidden ones; what `grader.check` shows is a guide, not the grade. "
             f"Keep `{public_name}` next to this notebook: the checks read it."]
    if student:
        mine = " Some exercises draw their inputs for you alone." if any(
            e.per_student for e in pack.exercises) else ""
        lines += ["", f"Student: `{student}`.{mine}"]
    return "\n".join(lines)


def _stub(exercise: Exercise) -> str:
    """The exercise's stub; a figure exercise's cell imports pyplot and ends by showing it."""
    stub = exercise.stub.rstrip()
    if exercise.function is None and any(c.kind == "figure" for c in exercise.checks):
        return f"import matplotlib.pyplot as plt\n\n{stub}\n\nplt.show()"
    return stub
