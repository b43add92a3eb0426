"""`python -m grader`: a thin layer over the pipeline; known errors print one line, no traceback.

Exit status: 0 grading ran (whatever the score); 2 usage error or unreadable submission;
3 the exercise pack or config.yaml is broken; 4 the grader itself failed.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from grader.commands.options import (EXIT_INTERNAL, EXIT_OK, EXIT_PACK, EXIT_USAGE,
                                     add_settings_arguments, settings_overrides, speak_course_language)
from grader.errors import PackError, SubmissionError
from grader.export.formats import FORMATS, SUBMISSION_FORMATS

FORMATS_WITH_FIGURES = ("json",)  # the others never show the student's figure: do not draw it


def _grade_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m grader",
        description="Grade a PyTorch autograd submission (.ipynb or .py). Other commands: "
                    "validate, batch, similarity, export, gradescope, assign, student-package, serve "
                    "(python -m grader COMMAND -h).")
    parser.add_argument("submission", help="the student's notebook or .py file")
    parser.add_argument("--format", choices=SUBMISSION_FORMATS, default="text")
    parser.add_argument("--out", help="write the report to this file instead of standard output")
    parser.add_argument("--student", default="", help="the student's id (per-student inputs)")
    parser.add_argument("--public-only", action="store_true", help="grade public cases only")
    parser.add_argument("-v", "--verbose", action="store_true", help="show every failing case")
    add_settings_arguments(parser)
    return parser


def grade_command(argv: list[str]) -> int:
    args = _grade_parser().parse_args(argv)
    speak_course_language(args)
    from grader.api import Grader
    from grader.run import torch_libraries
    from grader.source.submission import parse_submission, read_bytes

    path = Path(args.submission)
    submission = parse_submission(path.name, read_bytes(path))  # while torch's libraries load
    torch_libraries.wait()
    with Grader.open(args.config, settings_overrides(args),
                     figure_images=args.format in FORMATS_WITH_FIGURES, one_submission=True) as grader:
        report = grader.grade(submission, args.student, public_only=args.public_only)
    text = render(report, args.format, verbose=args.verbose)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def render(report, fmt: str, *, verbose: bool = False) -> str:
    return FORMATS[fmt].render(report, verbose=verbose)


def _commands() -> dict[str, Callable[[list[str]], int]]:
    from grader.commands import validate

    commands: dict[str, Callable[[list[str]], int]] = {"validate": validate.command}
    for name, module, function in (("batch", "grader.commands.batch", "command"),
                                   ("export", "grader.export.cli", "export_command"),
                                   ("gradescope", "grader.export.cli", "gradescope_command"),
                                   ("assign", "grader.commands.assign", "command"),
                                   ("student-package", "grader.commands.student_package", "command"),
                                   ("similarity", "grader.commands.similarity", "command"),
                                   ("serve", "grader.serve.cli", "command")):
        commands[name] = _lazy(module, function)
    return commands


def _lazy(module: str, function: str) -> Callable[[list[str]], int]:
    def run(argv: list[str]) -> int:
        import importlib

        return getattr(importlib.import_module(module), function)(argv)
    return run


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        commands = _commands()
        if argv and argv[0] in commands:
            return commands[argv[0]](argv[1:])
        return grade_command(argv)
    except SubmissionError as exc:
        print(f"grader: cannot grade: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PackError as exc:
        print(f"grader: PackError: {exc}", file=sys.stderr)
        return EXIT_PACK
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except Exception as exc:  # the grader's own bug: say so plainly, keep the traceback for staff
        import traceback

        traceback.print_exc()
        print(f"grader: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
