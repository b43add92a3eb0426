"""The `export` and `gradescope` subcommands of `python -m grader`.

`export_command(argv)` / `gradescope_command(argv)` take the arguments after the subcommand's
name; a CLI with its own parser can instead add the subcommands with `add_export_arguments` /
`add_gradescope_arguments` and call `run_export(args)` / `run_gradescope(args)`. Exit status:
0 done (warnings on stderr), 2 nothing could be written.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Callable

from grader import i18n
from grader.i18n import _
from grader.pack.config import course_language
from grader.export._csv import Export
from grader.export.formats import BATCH_FORMATS, FORMATS
from grader.export.gradescope_build import build_zip
from grader.model import Report, report_from_dict


def export_command(argv: list[str]) -> int:
    return run_export(_parser(add_export_arguments).parse_args(["export", *argv]))


def gradescope_command(argv: list[str]) -> int:
    return run_gradescope(_parser(add_gradescope_arguments).parse_args(["gradescope", *argv]))


def add_export_arguments(subparsers: argparse._SubParsersAction) -> None:
    export = subparsers.add_parser("export", help="gradebook CSV from a batch output folder")
    lms = export.add_subparsers(dest="lms", required=True,
                                metavar="{" + ",".join(BATCH_FORMATS) + "}")
    for name in BATCH_FORMATS:
        module = FORMATS[name].load()
        parser = lms.add_parser(name, help=module.HELP)
        parser.add_argument("--batch", type=Path, required=True,
                            help="the batch command's output folder (its reports/*.json)")
        module.add_arguments(parser)
        parser.add_argument("--out", type=Path, help="file to write (default: standard output)")
        _add_language(parser)


def run_export(args: argparse.Namespace) -> int:
    _language(args)
    export_format = FORMATS[args.lms]
    try:
        reports, warnings = load_batch(args.batch)
        result = getattr(export_format.load(), export_format.function)(reports, args)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    _write(Export(result.text, tuple(warnings) + result.warnings), args.out)
    return 0


def add_gradescope_arguments(subparsers: argparse._SubParsersAction) -> None:
    gradescope = subparsers.add_parser("gradescope", help="Gradescope autograder tools")
    actions = gradescope.add_subparsers(dest="gradescope_action", required=True,
                                        metavar="{build}")
    build = actions.add_parser("build", help="write autograder.zip for this checkout")
    build.add_argument("--out", type=Path, default=Path("autograder.zip"))
    build.add_argument("--torch-version", default="2.13.0")
    _add_language(build)


def run_gradescope(args: argparse.Namespace) -> int:
    root = Path(__file__).resolve().parents[2]  # the checkout holding grader/ and the pack
    try:
        path = build_zip(root, args.out, torch_version=args.torch_version, language=_language(args))
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(_("wrote {path}: upload it under Configure Autograder → Zip file upload", path=path))
    return 0


def load_batch(folder: Path) -> tuple[list[Report], list[str]]:
    """The reports under `folder/reports/` (a file's stem names a report without a student)."""
    paths = sorted((folder / "reports").glob("*.json"))
    if not paths:
        raise FileNotFoundError(f"no reports in {folder / 'reports'}: run the batch command first")
    reports: list[Report] = []
    warnings: list[str] = []
    for path in paths:
        try:
            report = report_from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as error:
            warnings.append(f"{path}: not a report ({error!r}): skipped")
            continue
        if not report.student:
            report = dataclasses.replace(report, student=path.stem)
        reports.append(report)
    return reports, warnings


def _add_language(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="config.yaml whose language: applies (default: ./config.yaml, "
                                          "else the bundled one)")
    i18n.add_argument(parser)


def _language(args: argparse.Namespace) -> str:
    language = course_language(args.config, args.lang)
    i18n.set_language(language)
    return language


def _parser(add: Callable[[argparse._SubParsersAction], None]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader")
    add(parser.add_subparsers(required=True))
    return parser


def _write(result: Export, out: Path | None) -> None:
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if out is None:
        sys.stdout.write(result.text)
    else:
        out.write_text(result.text, encoding="utf-8", newline="")
