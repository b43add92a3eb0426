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

from grader import i18n
from grader.i18n import _
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
    i18n.add_argument(parser)
    return parser


def command(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    overrides = {"select": tuple(args.select) if args.select else None, "language": args.lang,
                 "limits": {"check_seconds": args.check_seconds} if args.check_seconds else {}}
    settings = load_settings(find_config(args.config), overrides)
    i18n.set_language(settings.language)
    pack = load_pack(settings.root, settings.assignment, settings.solutions,
                     select=list(settings.select) or None, weights=settings.points,
                     language=settings.language)
    out = Path(args.out) if args.out else Path(_default_name(pack.name, args.student))
    public_path = public_path_for(out)
    data = public.build(pack, References(pack), args.student,
                        check_seconds=settings.limits.check_seconds, language=settings.language)
    notebook = build_notebook(pack, public_path.name, args.student)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, str(out))
        public_path.write_text(public.to_json(data), encoding="utf-8")
    except OSError as exc:
        print("grader: " + _("cannot write {file}: {reason}", file=exc.filename, reason=exc.strerror),
              file=sys.stderr)
        return EXIT_USAGE
    print(_("wrote {notebook} and {public}: {count} exercises, {points} points", notebook=out,
            public=public_path, count=len(pack.exercises), points=points(pack.max_score))
          + (_(", for {student}", student=args.student) if args.student else ""))
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
             new_code_cell(_setup(public_name), id="setup")]
    for number, exercise in enumerate(pack.exercises, start=1):
        cells += [
            new_markdown_cell(_("## {number}. {title} ({points} points)", number=number, title=exercise.title,
                                points=points(exercise.max_score)) + "\n\n"
                              + exercise.prompt.strip(), id=f"{exercise.id}-prompt"),
            new_code_cell(_stub(exercise), id=f"{exercise.id}-answer"),
            new_code_cell(f'grader.check("{exercise.id}")', id=f"{exercise.id}-check"),
        ]
    cells += [new_markdown_cell("## " + _("Total on the public cases"), id="total-title"),
              new_code_cell("grader.check_all()", id="total")]
    metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "grader": {"assignment": pack.name, "pack_hash": pack.hash, "public": public_name,
                   "language": i18n.language(),
                   **({"student": student} if student else {})},
    }
    notebook = new_notebook(cells=cells, metadata=metadata)
    nbformat.validate(notebook)
    return notebook


def _setup(public_name: str) -> str:
    """The setup cell: a comment for the student, then the three lines that load the checker."""
    comment = _("Run this cell first: it loads torch and the checker, which reads {public} (keep it beside\n"
                "this notebook). grader.check(\"id\") then checks one exercise on its public cases.",
                public=public_name)
    code = f"import torch\nimport grader.notebook\ngrader.notebook.setup({public_name!r})"
    return "".join(f"# {line}\n" for line in comment.splitlines()) + code


def _title(pack: Pack, public_name: str, student: str) -> str:
    lines = [f"# {pack.name}", "",
             _("{count} exercises, {points} points. Run the setup cell first. For each exercise, write "
               "your answer in the code cell under its prompt, run it, then run the `grader.check(...)` "
               "cell below it: it checks your current definition on the exercise's **public** cases "
               "and explains what differs.", count=len(pack.exercises), points=points(pack.max_score)), "",
             _("Final grading runs this whole notebook afresh, top to bottom, on every case, including "
               "hidden ones; what `grader.check` shows is a guide, not the grade. Keep `{public}` next "
               "to this notebook: the checks read it.", public=public_name)]
    if student:
        mine = " " + _("Some exercises draw their inputs for you alone.") if any(
            e.per_student for e in pack.exercises) else ""
        lines += ["", _("Student: `{student}`.", student=student) + mine]
    return "\n".join(lines)


def _stub(exercise: Exercise) -> str:
    """The exercise's stub; a figure exercise's cell imports pyplot and ends by showing it."""
    stub = exercise.stub.rstrip()
    if exercise.function is None and any(c.kind == "figure" for c in exercise.checks):
        return f"import matplotlib.pyplot as plt\n\n{stub}\n\nplt.show()"
    return stub
