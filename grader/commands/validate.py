"""`python -m grader validate`: is the pack right? Schema, solutions, and answer fixtures.

An instructor learns at once what is wrong and where: every YAML problem with file:line and
field; every reference solution graded like a submission (it must get full marks); every
right-answer fixture, written the way the book writes code, graded (it must get full marks, so
an exercise cannot grow a requirement that only its prompt states); every wrong-answer fixture
graded (it must lose points with the code its first line names).
"""
from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

from grader.errors import PackError, PackProblem

_EXPECT = re.compile(r"^#\s*expect:\s*(\w+)\s+([\w-]+)")
FULL_MARKS = "full-marks"
EVERY_EXERCISE = "all"


@dataclass(frozen=True)
class Finding:
    ok: bool
    subject: str
    message: str


def command(argv: list[str]) -> int:
    from grader.commands.options import (EXIT_OK, EXIT_PACK, add_settings_arguments, settings_overrides,
                                         speak_course_language)

    parser = argparse.ArgumentParser(prog="python -m grader validate",
                                     description="Check the exercise pack, its solutions and its wrong-answer fixtures.")
    parser.add_argument("--fixtures", help="folder of wrong-answer fixtures (default: config.yaml's)")
    parser.add_argument("--right-fixtures", help="folder of right-answer fixtures (default: config.yaml's)")
    add_settings_arguments(parser)
    args = parser.parse_args(argv)
    speak_course_language(args)
    from grader.api import Grader

    with Grader.open(args.config, settings_overrides(args)) as grader:
        print(f"Pack {grader.pack.name}: {len(grader.pack.exercises)} exercises, "
              f"{grader.pack.max_score:g} points, hash {grader.pack.hash}")
        findings = _known_wrong_answers(grader) + _solutions(grader)
        fixtures = Path(args.fixtures) if args.fixtures else grader.settings.root / grader.settings.fixtures
        findings += _fixtures(grader, fixtures)
        right = Path(args.right_fixtures) if args.right_fixtures else grader.settings.root / grader.settings.right_fixtures
        findings += _right_fixtures(grader, right)
    for finding in findings:
        print(f"  {'✓' if finding.ok else '✗'} {finding.subject}: {finding.message}")
    failed = [f for f in findings if not f.ok]
    print(f"{len(findings) - len(failed)} passed, {len(failed)} failed")
    return EXIT_PACK if failed else EXIT_OK


def _known_wrong_answers(grader) -> list[Finding]:
    """Every `like` names a function, and every reference can be computed on every case."""
    problems: list[PackProblem] = []
    for exercise in grader.pack.exercises:
        try:
            module = grader.references.module(exercise) if _has_solution(grader, exercise) else None
        except PackError as exc:
            problems.extend(exc.problems)
            continue
        for rule in exercise.diagnoses:
            if rule.like and not hasattr(module, rule.like):
                problems.append(PackProblem(exercise.file, 0, 0, "diagnoses",
                                            f"like: {rule.like!r} is not defined in solutions/{exercise.solution}.py"))
    try:
        grader.warm()
    except PackError as exc:
        problems.extend(exc.problems)
    if problems:
        raise PackError(problems)
    return []


def _has_solution(grader, exercise) -> bool:
    return (grader.pack.solutions_dir / f"{exercise.solution}.py").exists()


def _solutions(grader) -> list[Finding]:
    findings = []
    for exercise in grader.pack.exercises:
        path = grader.pack.solutions_dir / f"{exercise.solution}.py"
        if not path.exists():
            continue
        report = grader.grade_file(path)
        result = next(e for e in report.exercises if e.id == exercise.id)
        codes = ", ".join(sorted({d.code for d in result.diagnoses}))
        findings.append(Finding(result.score == result.max_score, f"solutions/{path.name}",
                                f"{result.score:g}/{result.max_score:g}" + (f" ({codes})" if codes else "")))
    return findings


def _fixtures(grader, folder: Path) -> list[Finding]:
    findings = []
    for path in _fixture_files(folder):
        expectation = expected_diagnosis(path)
        if expectation is None or expectation[1] == FULL_MARKS:
            findings.append(Finding(False, str(path), "first line must be `# expect: <exercise> <code>`"))
            continue
        exercise_id, code = expectation
        if exercise_id not in grader.exercise_ids:
            if exercise_id not in _all_exercise_ids(grader):
                findings.append(Finding(False, path.name, f"no exercise {exercise_id!r} in the pack"))
            continue
        report = grader.grade_file(path)
        result = next(e for e in report.exercises if e.id == exercise_id)
        codes = sorted({d.code for d in result.diagnoses})
        ok = result.score < result.max_score and code in codes
        findings.append(Finding(ok, path.name, f"{exercise_id} {result.score:g}/{result.max_score:g}, "
                                               f"codes {', '.join(codes) or 'none'} (expected {code})"))
    return findings


def _right_fixtures(grader, folder: Path) -> list[Finding]:
    """Each must get full marks on its exercise (`all`: on every exercise it is graded on)."""
    findings = []
    for path in _fixture_files(folder):
        expectation = expected_diagnosis(path)
        if expectation is None or expectation[1] != FULL_MARKS:
            findings.append(Finding(False, path.name, f"first line must be `# expect: <exercise> {FULL_MARKS}`"))
            continue
        exercise_id = expectation[0]
        if exercise_id != EVERY_EXERCISE and exercise_id not in grader.exercise_ids:
            if exercise_id not in _all_exercise_ids(grader):
                findings.append(Finding(False, path.name, f"no exercise {exercise_id!r} in the pack"))
            continue
        report = grader.grade_file(path)
        graded = [e for e in report.exercises if exercise_id in (EVERY_EXERCISE, e.id)]
        short = [f"{e.id} {e.score:g}/{e.max_score:g} ({', '.join(sorted({d.code for d in e.diagnoses}))})"
                 for e in graded if e.score < e.max_score]
        scored = f"{sum(e.score for e in graded):g}/{sum(e.max_score for e in graded):g}"
        findings.append(Finding(not short, path.name, f"{exercise_id} {scored}"
                                + (f", short of full marks: {'; '.join(short)}" if short else ", full marks")))
    return findings


def _fixture_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.py")) + sorted(folder.glob("*.ipynb"))


def _all_exercise_ids(grader) -> set[str]:
    """Every exercise file of the pack, selected or not (a fixture may target any of them)."""
    folder = (grader.settings.root / grader.settings.assignment).parent
    return {path.stem for path in folder.glob("*.yaml")}


def expected_diagnosis(path: Path) -> tuple[str, str] | None:
    """(exercise id, code) from a fixture's first line `# expect: two_grads grad-accumulation`."""
    try:
        first = path.read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError, UnicodeDecodeError):
        return None
    match = _EXPECT.match(first)
    return (match.group(1), match.group(2)) if match else None


