"""A generated class through the real batch, then `python -m grader similarity` and summary.html.

Planted: one original with two unusual wrong answers and two copies of it (names changed,
lines reordered, comments added); two honest look-alikes (independent, similar correct
answers); three students who make the same unusual mistake in their own code; four who make
the classic two_grads mistake in their own code; and six ordinary students, each with one
wrong answer from the fixtures. 18 notebooks, graded with --jobs 2.
"""
from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO, run_main, write_notebook
from grader.commands.gradebook import Gradebook
from grader.render.class_tally import ClassTally
from grader.insight.scoring import THRESHOLD

BASE = [c for c in (FIXTURES / "right" / "all_correct.py").read_text(encoding="utf-8").split("# %%")
        if c.strip() and not c.lstrip().startswith("[markdown]")]

ORIGINAL = {
    "detach_grad": """def detach_grad(x):
    scale = 2.0
    x = x.clone().requires_grad_(True)
    y = x * x
    u = y.detach()
    z = scale * u * x
    z.sum().backward()
    return x.grad
""",
    "no_grad_part": """def no_grad_part(x):
    x = x.clone().requires_grad_(True)
    y1 = x ** 2
    with torch.no_grad():
        y2 = x ** 3
    total = (y1 * 3 + y2).sum()
    return torch.autograd.grad(total, x)[0]
""",
}
COPIES = {
    "copy_one": ({"x": "inp", "y": "sq", "u": "frozen", "z": "out", "total": "loss", "y1": "a", "y2": "b"},
                 ("    scale = 2.0\n", "    y = x * x\n")),
    "copy_two": ({"x": "t", "y": "p", "u": "c", "z": "r", "scale": "k", "y1": "first", "y2": "second"},
                 ("    y1 = x ** 2\n", "    with torch.no_grad():\n        y2 = x ** 3\n")),
}
HONEST = {
    "honest_one": """def two_grads(x):
    x = x.detach().clone().requires_grad_(True)
    (2 * torch.dot(x, x)).backward()
    first = x.grad.clone()
    x.grad.zero_()
    x.sum().backward()
    return first, x.grad.clone()


def detach_grad(x):
    x = x.detach().clone().requires_grad_(True)
    u = (x * x).detach()
    (u * x).sum().backward()
    return x.grad
""",
    "honest_two": """def two_grads(v):
    v = v.detach().clone().requires_grad_()
    (2 * torch.dot(v, v)).backward()
    g = v.grad.clone()
    v.grad.zero_()
    v.sum().backward()
    return g, v.grad.clone()


def detach_grad(v):
    v = v.detach().clone().requires_grad_()
    const = (v * v).detach()
    (const * v).sum().backward()
    return v.grad
""",
}
UNUSUAL = {  # the gradient of x·x instead of 2x·x: 2x, each in the student's own words
    "unusual_a": "def grad_of_dot(x):\n    x = x.float().clone().requires_grad_(True)\n"
                 "    y = torch.dot(x, x)\n    y.backward()\n    return x.grad\n",
    "unusual_b": "def grad_of_dot(x):\n    w = torch.tensor(x.tolist(), dtype=torch.float32, requires_grad=True)\n"
                 "    s = (w * w).sum()\n    s.backward()\n    return w.grad\n",
    "unusual_c": "def grad_of_dot(x):\n    x = x.to(torch.float32).detach().requires_grad_()\n"
                 "    loss = x.pow(2).sum()\n    loss.backward()\n    g = x.grad\n    return g\n",
}
CLASSIC = {  # two_grads without x.grad.zero_(): g2 = 4x + 1
    "classic_a": "def two_grads(x):\n    x = x.clone().requires_grad_(True)\n    y = 2 * torch.dot(x, x)\n"
                 "    y.backward()\n    g1 = x.grad.clone()\n    x.sum().backward()\n    return g1, x.grad\n",
    "classic_b": "def two_grads(x):\n    x = x.detach().requires_grad_()\n    (2 * x @ x).backward()\n"
                 "    a = x.grad.clone()\n    torch.sum(x).backward()\n    b = x.grad.clone()\n    return a, b\n",
    "classic_c": "def two_grads(x):\n    x.requires_grad_(True)\n    out = (2 * x * x).sum()\n    out.backward()\n"
                 "    first = x.grad.clone()\n    second_out = x.sum()\n    second_out.backward()\n"
                 "    second = x.grad.clone()\n    return first, second\n",
    "classic_d": "def two_grads(x):\n    leaf = torch.tensor(x.tolist(), requires_grad=True)\n"
                 "    torch.dot(leaf, leaf).mul(2).backward()\n    grads = [leaf.grad.clone()]\n"
                 "    leaf.sum().backward()\n    grads.append(leaf.grad.clone())\n    return tuple(grads)\n",
}
ORDINARY = ["hessian__diagonal-only", "jacobian_rows__transposed", "leaf_again__returns-detach",
            "sin_derivative__no-sum", "mm_grads__dot-on-matrices", "second_derivative__first-derivative"]
PLANTED_COPIES = {"original", "copy_one", "copy_two"}


