"""Autograd counts however it is reached: every spelling and alias reaches the engine."""
from __future__ import annotations

import textwrap

from conftest import codes, exercise, write_notebook

SPELLINGS = {
    "grad_of_dot": '''
        def grad_of_dot(x):
            x.requires_grad_(True)
            (g,) = G(2 * torch.dot(x, x), x)
            return g
    ''',
    "two_grads": '''
        def two_grads(x):
            x.requires_grad_(True)
            ag.backward(2 * torch.dot(x, x))
            g1 = x.grad.clone()
            x.grad.zero_()
            ag.backward(x.sum())
            return g1, x.grad
    ''',
    "detach_grad": '''
        def detach_grad(x):
            x.requires_grad_(True)
            u = (x * x).detach()
            torch.autograd.backward((u * x).sum())
            return x.grad
    ''',
    "no_grad_part": '''
        def no_grad_part(x):
            x.requires_grad_(True)
            with torch.no_grad():
                y2 = x ** 3
            torch.Tensor.backward((x ** 2 + y2).sum())
            return x.grad
    ''',
    "vector_backward": '''
        def vector_backward(f, x, v):
            return vjp(f, x, v)[1]
    ''',
    "mm_grads": '''
        def mm_grads(x, t):
            return torch.func.grad(lambda a, b: 2 * (a @ b).sum(), argnums=(0, 1))(x, t)
    ''',
    "backward_twice": '''
        def backward_twice(x):
            x.requires_grad_(True)
            y = 2 * torch.dot(x, x)
            engine.run_backward((y,), (torch.ones(()),), True, False, (), True, True)
            engine.run_backward((y,), (torch.ones(()),), False, False, (), True, True)
            return x.grad
    ''',
}
FIRST_CELL = ("import torch\nfrom torch.autograd import grad as G\nimport torch.autograd as ag\n"
              "from torch.autograd.functional import vjp\nimport torch.func\n"
              "from torch.autograd.variable import Variable\nengine = Variable._execution_engine")


def test_every_spelling_of_autograd_counts(grader, tmp_path):
    cells = [FIRST_CELL, *(textwrap.dedent(code) for code in SPELLINGS.values())]
    report = grader.grade_file(write_notebook(tmp_path / "spellings.ipynb", cells))
    for exercise_id in SPELLINGS:
        result = exercise(report, exercise_id)
        assert result.status == "passed", (exercise_id, [d.message for d in result.diagnoses])


def test_an_answer_written_by_hand_still_is_not_autograd(grader, tmp_path):
    by_hand = "import torch\nfrom torch.autograd import grad\ndef grad_of_dot(x):\n    return 4 * x\n"
    report = grader.grade_file(write_notebook(tmp_path / "by_hand.ipynb", [by_hand]))
    assert codes(exercise(report, "grad_of_dot")) == {"autograd-not-used"}
