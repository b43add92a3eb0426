"""`grader.check("id")` in the student's own kernel: final grading's probes and judges, public cases only.

The student's function runs in the kernel process itself. Checking is for the student's benefit:
fooling it only misleads the one who does, and final grading runs everything again, sandboxed,
with the hidden cases too. Only the source of the evidence differs from the server: probe.observe
runs here on the kernel's current definitions, and the references come from the public file that
`python -m grader assign` wrote beside the notebook (see grader/public.py).

Figures: Jupyter's inline backend shows and closes every figure at the end of the cell that drew
it, before a later check() could look. `setup()` therefore wraps `pyplot.show` and puts a
post_execute callback ahead of the inline backend's, recording each cell's figures as curve data;
running a cell again replaces what it drew before. check() grades those and any figure still open.
"""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from grader import i18n
from grader.i18n import N_, _
from grader.observe import probe
from grader.render import fold, terminal as report
from grader.render.graph_svg import pair_html
from grader.judge.outcome import Evidence
from grader.errors import PackError
from grader.render.html import STATUS_COLOURS, badge, escape
from grader.render.numbers import points
from grader.observe.exceptions import error_record
from grader.observe.figures import MAX_FIGURES, record_figure
from grader.judge.grade import grade_exercise
from grader.model import Diagnosis, ExerciseResult, Report, round_score
from grader.pack.kinds import KINDS
from grader.pack.load import Exercise
from grader.pack.probes import Probe, probes_for
from grader.run.public import PublicData, PublicReferences, load
from grader.observe.records import RunResult
from grader.source.static import SourceIndex
from grader.source.submission import Cell, parse_submission
from grader.text import one_line

NO_FIGURE_NOTE = N_("No figure is available to check: check() sees the figures drawn by cells run after "
                    "the setup cell. Run the cell that draws the figure again, then this one.")


class FigureLog:
    """The figures of each cell's latest run, as curve records, in the order the cells ran."""

    def __init__(self) -> None:
        self.by_cell: dict[str, dict[int, dict[str, Any]]] = {}
        self.cell_key = ""
        self.count = 0

    def start(self, key: str, count: int) -> None:
        self.by_cell.pop(key, None)
        self.cell_key, self.count = key, count

    def capture(self) -> None:
        """Record every figure open now, for the cell running now (a figure once per cell)."""
        if "matplotlib.pyplot" not in sys.modules:
            return
        from matplotlib._pylab_helpers import Gcf

        records = self.by_cell.setdefault(self.cell_key, {})
        for manager in Gcf.get_all_fig_managers():
            figure = manager.canvas.figure
            records[id(figure)] = record_figure(figure, self.count, render_png=False)

    def records(self) -> list[dict[str, Any]]:
        return [r for cell in self.by_cell.values() for r in cell.values()][-MAX_FIGURES:]


class _Kernel:
    """What this kernel knows: the public data, and the cells and figures seen since setup()."""

    def __init__(self) -> None:
        self.data: PublicData | None = None
        self.problem = ""
        self.figures = FigureLog()
        self.cells: dict[int, dict[str, Any]] = {}


_kernel = _Kernel()


def setup(public: str | Path | None = None) -> None:
    """Load the public cases (default: the one *.public.json here) and start recording.

    Never raises: a notebook's "Run all" must not stop here, and the final grader runs this cell
    too, where no public file exists. check() explains whatever went wrong.
    """
    path = Path(public) if public else _find_public()
    if path is None or not path.is_file():
        _kernel.data, _kernel.problem = None, _(
            "{file} is not in {folder}: put the file that came with this notebook beside it, then run "
            "the setup cell again.", file=path.name if path else _("The .public.json file"), folder=Path.cwd())
        return
    try:
        _kernel.data = load(path)
    except PackError as exc:
        _kernel.data, _kernel.problem = None, _("Cannot use {file}: {problem}.", file=path,
                                                problem=exc.problems[0].message)
        return
    i18n.set_language(_kernel.data.language)  # this kernel is one student's: it speaks the notebook's language
    shell = _shell()
    if shell is not None:
        _hook_shell(shell)
    _hook_pyplot_show()
    # assert_close's first call imports torch.distributed (1-2 s): pay that here, not in a check.
    torch.testing.assert_close(torch.zeros(()), torch.zeros(()))


