"""Generate a class of realistic d2l §2.5 submissions: a flat folder of `studentNNN.ipynb`.

    python bench/make_class.py OUT_DIR --n 100 [--seed 0]

    from make_class import make_class
    paths = make_class(Path("class"), 100, seed=0)

Each notebook is built from the repository's own fixtures: the right answers of
`tests/fixtures/right/all_correct.py` split on `# %%` into cells, with some exercises' cells
replaced by a wrong fixture of that exercise (`tests/fixtures/wrong/<exercise>__<mistake>.py`).
Around them, what students actually hand in: Chinese and English markdown and comments,
`%matplotlib inline`, `from d2l import torch as d2l`, `!pip install d2l`, a `%%time` cell,
demo calls that print (or raise, when the answer is wrong), an experiment cell that raises,
and saved outputs (stream text, an error traceback, the plot as a PNG), which the grader
must read and ignore. A few are broken: a truncated .ipynb (not readable), a cell with a
syntax error (a full-width colon from an input method, or an unclosed bracket).

Deterministic: student i depends only on (seed, i), so `--n 1000` extends `--n 100`.

`--mix` (make_class(..., mix=True)) adds what a real class also hands in, drawn independently per
student (the proportions are MIX below, documented in bench/README.md): a `my_control_flow`
whose `while` never ends on negative inputs (the d2l §2.5.4 loop with the condition turned
around; the student's own demo call uses a positive input, so the notebook runs fine in
Jupyter), a function that raises on some cases (`.item()` on a vector, a 1-D-only index), and
plotting experiments between exercises (`d2l.plot` of a function and its gradient, a `plt`
loss curve).
"""
from __future__ import annotations

import argparse
import base64
import io
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import v4

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"

# Which students are broken, by index modulo BROKEN_PERIOD (so every class of 10 or more has
# at least one malformed notebook and one syntax error; 3 in 40 overall).
BROKEN_PERIOD = 40
MALFORMED = {7}
SYNTAX_ERROR = {3, 29}
P_PERFECT = 0.2          # a student with every exercise right
MAX_WRONG = 5            # otherwise 1..MAX_WRONG exercises get a wrong fixture

