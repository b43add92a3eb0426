"""Which submission counts (latest or best) and the instructor's overrides on top of it.

An override belongs to the student and the exercise, not to a submission: it applies to whatever
submission counts, so neither a new upload nor a regrade loses it. It replaces the exercise's
score and adds a note (who, when, why) that every rendering of the report shows.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace

from grader.render.numbers import points
from grader.model import Report
from grader.serve.store import Job, Store

POLICIES = ("latest", "best")


@dataclass(frozen=True)
class Override:
    exercise_id: str
    score: float
    comment: str
    by: str
    at: str


def counting_job(jobs: list[Job], policy: str) -> Job | None:
    """The graded job that counts: the newest upload, or the best score (earliest on a tie)."""
    graded = [j for j in jobs if j.score is not None]
    if not graded:
        return None
    if policy == "best":
        return max(graded, key=lambda j: (j.score, -j.id))
    return max(graded, key=lambda j: j.id)


def overrides_by_student(store: Store) -> dict[str, list[Override]]:
    found: dict[str, list[Override]] = {}
    for student, exercise_id, score, comment, by, at in store.overrides():
        found.setdefault(student, []).append(Override(exercise_id, score, comment, by, at))
    return found


def with_overrides(report: Report, overrides: list[Override]) -> Report:
    wanted = {o.exercise_id: o for o in overrides}
    exercises, notes = [], list(report.notes)
    for exercise in report.exercises:
        found = wanted.get(exercise.id)
        if found is None:
            exercises.append(exercise)
            continue
        score = min(max(found.score, 0.0), exercise.max_score)
        exercises.append(replace(exercise, score=score))
        notes.append(f"{exercise.id}: score set to {points(score)} / {points(exercise.max_score)} "
                     f"by {found.by} on {found.at}: {found.comment}")
    return replace(report, exercises=tuple(exercises), notes=tuple(notes),
                   score=round(sum(e.score for e in exercises), 4))


def counting_reports(store: Store, policy: str) -> dict[str, Report]:
    """Each student's counting report with its overrides, by student id."""
    by_student: dict[str, list[Job]] = {}
    for job in store.all_jobs():
        by_student.setdefault(job.student, []).append(job)
    overrides = overrides_by_student(store)
    reports = {}
    for student, jobs in sorted(by_student.items()):
        job = counting_job(jobs, policy)
        report = store.report(job) if job else None
        if report is not None:
            reports[student] = with_overrides(report, overrides.get(student, []))
    return reports


def grades_csv(students: list[str], exercise_ids: list[str], reports: dict[str, Report],
               overrides: dict[str, list[Override]]) -> str:
    """Like batch's grades.csv (blank, never 0, for a student without a grade), with overrides."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["student", *exercise_ids, "total", "overrides"])
    for student in students:
        report = reports.get(student)
        if report is None:
            writer.writerow([_csv_safe(student), *[""] * len(exercise_ids), "", ""])
            continue
        scores = {e.id: points(e.score) for e in report.exercises}
        remarks = " | ".join(f"{o.exercise_id}: {o.comment} ({o.by}, {o.at})"
                             for o in overrides.get(student, []))
        writer.writerow([_csv_safe(student), *[scores.get(i, "") for i in exercise_ids],
                         points(report.score), _csv_safe(remarks)])
    return out.getvalue()


def _csv_safe(text: str) -> str:
    # A spreadsheet runs a cell that starts with one of these as a formula.
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text
