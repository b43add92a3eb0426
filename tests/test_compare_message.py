"""The mismatch details keep assert_close's exact wording without calling assert_close."""
from __future__ import annotations

import pytest
import torch

from grader.judge.compare import compare
from grader.observe.encode import Decoded


@pytest.mark.parametrize("got, expected", [
    (torch.tensor([1.0, 2.0, 3.5]), torch.tensor([1.0, 2.0, 3.0])),
    (torch.tensor(2.0), torch.tensor(1.0)),
    (torch.tensor([[0.0, 1.0], [2.0, 5.0]]), torch.tensor([[0.0, 1.5], [2.0, 3.0]])),
    (torch.tensor([float("nan"), 1.0]), torch.tensor([1.0, 1.0])),
])
def test_the_details_are_assert_closes_lines(got, expected):
    (mismatch,) = compare(Decoded.plain(got), Decoded.plain(expected))
    with pytest.raises(AssertionError) as raised:
        torch.testing.assert_close(got.double(), expected.double(), rtol=1.3e-6, atol=1e-5, check_dtype=False)
    wanted = [line.strip() for line in str(raised.value).splitlines()
              if line.strip() and not line.startswith("Tensor-likes")]
    assert mismatch.details.splitlines()[:len(wanted)] == wanted
