"""What a kernel-based grader costs on the same notebooks: plain nbclient, and `otter run`.

Both run a real Jupyter kernel, so a notebook's `from d2l import torch as d2l` needs d2l: a
small stand-in package (d2l.plot draws with matplotlib, as the book's helper does) is put on
PYTHONPATH, which the kernel inherits. `!pip install` lines are commented out in the copies the
baselines run (a real kernel would run pip; d2l==1.0.3 would pull another torch).

    python bench/baselines.py nbclient NOTEBOOK      # what bench/batch.py measures, one notebook
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

D2L_SHIM = '''"""A stand-in for d2l: the grader's own (grader/standins.py), so the baselines draw what it draws."""
from grader import standins

standins.install(("d2l",))
'''


def write_d2l_shim(folder: Path) -> Path:
    """A `d2l` package under `folder`; put `folder` on PYTHONPATH."""
    package = folder / "d2l"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(D2L_SHIM, encoding="utf-8")
    return folder


def kernel_copy(notebook: Path, out: Path) -> Path:
    """The notebook as a kernel may run it: `!pip ...` commented out, outputs kept."""
    data = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in data.get("cells", []):
        if cell.get("cell_type") == "code":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = re.sub(r"^(\s*)!", r"\1# !", source, flags=re.M)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return out


def nbclient_command(notebook: Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "nbclient", str(notebook)]


def run_nbclient(notebook: Path) -> None:
    """Execute every cell in a fresh python3 kernel, errors allowed (as a grader must)."""
    import nbclient
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(notebook.parent)}}).execute()


# One OK-format test per exercise, with the cases of exercises/*.yaml that are easy to write
# by hand, compared with the reference solution (its source embedded in the test, so the test
# needs no support file). sin_plot has no otter test: otter cannot look into a figure.
OTTER_CASES = {
    "grad_of_dot": ["torch.arange(4)", "torch.tensor([1.5, -2.0, 0.5])", "torch.randn(7, dtype=torch.float64)"],
    "two_grads": ["torch.arange(4.0)", "torch.tensor([1.0, -2.0, 0.5])", "torch.randn(6)"],
    "vector_backward": ["lambda x: x * x, torch.randn(4), torch.randn(4)",
                        "lambda x: torch.sin(x) * x, torch.tensor(0.3), torch.tensor(2.5)",
                        "lambda x: torch.exp(x) * torch.sum(x), torch.randn(2, 3), torch.randn(2, 3)"],
    "jacobian_rows": ["lambda x: torch.stack([x[0] * x[1], torch.sin(x[1]) * x[2]]), torch.randn(3)",
                      "lambda x: torch.cat([x ** 2, torch.stack([torch.prod(x)])]), torch.randn(2)"],
    "detach_grad": ["torch.tensor(1.5)", "torch.randn(4)", "torch.randn(2, 3)"],
    "no_grad_part": ["torch.tensor(0.7)", "torch.randn(5)", "torch.tensor([[1.0, -2.0], [0.5, -0.25]])"],
    "control_flow_grad": ["torch.tensor(0.8)", "torch.tensor(-1.3)", "torch.tensor([1.0, -0.5, 2.0, 0.25])"],
    "backward_twice": ["torch.randn(4)", "torch.tensor([1.0, -2.0, 3.0])", "torch.randn(6)"],
    "second_derivative": ["torch.sin, torch.randn(5)", "lambda x: x ** 3, torch.tensor(0.4)",
                          "lambda x: torch.exp(-x ** 2), torch.randn(2, 3)"],
    "hessian": ["lambda x: torch.sum(x ** 2) * torch.sum(x), torch.randn(3)",
                "lambda x: torch.prod(x) + torch.sum(x ** 3), torch.tensor([1.5, -2.0, 0.5])",
                "lambda x: torch.log(torch.sum(torch.exp(x))), torch.randn(4)"],
    "mm_grads": ["torch.randn(3, 4), torch.randn(4, 2)", "torch.randn(2, 5), torch.randn(5, 3)"],
    "sin_derivative": ["torch.randn(5)", "torch.tensor(0.3)", "torch.randn(2, 3)"],
    "manual_chain_rule": ["torch.rand(5) * 2.5 + 0.5", "torch.tensor(1.7)", "torch.rand(2, 3) * 2.5 + 0.5"],
}
OTTER_SPECIAL = {
    "leaf_again": ["_t = torch.randn(2, 3, requires_grad=True) * 2\n_r = leaf_again(_t)\n"
                   "_r.is_leaf and _r.requires_grad and torch.equal(_r.detach(), _t.detach())"],
    "backward_twice_error": ["_raises(backward_twice_error, torch.randn(4))",
                             "_raises(backward_twice_error, torch.tensor([1.0, -2.0, 3.0]))"],
    "my_control_flow": ["my_control_flow(torch.tensor(1.5, requires_grad=True)).requires_grad",
                        "torch.autograd.gradcheck(my_control_flow, "
                        "(torch.tensor(-0.7, dtype=torch.float64, requires_grad=True),))"],
}
HELPERS = '''import torch
def _same(a, b):
    try:
        torch.testing.assert_close(a, b, check_dtype=False)
        return True
    except Exception:
        return False
def _raises(f, *args):
    try:
        f(*args)
    except RuntimeError:
        return True
    return False
'''


def write_otter_tests(tests: Path) -> list[str]:
    """tests/<exercise>.py in otter's OK format; returns the exercise ids."""
    tests.mkdir(parents=True, exist_ok=True)
    written = []
    for exercise in [*OTTER_CASES, *OTTER_SPECIAL]:
        setup = [f"exec({HELPERS!r}, globals())"]
        if exercise in OTTER_CASES:
            source = (REPO / "solutions" / f"{exercise}.py").read_text(encoding="utf-8")
            setup.append(f"_ref = {{}}; exec({source!r}, _ref)")
            cases = [f"_ = torch.manual_seed(0); _args = ({args},)\n"
                     f"_same({exercise}(*_args), _ref[{exercise!r}](*_args))"
                     for args in OTTER_CASES[exercise]]
        else:
            cases = OTTER_SPECIAL[exercise]
        test_cases = [{"code": "".join(f">>> {line}\n" for line in [*setup, *case.splitlines()]) + "True",
                       "hidden": False, "locked": False} for case in cases]
        test = {"name": exercise, "points": 2,
                "suites": [{"cases": test_cases, "scored": True, "setup": "", "teardown": "",
                            "type": "doctest"}]}
        (tests / f"{exercise}.py").write_text("OK_FORMAT = True\n\ntest = " + repr(test) + "\n",
                                              encoding="utf-8")
        written.append(exercise)
    return written


def otter_available(python: str) -> bool:
    try:
        return subprocess.run([python, "-c", "import otter"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def otter_autograder(python: str, work: Path) -> Path:
    """Build autograder.zip with `otter generate` from the tests above."""
    tests = work / "tests"
    if tests.exists():
        shutil.rmtree(tests)
    write_otter_tests(tests)
    zip_path = work / "autograder.zip"
    subprocess.run([python, "-m", "otter", "generate", "-t", str(tests), "-o", str(zip_path),
                    "--no-config", "--no-requirements", "--no-environment"],
                   cwd=work, check=True, capture_output=True)
    return zip_path


def otter_command(python: str, autograder: Path, notebook: Path, out: Path) -> list[str]:
    return [python, "-m", "otter", "run", "-a", str(autograder), "-o", str(out), "--no-logo",
            str(notebook)]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "nbclient":
        run_nbclient(Path(sys.argv[2]))
    else:
        sys.exit(__doc__)
