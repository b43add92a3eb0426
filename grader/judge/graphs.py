"""Which autograd graphs a failing case carries to the report: the student's and the reference's.

A check shows them for its first failing public case only: one picture per mistake is enough,
and a hidden case's graphs would draw its hidden input's shape. The graphs are the ones both
probes already sent (observe/probe.py); nothing is run again here.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from grader.judge.outcome import Evidence
from grader.judge.verdict import Verdict
from grader.model import GraphPair
from grader.pack.kinds import KINDS
from grader.pack.load import Case, Exercise
from grader.pack.probes import Probe


def with_graphs(verdict: Verdict, earlier: list[tuple[Verdict, Any]], exercise: Exercise, case: Case,
                item: Probe, observation: dict[str, Any], evidence: Evidence) -> Verdict:
    """`verdict` with the two graphs when it is its check's first failing public case and either
    graph has a node to draw; otherwise `verdict` unchanged."""
    if verdict.ok or case.hidden or any(not v.ok and not c.hidden for v, c in earlier):
        return verdict
    mine = observation.get("graph")
    theirs = None
    if KINDS[item.kind].reference:
        theirs = evidence.references.observe(exercise, item, student=evidence.student).get("graph")
    if not any(graph and graph.get("nodes") for graph in (mine, theirs)):
        return verdict
    return replace(verdict, graphs=GraphPair(mine, theirs))
