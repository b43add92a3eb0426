"""Work written for a GPU runtime grades on a CPU-only grader, with a note in the report."""
from __future__ import annotations

import textwrap

import pytest
import torch

from conftest import exercise, write_notebook
from grader.observe.devices import NOTE, CudaOnCpu, needed

GPU_STYLE = [
    "import torch\nfrom d2l import torch as d2l\ndevice = d2l.try_gpu()\nprint(torch.cuda.is_available(), device)",
    textwrap.dedent('''
        def grad_of_dot(x):
            x = x.cuda()
            x.requires_grad_(True)
            y = 2 * torch.dot(x, x)
            y.backward()
            return x.grad.cpu()
    '''),
    textwrap.dedent('''
        def two_grads(x):
            x = torch.tensor(x.tolist(), device='cuda', requires_grad=True)
            (2 * torch.dot(x, x)).backward()
            g1 = x.grad.clone()
            x.grad.zero_()
            x.sum().backward()
            return g1, x.grad
    '''),
    textwrap.dedent('''
        def detach_grad(x):
            x = x.to('cuda').requires_grad_(True)
            u = (x * x).detach()
            (u * x).sum().backward()
            return x.grad
    '''),
    textwrap.dedent('''
        def mm_grads(x, t):
            x, t = x.to(d2l.try_gpu()), t.to(device=torch.device('cuda:0'))
            x.requires_grad_(True)
            t.requires_grad_(True)
            (2 * (x @ t).sum()).backward()
            return x.grad.cpu(), t.grad.cpu()
    '''),
    textwrap.dedent('''
        def no_grad_part(x):
            x = x.to(d2l.try_all_gpus()[0]).requires_grad_(True)
            with torch.no_grad():
                y2 = x ** 3
            (x ** 2 + y2).sum().backward()
            return x.grad
    '''),
]
SELECTED = ("grad_of_dot", "two_grads", "detach_grad", "mm_grads", "no_grad_part")


@pytest.mark.skipif(torch.cuda.is_available(), reason="the rule under test is for CPU-only graders")
def test_a_correct_gpu_style_notebook_gets_full_marks_on_a_cpu_grader(grader, tmp_path):
    report = grader.grade_file(write_notebook(tmp_path / "colab.ipynb", GPU_STYLE))
    for exercise_id in SELECTED:
        assert exercise(report, exercise_id).status == "passed", exercise(report, exercise_id)
    assert all(cell.status == "ok" for cell in report.cells)
    assert NOTE in report.notes
    assert "False cpu" in report.output


def test_a_notebook_without_cuda_gets_no_note(grader, tmp_path):
    plain = ["import torch\ndef grad_of_dot(x):\n    x.requires_grad_(True)\n"
             "    (2 * torch.dot(x, x)).backward()\n    return x.grad\n"]
    report = grader.grade_file(write_notebook(tmp_path / "plain.ipynb", plain))
    assert exercise(report, "grad_of_dot").status == "passed"
    assert NOTE not in report.notes


def test_only_sources_that_name_a_gpu_pay_for_the_mapping():
    assert needed(["x = x.cuda()"]) and needed(["d = d2l.try_gpu()"])
    assert not needed(["import torch\nx = torch.ones(3)"])


@pytest.mark.parametrize("make", [
    lambda: torch.ones(2, device="cuda"),
    lambda: torch.ones(2).cuda(),
    lambda: torch.ones(2).to("cuda:0"),
    lambda: torch.ones(2).to(torch.device("cuda")),
    lambda: torch.ones(2).to(device="cuda", dtype=torch.float64),
    lambda: torch.nn.Linear(2, 1).cuda().weight,
])
def test_every_spelling_of_cuda_lands_on_the_cpu(make):
    mode = CudaOnCpu()
    with mode:
        tensor = make()
    assert tensor.device.type == "cpu" and mode.used


def test_cpu_code_leaves_the_mode_unused():
    mode = CudaOnCpu()
    with mode:
        torch.ones(2).to("cpu").to(torch.float64)
    assert not mode.used
