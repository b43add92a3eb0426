"""Moodle grade-import CSV (grade/import/csv) from Reports: an identifier, the grade, feedback.

Moodle asks the teacher after upload which column identifies users ("Map from" → "Map to":
email address or ID number) and which grade item each other column feeds, so the column names
here are Moodle's own export names. A row whose user Moodle cannot find aborts the whole import,
so with a roster every report is checked against it first and the unknown ones are left out, with
a warning. Feedback is short plain text: each exercise's score and its diagnosis codes.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from grader.export._csv import Export, key, read_rows, write_rows
from grader.export._feedback import codes
from grader.model import Report
from grader.render.numbers import points

ID_FIELDS = {"email": "Email address", "idnumber": "ID number"}
# Headers of Moodle's grade export and of its user download, for each identifier.
_ROSTER_HEADERS = {"email": ("Email address", "email"), "idnumber": ("ID number", "idnumber"),
                   "username": ("Username", "username")}
HELP = "CSV for Moodle: Grades → Import → CSV file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--id-field", choices=sorted(ID_FIELDS), default="email",
                        help="what identifies a student in Moodle (default: email)")
    parser.add_argument("--roster", type=Path, help="a Moodle grade export or user download, to "
                                                    "check and translate student identifiers")
    parser.add_argument("--item", default="Autograder", help="the grade column's name")


def export(reports: list[Report], args: argparse.Namespace) -> Export:
    """`python -m grader export moodle`."""
    return render(reports, args.id_field, args.roster, item=args.item)


def render(reports: list[Report], id_field: str = "email", roster: Path | None = None, *,
           item: str = "Autograder") -> Export:
    """The CSV for Grades → Import → CSV file, and the warnings to read first.

    Without a roster, each report's student is the identifier as is; with one (a Moodle grade
    export or user download), it is matched, ignoring case, with the roster's email, ID number,
    username or the part of the email before `@`, and the roster's exact value is written
    (Moodle compares emails case-sensitively, MDL-29315).
    """
    if id_field not in ID_FIELDS:
        raise ValueError(f"id_field must be one of {sorted(ID_FIELDS)} (got {id_field!r})")
    lookup = _roster(roster, id_field) if roster else None
    rows = [[ID_FIELDS[id_field], item, f"{item} feedback"]]
    warnings: list[str] = []
    for report in reports:
        student = report.student.strip()
        ident = lookup.get(key(student), "") if lookup is not None else student
        problem = _problem(student, ident, id_field, lookup is not None)
        if problem:
            warnings.append(f"{report.submission}: {problem}; not exported (Moodle would abort "
                            "the whole import)")
        else:
            rows.append([ident, points(report.score), feedback(report)])
    return Export(write_rows(rows), tuple(warnings))


def feedback(report: Report) -> str:
    """`grad_of_dot 2/2; two_grads 0/2 [grad-accumulation]; …`: short enough for a gradebook
    cell, and the codes are the same ones the class statistics count."""
    parts = []
    for e in report.exercises:
        found = codes(e) or ([e.status] if e.status in ("missing", "error") else [])
        tail = f" [{', '.join(found)}]" if found else ""
        parts.append(f"{e.id} {points(e.score)}/{points(e.max_score)}{tail}")
    return "; ".join(parts)


def _problem(student: str, ident: str, id_field: str, has_roster: bool) -> str:
    if not student:
        return "the report names no student"
    if has_roster and not ident:
        return f"no roster row (or no {ID_FIELDS[id_field]}) for {student!r}"
    if id_field == "email" and "@" not in ident:
        return f"{ident!r} is not an email address"
    return ""


def _roster(path: Path, id_field: str) -> dict[str, str]:
    """Every way a report may name a student → that student's identifier for Moodle."""
    rows = read_rows(path)
    header = rows[0] if rows else []
    columns = {field: next((header.index(h) for h in names if h in header), None)
               for field, names in _ROSTER_HEADERS.items()}
    if columns[id_field] is None:
        raise ValueError(f"{path}: no {' or '.join(_ROSTER_HEADERS[id_field])} column")
    found: dict[str, set[str]] = {}
    for row in rows[1:]:
        cell = {f: row[i] if i is not None and i < len(row) else "" for f, i in columns.items()}
        names = [cell["email"], cell["email"].split("@")[0], cell["idnumber"], cell["username"]]
        for name in filter(None, names):
            found.setdefault(key(name), set()).add(cell[id_field])
    # A name two students share (jdoe@a.edu, jdoe@b.edu) identifies neither.
    return {name: ids.pop() for name, ids in found.items() if len(ids) == 1}
