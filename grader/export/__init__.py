"""One Report, rendered for each platform that grades or records it.

Per submission (`python -m grader FILE --format NAME`): `RENDERERS[NAME](report)` is the file's
text, JSON for gradescope and prairielearn, XML for junit; the CLI writes it as is. Per batch:
`canvas.render` and `moodle.render` turn the batch's reports into gradebook CSVs, behind the
`export` subcommand (`add_export_arguments`, `run_export`); `gradescope build` writes
autograder.zip (`add_gradescope_arguments`, `run_gradescope`).
"""
from __future__ import annotations

from typing import Callable

from grader.export._feedback import dumps
from grader.export.cli import (add_export_arguments, add_gradescope_arguments, run_export,
                               run_gradescope)
from grader.model import Report

# Each renderer imports its module on use: gradescope and prairielearn are also scripts
# (`python -m grader.export.gradescope --failure …`), and runpy warns when the package has
# already imported the module it is asked to run.


def _gradescope(report: Report) -> str:
    from grader.export import gradescope

    return dumps(gradescope.render(report))


def _prairielearn(report: Report) -> str:
    from grader.export import prairielearn

    return dumps(prairielearn.render(report))


def _junit(report: Report) -> str:
    from grader.export import junit

    return junit.render(report)


RENDERERS: dict[str, Callable[[Report], str]] = {
    "gradescope": _gradescope,
    "prairielearn": _prairielearn,
    "junit": _junit,
}

__all__ = ["RENDERERS", "add_export_arguments", "add_gradescope_arguments", "run_export",
           "run_gradescope"]
