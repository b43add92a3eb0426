"""Every wait in a batch has an end (grader.run.watchdog): a submission whose task never answers is
sent again, and after the retries it is reported as not graded, on one line, and graded by the
next run; a cluster that is gone stops the batch with what it graded kept.

The executor is a real thread pool that loses some tasks: their futures never complete, as a
Dask future does when its worker's process is stuck and never reported dead.
"""
from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor

from test_batch import EXERCISES, FakeGrade, make_class, read_csv

from grader.commands.batch import run_batch
from grader.commands.gradebook import Gradebook
from grader.run.watchdog import ClusterLost, Patience, Watchdog


class LosingExecutor(ThreadPoolExecutor):
    """Loses the first `losses[student]` tasks of a student: their futures never complete."""

    def __init__(self, losses: dict[str, int]) -> None:
        super().__init__(2)
        self.losses = dict(losses)
        self.sent: list[str] = []

    def submit(self, fn, /, *args, **kwargs) -> Future:
        student = args[2]
        self.sent.append(student)
        if self.losses.get(student, 0) > 0:
            self.losses[student] -= 1
            return Future()
        return super().submit(fn, *args, **kwargs)


def batch(root, out, executor, patience):
    return run_batch(root, out, jobs=2, regrade=False, grade=FakeGrade(), pack_hash="p1",
                     exercise_ids=EXERCISES, progress=False, executor=executor, patience=patience)


def test_a_lost_task_is_sent_again_and_a_lost_cause_is_not_graded(tmp_path, capsys):
    root, out = make_class(tmp_path / "class", n=6), tmp_path / "out"
    executor = LosingExecutor({"s01": 1, "s02": 5})
    started = time.monotonic()
    result = batch(root, out, executor, Patience(seconds=1.5, retries=2))
    assert time.monotonic() - started < 30
    assert executor.sent.count("s01") == 2 and executor.sent.count("s02") == 3
    assert "s01" in result.graded and set(result.failures) == {"s02"}
    assert "not graded, the next run grades it again" in result.failures["s02"]
    err = capsys.readouterr().err
    assert "s02" in err and err.count("could not grade") == 1
    assert [row[0] for row in read_csv(out)[1:] if row[-1] == ""] == ["s02"]
    with Gradebook(out / "gradebook.sqlite") as gradebook:
        assert gradebook.lookup("s02", result.discovery.submissions[2].sha256, "p1") is None

    again = batch(root, out, LosingExecutor({}), Patience(seconds=1.5))
    assert again.graded == ["s02"] and not again.failures and len(again.reused) == 5


def test_a_cluster_that_is_gone_stops_the_batch_and_keeps_the_grades(tmp_path):
    root, out = make_class(tmp_path / "class", n=6), tmp_path / "out"
    calls = []

    def health() -> list[str]:
        calls.append(1)
        if len(calls) > 1:
            raise ClusterLost("the Dask scheduler is gone")
        return ["a worker left the cluster"]

    executor = LosingExecutor({f"s0{i}": 1 for i in range(2, 6)})
    result = batch(root, out, executor, Patience(seconds=60, health=health))
    assert result.stopped == "the Dask scheduler is gone" and result.interrupted
    assert not (out / "grades.csv").exists()
    with Gradebook(out / "gradebook.sqlite") as gradebook:
        kept = [s for s in result.discovery.submissions
                if gradebook.lookup(s.student, s.sha256, "p1") is not None]
    assert {s.student for s in kept} == set(result.graded) == {"s00", "s01"}


def test_overdue_counts_from_when_each_future_was_sent():
    now = [0.0]
    watchdog = Watchdog(Patience(seconds=10, retries=1), clock=lambda: now[0])
    early, late = Future(), Future()
    watchdog.sent(early, "a")
    now[0] = 6
    watchdog.sent(late, "b")
    now[0] = 11
    assert watchdog.overdue([early, late]) == [early]
    assert watchdog.give_up("a") == ""
    watchdog.sent(Future(), "a")
    assert "2 times" in watchdog.give_up("a")
