"""`assign` writes the student notebook and its public data; `grader.check()` grades in a real kernel.

One Jupyter kernel runs a generated notebook with answers filled in (right, wrong, a typo, two
figures), and the tests read what each check cell displayed. The public file is checked for
hidden cases and solution source; a per-student pack shows each student gets their own inputs.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
import torch

from conftest import REPO, exercise
from grader.commands import assign
from grader.run import public
from grader import notebook as notebook_check
from grader.api import Grader
from grader.observe.inputs import build_inputs
from grader.pack.load import load_pack
from grader.pack.probes import probes_for
from grader.run.references import References
from grader.render.graph_view import words
from grader.source.submission import read_submission

SVG = "{http://www.w3.org/2000/svg}"
PER_STUDENT = REPO / "tests" / "packs" / "per_student"
# Final grading runs the notebook's setup and check cells too; the checker must be inert there.
FINAL = {"stub_modules": ("d2l", "IPython", "IPython.display", "grader.notebook")}

GRAD_OF_DOT = '''
def grad_of_dot(x):
    x = x.float().clone().requires_grad_(True)
    (2 * torch.dot(x, x)).backward()
    return x.grad
'''
TWO_GRADS_FORGETS_ZERO = '''
def two_grads(x):
    x = x.clone().requires_grad_(True)
    (2 * torch.dot(x, x)).backward()
    g1 = x.grad.clone()
    x.sum().backward()
    return g1, x.grad.clone()
'''
TWO_GRADS_RIGHT = TWO_GRADS_FORGETS_ZERO.replace("    x.sum()", "    x.grad.zero_()\n    x.sum()")
DETACH_WITH_CURLY_QUOTES = 'def detach_grad(x):\n    print(\u201cdetach\u201d)\n    return x\n'
NO_DETACH = '''
def detach_grad(x):
    x.requires_grad_(True)
    y = x * x
    u = y  # .detach() forgotten
    z = u * x
    z.sum().backward()
    return x.grad
'''
SIN_ONLY = '''
import matplotlib.pyplot as plt
x = torch.linspace(-5, 5, 200)
plt.plot(x, torch.sin(x))
plt.show()
'''
SIN_AND_DERIVATIVE = '''
x = torch.linspace(-5, 5, 200, requires_grad=True)
y = torch.sin(x)
y.sum().backward()
plt.plot(x.detach(), y.detach())
plt.plot(x.detach(), x.grad)
'''
TIMED = '''
import time
started = time.perf_counter()
timed = grader.check("two_grads")
print(f"check-seconds={time.perf_counter() - started:.4f}")
'''
RNG_KEPT = '''
torch.manual_seed(0)
expected = torch.rand(3)
torch.manual_seed(0)
grader.check("grad_of_dot")
print("rng-kept", torch.equal(torch.rand(3), expected))
'''


@pytest.fixture(scope="module")
def cli_assigned(tmp_path_factory):
    """`python -m grader assign` in a child process, started early: its `import torch` overlaps
    the kernel's. Yields the folder and a function that waits for the command's result."""
    folder = tmp_path_factory.mktemp("cli")
    command = [sys.executable, "-m", "grader", "assign", "--config", str(REPO / "config.yaml"),
               "--out", str(folder / "hw.ipynb")]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    yield folder, lambda: (process.communicate(timeout=240), process.returncode)
    process.kill()


@pytest.fixture(scope="module")
def assigned(cli_assigned, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("assigned")
    assert assign.command(["--config", str(REPO / "config.yaml"), "--out", str(folder / "hw.ipynb")]) == 0
    return folder


def _answer(notebook, exercise_id: str, source: str) -> None:
    next(c for c in notebook.cells if c.id == f"{exercise_id}-answer").source = source


def _after(notebook, cell_id: str, *sources: tuple[str, str]) -> None:
    """Insert (id, code) cells after the cell `cell_id`."""
    position = next(i for i, c in enumerate(notebook.cells) if c.id == cell_id)
    for offset, (new_id, code) in enumerate(sources, start=1):
        notebook.cells.insert(position + offset, nbformat.v4.new_code_cell(code, id=new_id))


@pytest.fixture(scope="module")
def executed(assigned: Path):
    """The assigned notebook with answers filled in, run top to bottom by one real kernel."""
    from nbclient import NotebookClient

    notebook = nbformat.read(assigned / "hw.ipynb", as_version=4)
    _answer(notebook, "grad_of_dot", GRAD_OF_DOT)
    _answer(notebook, "two_grads", TWO_GRADS_FORGETS_ZERO)
    _after(notebook, "two_grads-check", ("two-timed", TIMED), ("two-rng", RNG_KEPT),
           ("two-fixed", TWO_GRADS_RIGHT), ("two-fixed-check", 'grader.check("two_grads")'),
           ("unknown-check", 'grader.check("two_gradz")'))
    _answer(notebook, "detach_grad", DETACH_WITH_CURLY_QUOTES)
    _after(notebook, "detach_grad-check", ("no-detach", NO_DETACH),
           ("no-detach-check", 'grader.check("detach_grad")'))
    _answer(notebook, "sin_plot", SIN_ONLY)
    _after(notebook, "sin_plot-check", ("sin-both", SIN_AND_DERIVATIVE),
           ("sin-both-check", 'grader.check("sin_plot")'))
    python_path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(assigned)}})
    client.execute(env={**os.environ, "PYTHONPATH": python_path})
    path = assigned / "executed.ipynb"
    nbformat.write(notebook, str(path))
    return notebook, path


def _shown(notebook, cell_id: str) -> tuple[str, str]:
    """(HTML, text) that a cell displayed as its result, and its printed output in the text."""
    cell = next(c for c in notebook.cells if c.id == cell_id)
    results = [o["data"] for o in cell.outputs if o.output_type == "execute_result"]
    printed = [o["text"] for o in cell.outputs if o.output_type == "stream"]
    html = "".join(r.get("text/html", "") for r in results)
    text = "".join(printed + [r.get("text/plain", "") for r in results])
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert not errors, f"{cell_id} raised {errors[0]['ename']}: {errors[0]['evalue']}"
    return html, text


def _numbers(record) -> list[str]:
    """Every tensor's data in an encoded observation, as the public file would spell it."""
    if isinstance(record, dict):
        own = [json.dumps(record["data"], separators=(",", ":"))] if record.get("t") == "tensor" else []
        return own + [n for value in record.values() for n in _numbers(value)]
    return [n for value in record for n in _numbers(value)] if isinstance(record, list) else []


