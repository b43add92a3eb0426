"""torch's libraries loaded from a thread: torch then imports and computes as it always does."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO

WORKS = '''
import threading
from grader.run import torch_libraries
torch_libraries.start()
assert [t.name for t in threading.enumerate() if t.name == "torch-libraries"]
{before_torch}
import torch
x = torch.arange(4.0, requires_grad=True)
(2 * x @ x).backward()
maps = open("/proc/self/maps").read()
print(x.grad.tolist(), torch.autograd.grad(torch.sin(x).sum(), x)[0].shape,
      len({{line.split()[-1] for line in maps.splitlines() if "libtorch_cpu.so" in line}}))
'''


@pytest.mark.parametrize("before_torch", [
    "import matplotlib\nmatplotlib.use('agg')\nimport matplotlib.pyplot\ntorch_libraries.wait()",
    "",  # `import torch` while the thread may still be in the loader: it waits, it cannot deadlock
])
def test_torch_imports_and_computes_after_its_libraries_were_loaded_in_a_thread(before_torch):
    done = subprocess.run([sys.executable, "-c", WORKS.format(before_torch=before_torch)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[0.0,", "4.0,", "8.0,", "12.0]", "torch.Size([4])", "1"]
