"""`python -m grader batch`: grade a class's submissions in parallel, resumably.

Student code runs in the engine's sandboxed children, so the threads here only wait on them.
Grading goes through a `concurrent.futures.Executor`: local threads, or a Dask cluster with
--cluster (grader/cluster/); either way the main thread reads each submission and sends its
bytes, never its path. The gradebook is written from the main thread alone, one transaction per
finished submission, which is what makes Ctrl-C and kill -9 cost nothing already graded. Results are keyed by student
and every output is written in student order, so neither --jobs nor completion order shows.
Each report and its feedback are written to disk as soon as it is graded and only tallied for
summary.html (grader/render/class_tally.py); grades.csv is read back from the gradebook at the
end, so a class of thousands costs no more memory than a class of ten.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shlex
import sys
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Callable, Sequence

from tqdm import tqdm

from grader.i18n import _
from grader.cluster import WORKER_START_SECONDS, ClusterError, cluster_spec, open_cluster
from grader.source.discover import ClassEntry, Discovery, discover
from grader.render.feedback import to_html, to_markdown
from grader.render.numbers import points
from grader.commands.gradebook import Gradebook
from grader.pack.limits import Limits
from grader.insight.mistakes import results_in
from grader.model import ExerciseResult, Report
from grader.render.class_tally import ClassTally
from grader.render.plaintext import to_plain
from grader.run.watchdog import ClusterLost, Patience, Watchdog

GradeFn = Callable[[str, bytes, str], Report]


@dataclass
class BatchResult:
    """What a batch run did. `tally` counts every report that has a grade, old or new, for
    summary.html; `graded` the students graded now, `reused` those taken from the gradebook,
    `failures` why the grader could not grade the others; `rehashed` the content hash graded
    for the rare file that changed after discovery hashed it. The reports are in out/reports/
    and the gradebook, not here."""

    discovery: Discovery
    out: Path
    tally: ClassTally = field(init=False)
    graded: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    interrupted: bool = False
    stopped: str = ""  # why the batch stopped early (the cluster is gone), or ""
    rehashed: dict[str, str] = field(default_factory=dict)

    def content_hash(self, student: str) -> str:
        """The gradebook's key for what was graded of `student`: what discovery hashed, mostly."""
        return self.rehashed.get(student) or self._discovered_hashes[student]

    @cached_property
    def _discovered_hashes(self) -> dict[str, str]:
        return {sub.student: sub.sha256 for sub in self.discovery.submissions}


def could_not_grade(report: Report) -> str:
    """Why the grader could not grade this report, or "" when it did.

    The engine raises when it fails and reports what the student's code did (a crash, a timeout,
    an error in every exercise) as a grade, and its notes are remarks on cells (a magic made
    harmless), so only a report without exercises says the grader could not grade. Such a
    report is recorded but graded again by the next run, and its scores stay blank in grades.csv.
    """
    if report.exercises:
        return ""
    return "; ".join(report.notes) or "the report has no exercises"


def run_batch(root: Path, out: Path, *, jobs: int, regrade: bool, grade: GradeFn, pack_hash: str,
              exercise_ids: Sequence[str] = (), progress: bool = True,
              executor: Executor | None = None, patience: Patience | None = None) -> BatchResult:
    """Grade what `root` holds into `out`; `exercise_ids` fixes the CSV's column order.

    `grade` runs on `executor` (default: `jobs` local threads), which grades `jobs` at once;
    run_batch shuts it down when it is done. `patience` bounds every wait (grader.run.watchdog).
    """
    out.mkdir(parents=True, exist_ok=True)
    discovery = discover(root)
    for problem in discovery.problems:
        print(_("problem: {problem}", problem=problem), file=sys.stderr)
    with Gradebook(out / "gradebook.sqlite") as gradebook:
        result = BatchResult(discovery, out)
        result.tally = ClassTally(partial(_stored_result, gradebook, result, pack_hash))
        todo = []
        for sub in discovery.submissions:
            stored = None if regrade else gradebook.lookup(sub.student, sub.sha256, pack_hash)
            if stored is not None and not could_not_grade(stored):
                _write_report_files(out, stored)
                result.tally.add(stored)
                result.reused.append(sub.student)
            else:
                todo.append(sub)
        if result.reused:
            print(_("{count} already in the gradebook, not graded again (--regrade grades them again)",
                    count=len(result.reused)), file=sys.stderr)
        pool = executor or ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade")
        watchdog = Watchdog(patience or Patience.for_limits(Limits()))
        result.interrupted = _grade_all(todo, gradebook, grade, pack_hash, pool, jobs, progress, result,
                                        watchdog)
        _write_problems(result)
        if not result.interrupted:
            _write_outputs(result, gradebook, pack_hash, exercise_ids)
    return result