def test_public_file_holds_public_cases_only_and_no_solution_source(assigned):
    text = (assigned / "hw.public.json").read_text(encoding="utf-8")
    data = public.load(assigned / "hw.public.json")
    pack = load_pack(REPO)
    references = References(pack)
    checked = 0
    for item in pack.exercises:
        public_cases = [c.index for c in item.cases if not c.hidden]
        assert [c.index for c in data.exercise(item.id).cases] == public_cases
        assert data.hidden_cases[item.id] == sum(c.hidden for c in item.cases)
        for probe in probes_for(item):
            compared = probe.kind in ("value", "grad", "input_grad")
            hidden = item.cases[probe.case].hidden
            assert (probe.key in data.observations) == (compared and not hidden)
            if not hidden:
                continue
            inputs = build_inputs(probe.specs, probe.seed)
            numbers = [json.dumps(v.flatten().tolist(), separators=(",", ":")) for v in inputs.values()
                       if isinstance(v, torch.Tensor) and v.numel() > 1]
            numbers += _numbers(references.observe(item, probe)) if compared else []
            assert not [n for n in numbers if n in text]
            checked += len(numbers)
    assert checked > 20
    assert "def " not in text and "import torch" not in text
    for solution in (REPO / "solutions").glob("*.py"):
        docstring = solution.read_text(encoding="utf-8").split('"""')[1]
        assert docstring not in text


