"""How long each call of a student function may run, so that a hung function costs one limit.

A function's calls get their own limits until one runs out of time. From then on its later
calls (other cases, other checks) share `hung_seconds` between them, at most a quarter of it
each: a case that returns at once still passes, one that hangs again costs a quarter, and once
nothing is left the rest are reported as timed out without being called. So a function that
hangs on every case costs its first limit plus `hung_seconds`, whatever the number of cases.
Both sides count the child's own time (observe/own_time.py), not the wall clock, so a busy
machine skips no call an idle one would make. The child applies this itself; the parent applies
it again, reading the child's time from the kernel, to set its hard deadlines, and hands its
state to a restarted child, so a child that ignores it gains nothing.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from grader.i18n import N_

SHARES = 4
MIN_SECONDS = 0.01
NOT_RUN = N_("was not run on this case: `{function}` had already run past its time limit on an "
             "earlier case, and its later calls have used up the {budget} s they share, so this case "
             "counts as timed out too")


class CallBudget:
    """Per-function time left after a timeout; plain data in and out (it travels in the job)."""

    def __init__(self, hung_seconds: float, left: dict[str, float] | None = None):
        self.hung_seconds = hung_seconds
        self.left: dict[str, float] = dict(left or {})

    def limit(self, function: str, seconds: float) -> float:
        """Seconds this call may run; 0 means do not call it."""
        if function not in self.left:
            return seconds
        left = min(seconds, self.left[function], self.hung_seconds / SHARES)
        return left if left >= MIN_SECONDS else 0.0

    def spent(self, function: str, seconds: float, timed_out: bool) -> None:
        if function in self.left:
            self.left[function] = max(0.0, self.left[function] - seconds)
        elif timed_out:
            self.left[function] = self.hung_seconds

    def not_run(self, function: str) -> dict[str, Any]:
        """The observation of a call that was skipped."""
        return {"outcome": "died", "reason": "timeout", "not_run": True,
                "detail": NOT_RUN.format(function=function, budget=format(self.hung_seconds, "g"))}

    def to_dict(self) -> dict[str, float]:
        return dict(self.left)


class ProbeClock:
    """The parent's side: each probe's limit on the child's clock, and the budget it hands on."""

    def __init__(self, probes: list[dict[str, Any]], budget: CallBudget,
                 clock: Callable[[], float] = time.monotonic):
        self.probes = {p["key"]: p for p in probes}
        self.budget = budget
        self.clock = clock
        self.started = 0.0

    def start(self, key: Any, default: float) -> float:
        """The limit of the probe the child starts now (0: the child must skip it)."""
        item = self._item(key)
        self.started = self.clock()
        return self.budget.limit(item.get("function", ""), item.get("seconds") or default)

    def finish(self, key: Any, record: dict[str, Any], killed: bool = False) -> None:
        item = self._item(key)
        timed_out = killed or bool(record.get("deadline")) or record.get("reason") == "timeout"
        self.budget.spent(item.get("function", ""), self.clock() - self.started, timed_out)

    def _item(self, key: Any) -> dict[str, Any]:
        """The planned probe a key from the child names (any JSON value: it may be hostile)."""
        return self.probes.get(key, {}) if isinstance(key, str) else {}
