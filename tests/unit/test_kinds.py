"""The table of check kinds (pack/kinds.py) and its two halves: every kind is complete and the
plan reads the table. (That the child's half loads without the judges: test_check_kinds.py.)"""
from __future__ import annotations

import inspect

import torch

from grader.judge.kinds import JUDGES
from grader.judge.outcome import failure, when_returned
from grader.judge.verdict import PASS
from grader.observe.kinds import OBSERVERS
from grader.pack.kinds import COMMON_FIELDS, KINDS, Kind
from grader.pack.load import load_pack
from grader.pack.probes import probes_for
from grader.pack.rules import is_bool
from unit.fakes import check, exercise, graded, pack_folder


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


def test_a_new_kind_is_its_line_and_its_two_halves_and_nothing_else(monkeypatch, tmp_path):
    """Registered as docs/instructors.md says, a kind is loaded from YAML, planned, observed and
    judged by the code that is already there."""
    kind = Kind("finite", {"nan_ok": is_bool}, observe="finite", judge="finite")
    monkeypatch.setitem(KINDS, "finite", kind)
    monkeypatch.setitem(OBSERVERS, "finite", lambda call: {"finite": bool(torch.isfinite(call.result).all())})

    @when_returned
    def judge(exercise, check, case, item, observation, evidence):
        return PASS if observation["finite"] else failure("mismatch", "The result has NaN or inf.")
    monkeypatch.setitem(JUDGES, "finite", judge)

    exercise_yaml = ("id: ex\nfunction: f\ninputs:\n  x: {shape: [3]}\n"
                     "checks:\n  - {kind: finite, nan_ok: false, points: 2}\n")
    pack = load_pack(pack_folder(tmp_path, exercise_yaml))
    (loaded,) = pack.exercises[0].checks
    assert (loaded.kind, loaded.options) == ("finite", {"nan_ok": False})
    finite = exercise(loaded)
    assert graded(finite, lambda x: x.exp(), lambda x: x).score == 2.0
    result = graded(finite, lambda x: x / 0.0, lambda x: x)
    assert (result.score, [d.message for d in result.diagnoses]) == (0.0, ["The result has NaN or inf."])
    assert graded(finite, lambda x: x.nope(), lambda x: x).diagnoses[0].code == "function-raised"
