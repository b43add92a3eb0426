"""Every output format, in one table: `python -m grader --format NAME` and `export NAME` read it.

A per-submission format names a function `(report) -> str` returning the file's whole text (the
text format also takes `verbose`); a per-batch format names a module with `HELP`,
`add_arguments(parser)` and `export(reports, args) -> Export` (a gradebook CSV and its
warnings). Adding a format is one module and one line here. Modules are imported on use: the
CLI starts without them, and gradescope and prairielearn are also scripts
(`python -m grader.export.gradescope --failure …`), which runpy warns about when the package has
already imported them.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class Format:
    name: str
    module: str
    function: str
    per_submission: bool
    takes_verbose: bool = False

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)

    def render(self, report: Any, *, verbose: bool = False) -> str:
        """The file's text for one report (per-submission formats only)."""
        function = getattr(self.load(), self.function)
        return function(report, verbose=verbose) if self.takes_verbose else function(report)


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("text", "grader.render.terminal", "to_text", per_submission=True, takes_verbose=True),
    Format("json", "grader.render.terminal", "json_file", per_submission=True),
    Format("gradescope", "grader.export.gradescope", "results_file", per_submission=True),
    Format("prairielearn", "grader.export.prairielearn", "results_file", per_submission=True),
    Format("junit", "grader.export.junit", "render", per_submission=True),
    Format("canvas", "grader.export.canvas", "export", per_submission=False),
    Format("moodle", "grader.export.moodle", "export", per_submission=False),
)}
SUBMISSION_FORMATS = tuple(name for name, f in FORMATS.items() if f.per_submission)
BATCH_FORMATS = tuple(name for name, f in FORMATS.items() if not f.per_submission)
