"""Load an exercise pack (YAML + assignment) into frozen dataclasses; report every problem at once.

Nothing here imports torch or runs the solutions: loading a pack is cheap and safe, so the
exporters, the gradebook and `validate`'s schema pass can use it freely.
"""
from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.pack import schema, yamlpos
from grader.pack.kinds import COMMON_FIELDS, KINDS
from grader.pack.rules import is_anything, is_identifier, is_str, non_negative
from grader.errors import PackError, PackProblem
from grader.model import DIAGNOSIS_CODES


@dataclass(frozen=True)
class Case:
    """One set of inputs an exercise's function is called with."""

    index: int
    inputs: dict[str, dict[str, Any]]
    hidden: bool = False
    seed: int = 0
    name: str = ""


@dataclass(frozen=True)
class Check:
    """One thing compared, worth `points`, scored over the exercise's cases."""

    index: int
    kind: str
    name: str
    points: float
    function: str | None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DiagnosisRule:
    """A known wrong answer: the solution module's `like` function computes it."""

    code: str
    like: str = ""
    at: str = ""
    hint: str = ""


@dataclass(frozen=True)
class ErrorRule:
    """This exercise's meaning of an error message (a regex over 'Type: message')."""

    match: str
    code: str
    hint: str = ""


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    prompt: str
    stub: str
    function: str | None
    defines: tuple[str, ...]
    solution: str
    arg_names: tuple[str, ...]
    cases: tuple[Case, ...]
    checks: tuple[Check, ...]
    forbid: tuple[str, ...] = ()
    require_autograd: bool = False
    rtol: float | None = None
    atol: float | None = None
    per_student: bool = False
    diagnoses: tuple[DiagnosisRule, ...] = ()
    errors: tuple[ErrorRule, ...] = ()
    file: str = ""

    @property
    def max_score(self) -> float:
        return round(sum(c.points for c in self.checks), 6)

    def seed_owner(self, student: str) -> str:
        """Whose seed draws the inputs: the student's only when the exercise is per student."""
        return student if self.per_student else ""


@dataclass(frozen=True)
class Pack:
    """The exercises of one assignment, in its order, and where their solutions live."""

    name: str
    root: Path
    exercises: tuple[Exercise, ...]
    solutions_dir: Path
    hash: str

    @property
    def max_score(self) -> float:
        return round(sum(e.max_score for e in self.exercises), 6)

    def exercise(self, exercise_id: str) -> Exercise:
        return next(e for e in self.exercises if e.id == exercise_id)


def case_seed(exercise_id: str, case_index: int) -> int:
    """A stable seed per case, independent of Python's hash randomisation."""
    return zlib.crc32(f"{exercise_id}/{case_index}".encode())


def load_exercise(path: Path, checker: schema.Checker) -> Exercise | None:
    """Parse and check one exercise file; problems go to `checker`, None if unusable."""
    try:
        data = yamlpos.load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        checker.problem(None, None, "", f"cannot read the file ({exc})")
        return None
    except Exception as exc:  # yaml's errors carry their own position
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        checker.problems.append(PackProblem(checker.file, line, column, "",
                                            f"YAML syntax: {getattr(exc, 'problem', exc)}"))
        return None
    if not checker.mapping(data, schema.EXERCISE_FIELDS, "", required=("id", "checks")):
        return None
    before = len(checker.problems)
    if data.get("id") and data["id"] != path.stem:
        checker.problem(data, "id", "id", f"must match the file name {path.stem!r} (got {data['id']!r})")
    inputs = _inputs(data.get("inputs", {}), "inputs", checker)
    cases = _cases(data, inputs, checker)
    checks = _checks(data.get("checks"), inputs, checker)
    diagnoses = _rules(data.get("diagnoses", []), "diagnoses", schema.DIAGNOSIS_FIELDS,
                       ("code",), checker)
    errors = _rules(data.get("errors", []), "errors", schema.ERROR_FIELDS, ("match", "code"), checker)
    for i, rule in enumerate(diagnoses + errors):
        if rule["code"] not in DIAGNOSIS_CODES:
            checker.problem(data, "diagnoses" if i < len(diagnoses) else "errors",
                            "diagnoses" if i < len(diagnoses) else "errors",
                            f"unknown diagnosis code {rule['code']!r} (known: {', '.join(sorted(DIAGNOSIS_CODES))})")
    if ("rtol" in data) != ("atol" in data):
        checker.problem(data, "rtol" if "rtol" in data else "atol", "rtol/atol",
                        "give both rtol and atol, or neither (one alone hides a tolerance)")
    if len(checker.problems) > before:
        return None
    function = data.get("function")
    return Exercise(
        id=data["id"], title=data.get("title", data["id"]), prompt=data.get("prompt", ""),
        stub=data.get("stub", ""), function=function,
        defines=tuple(data.get("defines", [function] if function else [])),
        solution=data.get("solution", data["id"]), arg_names=tuple(inputs),
        cases=cases, checks=checks, forbid=tuple(data.get("forbid", [])),
        require_autograd=data.get("require_autograd", False), rtol=data.get("rtol"),
        atol=data.get("atol"), per_student=data.get("per_student", False),
        diagnoses=tuple(DiagnosisRule(**d) for d in diagnoses),
        errors=tuple(ErrorRule(**e) for e in errors), file=checker.file,
    )


