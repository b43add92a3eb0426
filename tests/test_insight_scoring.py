"""Class insight on in-memory reports: fingerprints, value digests, pair scores, groups, mistakes.

Fast (no child process): the batch end to end is in test_insight_class.py.
"""
from __future__ import annotations

import torch

from grader.observe.encode import Decoded
from grader.judge.behaviour import case_token, value_digest
from grader.insight.evidence import answers_by_exercise
from grader.insight.fingerprint import fingerprint
from grader.insight.index import index_exercise
from grader.render.class_tally import ClassTally
from grader.insight.ranking import groups, rank_pairs
from grader.insight.scoring import THRESHOLD
from grader.model import CheckResult, Diagnosis, ExerciseResult, Report

STUB = "def two_grads(x):\n    # TODO: g1, then g2\n    raise NotImplementedError\n"
ORIGINAL = """def two_grads(x):
    x = x.clone().requires_grad_(True)
    scale = 3.0
    y = scale * torch.dot(x, x)
    y.backward()
    g1 = x.grad.clone()
    y = x.sum() * scale
    y.backward()
    return g1, x.grad.clone()
"""
COPY = """def two_grads(inp):
    # my own solution
    scale = 3.0
    inp = inp.clone().requires_grad_(True)

    out = scale * torch.dot(inp,inp)   # forward
    out.backward()
    first = inp.grad.clone()
    out = inp.sum() * scale
    out.backward()
    return first, inp.grad.clone()
"""
CORRECT = """def two_grads(x):
    x = x.clone().requires_grad_(True)
    (2 * torch.dot(x, x)).backward()
    g1 = x.grad.clone()
    x.grad.zero_()
    x.sum().backward()
    return g1, x.grad.clone()
"""
WRONG = ("0.0=mismatch:aaaaaaaaaaaa", "0.1=mismatch:bbbbbbbbbbbb")
OK = ("0.0=ok", "0.1=ok")


def exercise(source: str, behaviour: tuple[str, ...], exercise_id: str = "two_grads",
             message: str = "g2 is 4x + 1") -> ExerciseResult:
    passed = all(t.endswith("=ok") for t in behaviour)
    diagnoses = () if passed else (Diagnosis("mismatch", message, "x: float32[4]", "value", "got 7"),)
    check = CheckResult("value", "value", 2.0 if passed else 0.0, 2.0, 2 if passed else 0, 2, diagnoses)
    return ExerciseResult(exercise_id, exercise_id, check.score, 2.0, "passed" if passed else "failed",
                          (check,), source=source, behaviour=behaviour)


def report(student: str, *exercises: ExerciseResult) -> Report:
    return Report(f"{student}.ipynb", sum(e.score for e in exercises), 2.0 * len(exercises),
                  tuple(exercises), student=student)


def rank(reports: list[Report], given: str = STUB):
    ids = {e.id for r in reports for e in r.exercises}
    return rank_pairs(answers_by_exercise(reports, {i: given for i in ids}))


def independent_correct(n: int) -> str:
    """Correct answers written differently: the class's background."""
    forms = [CORRECT, CORRECT.replace("x.grad.zero_()", "x.grad = None"),
             "def two_grads(x):\n    x = x.detach().requires_grad_()\n    (g1,) = torch.autograd.grad("
             "2 * x @ x, x)\n    (g2,) = torch.autograd.grad(x.sum(), x)\n    return g1, g2\n"]
    return forms[n % len(forms)]


def test_fingerprints_ignore_names_comments_and_layout_but_not_api_calls():
    assert fingerprint(ORIGINAL).hashes == fingerprint(
        ORIGINAL.replace("g1", "grad_one").replace("scale", "k") + "# done\n").hashes
    assert fingerprint(CORRECT).hashes != fingerprint(CORRECT.replace("zero_", "clone")).hashes
    copy_shared = len(fingerprint(ORIGINAL).hashes & fingerprint(COPY).hashes)
    assert copy_shared >= 0.6 * len(fingerprint(ORIGINAL).hashes)


def test_value_digest_is_blind_to_rounding_noise_and_signed_zero_not_to_values():
    a = (Decoded.plain(torch.tensor([1.0, -0.0, 2.0])), 3.0)
    noisy = (Decoded.plain(torch.tensor([1.0000001, 0.0, 2.0])), 3.0)
    assert value_digest(a) == value_digest(noisy)
    assert value_digest(a) != value_digest((Decoded.plain(torch.tensor([1.0, 0.0, 2.1])), 3.0))
    assert value_digest(a) != value_digest((Decoded.plain(torch.tensor([[1.0, 0.0, 2.0]])), 3.0))
    assert case_token(0, 2, False, "mismatch", "abc") == "0.2=mismatch:abc"