def _stored_result(gradebook: Gradebook, result: BatchResult, pack_hash: str, student: str,
                   exercise: str) -> ExerciseResult:
    """A result the summary quotes (a shared mistake's example), read back from the gradebook."""
    report = gradebook.lookup(student, result.content_hash(student), pack_hash)
    if report is None:
        raise LookupError(f"{student} was tallied but is not in {gradebook.path}")
    return results_in([report])(student, exercise)


def _grade_all(todo: list[ClassEntry], gradebook: Gradebook, grade: GradeFn, pack_hash: str,
               executor: Executor, jobs: int, progress: bool, result: BatchResult,
               watchdog: Watchdog) -> bool:
    """Grade `todo` on `executor`, recording each as it finishes; True when interrupted.

    At most 2 x `jobs` submissions are read and in flight at once: tens of thousands never sit
    in memory (or in a cluster's task table) together, and no worker waits for the next file.
    """
    bar = tqdm(total=len(todo), unit="sub", desc="grading", file=sys.stderr,
               disable=None if progress else True, dynamic_ncols=True)
    queue = iter(todo)
    running: dict[Future[Report], tuple[ClassEntry, str]] = {}
    try:
        while True:
            while len(running) < 2 * jobs and (sub := next(queue, None)) is not None:
                _send(executor, grade, sub, watchdog, running)
            if not running:
                return False
            done, news = watchdog.wait(running)
            for line in news:
                tqdm.write(line, file=sys.stderr)
            for future in done:
                _collect(*running.pop(future), future, pack_hash, gradebook, result)
                bar.update()
            for future in watchdog.overdue(running):
                sub, _ = running.pop(future)
                future.cancel()
                bar.update(_retry_or_give_up(sub, executor, grade, watchdog, running, result))
    except ClusterLost as lost:
        result.stopped = str(lost)
        return _stop(executor, running, pack_hash, gradebook, result)
    except KeyboardInterrupt:
        return _stop(executor, running, pack_hash, gradebook, result)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
        bar.close()


def _stop(executor: Executor, running: dict[Future[Report], tuple[ClassEntry, str]], pack_hash: str,
          gradebook: Gradebook, result: BatchResult) -> bool:
    """Queued submissions are dropped and those already finished are still recorded; running
    ones finish unrecorded (locally in their threads), and the next run grades them again."""
    executor.shutdown(wait=False, cancel_futures=True)
    for future, (sub, digest) in running.items():
        if future.done() and not future.cancelled():
            _collect(sub, digest, future, pack_hash, gradebook, result)
    return True


def _send(executor: Executor, grade: GradeFn, sub: ClassEntry, watchdog: Watchdog,
          running: dict[Future[Report], tuple[ClassEntry, str]]) -> None:
    future, digest = _submit(executor, grade, sub)
    running[future] = (sub, digest)
    watchdog.sent(future, sub.student)


def _retry_or_give_up(sub: ClassEntry, executor: Executor, grade: GradeFn, watchdog: Watchdog,
                      running: dict[Future[Report], tuple[ClassEntry, str]], result: BatchResult) -> int:
    """Send an overdue submission again, or report it as not graded; 1 when it is done with."""
    reason = watchdog.give_up(sub.student)
    if reason:
        result.failures[sub.student] = reason
        tqdm.write(_("could not grade {path}: {reason}", path=sub.path, reason=reason), file=sys.stderr)
        return 1
    tqdm.write(_("{path}: no answer within {seconds} s; sent again", path=sub.path,
                 seconds=format(watchdog.patience.seconds, "g")), file=sys.stderr)
    _send(executor, grade, sub, watchdog, running)
    return 0


