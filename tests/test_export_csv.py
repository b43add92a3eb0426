"""Canvas and Moodle gradebook CSVs from a batch of Reports, read back with the csv module and
checked against the importers' documented rules (Canvas: lib/gradebook_importer.rb; Moodle:
grade/import/csv), with rosters written the way each LMS exports them."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from grader.export import canvas, moodle
from grader.export.cli import export_command
from grader.model import CheckResult, Diagnosis, ExerciseResult, Report
from test_export_schemas import CANVAS_ASSIGNMENT, canvas_header_problems, read_csv

# Like lms-examples/canvas/gradebook_import.csv: a Canvas gradebook export.
CANVAS_ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Autograd HW1 (48213),Quiz 1 (48214)
    Points Possible,,,,,10.00,5.00
"Doe, Jane",101,A0001,jdoe,CS 101 - 01,9.50,4
"Roe, Rick",102,A0002,rroe,CS 101 - 01,EX,5
"Poe, Pat",103,A0003,ppoe@example.edu,CS 101 - 02,,
"Loe, Lee",104,,,CS 101 - 02,,
"Koe, Kim",105,A0005,kkoe,CS 101 - 02,,
"Moe, Max",106,104,mmoe,CS 101 - 02,,
"""
# Like Moodle's grade export (Grades → Export → CSV).
MOODLE_ROSTER = """First name,Last name,ID number,Institution,Department,Email address
Jane,Doe,S001,Uni,CS,JDoe@Example.edu
Rick,Roe,S002,Uni,CS,rroe@example.edu
Pat,Poe,S003,Uni,CS,jpoe@example.edu
Pam,Poe,S004,Uni,Math,jpoe@other.example.edu
"""


def report(student: str, score: float, max_score: float = 10.0, *, codes: tuple[str, ...] = (),
           submission: str = "") -> Report:
    diagnoses = tuple(Diagnosis(code=c, message=c) for c in codes)
    check = CheckResult(name="value", kind="value", score=score - 2, max_score=max_score - 2,
                        cases_passed=1, cases_total=1 + len(codes), diagnoses=diagnoses)
    exercises = (
        ExerciseResult(id="grad_of_dot", title="", score=2.0, max_score=2.0, status="passed"),
        ExerciseResult(id="two_grads", title="", score=score - 2, max_score=max_score - 2,
                       status="partial" if codes else "passed", checks=(check,)),
    )
    return Report(submission=submission or f"{student}.ipynb", student=student, score=score,
                  max_score=max_score, exercises=exercises)


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(CANVAS_ROSTER, encoding="utf-8")
    return path


def by_id(rows: list[list[str]]) -> dict[str, list[str]]:
    return {row[1]: row for row in rows[1:] if "Points Possible" not in row[0]}


# --- Canvas ------------------------------------------------------------------------------------
def test_canvas_csv_has_the_header_and_rows_canvas_imports(roster: Path) -> None:
    reports = [report("jdoe", 8.5),                               # SIS Login ID
               report("A0002", 10),                               # SIS User ID
               report("PPOE@Example.edu", 7.25),                  # login, another case
               report("", 6, submission="loelee_104_5531_hw1.ipynb"),  # Canvas download name
               report("106", 5, submission="moemax_LATE_106_77_hw1.ipynb"),  # ID, not SIS 104
               report("104", 9),                    # Lee's ID and Max's SIS User ID: no guess
               report("LATE_ghost", 3)]                           # nobody
    result = canvas.render(reports, roster, "Autograd HW1")
    rows = read_csv(result.text)
    assert canvas_header_problems(rows[0]) == []
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       "Autograd HW1 (48213)"]
    assert CANVAS_ASSIGNMENT.match(rows[0][-1]).group(2) == "48213"
    assert "Points Possible" in rows[1][0] and float(rows[1][-1]) == 10
    assert {k: (r[0], float(r[-1])) for k, r in by_id(rows).items()} == {
        "101": ("Doe, Jane", 8.5), "102": ("Roe, Rick", 10.0), "103": ("Poe, Pat", 7.25),
        "104": ("Loe, Lee", 6.0), "106": ("Moe, Max", 5.0)}
    assert all(len(row) == len(rows[0]) for row in rows)
    text = "\n".join(result.warnings)
    assert "'LATE_ghost'" in text and "Koe, Kim" in text  # neither dropped silently
    assert "student '104' (104.ipynb): it names several roster rows ('Loe, Lee', 'Moe, Max')" \
        in text


def test_canvas_plain_title_when_the_roster_lacks_it_and_full_header_when_given(
        roster: Path) -> None:
    new = canvas.render([report("jdoe", 5)], roster, "Autograd HW2")
    assert read_csv(new.text)[0][-1] == "Autograd HW2"
    assert any("create a new one" in w for w in new.warnings)
    full = canvas.render([report("jdoe", 5)], roster, "Quiz 1 (48214)")
    assert read_csv(full.text)[0][-1] == "Quiz 1 (48214)"