def with_answers(answers: dict[str, str]) -> list[str]:
    """The right notebook with the cells that define these functions replaced."""
    cells = []
    for cell in BASE:
        name = next((n for n in answers if re.search(rf"^def {n}\(", cell, re.M)), None)
        cells.append(answers.pop(name) if name else cell)
    return cells + list(answers.values())


def rename(text: str, renames: dict[str, str]) -> str:
    return re.sub(r"\b\w+\b", lambda m: renames.get(m.group(0), m.group(0)), text)


def copy_of(renames: dict[str, str], moved: tuple[str, str]) -> dict[str, str]:
    """The original's answers with two lines swapped, names changed and comments added."""
    answers = {}
    for name, code in ORIGINAL.items():
        first, second = moved
        if first in code and second in code:
            code = code.replace(first + second, second + first)
        code = rename(code, renames).replace("):\n", "):\n    # worked this out myself\n", 1)
        answers[name] = code.replace(".backward()", ".backward()  # backprop")
    return answers


def class_answers() -> dict[str, dict[str, str]]:
    """Each planted student's own answers; everything else is the right notebook."""
    students = {"original": dict(ORIGINAL)}
    students.update({name: copy_of(*spec) for name, spec in COPIES.items()})
    for name, code in HONEST.items():
        two_grads, detach_grad = code.split("\n\n\n")
        students[name] = {"two_grads": two_grads + "\n", "detach_grad": detach_grad}
    students.update({name: {"grad_of_dot": code} for name, code in UNUSUAL.items()})
    students.update({name: {"two_grads": code} for name, code in CLASSIC.items()})
    for fixture in ORDINARY:
        wrong = (FIXTURES / "wrong" / f"{fixture}.py").read_text(encoding="utf-8")
        function = re.search(r"^def (\w+)\(", wrong, re.M).group(1)
        students[f"ordinary_{function}"] = {function: wrong}
    return students


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("class")
    for name, answers in class_answers().items():
        write_notebook(root / f"{name}.ipynb", ["%matplotlib inline"] + with_answers(answers))
    out = root.parent / "graded"
    run = run_main("batch", str(root), "--out", str(out), "--jobs", "2", "--check-seconds", "5")
    assert run.returncode == 0, run.stderr[-2000:]
    return out


@pytest.fixture(scope="module")
def similarity(graded: Path) -> list[dict[str, str]]:
    run = subprocess.run([sys.executable, "-m", "grader", "similarity", str(graded)], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    with open(graded / "similarity.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def pair_scores(rows: list[dict[str, str]]) -> dict[frozenset[str], float]:
    return {frozenset((r["student_a"], r["student_b"])): float(r["pair_score"]) for r in rows}


def test_the_planted_copies_rank_at_the_top_above_the_threshold(similarity):
    ranked = sorted(pair_scores(similarity).items(), key=lambda kv: -kv[1])
    assert {pair for pair, _ in ranked[:3]} == {frozenset(p) for p in
                                               (("original", "copy_one"), ("original", "copy_two"),
                                                ("copy_one", "copy_two"))}
    assert all(score >= THRESHOLD for _, score in ranked[:3])
    assert all(score < THRESHOLD for _, score in ranked[3:]), ranked[3:6]
    groups = {r["group"] for r in similarity if {r["student_a"], r["student_b"]} <= PLANTED_COPIES}
    assert groups == {"1"}


def test_honest_look_alikes_and_shared_mistakes_stay_below_the_threshold(similarity):
    scores = pair_scores(similarity)
    assert scores.get(frozenset(HONEST), 0.0) < THRESHOLD
    honest_rows = [r for r in similarity if {r["student_a"], r["student_b"]} == set(HONEST)]
    assert honest_rows and all(r["both_correct"] == "yes" for r in honest_rows)
    for group in (UNUSUAL, CLASSIC):
        for a in group:
            for b in group:
                assert scores.get(frozenset((a, b)), 0.0) < THRESHOLD


def test_the_page_shows_both_codes_with_the_matches_marked_and_says_it_is_no_penalty(similarity, graded):
    page = (graded / "similarity.html").read_text(encoding="utf-8")
    assert "never a penalty" in page
    first = page[page.index('id="pair-1"'):page.index('id="pair-2"')]
    assert first.count("<mark>") >= 4 and "detach_grad" in first and "no_grad_part" in first
    assert "same wrong values on" in first


def test_summary_counts_the_shared_mistakes_that_were_planted(graded):
    with Gradebook(graded / "gradebook.sqlite") as gradebook:
        found = ClassTally.of(gradebook.reports()).mistakes()
    assert [m.students for m in found["grad_of_dot"]] == [len(UNUSUAL)]
    assert [m.students for m in found["two_grads"]] == [len(CLASSIC)]
    assert "zero_()" in found["two_grads"][0].diagnosis
    assert [m.students for m in found["detach_grad"]] == [len(PLANTED_COPIES)]
    summary = (graded / "summary.html").read_text(encoding="utf-8")
    assert f"<b>{len(CLASSIC)} students</b>" in summary and "what to re-teach" in summary