def _submit(executor: Executor, grade: GradeFn, sub: ClassEntry) -> tuple[Future[Report], str]:
    """Read the submission and send its bytes to be graded; also their sha256, the gradebook key."""
    try:
        data = sub.load()
    except Exception as err:  # a vanished or unreadable file fails like the engine's error
        failed: Future[Report] = Future()
        failed.set_exception(err)
        return failed, ""
    return executor.submit(grade, sub.path, data, sub.student), hashlib.sha256(data).hexdigest()


def _collect(sub: ClassEntry, digest: str, future: Future[Report], pack_hash: str,
             gradebook: Gradebook, result: BatchResult) -> None:
    try:
        report = future.result()
    except Exception as err:  # the engine's bug or a vanished file: shown, not recorded, retried
        result.failures[sub.student] = f"{type(err).__name__}: {err}"
        tqdm.write(_("could not grade {path}: {reason}", path=sub.path, reason=result.failures[sub.student]),
                   file=sys.stderr)
        return
    # The gradebook's key is what discovery hashed: the raw bytes, the student, the pack.
    report = replace(report, student=sub.student, submission_hash=digest, pack_hash=pack_hash)
    gradebook.record(report)
    if digest != sub.sha256:  # the file changed after discovery hashed it
        result.rehashed[sub.student] = digest
    reason = could_not_grade(report)
    if reason:
        result.failures[sub.student] = reason
        tqdm.write(_("could not grade {path}: {reason}", path=sub.path, reason=reason), file=sys.stderr)
    else:
        _write_report_files(result.out, report)
        result.tally.add(report)
        result.graded.append(sub.student)


def _write_report_files(out: Path, report: Report) -> None:
    """reports/NAME.json and feedback/NAME.md and .html, written as soon as a report exists."""
    name = _file_name(report.student)
    for folder in ("reports", "feedback"):
        (out / folder).mkdir(exist_ok=True)
    (out / "reports" / f"{name}.json").write_text(
        json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "feedback" / f"{name}.md").write_text(to_markdown(report), encoding="utf-8")
    (out / "feedback" / f"{name}.txt").write_text(to_plain(report), encoding="utf-8")
    (out / "feedback" / f"{name}.html").write_text(to_html(report), encoding="utf-8")


def _write_outputs(result: BatchResult, gradebook: Gradebook, pack_hash: str,
                   exercise_ids: Sequence[str] = ()) -> None:
    """grades.csv and summary.html; and reports/ and feedback/ (written as each report came)
    cleared of files that are not a graded submission's.

    The LMS exporters read reports/*.json, so it holds exactly the students graded from the
    folder as it is now: none the grader could not grade, none left from an earlier run.
    """
    out = result.out
    graded = set(result.graded) | set(result.reused)
    ids = list(exercise_ids) or result.tally.order()
    _write_csv(out / "grades.csv", result, ids, lambda student: gradebook.scores(
        student, result.content_hash(student), pack_hash) if student in graded else None)
    names = {_file_name(student) for student in graded}
    for folder, suffixes in (("reports", (".json",)), ("feedback", (".md", ".txt", ".html"))):
        (out / folder).mkdir(exist_ok=True)
        for stale in (out / folder).iterdir():
            if stale.suffix in suffixes and stale.stem not in names:
                stale.unlink()
    from grader.render.summary import write_summary  # matplotlib: not before the fork server starts

    write_summary(result.tally, out, not_graded=_problem_lines(result))