def check(exercise_id: str) -> CheckOutput:
    """Grade one exercise against the kernel's current definitions, on its public cases."""
    if _kernel.data is None:
        setup()
    data = _kernel.data
    if data is None:
        return CheckOutput(notes=(_kernel.problem,))
    exercise = data.exercise(exercise_id)
    if exercise is None:
        known = ", ".join(e.id for e in data.exercises)
        return CheckOutput(notes=(_("There is no exercise {id} in this assignment (known: {known}).",
                                    id=repr(exercise_id), known=known),))
    return _checked([exercise], data, total=False)


def check_all() -> CheckOutput:
    """Grade every exercise on its public cases and show the total."""
    if _kernel.data is None:
        setup()
    if _kernel.data is None:
        return CheckOutput(notes=(_kernel.problem,), total=True)
    return _checked(list(_kernel.data.exercises), _kernel.data, total=True)


def _checked(exercises: list[Exercise], data: PublicData, *, total: bool) -> CheckOutput:
    started = time.perf_counter()
    try:
        results = grade(exercises, data)
    except Exception as exc:  # the checker's own failure must not stop "Run all"; say whose it is
        error = f"{type(exc).__name__}: {exc}"
        return CheckOutput(notes=(_("The checker itself failed ({error}). This is not your answer's fault: "
                                    "tell your instructor.", error=error),), total=total)
    notes = []
    if any(KINDS[c.kind].figures for e in exercises for c in e.checks) and not _kernel.figures.records():
        notes.append(_(NO_FIGURE_NOTE))
    hidden = {e.id: data.hidden_cases.get(e.id, 0) for e in exercises}
    return CheckOutput(results=results, hidden_cases=hidden, notes=tuple(notes), total=total,
                       student=data.student, seconds=time.perf_counter() - started)


def grade(exercises: list[Exercise], data: PublicData, namespace: dict[str, Any] | None = None,
          cells: tuple[Cell, ...] | None = None) -> tuple[ExerciseResult, ...]:
    """Build the evidence in-process (the child's RunResult, made here) and run the judges.

    By default the namespace and source are the kernel's (or the running script's).
    """
    shell = _shell()
    if namespace is None:
        namespace = shell.user_ns if shell is not None else vars(sys.modules["__main__"])
    if cells is None:
        cells = _source_cells(shell)
    _kernel.figures.capture()
    run = RunResult(cells=dict(_kernel.cells), figures=_kernel.figures.records(),
                    names=[{"name": k, "callable": callable(v)} for k, v in list(namespace.items())
                           if not k.startswith("__")])
    # The probes reseed torch; the student's own random stream must continue as if untouched.
    with torch.random.fork_rng(devices=[]):
        for exercise in exercises:
            student = exercise.seed_owner(data.student)
            for item in probes_for(exercise, public_only=True):
                run.probes[item.key] = _observe(item, namespace, student, data.check_seconds)
                if run.probes[item.key].get("error", {}).get("type") == "KeyboardInterrupt":
                    raise KeyboardInterrupt  # the student pressed stop: stop checking, not just this call
    evidence = Evidence(run=run, source=SourceIndex(cells), references=PublicReferences(data),
                        student=data.student)
    return tuple(grade_exercise(e, evidence, cells, public_only=True) for e in exercises)


def _observe(item: Probe, namespace: dict[str, Any], student: str, seconds: float) -> dict[str, Any]:
    function = namespace.get(item.function)
    if not callable(function):
        return {"outcome": "missing"}
    # The deadline is a SIGALRM timer, which only the main thread may set.
    main = threading.current_thread() is threading.main_thread()
    return probe.observe(item.kind, function, item.specs, item.seed, item.options, student=student,
                         forbid=item.forbid, namespace=namespace, seconds=seconds if main else None)


