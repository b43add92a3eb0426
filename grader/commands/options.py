"""What every command shares: exit statuses and the flags that override config.yaml.

It sits below every command module, so `cli` imports the commands and no command imports `cli`.
"""
from __future__ import annotations

import argparse

from grader import i18n
from grader.pack.config import course_language

EXIT_OK, EXIT_USAGE, EXIT_PACK, EXIT_INTERNAL = 0, 2, 3, 4
TIME_LIMITS = ("submission_seconds", "check_seconds", "cell_seconds", "check_floor_seconds",
               "check_reference_factor", "hung_seconds")


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags that override config.yaml, shared by every command that grades."""
    group = parser.add_argument_group("course settings (override config.yaml)")
    group.add_argument("--config", help="config.yaml to use (default: ./config.yaml, else the bundled one)")
    i18n.add_argument(group)
    group.add_argument("--select", nargs="+", metavar="ID", help="grade only these exercises")
    group.add_argument("--detail", choices=("full", "summary"), help="feedback detail")
    group.add_argument("--isolation", choices=("auto", "none"), help="sandbox layers (none: only a child process)")
    for name in TIME_LIMITS:
        group.add_argument("--" + name.replace("_", "-"), type=float, help=f"limit: {name.replace('_', ' ')}")
    for name in ("memory_mb", "cpu_seconds", "processes", "file_size_mb", "open_files", "output_kb"):
        group.add_argument("--" + name.replace("_", "-"), type=int, help=f"limit: {name.replace('_', ' ')}")


def speak_course_language(args: argparse.Namespace) -> str:
    """Make --lang, else config.yaml's `language:`, the language of this process's sentences."""
    language = course_language(getattr(args, "config", None), getattr(args, "lang", None))
    i18n.set_language(language)
    return language


def settings_overrides(args: argparse.Namespace) -> dict:
    limits = {name: getattr(args, name) for name in
              (*TIME_LIMITS, "memory_mb", "cpu_seconds", "processes", "file_size_mb", "open_files", "output_kb")
              if getattr(args, name, None) is not None}
    return {"select": tuple(args.select) if args.select else None, "detail": args.detail,
            "isolation": args.isolation, "limits": limits, "language": getattr(args, "lang", None)}
