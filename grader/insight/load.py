"""What `similarity` reads: the batch's gradebook, and the pack's own code to subtract."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grader.pack.config import find_config, load_settings
from grader.commands.gradebook import Gradebook
from grader.insight.source import given_code
from grader.model import Report
from grader.pack.load import load_pack


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
    pack = load_pack(settings.root, settings.assignment, settings.solutions, weights=settings.points,
                     language=settings.language)
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