MIX = {"hung": 0.10, "crashing": 0.10, "plotting": 0.50}
HUNG = [  # my_control_flow variants that loop forever when a < 0
    "def my_control_flow(a):\n    b = a\n    # 循环直到 b 足够大\n    while b < 100:\n        b = b * 2\n"
    "    return b * torch.sigmoid(a)\n\nmy_control_flow(torch.tensor(1.5, requires_grad=True))",
    "def my_control_flow(a):\n    b, n = a, 0\n    while b.sum() < 50:  # keep doubling\n        b = b * 2 + a\n"
    "        n += 1\n    return b / n if n else b\n\nprint(my_control_flow(torch.tensor(0.3)))",
]
CRASHING = {  # exercise -> code that raises on some cases (the student tried one input only)
    "sin_derivative": "def sin_derivative(x):\n    x = x.clone().requires_grad_(True)\n"
                      "    y = torch.sin(x)\n    y.backward()  # 只试了标量\n    return y.detach(), x.grad",
    "jacobian_rows": "def jacobian_rows(f, x):\n    x = x.clone().requires_grad_(True)\n    y = f(x)\n"
                     "    rows = []\n    for i in range(y.shape[0]):\n        g, = torch.autograd.grad(y[i], x, "
                     "retain_graph=True)\n        rows.append(g.view(3))\n    return torch.stack(rows)",
}
PLOTS = [
    "# 画一下函数和它的导数\nx = torch.linspace(-3, 3, 100, requires_grad=True)\ny = torch.tanh(x)\n"
    "y.sum().backward()\nd2l.plot(x.detach(), [y.detach(), x.grad], 'x', 'f(x)', legend=['tanh', 'grad'])",
    "import matplotlib.pyplot as plt\nlosses = [1 / (i + 1) for i in range(50)]\nplt.plot(losses)\n"
    "plt.xlabel('step'); plt.ylabel('loss')\nplt.title('a made-up loss curve')\nplt.show()",
]
TITLES = [
    "# 2.5 自动微分 — 练习",
    "# 2.5 Automatic Differentiation — exercises",
    "# 2.5 自动微分 (Automatic Differentiation)\n\n跟着 *Dive into Deep Learning* 做的练习。",
    "# 作业 2：自动微分\n\nHomework 2, d2l.ai §2.5.",
]
SECTIONS = {
    "grad_of_dot": ["## 2.5.1 一个简单的例子", "## 2.5.1 A Simple Function"],
    "vector_backward": ["## 2.5.2 非标量变量的反向传播", "## 2.5.2 Backward for Non-Scalar Variables"],
    "detach_grad": ["## 2.5.3 分离计算", "## 2.5.3 Detaching Computation"],
    "control_flow_grad": ["## 2.5.4 Python控制流的梯度计算", "## 2.5.4 Gradients and Python Control Flow"],
    "second_derivative": ["## 练习 1：二阶导数", "## Exercise 1: second derivatives"],
    "sin_derivative": ["## 练习 5：$f(x)=\\sin(x)$ 的导数", "## Exercise 5: derivative of sin"],
    "manual_chain_rule": ["## 练习 6：链式法则", "## Exercise 6: the chain rule by hand"],
}
COMMENTS = [
    "# 我的答案", "# my answer", "# TODO: 再检查一下", "# 参考书上的写法",
    "# 这里要注意梯度累积", "# works on my machine", "# 按照 2.5 节的例子改的",
    "# (re-ran this cell after restarting the kernel)", "# 老师上课讲过",
]
# A call a student makes right after defining the function, to see what it does.
DEMOS = {
    "grad_of_dot": "print(grad_of_dot(torch.arange(4)))",
    "two_grads": "two_grads(torch.arange(4.0))",
    "vector_backward": "vector_backward(lambda x: x * x, torch.arange(4.0), torch.ones(4))",
    "jacobian_rows": ("J = jacobian_rows(lambda x: torch.stack([x[0] * x[1], x[1] ** 2]), "
                      "torch.tensor([1.0, 2.0, 3.0]))\nprint(J)"),
    "detach_grad": "detach_grad(torch.arange(4.0)) == torch.arange(4.0) ** 2",
    "leaf_again": ("t = torch.arange(6.0, requires_grad=True).reshape(2, 3)\nr = leaf_again(t)\n"
                   "print(t.is_leaf, r.is_leaf, r.requires_grad)"),
    "backward_twice": "backward_twice(torch.arange(4.0))",
    "second_derivative": "xs = torch.linspace(-1, 1, 5)\nprint(second_derivative(torch.sin, xs) + torch.sin(xs))",
    "hessian": "%%time\nH = hessian(lambda x: (x ** 2).sum() * x.sum(), torch.randn(3))\nprint(H)",
    "sin_derivative": "y, dy = sin_derivative(torch.linspace(0, 3, 4))\nprint(dy)",
}
EXPERIMENTS = [  # a cell that raises, as in every real notebook
    "# 试一下整数张量\nx = torch.arange(4)\nx.requires_grad_(True)",
    "# what happens if I call backward twice?\nz = (torch.ones(3, requires_grad=True) * 2).sum()\n"
    "z.backward()\nz.backward()",
    "u = torch.ones(2, 2)\ntorch.dot(u, u)  # dot 只能用在一维",
    "print(x_grad)  # 变量名写错了",
    "y = torch.ones(3, requires_grad=True) ** 2\ny.backward()  # 非标量",
]
OUTPUT_LINES = ["tensor([ 0.,  4.,  8., 12.])", "tensor([True, True, True, True])",
                "tensor(True)", "CPU times: user 1.2 ms, sys: 0 ns, total: 1.2 ms"]


@dataclass
class Fixtures:
    """The right answers as cells, and the wrong fixtures by exercise."""

    cells: list[tuple[str, str]]                 # (kind, source) in all_correct.py order
    exercise_cell: dict[str, int]                # exercise id -> index into cells
    wrong: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # id -> [(mistake, code)]


def load_fixtures(root: Path = FIXTURES) -> Fixtures:
    text = (root / "right" / "all_correct.py").read_text(encoding="utf-8")
    cells: list[tuple[str, str]] = []
    for chunk in re.split(r"^# %%", text, flags=re.M)[1:]:
        header, _, body = chunk.partition("\n")
        if "[markdown]" in header:
            cells.append(("markdown", "\n".join(l[2:] if l.startswith("# ") else l.lstrip("#")
                                                for l in body.strip().splitlines())))
        else:
            cells.append(("code", body.strip("\n")))
    wrong: dict[str, list[tuple[str, str]]] = {}
    for path in sorted((root / "wrong").glob("*.py")):
        exercise, _, mistake = path.stem.partition("__")
        lines = path.read_text(encoding="utf-8").splitlines()
        if lines and lines[0].startswith("# expect:"):
            lines = lines[1:]
        wrong.setdefault(exercise, []).append((mistake, "\n".join(lines).strip("\n")))
    exercise_cell: dict[str, int] = {}
    for index, (kind, source) in enumerate(cells):
        if kind != "code":
            continue
        for name in re.findall(r"^def (\w+)\(", source, flags=re.M):
            if name in wrong or name in DEMOS:
                exercise_cell[name] = index
        if "d2l.plot(" in source or "plt.plot(" in source:
            exercise_cell["sin_plot"] = index
    return Fixtures(cells, exercise_cell, wrong)


