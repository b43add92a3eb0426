"""The real autograder.zip of this checkout, unpacked into a temp /autograder and run on good,
wrong and unreadable submissions through the engine's CLI contract
(`python -m grader FILE --format gradescope --out PATH`). Slow: each run grades for real."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.export.gradescope_build import build_zip
from test_export_zip import autograde, shown

REPO = Path(__file__).resolve().parent.parent

PLOT = b"""
import matplotlib.pyplot as plt
import torch

x = torch.linspace(-2 * torch.pi, 2 * torch.pi, 200, requires_grad=True)
y = torch.sin(x)
y.sum().backward()
plt.plot(x.detach(), y.detach(), label="sin")
plt.plot(x.detach(), x.grad, label="d sin / dx")
"""
WRONG = b"""
import torch

def grad_of_dot(x):
    return 4 * x

def two_grads(x):
    x = x.clone().requires_grad_(True)
    (2 * torch.dot(x, x)).backward()
    g1 = x.grad.clone()
    x.sum().backward()
    return g1, x.grad.clone()
"""


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_zip(REPO, tmp_path_factory.mktemp("zip") / "autograder.zip")


def test_a_correct_submission_gets_full_marks(archive: Path, tmp_path: Path) -> None:
    solutions = b"\n\n".join(p.read_bytes() for p in sorted((REPO / "solutions").glob("*.py")))
    results, done = autograde(archive, tmp_path, {"hw.py": solutions + PLOT})
    scored = [t for t in results["tests"] if "score" in t]
    lost = {t["name"]: t["output"] for t in scored if t["status"] != "passed"}
    assert scored and not lost, (lost, done.stderr)
    assert results["score"] == sum(t["max_score"] for t in scored)


def test_a_wrong_submission_is_graded_with_its_diagnoses(archive: Path, tmp_path: Path) -> None:
    results, done = autograde(archive, tmp_path, {"hw.py": WRONG})
    tests = {t["name"].split(":")[0]: t for t in results["tests"] if "score" in t}
    assert tests["grad_of_dot"]["status"] == "failed", done.stderr
    assert "autograd-not-used" in tests["grad_of_dot"]["output"]
    assert "grad-accumulation" in tests["two_grads"]["output"]
    assert 0 <= results["score"] < sum(t["max_score"] for t in tests.values())


def test_an_unreadable_notebook_still_gets_results(archive: Path, tmp_path: Path) -> None:
    results, done = autograde(archive, tmp_path, {"hw.ipynb": b"\x00\xff{ not a notebook"})
    assert results["score"] == 0, done.stderr
    assert shown(results).strip()
