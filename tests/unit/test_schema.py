"""Every schema rule, fed a wrong value through `load_pack`, names file:line:column, the field
and what is wrong, and never crashes the loader (no torch, no child: this is the fast tier)."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.pack.config import load_settings
from grader.errors import PackError
from grader.pack.load import load_pack
from unit.fakes import pack_folder

HEAD = """\
id: ex
function: f
inputs:
  x: {shape: [3]}
"""
CHECKS = "checks:\n  - {kind: value, points: 1}\n"


def _problems(tmp_path: Path, exercise_yaml: str) -> list[str]:
    with pytest.raises(PackError) as caught:
        load_pack(pack_folder(tmp_path, exercise_yaml))
    return [str(p) for p in caught.value.problems]


# (rule, the exercise file, the one problem it must produce)
WRONG_VALUES = [
    ("is_str", HEAD + "checks:\n  - {kind: value, points: 1, name: 3}\n",
     "exercises/ex.yaml:6:30: checks[0].name: must be a string (got 3, a int)"),
    ("is_bool", HEAD + "require_autograd: 1\n" + CHECKS,
     "exercises/ex.yaml:5:1: require_autograd: must be true or false (got 1, a int)"),
    ("is_number", HEAD + "checks:\n  - {kind: value, points: two}\n",
     "exercises/ex.yaml:6:19: checks[0].points: must be a number (got 'two', a str)"),
    ("non_negative", HEAD + "rtol: -0.1\natol: 0\n" + CHECKS,
     "exercises/ex.yaml:5:1: rtol: must be >= 0 (got -0.1)"),
    ("one_of strings (dtype)", "id: ex\nfunction: f\ninputs:\n  x: {shape: [3], dtype: float16}\n" + CHECKS,
     "exercises/ex.yaml:4:19: inputs.x.dtype: must be one of float32, float64, int64, int32, bool "
     "(got 'float16', a str)"),
    ("one_of strings (kind)", HEAD + "checks:\n  - {kind: valu, points: 1}\n",
     "exercises/ex.yaml:6:6: checks[0].kind: must be one of value, grad, input_grad, raises, "
     "properties, differentiable, gradcheck, control_flow, figure (got 'valu', a str)"),
    ("one_of integers (order 3)", HEAD + "checks:\n  - {kind: grad, wrt: [x], order: 3, points: 1}\n",
     "exercises/ex.yaml:6:28: checks[0].order: must be one of 1, 2 (got 3, a int)"),
    ("one_of integers (order true)", HEAD + "checks:\n  - {kind: grad, wrt: [x], order: true, points: 1}\n",
     "exercises/ex.yaml:6:28: checks[0].order: must be one of 1, 2 (got True, a bool)"),
    ("list_of (not a list)", HEAD + "defines: f\n" + CHECKS,
     "exercises/ex.yaml:5:1: defines: must be a list (got 'f', a str)"),
    ("list_of (a wrong item)", HEAD + "defines: [f, 2]\n" + CHECKS,
     "exercises/ex.yaml:5:1: defines: item 1 must be a Python name (got 2, a int)"),
    ("is_int", "id: ex\nfunction: f\ninputs:\n  x: {shape: [3, -1]}\n" + CHECKS,
     "exercises/ex.yaml:4:7: inputs.x.shape: item 1 must be a non-negative integer (got -1, a int)"),
    ("is_int (seed)", HEAD + "cases:\n  - {seed: 1.5}\n" + CHECKS,
     "exercises/ex.yaml:6:6: cases[0].seed: must be a non-negative integer (got 1.5, a float)"),
    ("is_regex", HEAD + CHECKS + "errors:\n  - {match: '([', code: dot-2d}\n",
     "exercises/ex.yaml:8:6: errors[0].match: is not a valid regular expression "
     "(unterminated character set at position 1)"),
    ("is_expression", "id: ex\nfunction: f\ninputs:\n  g: {fn: 'os.system(x)'}\n" + CHECKS,
     "exercises/ex.yaml:4:7: inputs.g.fn: uses the name 'os'; only x, torch and math are known: "
     "'os.system(x)'"),
    ("is_identifier", HEAD.replace("function: f", "function: my-f") + CHECKS,
     "exercises/ex.yaml:2:1: function: must be a Python name (got 'my-f', a str)"),
    ("is_dotted", HEAD + "forbid: [torch..cos]\n" + CHECKS,
     "exercises/ex.yaml:5:1: forbid: item 0 must be a dotted name such as torch.cos "
     "(got 'torch..cos', a str)"),
    ("unknown key", HEAD + "titel: Ex\n" + CHECKS, None),
    ("required key", HEAD + "checks:\n  - {kind: value}\n",
     "exercises/ex.yaml:6:5: checks[0].points: is required"),
    ("a kind's own key on another kind", HEAD + "checks:\n  - {kind: value, wrt: [x], points: 1}\n",
     "exercises/ex.yaml:6:19: checks[0].wrt: unknown key 'wrt' (known: atol, exact_dtype, function, "
     "kind, name, points, rtol, trace)"),
    ("a kind that is not a string", HEAD + "checks:\n  - {kind: [value], points: 1}\n",
     "exercises/ex.yaml:6:6: checks[0].kind: must be one of value, grad, input_grad, raises, "
     "properties, differentiable, gradcheck, control_flow, figure (got ['value'], a list)"),
    ("input_keys (an input the exercise lacks)", HEAD + "checks:\n  - {kind: grad, wrt: [x, y], points: 1}\n",
     "exercises/ex.yaml:6:5: checks[0]: names the input 'y', which the exercise lacks"),
    ("nested (an unknown property)", HEAD + "checks:\n  - {kind: properties, expect: {is_leef: true}, points: 1}\n",
     "exercises/ex.yaml:6:33: checks[0].expect.is_leef: unknown key 'is_leef' (known: grad_fn, "
     "is_leaf, requires_grad)"),
    ("nested (not a mapping)", HEAD + "checks:\n  - {kind: properties, expect: [is_leaf], points: 1}\n",
     "exercises/ex.yaml:6:32: checks[0].expect: must be a mapping (got ['is_leaf'], a list)"),
]


@pytest.mark.parametrize("rule, text, expected", WRONG_VALUES, ids=[w[0] for w in WRONG_VALUES])
def test_a_wrong_value_is_a_located_pack_problem(tmp_path, rule, text, expected):
    problems = _problems(tmp_path, text)
    if expected is None:  # the known keys are listed in full: check the head and the typo only
        assert len(problems) == 1 and problems[0].startswith(
            "exercises/ex.yaml:5:1: titel: unknown key 'titel' (known: atol, cases, checks,")
        return
    assert problems == [expected]


def test_order_3_is_a_pack_error_not_a_type_error(tmp_path):
    """The bug of issue 13: one_of(1, 2) joined integers as strings and raised TypeError."""
    text = HEAD + "checks:\n  - {kind: grad, wrt: [x], order: 3, points: 1}\n"
    with pytest.raises(PackError, match=r"1 problem in the exercise pack"):
        load_pack(pack_folder(tmp_path, text))


def test_order_1_and_2_are_accepted(tmp_path):
    text = HEAD + "checks:\n  - {kind: grad, wrt: [x], order: 2, points: 1}\n"
    pack = load_pack(pack_folder(tmp_path, text))
    assert pack.exercises[0].checks[0].options == {"wrt": ["x"], "order": 2}


@pytest.mark.parametrize("text, expected", [
    ("isolation: sometimes\n", "config.yaml:1:1: isolation: must be one of auto, none (got 'sometimes', a str)"),
    ("feedback: {detail: terse}\n",
     "config.yaml:1:12: feedback.detail: must be one of full, summary (got 'terse', a str)"),
    ("limits:\n  cell_seconds: -1\n", "config.yaml:2:3: limits.cell_seconds: must be >= 0 (got -1)"),
    ("stub_modules: [d2l, 'a b']\n",
     "config.yaml:1:1: stub_modules: item 1 must be a dotted name such as torch.cos (got 'a b', a str)"),
])
def test_config_rules_name_their_place(tmp_path, monkeypatch, text, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text(text)
    with pytest.raises(PackError) as caught:
        load_settings(Path("config.yaml"))
    assert [str(p) for p in caught.value.problems] == [expected]
