"""How `python -m grader similarity` scales: a generated class of 250 to 2,000 students.

    python bench/similarity.py [--sizes 250 500 1000 2000] [--seed 0]

Grading 2,000 notebooks takes an hour on 2 cores, and similarity reads only the gradebook, so
the class is written straight into a gradebook.sqlite: every exercise of the pack, answered
with the right answer of tests/fixtures/right/all_correct.py or one of the wrong fixtures of
that exercise, in the student's own words (names changed, comments and blank lines added),
with the behaviour tokens grading gives (the same wrong fixture gives the same wrong values).
Half the answers carry a line of the student's own (an unused computation with their own
constant): without it, every answer with the same mistake would be the same fixture text and
the class would be all copies. One student in 50 hands in the previous student's answers,
retyped the same way (names changed again, comments and blank lines added).

Printed per size: wall and CPU seconds and peak memory of the whole command (subprocess,
imports included), candidate pairs scored against all pairs, the CPU time per student as a
ratio to the smallest class (1.0 means linear), the planted copies found above the threshold
(copies of a student with a wrong answer; a copy of correct answers is not flagged, by design)
and other pairs above it: students who made the same rare mistake, which in this class is the
same fixture text, so it looks exactly like a copy. Then a baseline in the same session: scoring
every pair of the smallest class, as a tool without an index would, against the indexed run.
"""
from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import random
import re
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import run  # noqa: E402

from grader.pack.config import find_config, load_settings  # noqa: E402
from grader.commands.gradebook import Gradebook  # noqa: E402
from grader.judge.behaviour import case_token  # noqa: E402
from grader.insight.evidence import answers_by_exercise  # noqa: E402
from grader.insight.index import index_exercise  # noqa: E402
from grader.insight.scoring import score_exercise  # noqa: E402
from grader.insight.source import given_code  # noqa: E402
from grader.model import CheckResult, Diagnosis, ExerciseResult, Report  # noqa: E402
from grader.pack.load import Pack, load_pack  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures"
P_RIGHT = 0.8
P_PERSONAL = 0.5        # an answer with a line of the student's own, which a copy keeps
COPY_EVERY = 50
CASES = 3
NAMES = ["a", "b", "v", "w", "z", "t", "out", "res", "tmp", "val", "inp", "grad", "loss", "k", "h"]
COMMENTS = ["# 计算梯度", "# compute the gradient", "# TODO check", "# from the book", "# 反向传播"]


def functions(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    return {n.name: ast.get_source_segment(text, n) for n in tree.body if isinstance(n, ast.FunctionDef)}


def answer_pool(pack: Pack) -> dict[str, list[tuple[str, str]]]:
    """Per exercise: ("ok", right answer) and (mistake, wrong answer) for each wrong fixture."""
    right = functions(FIXTURES / "right" / "all_correct.py")
    pool = {}
    for exercise in pack.exercises:
        if exercise.function in right:
            pool[exercise.id] = [("ok", right[exercise.function])]
            for path in sorted((FIXTURES / "wrong").glob(f"{exercise.id}__*.py")):
                wrong = functions(path).get(exercise.function)
                if wrong:
                    pool[exercise.id].append((path.stem.split("__")[1], wrong))
    return pool


def own_words(code: str, rng: random.Random) -> str:
    """The same answer as another student would type it: other names, comments, spacing."""
    assigned = sorted(set(re.findall(r"^\s+(\w+) = ", code, re.M)) - {"x"})
    for name in assigned:
        code = re.sub(rf"\b{name}\b", rng.choice(NAMES) + str(rng.randrange(10)), code)
    lines = code.splitlines()
    if rng.random() < P_PERSONAL:
        call = rng.choice(["mul", "add", "pow", "div", "sub"])
        lines.insert(rng.randrange(1, len(lines)), f"    _ = x.detach().{call}({rng.randrange(2, 999)}).sum()")
    for _ in range(rng.randrange(3)):
        at = rng.randrange(1, len(lines) + 1)
        lines.insert(at, "    " + rng.choice(COMMENTS) if rng.random() < 0.7 else "")
    return "\n".join(lines) + "\n"


def student(pack: Pack, pool: dict, rng: random.Random, name: str, copy_of: Report | None) -> Report:
    results = []
    for i, exercise in enumerate(pack.exercises):
        if exercise.id not in pool:
            continue
        if copy_of is not None:
            mistake, code = _from(copy_of.exercises[len(results)])
        else:
            options = pool[exercise.id]
            mistake, code = options[0] if rng.random() < P_RIGHT or len(options) == 1 else rng.choice(options[1:])
        results.append(_result(exercise.id, mistake, own_words(code, rng)))
    score = sum(r.score for r in results)
    return Report(f"{name}.ipynb", score, 2.0 * len(results), tuple(results), student=name,
                  submission_hash=name, pack_hash=pack.hash)


def _from(result: ExerciseResult) -> tuple[str, str]:
    return ("ok" if result.status == "passed" else result.checks[0].diagnoses[0].code), result.source


def _result(exercise_id: str, mistake: str, source: str) -> ExerciseResult:
    ok = mistake == "ok"
    tokens = tuple(case_token(0, c, ok, mistake, _digest(exercise_id, mistake, c)) for c in range(CASES))
    diagnoses = () if ok else tuple(Diagnosis(mistake, f"the {mistake} mistake", f"case {c}", "value",
                                              "got 1, expected 2") for c in range(CASES))
    check = CheckResult("value", "value", 2.0 if ok else 0.0, 2.0, CASES if ok else 0, CASES, diagnoses)
    return ExerciseResult(exercise_id, exercise_id, check.score, 2.0, "passed" if ok else "failed",
                          (check,), source=source, behaviour=tokens)


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=6).hexdigest()


