"""One Report, rendered for each platform that grades or records it.

Per submission (`python -m grader FILE --format NAME`): `RENDERERS[NAME](report)` is the file's
text, JSON for gradescope and prairielearn, XML for junit; the CLI writes it as is. Per batch:
`canvas.render` and `moodle.render` turn the batch's reports into gradebook CSVs, behind the
`export` subcommand (`add_export_arguments`, `run_export`); `gradescope build` writes
autograder.zip (`add_gradescope_arguments`, `run_gradescope`).
"""
from __future__ import annotations

from typing import Callable

from grader.export import junit, prairielearn
from grader.export._feedback import dumps
from grader.export.cli import (add_export_arguments, add_gradescope_arguments, run_export,
                               run_gradescope)
from grader.model import Report


def _gradescope(report: Report) -> str:
    # Imported on use: `python -m grader.export.gradescope` (run_autograder's failure path)
    # would otherwise find its module already imported by this package, which runpy warns about.
    from grader.export import gradescope

    return dumps(gradescope.render(report))


RENDERERS: dict[str, Callable[[Report], str]] = {
    "gradescope": _gradescope,
    "prairielearn": lambda report: dumps(prairielearn.render(report)),
    "junit": junit.render,
}

__all__ = ["RENDERERS", "add_export_arguments", "add_gradescope_arguments", "run_export",
           "run_gradescope"]