def _inputs(data: Any, path: str, checker: schema.Checker) -> dict[str, dict[str, Any]]:
    if not isinstance(data, dict):
        checker.problem(data, None, path, "must be a mapping of argument name to input")
        return {}
    inputs = {}
    for name, spec in data.items():
        if checker.mapping(spec, schema.INPUT_FIELDS, f"{path}.{name}"):
            if "shape" not in spec and not {"values", "fn", "number"} & set(spec):
                checker.problem(spec, None, f"{path}.{name}", "needs shape, values, fn or number")
            inputs[name] = dict(spec)
    return inputs


def _cases(data: dict, inputs: dict[str, dict], checker: schema.Checker) -> tuple[Case, ...]:
    raw = data.get("cases", [{}])
    if not isinstance(raw, list) or not raw:
        checker.problem(data, "cases", "cases", "must be a non-empty list")
        return ()
    cases = []
    for i, case in enumerate(raw):
        path = f"cases[{i}]"
        if not checker.mapping(case, schema.CASE_FIELDS, path):
            continue
        overrides = _inputs(case.get("inputs", {}), f"{path}.inputs", checker)
        for name in overrides:
            if name not in inputs:
                checker.problem(case.get("inputs"), name, f"{path}.inputs.{name}",
                                f"is not an input of the exercise (inputs: {', '.join(inputs) or 'none'})")
        merged = {name: overrides.get(name, spec) for name, spec in inputs.items()}
        cases.append(Case(index=i, inputs=merged, hidden=case.get("hidden", False),
                          seed=case.get("seed", case_seed(data.get("id", ""), i)),
                          name=case.get("name", "")))
    if cases and all(c.hidden for c in cases):
        checker.problem(data, "cases", "cases", "at least one case must be public (not hidden)")
    return tuple(cases)


def _checks(raw: Any, inputs: dict[str, dict], checker: schema.Checker) -> tuple[Check, ...]:
    if not isinstance(raw, list) or not raw:
        checker.problem(raw, None, "checks", "must be a non-empty list of checks")
        return ()
    checks = []
    for i, check in enumerate(raw):
        path = f"checks[{i}]"
        named_kind = check.get("kind") if isinstance(check, dict) else None
        kind = KINDS.get(named_kind) if isinstance(named_kind, str) else None
        if not checker.mapping(check, {**COMMON_FIELDS, **(kind.fields if kind else {})}, path,
                               required=("kind", "points")):
            continue
        for key in kind.input_keys:
            named = check.get(key, [])
            for name in named if isinstance(named, list) else [named]:
                if name not in inputs:
                    checker.problem(check, None, path, f"names the input {name!r}, which the exercise lacks")
        for key, keys in kind.nested.items():
            if key in check:
                checker.mapping(check[key], keys, f"{path}.{key}")
        options = {k: v for k, v in check.items() if k not in COMMON_FIELDS}
        default_name = f"{kind.name} of {check['function']}" if "function" in check else kind.name
        checks.append(Check(index=i, kind=kind.name, name=check.get("name", default_name),
                            points=float(check["points"]), function=check.get("function"),
                            options=options))
    names = [c.name for c in checks]
    return tuple(replace(c, name=f"{c.name}#{c.index}") if names.count(c.name) > 1 and
                 names.index(c.name) != i else c for i, c in enumerate(checks))


