"""The table of check kinds (pack/kinds.py) and its two halves: every kind is complete and the
plan reads the table. (That the child's half loads without the judges: test_check_kinds.py.)"""
from __future__ import annotations

import inspect

from grader.judge.kinds import JUDGES
from grader.observe.kinds import OBSERVERS
from grader.pack.kinds import COMMON_FIELDS, KINDS
from grader.pack.probes import probes_for
from unit.fakes import check, exercise


def test_every_kind_has_a_judge_and_every_per_case_kind_an_observe_step():
    assert set(JUDGES) == set(KINDS)
    assert set(OBSERVERS) == {name for name, kind in KINDS.items() if kind.per_case}
    for name, kind in KINDS.items():
        parameters = list(inspect.signature(JUDGES[name]).parameters)
        expected = (["exercise", "check", "case", "item", "observation", "evidence"] if kind.per_case
                    else ["exercise", "check", "evidence"])
        assert parameters == expected, name


def test_a_kinds_own_keys_and_flags_are_consistent():
    for name, kind in KINDS.items():
        assert not set(kind.fields) & set(COMMON_FIELDS), name
        assert set(kind.input_keys) <= set(kind.fields), name
        assert set(kind.nested) <= set(kind.fields), name
        assert kind.track in ("", "wrt", "tensors"), name
        assert not (kind.reference and not kind.per_case), name


def test_the_plan_has_one_probe_per_case_of_each_per_case_check_only():
    planned = probes_for(exercise(check("value", index=0), check("control_flow", index=1),
                                  check("figure", index=2), check("raises", index=3)))
    assert [(p.check, p.kind) for p in planned] == [(0, "value"), (3, "raises")]
