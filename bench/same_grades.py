"""Same grades before and after a change: snapshot every fixture's JSON report, then compare.

    python bench/same_grades.py snapshot before.json      # on the old commit
    python bench/same_grades.py snapshot after.json       # on the new one
    python bench/same_grades.py compare before.json after.json

A snapshot grades every file under tests/fixtures/ (right and wrong answers), the example
notebook in one Grader, and keeps what a student sees as the grade:
per exercise the score, the status and the diagnosis codes. `compare` prints every difference
and exits 1 if there is one. Run `python -m grader validate` too: it checks each fixture still
gets the code its first line names.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def submissions() -> list[Path]:
    found = sorted((REPO / "tests" / "fixtures").rglob("*.py")) + sorted((REPO / "examples").glob("*.ipynb"))
    return [p for p in found if p.is_file()]


def snapshot(out: Path) -> None:
    from grader.api import Grader

    grades = {}
    with Grader.open() as grader:
        grader.warm()
        for path in submissions():
            report = grader.grade_file(path)
            grades[str(path.relative_to(REPO))] = {
                e.id: {"score": e.score, "status": e.status,
                       "codes": sorted({d.code for d in e.diagnoses})} for e in report.exercises}
    out.write_text(json.dumps(grades, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{out}: {len(grades)} submissions")


def compare(before: Path, after: Path) -> int:
    old, new = (json.loads(p.read_text(encoding="utf-8")) for p in (before, after))
    differences = [f"{name}: only in {before if name in old else after}"
                   for name in sorted(set(old) ^ set(new))]
    for name in sorted(set(old) & set(new)):
        for exercise in sorted(set(old[name]) | set(new[name])):
            a, b = old[name].get(exercise), new[name].get(exercise)
            if a != b:
                differences.append(f"{name} {exercise}: {a} -> {b}")
    print("\n".join(differences) or f"same grades on all {len(old)} submissions")
    return 1 if differences else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("snapshot").add_argument("out", type=Path)
    both = sub.add_parser("compare")
    both.add_argument("before", type=Path)
    both.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "snapshot":
        snapshot(args.out)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
