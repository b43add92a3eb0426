"""Each check kind's judge on real torch results observed in-process (tests/unit/fakes.py):
the score, the diagnosis code and the sentence a student reads."""
from __future__ import annotations

import torch

from grader.pack.load import Case, DiagnosisRule, ErrorRule
from grader.judge.grade import grade_exercise
from unit.fakes import SolutionFunctions, X3, cells, check, evidence, exercise, graded


def square(x):
    return x ** 2


def only(result):
    (diagnosis,) = result.diagnoses
    return diagnosis


def test_a_right_value_scores_every_point():
    result = graded(exercise(check("value", points=2)), lambda x: x * x, square)
    assert (result.score, result.status, result.diagnoses) == (2.0, "passed", ())


def test_a_wrong_value_shows_assert_close_numbers_and_the_worst_elements():
    result = graded(exercise(check("value")), lambda x: x ** 2 + 0.5, square)
    diagnosis = only(result)
    assert (result.score, result.status, diagnosis.code) == (0.0, "failed", "mismatch")
    assert diagnosis.message == "The values differ from the expected ones."
    assert diagnosis.case == "x: float32[3]"
    assert "Mismatched elements: 3 / 3 (100.0%)" in diagnosis.details
    assert "Greatest absolute difference: 0.5" in diagnosis.details
    assert "index" in diagnosis.details and "abs diff" in diagnosis.details


def test_one_wrong_case_of_two_gives_half_the_points():
    cases = (Case(0, X3, seed=1), Case(1, {"x": {"values": [0.0, 0.0]}}, seed=2))
    result = graded(exercise(check("value", points=2), cases=cases), lambda x: x * x.abs().max(), square)
    assert (result.score, result.status) == (1.0, "partial")
    assert only(result).case == "x: float32[3]"


def test_a_hidden_case_keeps_its_details_from_the_student():
    cases = (Case(0, X3, seed=1), Case(1, X3, hidden=True, seed=2))
    result = graded(exercise(check("value"), cases=cases), lambda x: x, square)
    public, hidden = result.diagnoses
    assert public.details and not public.hidden
    assert (hidden.case, hidden.details, hidden.hidden) == ("a hidden case", "", True)


def test_wrong_shape_is_never_coerced():
    diagnosis = only(graded(exercise(check("value")), lambda x: (x ** 2).reshape(3, 1), square))
    assert diagnosis.code == "shape-mismatch"
    assert diagnosis.details == "result has shape [3, 1], expected [3]."


def test_a_known_wrong_answer_gets_the_exercise_hint():
    def forgets_zero(x):
        return 4 * x, 4 * x + 1

    rule = DiagnosisRule("grad-accumulation", like="forgets_zero", at="result[1]",
                         hint="Call x.grad.zero_() before the second backward().")
    diagnosis = only(graded(exercise(check("value"), diagnoses=(rule,)),
                            forgets_zero, lambda x: (4 * x, torch.ones_like(x)), forgets_zero=forgets_zero))
    assert diagnosis.code == "grad-accumulation"
    assert diagnosis.message == "Call x.grad.zero_() before the second backward()."
    assert "result[1] differs" in diagnosis.details and "result[0]" not in diagnosis.details


def test_a_transposed_jacobian_is_named():
    matrix = {"x": {"shape": [2, 3]}}
    diagnosis = only(graded(exercise(check("value"), cases=(Case(0, matrix, seed=3),)),
                            lambda x: x.T, lambda x: x))
    assert diagnosis.code == "transposed"
    square_input = (Case(0, {"x": {"shape": [3, 3]}}, seed=3),)
    diagnosis = only(graded(exercise(check("value"), cases=square_input), lambda x: x.T, lambda x: x))
    assert diagnosis.code == "transposed"
    assert diagnosis.message.startswith("The result is the transpose of the expected one")


def test_only_the_hessian_diagonal_right_is_named():
    square_input = (Case(0, {"x": {"shape": [3, 3]}}, seed=3),)
    diagnosis = only(graded(exercise(check("value"), cases=square_input),
                            lambda x: torch.diag(torch.diagonal(x + x.T)), lambda x: x + x.T))
    assert diagnosis.code == "hessian-diagonal"


def test_grad_of_a_detached_result_is_no_grad_tracking_with_the_students_error():
    diagnosis = only(graded(exercise(check("grad", wrt=["x"])), lambda x: (x ** 2).detach(), square))
    assert diagnosis.code == "no-grad-tracking"
    assert diagnosis.message.startswith("The result does not depend on the input through autograd")
    assert "does not require grad and does not have a grad_fn" in diagnosis.details


def test_second_order_gradient_is_checked_separately_from_the_first():
    def cube(x):
        return x ** 3

    def first_order_only(x):  # right value and first derivative, no graph for the second
        return x * (3 * x * x).detach() - 2 * x.detach() ** 3

    first = graded(exercise(check("grad", wrt=["x"])), first_order_only, cube)
    second = graded(exercise(check("grad", wrt=["x"], order=2)), first_order_only, cube)
    assert first.status == "passed"
    assert (second.status, only(second).code) == ("failed", "no-grad-tracking")
    assert only(second).details == ("RuntimeError: element 0 of tensors does not require grad "
                                    "and does not have a grad_fn")