def test_a_copy_with_its_wrong_values_ranks_first_and_above_the_threshold():
    reports = [report("ann", exercise(ORIGINAL, WRONG)), report("bob", exercise(COPY, WRONG))]
    reports += [report(f"s{i:02d}", exercise(independent_correct(i), OK)) for i in range(12)]
    pairs = rank(reports)
    assert (pairs[0].first, pairs[0].second) == ("ann", "bob")
    assert pairs[0].flagged
    assert all(not p.flagged for p in pairs[1:])
    top = pairs[0].exercises[0]
    assert top.same_values == 2 and top.code > 0.6
    assert any("same wrong values on 2 of 2" in r for r in top.reasons)


def test_identical_correct_answers_never_reach_the_threshold():
    ids = [f"ex{i}" for i in range(10)]
    twins = [report(s, *[exercise(ORIGINAL.replace("two_grads", i), OK, i) for i in ids]) for s in ("ann", "bob")]
    pairs = rank(twins)
    assert pairs and pairs[0].score <= 0.2 + 1e-9 and not pairs[0].flagged


def test_a_common_mistake_in_different_code_is_not_copying():
    variants = [ORIGINAL, ORIGINAL.replace("scale * torch.dot(x, x)", "torch.dot(x, x) * scale"),
                ORIGINAL.replace("return g1, x.grad.clone()", "g2 = x.grad.clone()\n    return g1, g2"),
                ORIGINAL.replace("x.clone().requires_grad_(True)", "x.detach().requires_grad_()")]
    reports = [report(f"s{i:02d}", exercise(variants[i % 4] + "\n" * i, WRONG)) for i in range(40)]
    assert not [p for p in rank(reports) if p.flagged]


def test_the_starter_code_is_no_evidence():
    left_as_is = [report(s, exercise(STUB, ("0.0=not-defined",))) for s in ("ann", "bob", "cat")]
    assert rank(left_as_is) == []


def test_common_fingerprints_make_no_candidates_so_work_stays_near_linear():
    answers = answers_by_exercise([report(f"s{i:03d}", exercise(CORRECT, OK)) for i in range(300)], {})
    assert index_exercise(answers["two_grads"]).pairs == frozenset()


def test_three_students_linked_by_copies_form_one_group():
    third = COPY.replace("first", "g_a").replace("# forward", "")
    reports = [report("ann", exercise(ORIGINAL, WRONG)), report("bob", exercise(COPY, WRONG)),
               report("cat", exercise(third, WRONG)), report("dan", exercise(CORRECT, OK))]
    assert groups(rank(reports)) == [("ann", "bob", "cat")]


def test_mistake_groups_count_students_with_the_same_wrong_values():
    other = ("0.0=mismatch:cccccccccccc", "0.1=ok")
    reports = ([report(f"a{i}", exercise(ORIGINAL, WRONG)) for i in range(5)]
               + [report(f"b{i}", exercise(CORRECT, other, message="g1 is x.grad itself")) for i in range(2)]
               + [report("lonely", exercise(CORRECT, ("0.0=mismatch:dddddddddddd", "0.1=ok")))]
               + [report(f"c{i}", exercise(CORRECT, OK)) for i in range(12)])
    found = ClassTally.of(reports).mistakes()["two_grads"]
    assert [(m.students, m.diagnosis) for m in found] == [(5, "g2 is 4x + 1"), (2, "g1 is x.grad itself")]
    assert found[0].share == 0.25
    assert "#" not in found[0].example and "def two_grads" in found[0].example


def test_the_page_escapes_student_code_and_names(tmp_path):
    from grader.render.similarity import render_page, write_csv

    hostile = ORIGINAL.replace("scale = 3.0", "scale = 3.0  # </pre><script>alert(1)</script>")
    reports = [report("=cmd|' /C calc'!A0", exercise(hostile, WRONG)), report("bob", exercise(hostile, WRONG))]
    answers = answers_by_exercise(reports, {"two_grads": STUB})
    pairs = rank_pairs(answers)
    lookup = {(a.exercise, a.student): a for items in answers.values() for a in items}
    page = render_page(pairs, groups(pairs), lookup, 2, [])
    assert "<script>" not in page and "&lt;script&gt;" in page and "<mark>" in page
    write_csv(pairs, [], tmp_path / "similarity.csv")
    assert "'=cmd" in (tmp_path / "similarity.csv").read_text(encoding="utf-8")


def test_similarity_without_a_graded_class_says_what_to_run(tmp_path, capsys):
    from grader.commands.similarity import command

    assert command([str(tmp_path)]) == 2
    assert "run `python -m grader batch`" in capsys.readouterr().err


def test_correct_answers_count_more_only_beside_a_copied_mistake():
    ids = [f"ex{i}" for i in range(5)]
    same_correct = [exercise(COPY.replace("two_grads", i), OK, i) for i in ids]

    def pair(wrong_of_bob: str) -> float:
        reports = [report("ann", exercise(ORIGINAL, WRONG), *same_correct),
                   report("bob", exercise(wrong_of_bob, WRONG), *same_correct)]
        reports += [report(f"s{i:02d}", exercise(independent_correct(i), OK)) for i in range(12)]
        return next(p.score for p in rank(reports) if (p.first, p.second) == ("ann", "bob"))

    assert pair(COPY) >= THRESHOLD
    assert pair(independent_correct(2)) < THRESHOLD