def test_check_shows_the_diagnosis_and_hint_then_passed_once_fixed(executed):
    notebook, _ = executed
    html, text = _shown(notebook, "two_grads-check")
    assert "grad-accumulation" in html and "call x.grad.zero_() between the two backward calls" in html
    assert "failed" in html and "0 / 2" in html and "expected" in html
    assert "✗ two_grads" in text and "grad-accumulation" in text
    assert "when the backward in `x.sum().backward()` ran" in text  # the trace, in the kernel itself
    assert "The same on" in html and "The same on" in text and "--verbose" not in text  # no CLI flags
    html, text = _shown(notebook, "two-fixed-check")
    assert "passed" in html and "2 / 2" in html and "grad-accumulation" not in html
    assert "✓ two_grads" in text


def test_hidden_cases_never_appear_in_what_check_shows(executed):
    notebook, _ = executed
    for cell_id in ("two_grads-check", "two-fixed-check"):
        html, text = _shown(notebook, cell_id)
        assert "float32[6]" not in html + text  # two_grads's hidden case is x: float32[6]
    for cell_id in ("two_grads-check", "total"):
        assert "a hidden case" not in "".join(_shown(notebook, cell_id))  # the engine's hidden label
    assert "final grading also runs 1 hidden case" in _shown(notebook, "two_grads-check")[0]


def test_check_is_fast_leaves_the_students_random_stream_alone_and_names_typos(executed):
    notebook, _ = executed
    _, text = _shown(notebook, "two-timed")
    assert float(text.split("check-seconds=")[1].split()[0]) < 1.0
    assert "rng-kept True" in _shown(notebook, "two-rng")[1]
    html, _ = _shown(notebook, "unknown-check")
    assert "There is no exercise &#x27;two_gradz&#x27;" in html and "two_grads" in html
    html, _ = _shown(notebook, "detach_grad-check")
    assert "typographic-characters" in html and "\u201c" in html


def test_check_draws_the_students_graph_beside_the_reference_and_marks_where_they_part(executed):
    notebook, _ = executed
    html, text = _shown(notebook, "no-detach-check")
    assert "no-detach" in html and words("heading") in html and words("legend-leaf") in html
    svgs = [ET.fromstring(svg) for svg in re.findall(r"<svg xmlns=.*?</svg>", html)]
    assert [svg.get("aria-label") for svg in svgs] == [words("student"), words("reference")]
    for svg in svgs:
        (parting,) = [g for g in svg.iter(f"{SVG}g") if "parting" in g.get("class", "").split()]
        assert [t.text for t in parting.iter(f"{SVG}text")] == ["×", "MulBackward0"]
    assert f"└─ ×  (MulBackward0)  ◀ {words('parting')}" in text


def test_figures_closed_by_the_inline_backend_are_still_checked(executed):
    notebook, _ = executed
    html, _ = _shown(notebook, "sin_plot-check")  # drawn and shown by plt.show(): sin only
    assert "curve-mismatch" in html
    html, _ = _shown(notebook, "sin-both-check")  # drawn in the cell before, closed at its end
    assert "passed" in html and "2 / 2" in html


def test_check_all_shows_every_exercise_and_the_total(executed):
    notebook, _ = executed
    html, text = _shown(notebook, "total")
    for item in load_pack(REPO).exercises:
        assert f"{item.id}</td>" in html
    assert "Total: 6 / 36" in html and "Total: 6/36" in text


def test_final_grading_runs_the_generated_notebook_with_the_checker_inert(executed):
    _, path = executed
    overrides = {**FINAL, "select": ("two_grads", "sin_plot", "detach_grad")}
    with Grader.open(str(REPO / "config.yaml"), overrides) as final:
        report = final.grade_file(path)
    assert exercise(report, "two_grads").status == "passed"  # the notebook's last definition
    assert exercise(report, "sin_plot").status == "passed"
    assert [c.error_type for c in report.cells if c.status != "ok"] == ["SyntaxError"]
    assert not [note for note in report.notes if "IPython" in note]  # the template makes no noise


