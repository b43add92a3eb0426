"""observe/lazy_sympy.py: a gradient argument or a torch._check without sympy, and nothing else changed.

Each scenario runs in a fresh interpreter with real torch (the test process may have imported
sympy already), once with the stand-in installed and once without, and the two must agree on
every result and every message, down to torch's own wording of a shape mismatch.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SCENARIOS = r'''
import json, sys
import torch
if sys.argv[1] == "stand-in":
    from grader.observe import lazy_sympy
    lazy_sympy.install()
    lazy_sympy.install()  # twice is once

def outcome(function):
    try:
        value = function()
        return {"value": value.tolist() if isinstance(value, torch.Tensor) else value}
    except BaseException as exc:
        return {"raised": type(exc).__name__, "message": str(exc)}

def backward(gradient):
    x = torch.arange(3.0, requires_grad=True)
    (x * x).backward(gradient=gradient)
    return x.grad

def grad(outputs):
    x = torch.arange(4.0, requires_grad=True)
    return torch.autograd.grad(x ** 3, x, grad_outputs=outputs)[0]

def check(cond):
    torch._check(cond, lambda: "the student's condition")
    return "passed"

results = {
    "backward": outcome(lambda: backward(torch.tensor([1.0, 2.0, 3.0]))),
    "backward, wrong shape": outcome(lambda: backward(torch.ones(2, 3))),
    "backward, wrong length": outcome(lambda: backward(torch.ones(4))),
    "grad": outcome(lambda: grad(torch.ones(4))),
    "grad, wrong shape": outcome(lambda: grad(torch.ones(2, 2))),
    "unravel_index": outcome(lambda: [int(i) for i in torch.unravel_index(torch.tensor(7), (2, 4))]),
    "unravel_index, float": outcome(lambda: torch.unravel_index(torch.tensor(1.5), (2, 4))),
    "check true": outcome(lambda: check(True)),
    "check false": outcome(lambda: check(False)),
    "check not a bool": outcome(lambda: check(1)),
}
results["sympy imported"] = "sympy" in sys.modules
import torch.fx.experimental.symbolic_shapes as imported
results["a student's import is the real module"] = (
    imported is sys.modules["torch.fx.experimental.symbolic_shapes"]
    and imported.__file__.endswith("symbolic_shapes.py")
    and imported.expect_true.__module__ == "torch.fx.experimental.symbolic_shapes"
    and "sympy" in sys.modules)
results["backward after the real import"] = outcome(lambda: backward(torch.ones(2)))
print(json.dumps(results))
'''


def _run(mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", SCENARIOS, mode], cwd=REPO, capture_output=True,
                          text=True, timeout=300, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_stand_in_changes_nothing_but_the_import_of_sympy():
    plain, stand_in = _run("plain"), _run("stand-in")
    assert plain.pop("sympy imported") is True
    assert stand_in.pop("sympy imported") is False
    assert stand_in == plain
    assert stand_in["backward"] == {"value": [0.0, 4.0, 12.0]}
    assert "Mismatch in shape" in stand_in["backward, wrong shape"]["message"]
    assert "Mismatch in shape" in stand_in["grad, wrong shape"]["message"]
    assert stand_in["check false"] == {"raised": "RuntimeError", "message": "the student's condition"}
    assert stand_in["a student's import is the real module"] is True


def test_symbolic_values_go_to_the_real_module():
    code = ("import sys, torch\n"
            "from grader.observe import lazy_sympy\n"
            "stand_in = lazy_sympy.STAND_IN\n"
            "assert stand_in.sym_eq((2, 3), [2, 3]) is True and stand_in.sym_eq((2,), (2, 3)) is False\n"
            "assert 'sympy' not in sys.modules\n"
            "try:\n    stand_in.expect_true(1)\nexcept AssertionError as exc:\n    print(exc)\n"
            "print(stand_in.sym_eq(True, True), 'sympy' in sys.modules, stand_in.ShapeEnv.__module__)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["Expected bool, got 1",
                                        "True True torch.fx.experimental.symbolic_shapes"]
