"""`python -m grader similarity OUT_DIR`: similarity.html and similarity.csv for a graded class.

It reads the batch's gradebook and the pack's own code (to subtract), ranks pairs with insight/
and writes the page with render/similarity.py.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader.commands.gradebook import Gradebook
from grader.insight.evidence import answers_by_exercise
from grader.insight.ranking import groups, rank_pairs
from grader.insight.source import given_code
from grader.model import Report
from grader.pack.config import find_config, load_settings
from grader.pack.load import load_pack
from grader.render.similarity import render_page, write_csv

DESCRIPTION = ("Rank pairs of students by evidence of shared work: distinctive code (starter and "
               "reference code subtracted) and identical wrong values on the same cases. Reads "
               "OUT_DIR/gradebook.sqlite, written by `python -m grader batch`; writes "
               "OUT_DIR/similarity.html and OUT_DIR/similarity.csv. Evidence for a TA, never a penalty.")


def command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader similarity", description=DESCRIPTION)
    parser.add_argument("out", type=Path, metavar="OUT_DIR", help="a batch output folder")
    parser.add_argument("--config", help="config.yaml of the pack the class was graded with "
                                         "(default: ./config.yaml, else the bundled one)")
    args = parser.parse_args(argv)
    try:
        html, csv_path, flagged = write_similarity(args.out, args.config)
    except NothingToCompare as err:
        print(f"grader similarity: {err}", file=sys.stderr)
        return 2
    print(f"{flagged} pairs at or above the threshold. Wrote {html} and {csv_path}.")
    return 0


def write_similarity(out: Path, config: str | None = None) -> tuple[Path, Path, int]:
    """Write both files; returns their paths and how many pairs reached the threshold."""
    started = time.perf_counter()
    graded = load_class(out, config)
    for warning in graded.warnings:
        print(f"grader similarity: warning: {warning}", file=sys.stderr)
    answers = answers_by_exercise(graded.reports, graded.given)
    pairs = rank_pairs(answers)
    linked = groups(pairs)
    lookup = {(a.exercise, a.student): a for items in answers.values() for a in items}
    html_path, csv_path = out / "similarity.html", out / "similarity.csv"
    html_path.write_text(render_page(pairs, linked, lookup, len(graded.reports), graded.warnings),
                         encoding="utf-8")
    write_csv(pairs, linked, csv_path)
    print(f"compared {len(graded.reports)} students in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return html_path, csv_path, sum(p.flagged for p in pairs)


class NothingToCompare(Exception):
    """OUT_DIR holds no graded class (or one graded before sources were kept)."""


@dataclass
class GradedClass:
    reports: list[Report]
    given: dict[str, str]
    warnings: list[str] = field(default_factory=list)


def load_class(out: Path, config: str | None = None) -> GradedClass:
    """The latest graded report of every student, and each exercise's stub and solution."""
    path = out / "gradebook.sqlite"
    if not path.is_file():
        raise NothingToCompare(f"{out}: no gradebook.sqlite; run `python -m grader batch` "
                               "with --out pointing here first")
    with Gradebook(path) as gradebook:
        reports = [r for r in gradebook.reports() if r.exercises]
    if not reports:
        raise NothingToCompare(f"{path}: no graded submission")
    settings = load_settings(find_config(config))
    pack = load_pack(settings.root, settings.assignment, settings.solutions, weights=settings.points)
    warnings = []
    old = [r.student for r in reports if not any(e.source or e.behaviour for e in r.exercises)]
    if old:
        warnings.append(f"{len(old)} submissions were graded by a grader that kept no code or "
                        "behaviour (first: {}); run batch again with --regrade".format(old[0]))
    other = sorted({r.pack_hash for r in reports} - {pack.hash})
    if other:
        warnings.append(f"some submissions were graded with another version of the exercises "
                        f"(pack {', '.join(other)}; this one is {pack.hash})")
    return GradedClass(reports, given_code(pack), warnings)