def test_canvas_warns_before_changing_points_possible_and_keeps_the_best_duplicate(
        roster: Path) -> None:
    result = canvas.render([report("jdoe", 20, 36), report("jdoe", 30, 36)], roster,
                           "Autograd HW1", points_possible=True)
    rows = read_csv(result.text)
    assert float(rows[1][-1]) == 36 and float(by_id(rows)["101"][-1]) == 30
    assert any("worth 10.00 points" in w for w in result.warnings)
    assert any("several reports" in w for w in result.warnings)
    without = read_csv(canvas.render([report("jdoe", 5)], roster, "Autograd HW1",
                                     points_possible=False).text)
    assert not any("Points Possible" in row[0] for row in without)


def test_canvas_reads_semicolon_rosters_with_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    text = io.StringIO()
    csv.writer(text, delimiter=";").writerows(read_csv(CANVAS_ROSTER))
    path.write_text("\ufeff" + text.getvalue(), encoding="utf-8")  # as European Excel saves it
    rows = read_csv(canvas.render([report("kkoe", 4)], path, "Autograd HW1").text)
    assert by_id(rows)["105"][0] == "Koe, Kim"
    assert canvas.assignment_columns(path) == ["Autograd HW1 (48213)", "Quiz 1 (48214)"]


def test_canvas_rejects_a_roster_that_is_not_a_gradebook_export(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("Name,Email\nJane,jdoe@example.edu\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a Canvas gradebook export"):
        canvas.render([], path, "HW")


# --- Moodle ------------------------------------------------------------------------------------
def test_moodle_csv_without_roster_uses_the_student_field() -> None:
    result = moodle.render([report("jdoe@example.edu", 7.5, codes=("grad-accumulation",)),
                            report("rroe", 9)], "email")
    rows = read_csv(result.text)
    assert rows[0] == ["Email address", "Autograder", "Autograder feedback"]
    assert [(r[0], float(r[1])) for r in rows[1:]] == [("jdoe@example.edu", 7.5)]
    assert "grad_of_dot 2/2" in rows[1][2] and "two_grads 5.5/8 [grad-accumulation]" in rows[1][2]
    assert any("'rroe' is not an email address" in w for w in result.warnings)


def test_moodle_with_roster_writes_the_roster_identifier_and_leaves_out_unknowns(
        tmp_path: Path) -> None:
    path = tmp_path / "moodle.csv"
    path.write_text(MOODLE_ROSTER, encoding="utf-8")
    reports = [report("jdoe", 8), report("S002", 9), report("jpoe", 5), report("nobody", 1)]
    by_email = moodle.render(reports, "email", path)
    rows = read_csv(by_email.text)
    assert [r[0] for r in rows[1:]] == ["JDoe@Example.edu", "rroe@example.edu"]
    assert len(by_email.warnings) == 2  # jpoe names two students; nobody names none
    by_number = read_csv(moodle.render(reports, "idnumber", path, item="HW1").text)
    assert by_number[0] == ["ID number", "HW1", "HW1 feedback"]
    assert [r[0] for r in by_number[1:]] == ["S001", "S002"]
    with pytest.raises(ValueError):
        moodle.render(reports, "username")


# --- the export subcommand ---------------------------------------------------------------------
@pytest.fixture
def batch(tmp_path: Path) -> Path:
    out = tmp_path / "batch"
    (out / "reports").mkdir(parents=True)
    for r in (report("jdoe", 8), report("", 6, submission="rroe.ipynb")):
        name = r.student or "rroe"
        (out / "reports" / f"{name}.json").write_text(json.dumps(r.to_dict()), encoding="utf-8")
    (out / "reports" / "broken.json").write_text("{", encoding="utf-8")
    (out / "grades.csv").write_text("student,score\n", encoding="utf-8")
    return out


def test_export_canvas_command(batch: Path, roster: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "canvas.csv"
    status = export_command(["canvas", "--batch", str(batch), "--roster", str(roster),
                             "--assignment", "Autograd HW1", "--out", str(out)])
    assert status == 0
    rows = read_csv(out.read_text(encoding="utf-8"))
    assert {k: float(r[-1]) for k, r in by_id(rows).items()} == {"101": 8.0, "102": 6.0}
    assert "broken.json" in capsys.readouterr().err


def test_export_canvas_needs_an_assignment_when_the_roster_has_several(
        batch: Path, roster: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert export_command(["canvas", "--batch", str(batch), "--roster", str(roster)]) == 2
    assert "--assignment" in capsys.readouterr().err


def test_export_moodle_command_to_stdout(batch: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert export_command(["moodle", "--batch", str(batch), "--id-field", "idnumber"]) == 0
    rows = read_csv(capsys.readouterr().out)
    assert rows[0][0] == "ID number" and [r[0] for r in rows[1:]] == ["jdoe", "rroe"]


def test_export_without_reports_fails_plainly(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert export_command(["moodle", "--batch", str(tmp_path)]) == 2
    assert "no reports" in capsys.readouterr().err
