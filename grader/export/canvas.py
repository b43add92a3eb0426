"""Canvas gradebook-import CSV (the rules of canvas-lms lib/gradebook_importer.rb) from Reports.

The header is `Student, ID, SIS User ID, SIS Login ID, Section`, then the assignment column:
Canvas rejects a header where `SIS User ID` is not followed by `SIS Login ID` or where the column
before the assignments is not `Section`. A column named `Title (id)` updates that assignment; a
bare title updates the assignment of exactly that title, or creates a new one.

Students are joined through a gradebook CSV exported from Canvas (the roster). A report whose
file or student is a Canvas submission-download name (`doejane_101_5531_hw2.ipynb`,
`doejane_LATE_101_…`) joins on ID, that name's first number. Otherwise its student (its file's
stem when empty) is compared, ignoring case, with the SIS Login ID, SIS User ID and ID columns,
and must name exactly one roster row: numeric SIS ids can equal another student's Canvas ID, and
a guess would give one student's grade to another. Roster students without a report are left
out, so Canvas keeps their current score (a blank cell means "no score"); every student left out
comes back as a warning.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path, PurePath

from grader.export._csv import Export, key, read_rows, write_rows
from grader.model import Report
from grader.render.numbers import points

STUDENT_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "    Points Possible"  # as Canvas's exporter writes it
_JOIN_COLUMNS = ("SIS Login ID", "SIS User ID", "ID")
_TITLE_AND_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z")  # the importer's own pattern
_DOWNLOAD_NAME = re.compile(r"\A[^_]+(?:_late)?_(\d+)_\d+(?:_|\Z)")
_SKIPPED_CELL = re.compile(r"\A(|muted|manual posting.*)\Z", re.IGNORECASE)
HELP = "CSV for Canvas: Grades → Import"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--roster", type=Path, required=True,
                        help="the course's gradebook CSV, exported from Canvas (Grades → Export)")
    parser.add_argument("--assignment", help="the assignment's title in Canvas (default: the "
                                             "roster's only `Title (id)` column)")


def export(reports: list[Report], args: argparse.Namespace) -> Export:
    """`python -m grader export canvas`: the assignment defaults to the roster's only one."""
    return render(reports, args.roster, args.assignment or _only_assignment(args.roster))


def render(reports: list[Report], roster_csv: Path, assignment_title: str, *,
           points_possible: bool = True) -> Export:
    """The CSV to import in Canvas (Grades → Import) and the warnings to read first."""
    header, roster, roster_points = _read_roster(roster_csv)
    column, warnings = _assignment_column(header, assignment_title)
    best, join_warnings = _join(reports, roster)
    warnings += join_warnings
    rows = [list(STUDENT_COLUMNS) + [column]]
    maxima = sorted({r.max_score for r in reports})
    if len(maxima) > 1:
        warnings.append(f"reports differ in max_score ({', '.join(map(points, maxima))}); "
                        f"Points Possible uses {points(maxima[-1])}")
    if points_possible and maxima:
        rows.append([POINTS_POSSIBLE, "", "", "", "", points(maxima[-1])])
        if column in roster_points and _differs(roster_points[column], maxima[-1]):
            warnings.append(f"the roster says {column!r} is worth {roster_points[column]} points; "
                            f"importing sets it to {points(maxima[-1])}")
    for index, student in enumerate(roster):
        if index in best:
            rows.append([student[c] for c in STUDENT_COLUMNS] + [points(best[index].score)])
        else:
            warnings.append(f"no report for {student['Student']!r} (ID {student['ID']}): "
                            "left out, so Canvas keeps their current score")
    return Export(write_rows(rows), tuple(warnings))


def assignment_columns(roster_csv: Path) -> list[str]:
    """The roster's `Title (id)` headers: the assignments an import can update."""
    return [c for c in _read_roster(roster_csv)[0] if _TITLE_AND_ID.match(c)]


def _only_assignment(roster: Path) -> str:
    columns = assignment_columns(roster)
    if len(columns) != 1:
        raise ValueError(f"{roster} has {len(columns)} assignment columns "
                         f"({', '.join(columns) or 'none'}): pass --assignment")
    return columns[0]


def _read_roster(path: Path) -> tuple[list[str], list[dict[str, str]], dict[str, str]]:
    """(header, one mapping per student row, the Points Possible row by column)."""
    rows = read_rows(path)
    header = rows[0] if rows else []
    missing = [c for c in ("Student", "ID") if c not in header]
    if missing:
        raise ValueError(f"{path}: not a Canvas gradebook export (no column {', '.join(missing)}; "
                         "export it from Grades → Export)")
    students: list[dict[str, str]] = []
    points: dict[str, str] = {}
    for row in rows[1:]:
        cells = dict(zip(header, row))
        if row and "Points Possible" in row[0]:
            points = cells
        elif not all(_SKIPPED_CELL.match(cell) for cell in row):
            students.append({c: cells.get(c, "") for c in STUDENT_COLUMNS})
    return header, students, points


def _assignment_column(header: list[str], title: str) -> tuple[str, list[str]]:
    title = title.strip()
    if title in header and _TITLE_AND_ID.match(title):
        return title, []
    same = [c for c in header if (m := _TITLE_AND_ID.match(c)) and m.group(1).strip() == title]
    if len(same) > 1:
        raise ValueError(f"the roster has several assignments titled {title!r}: "
                         f"{', '.join(same)}; pass the full header as the title")
    if same:
        return same[0], []
    return title, [f"the roster has no assignment titled {title!r}: Canvas will update the "
                   "assignment of exactly that title, or create a new one"]


def _join(reports: list[Report], roster: list[dict[str, str]]
          ) -> tuple[dict[int, Report], list[str]]:
    """Roster row index → the report graded for it (the best, if several) and the warnings."""
    index = {column: _index(roster, column) for column in _JOIN_COLUMNS}
    best: dict[int, Report] = {}
    warnings: list[str] = []
    for report in reports:
        ident = report.student or PurePath(report.submission).stem
        rows = _rows(report, ident, index)
        if len(rows) != 1:
            names = ", ".join(repr(roster[i]["Student"]) for i in sorted(rows))
            why = f"it names several roster rows ({names})" if rows else "no roster row"
            warnings.append(f"student {ident!r} ({report.submission}): {why}; not exported")
            continue
        row = rows.pop()
        if row in best:
            kept, other = sorted((best[row], report), key=lambda r: r.score, reverse=True)
            warnings.append(f"several reports for {roster[row]['Student']!r} "
                            f"({kept.submission}, {other.submission}): kept the higher score")
            best[row] = kept
        else:
            best[row] = report
    return best, warnings


def _index(roster: list[dict[str, str]], column: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for i, student in enumerate(roster):
        if student[column]:
            found.setdefault(key(student[column]), []).append(i)
    return found


def _rows(report: Report, ident: str, index: dict[str, dict[str, list[int]]]) -> set[int]:
    for name in (PurePath(report.submission).name, ident):
        download = _DOWNLOAD_NAME.match(key(name))
        if download:
            return set(index["ID"].get(download.group(1), []))
    return {i for column in _JOIN_COLUMNS for i in index[column].get(key(ident), [])}


def _differs(cell: str, value: float) -> bool:
    try:
        return abs(float(cell) - value) > 1e-9
    except ValueError:
        return bool(cell.strip())