def _write_csv(path: Path, result: BatchResult, ids: list[str],
               scores_of: Callable[[str], tuple[dict[str, float], float] | None]) -> None:
    """One row per discovered student, in discovery's order, each read back as it is written."""
    # Blank cells, never zeros, for a submission the grader could not grade: a TA who uploads
    # the CSV must not give a student 0 for the grader's failure.
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *ids, "total"])
        for student in (sub.student for sub in result.discovery.submissions):
            stored = scores_of(student)
            if stored is None:
                writer.writerow([_csv_safe(student), *[""] * len(ids), ""])
                continue
            scores, total = stored
            writer.writerow([_csv_safe(student), *[points(scores[i]) if i in scores else "" for i in ids],
                             points(total)])
    os.replace(tmp, path)


def _write_problems(result: BatchResult) -> None:
    lines = _problem_lines(result)
    (result.out / "problems.txt").write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _problem_lines(result: BatchResult) -> list[str]:
    """What was found but not graded: the submissions the grader could not grade, then the
    files discovery did not take, each with why."""
    paths = {sub.student: sub.path for sub in result.discovery.submissions}
    lines = [_("{path}: could not grade: {reason}", path=paths[s], reason=why)
             for s, why in sorted(result.failures.items())]
    return lines + [str(p) for p in result.discovery.problems]


def outcome_lines(result: BatchResult) -> list[str]:
    """The closing summary: counts that add up, and who was not graded, by name."""
    failed = sorted(result.failures)
    line = _("{count} submissions: {graded} graded now, {reused} already graded",
             count=len(result.discovery.submissions), graded=len(result.graded), reused=len(result.reused))
    line += _(", {count} could not be graded ({names}).", count=len(failed), names=_names(failed)) if failed else "."
    lines = [line]
    skipped = [p.path for p in result.discovery.problems]
    if skipped:
        lines.append(_("{count} other file(s) found but not graded: {names}.", count=len(skipped),
                       names=_names(skipped)))
    return lines


def _names(names: list[str], shown: int = 5) -> str:
    more = _(" and {count} more", count=len(names) - shown) if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _csv_safe(text: str) -> str:
    # A spreadsheet runs a cell that starts with one of these as a formula.
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def _file_name(student: str) -> str:
    safe = "".join(c if c.isalnum() or c in "._-@" else "_" for c in student).lstrip(".")
    if safe == student and safe:
        return safe
    return f"{safe or 'student'}-{hashlib.sha256(student.encode()).hexdigest()[:8]}"


def _default_out(root: Path) -> Path:
    """`class/` and `class.zip` both grade into `class-graded/` beside them."""
    root = root.resolve()
    return root.with_name(f"{root.stem if root.is_file() else root.name}-graded")


DESCRIPTION = ("Grade every submission in SUBMISSIONS (a flat folder, a folder per student, nbgrader's "
               "submitted/, a Canvas download, or a .zip of one) and write grades.csv, feedback and "
               "summary.html. Run the same command again to resume after an interruption.")


def command(argv: list[str]) -> int:
    """`python -m grader batch ...` as grader/cli.py dispatches it: the engine with config flags."""
    from grader.commands.options import add_settings_arguments, settings_overrides, speak_course_language

    parser = argparse.ArgumentParser(prog="python -m grader batch", description=DESCRIPTION)
    _configure(parser)
    add_settings_arguments(parser)
    args = parser.parse_args(argv)
    speak_course_language(args)
    if args.cluster:
        return _cluster_command(args, settings_overrides(args))

    def open_grader() -> Any:
        from grader.api import Grader

        grader = Grader.open(args.config, settings_overrides(args), jobs=args.jobs)
        grader.warm()  # every reference once, before the threads start
        return grader

    return run_batch_command(args, open_grader)