def test_each_student_gets_their_own_inputs_and_references(tmp_path, capsys):
    config = str(PER_STUDENT / "config.yaml")
    shipped = []
    for number, student in enumerate(("alice", "bob", "alice")):
        out = tmp_path / str(number) / "hw.ipynb"
        assert assign.command(["--config", config, "--student", student, "--out", str(out)]) == 0
        shipped.append(public.load(out.with_name("hw.public.json")))
    assert "for alice" in capsys.readouterr().out
    alice, bob, again = (d.observations["weighted_grad/0/0"][""]["value"]["data"] for d in shipped)
    assert alice != bob and alice == again
    same = {json.dumps(d.observations["square_grad/0/0"]) for d in shipped}
    assert len(same) == 1  # square_grad is not per student: everyone gets the same inputs
    case = load_pack(PER_STUDENT).exercise("weighted_grad").cases[0]
    inputs = build_inputs(case.inputs, case.seed, "alice")
    assert torch.allclose(torch.tensor(alice), 2 * inputs["w"] * inputs["x"])
    assert not torch.equal(inputs["x"], build_inputs(case.inputs, case.seed, "bob")["x"])
    assert build_inputs(case.inputs, case.seed, "alice")["x"].equal(inputs["x"])


WEIGHTED_GRAD = """
def weighted_grad(x, w):
    x = x.detach().requires_grad_(True)
    (w * x ** 2).sum().backward()
    return x.grad
"""
SQUARE_GRAD = WEIGHTED_GRAD.replace("weighted_grad(x, w)", "square_grad(x)").replace("(w * x ** 2)", "(x ** 2)")


def test_the_student_id_travels_from_assign_to_check_and_to_final_grading(tmp_path):
    out = tmp_path / "hw.ipynb"
    assert assign.command(["--config", str(PER_STUDENT / "config.yaml"), "--student", "alice",
                           "--out", str(out)]) == 0
    notebook = nbformat.read(out, as_version=4)
    assert notebook.metadata["grader"]["student"] == "alice"
    _answer(notebook, "weighted_grad", WEIGHTED_GRAD)
    _answer(notebook, "square_grad", SQUARE_GRAD)
    nbformat.write(notebook, str(out))
    assert read_submission(out).student == "alice"
    with Grader.open(str(PER_STUDENT / "config.yaml"), FINAL) as final:
        report = final.grade_file(out)
    assert report.student == "alice" and report.score == report.max_score
    assert all(c.status == "ok" for c in report.cells)
    # check() on alice's public data: her inputs and references, and her known-wrong answer.
    data = public.load(out.with_name("hw.public.json"))
    forgets_w = WEIGHTED_GRAD.replace("(w * x ** 2)", "(x ** 2)")
    for answer, statuses in ((WEIGHTED_GRAD, ["passed", "passed"]), (forgets_w, ["failed", "passed"])):
        namespace = {"torch": torch}
        exec(answer + SQUARE_GRAD, namespace)  # noqa: S102 - the test's own answers
        results = notebook_check.grade(list(data.exercises), data, namespace=namespace, cells=())
        assert [r.status for r in results] == statuses
    assert "multiply by w" in results[0].diagnoses[0].message


def test_assign_command_writes_a_valid_notebook_with_prompt_stub_and_check_per_exercise(cli_assigned):
    folder, finished = cli_assigned
    (out, err), code = finished()
    assert code == 0, err
    assert "wrote" in out and (folder / "hw.public.json").is_file()
    notebook = nbformat.read(folder / "hw.ipynb", as_version=4)
    nbformat.validate(notebook)
    cells = {c.id: c for c in notebook.cells}
    assert "import grader.notebook" in cells["setup"].source and "hw.public.json" in cells["setup"].source
    for item in load_pack(REPO).exercises:
        assert item.prompt.strip() in cells[f"{item.id}-prompt"].source
        assert cells[f"{item.id}-check"].source == f'grader.check("{item.id}")'
    assert r"$y = 2\mathbf{x}^\top\mathbf{x}$" in cells["two_grads-prompt"].source
    assert cells["two_grads-answer"].source.startswith("def two_grads(x):")
    assert "plt.show()" in cells["sin_plot-answer"].source
    assert notebook.cells[-1].source == "grader.check_all()"
    assert "student" not in notebook.metadata["grader"]
