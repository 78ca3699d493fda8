"""ReLU where its mask decides: at 0, -0.0, NaN and the infinities, against torch 2.13.0.

torch blocks the gradient where relu(x) <= 0; NaN <= 0 is false, so at a NaN the gradient
passes. minigrad once multiplied by (y > 0), which is false at NaN too, and gave 0.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import difference

DTYPES = [np.float64, np.float32]
X = [np.nan, 0.0, -0.0, 1.5, -1.5, np.inf, -np.inf, 5e-324, -1e-45]


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_gradient_at_zero_and_nan(torch, dtype):
    x = np.array(X, dtype=dtype)
    upstream = np.linspace(-2.0, 3.0, x.size).astype(dtype)        # no zero: a blocked gradient shows
    mine = mg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out, expected = mine.relu(), torch.relu(theirs)
    out.backward(mg.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    for what, a, b in (("value", out.data, expected.detach().numpy()),
                       ("gradient", mine.grad.data, theirs.grad.numpy())):
        row = difference(what, a, b, atol=0.0, rtol=0.0)     # exactly torch's, NaN in the same places
        assert row.ok, str(row)
    assert mine.grad.dtype == dtype
    assert mine.grad.data[0] == upstream[0] != 0                        # the regression: NaN passes the gradient
    assert mine.grad.data[1] == mine.grad.data[2] == 0                  # 0 at 0 and at -0.0


def test_relu_module_and_function_agree_at_nan(torch):
    x = np.array([np.nan, 0.0, 2.0])
    for relu in (lambda t: t.relu(), mg.relu, mg.nn.functional.relu, mg.nn.ReLU()):
        mine = mg.tensor(x, requires_grad=True)
        relu(mine).sum().backward()
        np.testing.assert_array_equal(mine.grad.data, [1.0, 0.0, 1.0])
    theirs = torch.tensor(x, requires_grad=True)
    torch.nn.ReLU()(theirs).sum().backward()
    np.testing.assert_array_equal(theirs.grad.numpy(), [1.0, 0.0, 1.0])