def _cluster_command(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    """The same run on a Dask cluster; what stops it (no Dask, no scheduler) prints on one line."""
    try:
        return run_batch_command(args, lambda: open_cluster(args.cluster, args.config, overrides,
                                                            args.worker_start_seconds))
    except ClusterError as err:
        print(f"grader batch: {err}", file=sys.stderr)
        return 2


def add_batch_arguments(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("batch", help="grade a folder or .zip of a class's submissions",
                                   description=DESCRIPTION)
    _configure(parser)
    return parser


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                        help="a folder or .zip of the class's .ipynb/.py submissions")
    parser.add_argument("--jobs", "-j", type=_positive_int, default=_cores(), metavar="N",
                        help="submissions graded at once (default: the number of cores)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="output folder (default: SUBMISSIONS-graded beside SUBMISSIONS)")
    parser.add_argument("--regrade", action="store_true",
                        help="grade again what the gradebook already has for the same content and pack")
    parser.add_argument("--cluster", type=cluster_spec, default=None, metavar="ADDRESS",
                        help="grade on a Dask cluster (tcp://scheduler:8786, tls://...) or on local:N, "
                             "N local worker processes; needs pip install '.[dask]' (default: --jobs "
                             "local threads)")
    parser.add_argument("--worker-start-seconds", type=_positive_float, default=WORKER_START_SECONDS,
                        metavar="S", help="with --cluster: how long a worker may take to start; it bounds "
                                          "waiting for the rest of local:N and, with no worker left, "
                                          f"how long the batch waits for one before it stops (default "
                                          f"{WORKER_START_SECONDS:g})")


def run_batch_command(args: argparse.Namespace, grader_factory: Callable[[], Any]) -> int:
    """0: all graded; 1: graded, with problems (see problems.txt); 2: usage; 3: the cluster is
    gone (what was graded is kept); 130: interrupted."""
    root: Path = args.submissions
    out: Path = args.out or _default_out(root)
    if not root.exists():
        print(f"grader batch: {root}: no such file or folder", file=sys.stderr)
        return 2
    if root.is_dir() and out.resolve().is_relative_to(root.resolve()):
        print(f"grader batch: --out {out} is inside {root}; the next run would grade its own output",
              file=sys.stderr)
        return 2
    # Without --regrade: resuming a --regrade run must not grade again what it already did.
    resume = f"python -m grader batch {shlex.quote(str(root))} --out {shlex.quote(str(out))}"
    if getattr(args, "cluster", None):
        resume += f" --cluster {shlex.quote(args.cluster)}"
        if args.worker_start_seconds != WORKER_START_SECONDS:
            resume += f" --worker-start-seconds {args.worker_start_seconds:g}"
    grader = grader_factory()
    # A cluster brings its executor and its number of worker threads; else --jobs local threads.
    executor, jobs = getattr(grader, "executor", None), getattr(grader, "jobs", args.jobs)
    try:
        result = run_batch(root, out, jobs=jobs, regrade=args.regrade, grade=grader.grade_bytes,
                           pack_hash=grader.pack_hash, exercise_ids=grader.exercise_ids,
                           executor=executor, patience=_patience(grader))
    except KeyboardInterrupt:
        result = None
    finally:
        grader.close()
    if result is not None and result.stopped:
        print("\n" + _("Stopped: {reason}. Every submission graded so far is saved in {gradebook}; run "
                       "`{resume}` to grade the rest.", reason=result.stopped, gradebook=out / "gradebook.sqlite",
                       resume=resume), file=sys.stderr)
        return 3
    if result is None or result.interrupted:
        print("\n" + _("Interrupted. Every submission graded so far is saved in {gradebook}; run `{resume}` "
                       "to grade the rest and write grades.csv.", gradebook=out / "gradebook.sqlite",
                       resume=resume), file=sys.stderr)
        return 130
    print("\n".join(outcome_lines(result)))
    print(_("Wrote {grades}, {feedback}/, {summary}.", grades=out / "grades.csv", feedback=out / "feedback",
            summary=out / "summary.html"))
    if result.failures or result.discovery.problems:
        print(_("Why each was not graded: {problems} (and summary.html).", problems=out / "problems.txt"))
        return 1
    return 0


def _patience(grader: Any) -> Patience:
    """A cluster brings its own (worker start-up, health); a local Grader has its limits."""
    settings = getattr(grader, "settings", None)
    return getattr(grader, "patience", None) or Patience.for_limits(settings.limits if settings else Limits())


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 (got {text})")
    return value


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