def make_class(out: Path, size: int, seed: int, pack: Pack) -> list[Report]:
    rng, pool, reports = random.Random(seed), answer_pool(pack), []
    for i in range(size):
        copy_of = reports[-1] if i % COPY_EVERY == COPY_EVERY - 1 else None
        reports.append(student(pack, pool, rng, f"student{i:04d}", copy_of))
    out.mkdir(parents=True, exist_ok=True)
    with Gradebook(out / "gradebook.sqlite") as gradebook:
        for report in reports:
            gradebook.record(report)
    return reports


def all_pairs_seconds(reports: list[Report], pack: Pack) -> tuple[float, float]:
    """Seconds to score every pair of the class, and the candidate pairs only, in this process."""
    answers = answers_by_exercise(reports, given_code(pack))
    timings = []
    for every in (True, False):
        started = time.perf_counter()
        for items in answers.values():
            index = index_exercise(items)
            pairs = combinations(range(len(items)), 2) if every else index.pairs
            for i, j in pairs:
                score_exercise(items[i], items[j], index)
        timings.append(time.perf_counter() - started)
    return timings[0], timings[1]


def candidates(reports: list[Report], pack: Pack) -> int:
    answers = answers_by_exercise(reports, given_code(pack))
    return sum(len(index_exercise(items).pairs) for items in answers.values())


def flagged(path: Path, reports: list[Report]) -> tuple[int, int, int]:
    """Planted copies above the threshold, copies planted of a student with a wrong answer (a
    copy of correct answers is never flagged, by design), and other pairs above it."""
    planted = {(reports[i - 1].student, reports[i].student) for i in range(len(reports))
               if i % COPY_EVERY == COPY_EVERY - 1}
    wrong = {pair for pair in planted
             if any(e.status != "passed" for e in reports[int(pair[0][-4:])].exercises)}
    with open(path, newline="", encoding="utf-8") as handle:
        above = {(r["student_a"], r["student_b"]) for r in csv.DictReader(handle) if r["above_threshold"] == "yes"}
    return len(above & wrong), len(wrong), len(above - planted)


def batch_overhead(pack: Pack) -> tuple[float, float]:
    """Per submission, in this process: seconds to grade the right notebook (warm grader), and
    seconds of what grading now keeps for insight (function sources, value digests)."""
    import torch

    from grader.api import Grader
    from grader.observe.encode import Decoded
    from grader.judge.behaviour import value_digest
    from grader.source.excerpt import function_source
    from grader.source.static import SourceIndex
    from grader.source.submission import read_submission

    submission = read_submission(FIXTURES / "right" / "all_correct.py")
    with Grader.open(None) as grader:
        grader.grade(submission)
        grading = min(_seconds(lambda: grader.grade(submission)) for _ in range(3))
    index = SourceIndex(submission.cells)
    value = (Decoded.plain(torch.randn(6)), Decoded.plain(torch.randn(6)))
    cases = sum(len(e.cases) for e in pack.exercises)

    def keep() -> None:
        for exercise in pack.exercises:
            function_source(exercise.function, index, submission.cells)
        for _ in range(cases):
            value_digest(value)
    return grading, min(_seconds(keep) for _ in range(20))


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 500, 1000, 2000])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    settings = load_settings(find_config(None))
    pack = load_pack(settings.root, settings.assignment, settings.solutions, weights=settings.points)
    print(f"{'students':>8} {'wall s':>7} {'cpu s':>6} {'peak MB':>8} {'scored pairs':>13} "
          f"{'all pairs':>11} {'cpu/student ratio':>18} {'copies found':>13} {'other flags':>12}")
    first = None
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            out = Path(tmp) / f"class{size}"
            reports = make_class(out, size, args.seed, pack)
            m = run([sys.executable, "-m", "grader", "similarity", str(out)], cwd=str(REPO))
            assert m.returncode == 0, f"similarity failed on {size} students"
            per_student = m.cpu / size
            first = first or per_student
            exercises = len({e.id for r in reports for e in r.exercises})
            found, planted, others = flagged(out / "similarity.csv", reports)
            print(f"{size:>8} {m.wall:>7.1f} {m.cpu:>6.1f} {m.peak_mb:>8.0f} {candidates(reports, pack):>13,} "
                  f"{exercises * size * (size - 1) // 2:>11,} {per_student / first:>18.2f} "
                  f"{f'{found}/{planted}':>13} {others:>12}")
            if size == args.sizes[0]:
                baseline = (reports, size)
    every, indexed = all_pairs_seconds(baseline[0], pack)
    print(f"\nbaseline, {baseline[1]} students in this process: scoring all pairs {every:.2f} s, "
          f"candidate pairs only {indexed:.2f} s (ratio {every / max(indexed, 1e-9):.1f}x)")
    grading, keeping = batch_overhead(pack)
    print(f"batch: grading one submission {grading * 1000:.0f} ms; keeping its sources and value "
          f"digests {keeping * 1000:.2f} ms ({100 * keeping / grading:.2f}% of it)")


if __name__ == "__main__":
    main()
