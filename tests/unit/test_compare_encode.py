"""Values cross from child to parent as plain data (encode/decode) and are compared there the
way torch.testing.assert_close does: structure, shape, dtype, then values."""
from __future__ import annotations

import json
import math

import numpy
import torch

from grader.judge.compare import _unravel, close, compare
from grader.observe.encode import MAX_ELEMENTS, Decoded, Opaque, decode, encode


def through_the_pipe(value):
    """What the parent sees of a value the child returned."""
    return decode(json.loads(json.dumps(encode(value))))


def test_a_tensor_survives_the_trip_bit_for_bit_with_its_autograd_properties():
    x = torch.randn(2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    leaf = x.clone().requires_grad_(True)
    got = through_the_pipe(leaf * 2)
    assert isinstance(got, Decoded) and torch.equal(got.tensor, (x * 2))
    assert (got.requires_grad, got.is_leaf, got.grad_fn) == (True, False, "MulBackward0")
    assert through_the_pipe(leaf).is_leaf is True


def test_tuples_lists_numbers_none_and_ndarrays_keep_their_kind():
    got = through_the_pipe((1, 2.5, None, [torch.ones(2)], numpy.arange(3.0)))
    assert got[:3] == (1, 2.5, None) and isinstance(got[3], list)
    assert torch.equal(got[3][0].tensor, torch.ones(2))
    assert got[4].container == "ndarray" and got[4].tensor.tolist() == [0.0, 1.0, 2.0]


class Liar:
    def __repr__(self):
        raise RuntimeError("no")


class Endless(list):
    def __len__(self):
        raise RuntimeError("boom")


def test_hostile_objects_become_opaque_and_never_raise():
    assert repr(through_the_pipe(Liar())) == "<Liar: <repr raised RuntimeError>>"
    assert repr(through_the_pipe(Endless([1]))) == "<Endless: <unencodable: RuntimeError>>"
    too_big = encode(torch.zeros(MAX_ELEMENTS + 1))
    assert too_big["data"] is None and too_big["too_large"] is True


def test_malformed_records_from_the_child_are_opaque():
    assert repr(decode("tensor")) == "<malformed: ?>"
    assert repr(decode({"t": "tensor", "dtype": "float32", "shape": [2], "data": [1.0]})) == (
        "<tensor: a tensor whose data does not match its shape>")
    assert repr(decode({"t": "tensor", "dtype": "object", "shape": [1], "data": [1]})) == (
        "<tensor: a malformed tensor>")
    assert repr(decode({"t": "tensor", "dtype": "float32", "shape": [1], "data": ["os"]})) == (
        "<tensor: a tensor with non-numeric data>")
    assert decode({"t": "number", "v": "1"}).type_name == "?"


def test_equal_values_agree_and_a_float64_answer_is_accepted_for_float32():
    x = torch.linspace(0, 1, 5)
    assert compare(Decoded.plain(x.double()), Decoded.plain(x)) == []
    assert close(Decoded.plain(x + 1e-7), Decoded.plain(x))


def test_nan_is_never_equal_and_the_worst_element_is_listed_first():
    got, expected = torch.tensor([1.0, math.nan, 3.0, 4.5]), torch.tensor([1.0, 2.0, 3.0, 4.0])
    (mismatch,) = compare(Decoded.plain(got), Decoded.plain(expected))
    assert (mismatch.code, mismatch.summary) == ("mismatch", "result differs from the expected values")
    assert "Mismatched elements: 2 / 4 (50.0%)" in mismatch.details
    table = mismatch.details.splitlines()
    header = table.index(next(line for line in table if line.startswith("index")))
    assert table[header + 1].split() == ["(1,)", "nan", "2", "nan"]
    assert table[header + 2].split() == ["(3,)", "4.5", "4", "0.5"]


def test_structure_shape_and_dtype_are_checked_before_values():
    ones = Decoded.plain(torch.ones(3))
    assert [m.summary for m in compare(ones, (ones, ones))] == [
        "result is a tensor of shape [3], but a tuple of 2 values was expected"]
    assert [m.summary for m in compare((ones,), (ones, ones))] == [
        "result has 1 values, but 2 were expected"]
    assert [(m.path, m.code) for m in compare((ones, ones), (ones, Decoded.plain(torch.ones(1, 3))))] == [
        ("result[1]", "shape-mismatch")]
    integers = Decoded.plain(torch.ones(3, dtype=torch.int64))
    assert [m.summary for m in compare(integers, ones)] == [
        "result has dtype int64, expected float32"]
    assert [m.code for m in compare(Decoded.plain(torch.ones(3, dtype=torch.float64)), ones,
                                    exact_dtype=True)] == ["dtype-mismatch"]


def test_none_where_a_tensor_was_expected_is_no_grad_tracking():
    (mismatch,) = compare(None, Decoded.plain(torch.ones(2)))
    assert mismatch.code == "no-grad-tracking"
    assert mismatch.summary.startswith("result is None where a tensor was expected")


def test_numbers_use_the_given_tolerances():
    assert compare(1.0 + 1e-9, 1.0) == []
    (mismatch,) = compare(1.1, 1.0, rtol=0.0, atol=0.01)
    assert mismatch.summary == "result is 1.1, expected 1.0"
    assert mismatch.details == "absolute difference 0.1 (up to 0.01 + 0·|expected| allowed)"
    assert compare(Decoded.plain(torch.tensor([2.0])), 2.0) == []
    assert compare(Opaque("str", "'2'"), 2.0)[0].summary == "result is a str ('2'), but a number was expected"


def test_the_worst_rows_index_is_torchs_own():
    for shape in [(5,), (2, 3), (3, 1, 4), (1, 1), (2, 3, 4, 5)]:
        for flat in range(torch.Size(shape).numel()):
            assert _unravel(flat, shape) == tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), shape))