def _source_cells(shell: Any) -> tuple[Cell, ...]:
    """The kernel's input history (cell N is In[N]); outside IPython, the script that runs."""
    if shell is not None:
        history = shell.user_ns.get("In") or []
        return tuple(Cell(index=i, source=s, code=s, label=f"In [{i}]")
                     for i, s in enumerate(history) if i and s.strip())
    path = Path(getattr(sys.modules["__main__"], "__file__", "") or "")
    if path.suffix == ".py" and path.is_file():
        return parse_submission(path.name, path.read_bytes()).cells
    return ()


def _find_public() -> Path | None:
    found = sorted(Path.cwd().glob("*.public.json"))
    return found[0] if len(found) == 1 else None


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if hasattr(shell, "events") and hasattr(shell, "user_ns") else None


def _hook_shell(shell: Any) -> None:
    """Record each cell's figures before the inline backend closes them, and how each cell ended."""
    callbacks = shell.events.callbacks
    if _capture_figures not in callbacks["post_execute"]:
        callbacks["post_execute"].insert(0, _capture_figures)
    for event, callback in (("pre_run_cell", _cell_starts), ("post_run_cell", _cell_ended)):
        if callback not in callbacks[event]:
            shell.events.register(event, callback)


def _cell_starts(info: Any) -> None:
    shell = _shell()
    count = shell.execution_count if shell is not None else 0
    _kernel.figures.start(str(getattr(info, "cell_id", None) or count), count)


def _capture_figures() -> None:
    _kernel.figures.capture()


def _cell_ended(result: Any) -> None:
    count = getattr(result, "execution_count", None)
    if count is None:
        return
    error = result.error_before_exec or result.error_in_exec
    record: dict[str, Any] = {"type": "cell", "index": count, "status": "error" if error else "ok"}
    if error is not None:
        record["error"] = error_record(error)
    _kernel.cells[count] = record


def _hook_pyplot_show() -> None:
    """plt.show() shows and closes figures mid-cell: record them first."""
    import matplotlib.pyplot as plt

    if getattr(plt.show, "grader_hook", False):
        return
    original = plt.show

    def show(*args: Any, **kwargs: Any) -> Any:
        _kernel.figures.capture()
        return original(*args, **kwargs)

    show.grader_hook = True  # type: ignore[attr-defined]
    show.__wrapped__ = original  # type: ignore[attr-defined]
    plt.show = show


@dataclass(frozen=True, repr=False)
class CheckOutput:
    """What check() and check_all() show: HTML in Jupyter, the command line's text elsewhere."""

    results: tuple[ExerciseResult, ...] = ()
    hidden_cases: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    total: bool = False
    student: str = ""
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return round_score(sum(r.score for r in self.results))

    @property
    def max_score(self) -> float:
        return round_score(sum(r.max_score for r in self.results))

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.status == "passed" for r in self.results)

    def __str__(self) -> str:
        text = ""
        if self.results:
            text = report.to_text(Report(submission=_("this notebook, public cases only"), score=self.score,
                                         max_score=self.max_score, exercises=self.results,
                                         student=self.student), fold_hint="", graphs=True)
        hidden = sum(self.hidden_cases.values())
        notes = self.notes + ((_("Final grading also runs {count} hidden case(s).", count=hidden),) if hidden else ())
        return text + "".join(f"{note}\n" for note in notes)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        if self.total:
            parts = [_summary_html(self)] if self.results else []
        else:
            parts = [_exercise_html(r, self.hidden_cases.get(r.id, 0)) for r in self.results]
        parts += [f'<p style="color:#9a6700">{escape(note)}</p>' for note in self.notes]
        return f'<div class="grader-check" style="{_FONT}">{"".join(parts)}</div>'