def test_an_error_in_the_students_call_is_looked_up_in_the_error_table():
    matrix = (Case(0, {"x": {"shape": [2, 2]}}, seed=1),)
    diagnosis = only(graded(exercise(check("value"), cases=matrix), lambda x: torch.dot(x, x),
                            lambda x: (x * x).sum()))
    assert diagnosis.code == "dot-2d"
    assert diagnosis.message.startswith("torch.dot only takes 1-D tensors")
    assert diagnosis.details.startswith("RuntimeError: 1D tensors expected")


def test_an_exercise_error_rule_wins_over_the_table():
    rule = ErrorRule(match=r"1D tensors expected", code="function-raised", hint="Use x @ x here.")
    matrix = (Case(0, {"x": {"shape": [2, 2]}}, seed=1),)
    diagnosis = only(graded(exercise(check("value"), cases=matrix, errors=(rule,)),
                            lambda x: torch.dot(x, x), lambda x: (x * x).sum()))
    assert (diagnosis.code, diagnosis.message) == ("function-raised", "Use x @ x here.")


def test_raises_wants_the_named_error_with_its_message():
    def checked(x):
        if (x < 100).all():
            raise ValueError("x must be large")
        return x

    want = check("raises", error="ValueError", match="large")
    assert graded(exercise(want), checked, checked).status == "passed"
    wrong = only(graded(exercise(want), lambda x: int("a"), checked))
    assert wrong.code == "wrong-error"
    assert wrong.message.startswith("The call raised ValueError: invalid literal for int()")
    assert wrong.message.endswith("but ValueError matching “large” was expected.")
    quiet = only(graded(exercise(want), lambda x: x, checked))
    assert quiet.message == ("The call returned normally, but this exercise expects it to raise "
                             "ValueError (“large”).")


def test_properties_finds_a_non_leaf():
    leaf = check("properties", expect={"is_leaf": True})
    result = graded(exercise(leaf), lambda x: (x * 2).requires_grad_(True) * 1, square)
    diagnosis = only(result)
    assert diagnosis.code == "not-a-leaf" and diagnosis.details == "The result has grad_fn=MulBackward0."
    assert graded(exercise(leaf), lambda x: x.detach().requires_grad_(True), square).status == "passed"


def test_differentiable_rejects_a_constant():
    diagnosis = only(graded(exercise(check("differentiable")), lambda x: torch.ones(3), square))
    assert diagnosis.code == "no-grad-tracking"
    assert "it does not require grad" in diagnosis.message


def test_gradcheck_catches_a_hand_written_backward_that_lies():
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x  # forgets the 2

    diagnosis = only(graded(exercise(check("gradcheck")), Square.apply, square))
    assert diagnosis.code == "gradcheck-failed"
    assert diagnosis.message == "Autograd's gradient of `f` disagrees with finite differences."
    assert "finite-difference" in diagnosis.details and "expected" not in diagnosis.details
    assert graded(exercise(check("gradcheck")), square, square).status == "passed"


def test_control_flow_is_read_from_the_source():
    source = cells("def f(x):\n    return x\n")
    diagnosis = only(graded(exercise(check("control_flow")), lambda x: x, square, source))
    assert diagnosis.code == "no-control-flow"
    looping = cells("def f(x):\n    while x.norm() < 10:\n        x = x * 2\n    return x\n")
    assert graded(exercise(check("control_flow")), lambda x: x, square, looping).status == "passed"


def test_a_missing_function_suggests_the_near_name():
    ex = exercise(check("value"), check("grad", index=1, wrt=["x"]))
    solutions = SolutionFunctions(f=square)
    result = grade_exercise(ex, evidence(ex, None, solutions, names=[{"name": "ff", "callable": True}]), ())
    assert (result.status, result.score) == ("missing", 0)
    assert only(result).message == ("`f` is not defined. Did you mean `ff`? You defined that. "
                                     "Define a function named exactly `f`.")


def test_typographic_quotes_name_the_character_and_its_ascii():
    source = cells("def f(x):\n    print(\u201chi\u201d)\n    return x\n")
    result = graded(exercise(check("value")), None, square, source)
    diagnosis = only(result)
    assert (result.status, diagnosis.code) == ("error", "typographic-characters")
    assert diagnosis.message.startswith("cell 1 (`def f(x):`) contains a curly opening quote “ at line 2: "
                                        "`print(“hi”)`.")
    assert diagnosis.message.endswith("so type `\"` instead.")


def test_a_forbidden_call_blocks_the_whole_exercise():
    source = cells("import numpy as np\ndef f(x):\n    return np.square(x)\n")
    result = graded(exercise(check("value"), check("grad", index=1, wrt=["x"]), forbid=("numpy",)),
                    square, square, source)
    assert result.score == 0 and [c.cases_passed for c in result.checks] == [0, 0]
    assert only(result).message == ("This exercise rules out numpy in cell 1 (`import numpy as np`), line 3. "
                                    "Compute it another way, as the exercise asks.")


def test_a_timed_out_probe_is_an_error_not_a_wrong_answer():
    ex = exercise(check("value"))
    died = {"ex/0/0": {"outcome": "died", "reason": "timeout", "detail": "ran past its 10 s limit"}}
    result = grade_exercise(ex, evidence(ex, square, SolutionFunctions(f=square), probes=died), ())
    assert (result.status, only(result).code, only(result).message) == (
        "error", "timeout", "The code ran past its 10 s limit.")