def _plot_png() -> str:
    """The saved output of the plotting cell: a real matplotlib PNG, made once."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    import numpy as np

    fig = Figure(figsize=(3.5, 2.5))
    ax = fig.subplots()
    x = np.linspace(-2 * np.pi, 2 * np.pi, 200)
    ax.plot(x, np.sin(x), label="sin(x)")
    ax.plot(x, np.cos(x), "m--", label="d sin(x)/dx")
    ax.set_xlabel("x")
    ax.legend()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=72, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


@dataclass
class Student:
    name: str
    kind: str                       # "ok", "malformed", "syntax-error"
    wrong: dict[str, str] = field(default_factory=dict)   # exercise -> mistake
    mixed: tuple[str, ...] = ()     # which of MIX this student got


class _Builder:
    def __init__(self, rng: random.Random, png: str):
        self.rng = rng
        self.png = png
        self.cells: list = []
        self.count = 0

    def markdown(self, text: str) -> None:
        self.cells.append(v4.new_markdown_cell(text, id=f"cell-{len(self.cells) + 1}"))

    def code(self, source: str, *, output: str | None = None, error: tuple[str, str] | None = None,
             image: bool = False) -> None:
        cell = v4.new_code_cell(source, id=f"cell-{len(self.cells) + 1}")  # not a random uuid
        if self.rng.random() < 0.85:  # most cells were run, some in a different order
            self.count += self.rng.choice((1, 1, 1, 2, 5))
            cell.execution_count = self.count
            if output is not None:
                cell.outputs.append(v4.new_output("stream", name="stdout", text=output + "\n"))
            if image:
                cell.outputs.append(v4.new_output("display_data", data={
                    "image/png": self.png, "text/plain": "<Figure size 350x250 with 1 Axes>"}))
            if error is not None:
                cell.outputs.append(v4.new_output("error", ename=error[0], evalue=error[1], traceback=[
                    "\x1b[0;31m-----------------------------------------------------------\x1b[0m",
                    f"\x1b[0;31m{error[0]}\x1b[0m: {error[1]}"]))
        self.cells.append(cell)


def build_student(index: int, fixtures: Fixtures, *, seed: int = 0, png: str = "",
                  mix: bool = False) -> tuple[Student, str]:
    """Student `index` (1-based): its description and the notebook's text (maybe broken)."""
    rng = random.Random(f"{seed}:{index}")
    mix_rng = random.Random(f"{seed}:{index}:mix")  # its own stream: --mix leaves the rest alike
    mixed = tuple(kind for kind, share in MIX.items() if mix and mix_rng.random() < share)
    name = f"student{index:03d}"
    phase = index % BROKEN_PERIOD
    kind = "malformed" if phase in MALFORMED else "syntax-error" if phase in SYNTAX_ERROR else "ok"
    student = Student(name, kind, mixed=mixed)
    if rng.random() >= P_PERFECT:
        for exercise in rng.sample(sorted(fixtures.wrong), rng.randint(1, MAX_WRONG)):
            mistake, _ = rng.choice(fixtures.wrong[exercise])
            student.wrong[exercise] = mistake
    english = rng.random() < 0.3
    b = _Builder(rng, png)
    b.markdown(rng.choice(TITLES) + f"\n\n学号 / student: {name}")
    if rng.random() < 0.3:
        b.code("!pip install d2l==1.0.3", output="Requirement already satisfied: d2l==1.0.3")
    imports = ["%matplotlib inline"] if rng.random() < 0.7 else []
    imports += ["import math", "import torch"]
    if rng.random() < 0.4:
        imports.append("import numpy as np")
    imports.append("from d2l import torch as d2l")
    b.code("\n".join(imports))
    code_positions = [i for i, (k, _) in enumerate(fixtures.cells) if k == "code"]
    experiment_at = rng.choice(code_positions[1:]) if rng.random() < 0.85 else -1
    syntax_at = rng.choice(sorted(fixtures.exercise_cell)) if kind == "syntax-error" else ""
    by_cell = {cell: ex for ex, cell in fixtures.exercise_cell.items()}
    for position, (cell_kind, source) in enumerate(fixtures.cells):
        if cell_kind == "markdown":
            continue
        exercise = by_cell.get(position, "")
        if exercise in SECTIONS and rng.random() < 0.8:
            b.markdown(SECTIONS[exercise][english or rng.random() < 0.2])
        if exercise in student.wrong:
            source = dict(fixtures.wrong[exercise])[student.wrong[exercise]]
        source = _mixed_in(source, mixed, mix_rng)
        if position == code_positions[0]:  # the right answers' imports: written above
            continue
        if rng.random() < 0.4:
            source = rng.choice(COMMENTS) + "\n" + source
        if exercise == syntax_at:
            source = _break_syntax(source, rng)
        b.code(source, image=exercise == "sin_plot" and "plot(" in source,
               output=rng.choice(OUTPUT_LINES) if "print(" in source else None)
        if exercise in DEMOS and rng.random() < 0.6:
            b.code(DEMOS[exercise], output=rng.choice(OUTPUT_LINES))
        if position == experiment_at:
            b.code(rng.choice(EXPERIMENTS), error=("RuntimeError", "the experiment failed"))
        if "plotting" in mixed and exercise and mix_rng.random() < 0.3:
            b.code(mix_rng.choice(PLOTS), image=True)
    b.markdown(rng.choice(["## 小结\n\n- 梯度会累积，记得 `x.grad.zero_()`\n- 非标量要 `sum()` 或者传 `gradient`",
                           "## Summary\n\nAutograd tracks operations; `detach` stops it."]))
    notebook = v4.new_notebook(cells=b.cells, metadata={
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python", "version": "3.11.7"}})
    nbformat.validate(notebook)
    text = nbformat.writes(notebook)
    if kind == "malformed":  # a download cut short, or a merge gone wrong
        text = text[: len(text) // 2]
    return student, text


def _mixed_in(source: str, mixed: tuple[str, ...], rng: random.Random) -> str:
    """The cell as a hung or crashing student wrote it, if this one is."""
    if "hung" in mixed and re.search(r"^def my_control_flow\(", source, flags=re.M):
        return rng.choice(HUNG)
    for exercise, code in CRASHING.items():
        if "crashing" in mixed and re.search(rf"^def {exercise}\(", source, flags=re.M):
            return code
    return source


def _break_syntax(source: str, rng: random.Random) -> str:
    if rng.random() < 0.5 and re.search(r"^def .*\):", source, flags=re.M):
        return re.sub(r"^(def .*\)):", r"\1：", source, count=1, flags=re.M)  # full-width colon
    return source.replace("(", "((", 1)                                     # unclosed bracket


def make_class(out: Path, n: int, *, seed: int = 0, fixtures_root: Path = FIXTURES,
               mix: bool = False) -> list[Student]:
    """Write n notebooks `student001.ipynb`… into `out` (created; other files are left)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fixtures = load_fixtures(fixtures_root)
    png = _plot_png()
    students = []
    for index in range(1, n + 1):
        student, text = build_student(index, fixtures, seed=seed, png=png, mix=mix)
        (out / f"{student.name}.ipynb").write_text(text, encoding="utf-8")
        students.append(student)
    return students


def describe(students: list[Student]) -> str:
    ok = [s for s in students if s.kind == "ok"]
    perfect = sum(not s.wrong for s in ok)
    wrong = sum(len(s.wrong) for s in students)
    return (f"{len(students)} notebooks: {perfect} all right, {len(ok) - perfect} with 1-{MAX_WRONG} wrong "
            f"exercises ({wrong} wrong cells in all), "
            f"{sum(s.kind == 'syntax-error' for s in students)} with a syntax error, "
            f"{sum(s.kind == 'malformed' for s in students)} malformed"
            + "".join(f", {sum(kind in s.mixed for s in students)} {kind}" for kind in MIX
                      if any(s.mixed for s in students)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mix", action="store_true", help="mix in hung, crashing and plotting notebooks")
    args = parser.parse_args(argv)
    students = make_class(args.out, args.n, seed=args.seed, mix=args.mix)
    print(f"{args.out}: {describe(students)}", file=sys.stderr)


if __name__ == "__main__":
    main()