_FONT = "font-family:system-ui,sans-serif;line-height:1.4"
_MUTED = "color:#57606a;font-size:90%"
_PRE = "background:#f6f8fa;padding:.5em;margin:.3em 0;white-space:pre-wrap;font-size:85%"
_CELL = "text-align:left;padding:.15em .6em;border-bottom:1px solid #d0d7de"


def _exercise_html(result: ExerciseResult, hidden: int) -> str:
    parts = [f'<div><b>{report.MARKS.get(result.status, "")} {escape(result.id)}</b>: {escape(result.title)} '
             f"&nbsp;<b>{points(result.score)} / {points(result.max_score)}</b> "
             f"{badge(result.status, inline=True)}</div>"]
    for check in result.checks:
        if not KINDS[check.kind].per_case:
            counted = _("passes") if check.passed else _("does not pass")
        else:
            counted = _("{passed} of {total} public case(s) pass", passed=check.cases_passed, total=check.cases_total)
        parts.append(f'<div style="{_MUTED}">{escape(check.name)}: {counted}</div>')
        for group in fold.grouped(check.diagnoses):  # the first case in full, as the CLI does
            parts.append(_diagnosis_html(group[0]))
            drawn = fold.graphs(group)
            if drawn is not None:
                parts.append(f'<div style="margin-left:1em">{pair_html(drawn[1], drawn[0])}</div>')
            if len(group) > 1:
                parts.append(f'<div style="{_MUTED};margin-left:1em">'
                             + escape(_("The same on {cases}.", cases=fold.same_on(group))) + "</div>")
    if hidden:
        parts.append(f'<div style="{_MUTED}">' + escape(_("Checked on the public cases only: final grading also "
                                                           "runs {count} hidden case(s).", count=hidden)) + "</div>")
    colour = STATUS_COLOURS.get(result.status, STATUS_COLOURS["missing"])
    return (f'<div style="border-left:4px solid {colour};padding:.2em .8em;margin:.5em 0">'
            + "".join(parts) + "</div>")


def _diagnosis_html(diagnosis: Diagnosis) -> str:
    shown = diagnosis.case and not diagnosis.hidden
    case = _(", case {case}", case="<code>" + escape(diagnosis.case) + "</code>") if shown else ""
    details = (f'<pre style="{_PRE}">{escape(diagnosis.details)}</pre>'
               if diagnosis.details and not diagnosis.hidden else "")
    return (f'<div style="margin:.4em 0 0 1em"><code>{escape(diagnosis.code)}</code> {escape(diagnosis.message)}'
            f'<div style="{_MUTED}">{escape(diagnosis.check)}{case}</div>{details}</div>')


def _summary_html(output: CheckOutput) -> str:
    """check_all: one row per exercise with its first problem; check(id) has the details."""
    rows = []
    for r in output.results:
        first = r.diagnoses[0] if r.diagnoses else None
        problem = f"<code>{escape(first.code)}</code> {escape(one_line(first.message, 140))}" if first else ""
        rows.append(f'<tr><td style="{_CELL}">{report.MARKS.get(r.status, "")} {escape(r.id)}</td>'
                    f'<td style="{_CELL}">{points(r.score)} / {points(r.max_score)}</td>'
                    f'<td style="{_CELL}">{badge(r.status, inline=True)}</td><td style="{_CELL}">{problem}</td></tr>')
    head = "".join(f'<th style="{_CELL}">{escape(name)}</th>'
                   for name in (_("Exercise"), _("Score"), _("Status"), _("First problem")))
    score = f"{points(output.score)} / {points(output.max_score)}"
    total = (_("Total for {student}: {score}", student=escape(output.student), score=score) if output.student
             else _("Total: {score}", score=score))
    rest = _("on the public cases; final grading also runs {count} hidden case(s). {call} shows the details.",
             count=sum(output.hidden_cases.values()), call='<code>grader.check("id")</code>')
    total = f'<p style="font-size:110%"><b>{total}</b> <span style="{_MUTED}">{rest}</span></p>'
    return (f'<table style="border-collapse:collapse"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>{total}')
