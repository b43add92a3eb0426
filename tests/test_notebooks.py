"""Notebooks run as a fresh kernel would: magics, failing cells, d2l, typos, missing names."""
from __future__ import annotations

import json

import nbformat

from conftest import codes, exercise, run_cli, run_main, write_notebook

DETACH = '''
import torch
def detach_grad(x):
    x = x.detach().requires_grad_(True)
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    return x.grad
'''


def test_magics_shell_escapes_and_display_neither_crash_nor_run(grader, tmp_path):
    marker = tmp_path / "pip-ran"
    path = write_notebook(tmp_path / "nb.ipynb", [
        "%matplotlib inline",
        f"!touch {marker}\n!pip install d2l==1.0.3",
        "%%time\nimport torch\nx = torch.arange(4.0)",
        "from IPython.display import display\ndisplay(x)\nfiles = !ls\nprint('files', files)",
        DETACH,
    ])
    report = grader.grade_file(path)
    assert not marker.exists()
    assert [c.index for c in report.cells if c.status != "ok"] == []
    assert exercise(report, "detach_grad").status == "passed"
    assert "files None" in report.output


def test_a_cell_that_raises_is_recorded_and_later_cells_run(grader, tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", [
        ("markdown", "# 2.5 自动微分"),
        "import torch\nx = torch.arange(4.0)",
        "# 试一试\nprint(y)  # y is not defined yet",
        "import sys\nsys.exit(0)",
        DETACH,
    ])
    report = grader.grade_file(path)
    failed = {c.index: c for c in report.cells if c.status != "ok"}
    assert set(failed) == {2, 3}  # code cells, as people count them: the Markdown cell is not
    assert failed[2].error_type == "NameError" and failed[2].line == 2
    assert "print(y)" in failed[2].source_line and failed[2].name == "code cell 2 (`# 试一试`)"
    assert failed[3].error_type == "SystemExit"
    assert exercise(report, "detach_grad").status == "passed"


def test_d2l_import_works_and_its_plot_is_graded(grader, tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", [
        "%matplotlib inline\nimport torch\nfrom d2l import torch as d2l\nd2l.use_svg_display()",
        "x = torch.linspace(-5, 5, 200, requires_grad=True)\ny = torch.sin(x)\ny.sum().backward()\n"
        "d2l.plot(x.detach(), [y.detach(), x.grad], 'x', 'f(x)', legend=['sin', 'cos'])",
        "d2l.load_data_fashion_mnist(256)  # what would download is a harmless stand-in",
    ])
    report = grader.grade_file(path)
    plot = exercise(report, "sin_plot")
    assert plot.status == "passed"
    assert plot.attachments and plot.attachments[0].media_type == "image/png"
    assert all(c.status == "ok" for c in report.cells)


def test_curly_quotes_are_named_with_their_line(grader, tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", [
        "import torch\ndef grad_of_dot(x):\n    print(\u201cgradient\u201d)\n    return x",
    ])
    result = exercise(grader.grade_file(path), "grad_of_dot")
    assert codes(result) == {"typographic-characters"}
    message = result.diagnoses[0].message
    assert "line 3" in message and "\u201c" in message and '"' in message


def test_full_width_colon_after_else_is_named(grader, tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", [
        "import torch\ndef my_control_flow(a):\n    if a.sum() > 0:\n        return a * 2\n"
        "    else\uff1a\n        return a * 3",
    ])
    result = exercise(grader.grade_file(path), "my_control_flow")
    assert codes(result) == {"typographic-characters"}
    assert "\uff1a" in result.diagnoses[0].message and "`:`" in result.diagnoses[0].message


def test_not_defined_suggests_the_name_the_student_used(grader, tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", ["import torch\ndef grad_of_dots(x):\n    return 4 * x"])
    result = exercise(grader.grade_file(path), "grad_of_dot")
    assert result.status == "missing"
    assert codes(result) == {"not-defined"}
    assert "grad_of_dots" in result.diagnoses[0].message


def test_name_from_a_cell_that_raised_is_a_cell_error(grader, tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", [
        "import torch\nraise ValueError('oops')\ndef detach_grad(x):\n    return x",
    ])
    result = exercise(grader.grade_file(path), "detach_grad")
    assert codes(result) == {"cell-error"} and "ValueError" in result.diagnoses[0].message


def test_plain_syntax_error_names_the_cell(grader, tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", ["def detach_grad(x)\n    return x"])
    result = exercise(grader.grade_file(path), "detach_grad")
    assert codes(result) == {"syntax-error"} and "cell 1" in result.diagnoses[0].message


def test_older_notebook_format_is_converted(grader, tmp_path):
    v3 = nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(cells=[
        nbformat.v3.new_code_cell(input=DETACH)])])
    path = tmp_path / "old.ipynb"
    path.write_text(nbformat.writes(v3, version=3))
    assert exercise(grader.grade_file(path), "detach_grad").status == "passed"


def test_saved_outputs_are_ignored(grader, tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", [DETACH])
    notebook = nbformat.read(str(path), as_version=4)
    notebook.cells[0].outputs = [nbformat.v4.new_output("error", ename="X", evalue="y", traceback=[])]
    nbformat.write(notebook, str(path))
    assert exercise(grader.grade_file(path), "detach_grad").status == "passed"


def test_py_submission_runs_as_main_with_percent_cells(grader, tmp_path):
    path = tmp_path / "hw.py"
    path.write_text("# %%\nimport torch\nassert __name__ == '__main__'\n# %%\nundefined_name\n# %%\n" + DETACH)
    report = grader.grade_file(path)
    assert [c.index for c in report.cells if c.status != "ok"] == [2]
    assert report.cells[1].line == 5
    assert exercise(report, "detach_grad").status == "passed"


def test_cli_json_report_follows_the_spec(tmp_path):
    path = write_notebook(tmp_path / "alice.ipynb", [DETACH])
    done = run_main(str(path), "--format", "json", "--select", "detach_grad", "two_grads")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["submission"] == "alice.ipynb" and report["max_score"] == 4.0
    assert [e["id"] for e in report["exercises"]] == ["two_grads", "detach_grad"]
    by_id = {e["id"]: e for e in report["exercises"]}
    assert by_id["detach_grad"]["status"] == "passed" and by_id["detach_grad"]["diagnoses"] == []
    assert by_id["two_grads"]["status"] == "missing"
    diagnosis = by_id["two_grads"]["diagnoses"][0]
    assert {"code", "message", "case"} <= set(diagnosis)


def test_cli_text_report_and_exit_codes(tmp_path):
    good = write_notebook(tmp_path / "bob.ipynb", [DETACH])
    done = run_cli(str(good), "--select", "detach_grad")
    assert done.returncode == 0 and "detach_grad" in done.stdout and "Total: 2/2" in done.stdout
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    done = run_cli(str(broken))
    assert done.returncode == 2 and "not a readable Jupyter notebook" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert run_cli(str(tmp_path / "nope.ipynb")).returncode == 2