def _rules(raw: Any, path: str, rules: dict, required: tuple[str, ...],
           checker: schema.Checker) -> list[dict]:
    if not isinstance(raw, list):
        checker.problem(raw, None, path, "must be a list")
        return []
    good = []
    for i, item in enumerate(raw):
        if checker.mapping(item, rules, f"{path}[{i}]", required=required):
            good.append({k: v for k, v in item.items() if k != "message"})
    return good


def load_pack(root: Path, assignment_file: str = "exercises/assignment.yaml",
              solutions: str = "solutions", select: list[str] | None = None,
              weights: dict[str, float] | None = None) -> Pack:
    """Load the assignment's exercises; PackError lists every problem in every file."""
    root = Path(root).resolve()
    assignment_path = root / assignment_file
    checker = schema.Checker(_rel(assignment_path, root))
    try:
        assignment = yamlpos.load(assignment_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PackError([PackProblem(checker.file, 0, 0, "", f"cannot read the assignment ({exc})")])
    entries = _assignment_entries(assignment, checker)
    problems = list(checker.problems)
    exercises = []
    for exercise_id, points in entries:
        if select and exercise_id not in select:
            continue
        path = assignment_path.parent / f"{exercise_id}.yaml"
        file_checker = schema.Checker(_rel(path, root))
        if not path.exists():
            problems.append(PackProblem(checker.file, 0, 0, "exercises",
                                        f"{exercise_id!r} has no file {file_checker.file}"))
            continue
        exercise = load_exercise(path, file_checker)
        problems.extend(file_checker.problems)
        if exercise is None:
            continue
        if not (root / solutions / f"{exercise.solution}.py").exists() and _needs_solution(exercise):
            problems.append(PackProblem(file_checker.file, 1, 1, "solution",
                                        f"no reference solution {solutions}/{exercise.solution}.py"))
        weight = (weights or {}).get(exercise_id, points)
        exercises.append(_reweighted(exercise, weight))
    if problems:
        raise PackError(problems)
    digest = _pack_hash(root, assignment_path, [Path(e.file) for e in exercises],
                        root / solutions, exercises)
    return Pack(name=str(assignment.get("name", assignment_path.stem)), root=root,
                exercises=tuple(exercises), solutions_dir=root / solutions, hash=digest)


def _needs_solution(exercise: Exercise) -> bool:
    return (any(KINDS[c.kind].reference for c in exercise.checks)
            or any(d.like for d in exercise.diagnoses))


def _assignment_entries(assignment: Any, checker: schema.Checker) -> list[tuple[str, float | None]]:
    rules = {"name": is_str, "exercises": is_anything}
    if not checker.mapping(assignment, rules, "", required=("exercises",)):
        return []
    entries = []
    for i, item in enumerate(assignment.get("exercises") or []):
        if isinstance(item, str):
            item = {"id": item}
        if checker.mapping(item, {"id": is_identifier, "points": non_negative},
                           f"exercises[{i}]", required=("id",)):
            entries.append((item["id"], item.get("points")))
    return entries


def _reweighted(exercise: Exercise, points: float | None) -> Exercise:
    """Scale the checks' points so the exercise is worth what the assignment says."""
    total = sum(c.points for c in exercise.checks)
    if points is None or total == 0 or abs(total - points) < 1e-9:
        return exercise
    factor = points / total
    return replace(exercise, checks=tuple(replace(c, points=round(c.points * factor, 6))
                                          for c in exercise.checks))


def _pack_hash(root: Path, assignment: Path, files: list[Path], solutions: Path,
               exercises: list[Exercise]) -> str:
    digest = hashlib.sha256()
    solution_files = sorted(solutions.glob("*.py")) if solutions.is_dir() else []
    paths = [assignment, *(root / f for f in files), *solution_files]
    for path in paths:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    digest.update(repr([(e.id, [c.points for c in e.checks]) for e in exercises]).encode())
    return digest.hexdigest()[:16]


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
