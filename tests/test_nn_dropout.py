"""nn.Dropout and F.dropout: the statistics of the mask, the scaling, reproducibility with
manual_seed, and the identity in eval mode. (Against torch: tests/torch_parity/test_nn_parity.py.)"""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_the_fraction_kept_is_one_minus_p_and_the_kept_are_scaled(p, dtype):
    mg.manual_seed(0)
    n = 200_000
    # (Not seed 0: the mask would then be drawn from the same stream as x, and correlate with it.)
    x = mg.tensor(np.random.default_rng(123).uniform(1.0, 2.0, size=n), dtype=dtype)  # no zeros of its own
    y = F.dropout(x, p)
    assert y.dtype == dtype and y.shape == x.shape
    kept = y.data != 0
    # The fraction kept is Binomial(n, 1 - p) / n: its standard deviation is sqrt(p (1 - p) / n) < 0.0012.
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)
    scale = (np.ones((), dtype) / dtype.type(1 - p)).astype(dtype)
    np.testing.assert_array_equal(y.data[kept], x.data[kept] * scale)  # exactly x / (1 - p), in the dtype
    # The expected value is kept: mean(y) - mean(x) has standard deviation < 2 sqrt(p / (1 - p) / n).
    assert abs(y.data.mean(dtype=np.float64) - x.data.mean(dtype=np.float64)) < 5 * 2 * np.sqrt(p / (1 - p) / n)


def test_manual_seed_repeats_the_mask_and_each_call_draws_a_new_one():
    x = mg.ones(1000)
    mg.manual_seed(7)
    first, second = F.dropout(x, 0.5).data, F.dropout(x, 0.5).data
    mg.manual_seed(7)
    np.testing.assert_array_equal(F.dropout(x, 0.5).data, first)
    np.testing.assert_array_equal(F.dropout(x, 0.5).data, second)
    assert not np.array_equal(first, second)
    mg.manual_seed(8)
    assert not np.array_equal(F.dropout(x, 0.5).data, first)


def test_the_gradient_uses_the_same_mask():
    mg.manual_seed(1)
    x = mg.tensor(np.linspace(1, 2, 500), requires_grad=True)
    y = F.dropout(x, 0.4)
    (y * 3).sum().backward()
    kept = y.data != 0
    assert 0 < kept.sum() < 500
    np.testing.assert_allclose(x.grad.data, np.where(kept, 3 / 0.6, 0.0), rtol=1e-15)


def test_eval_mode_is_the_identity_and_train_turns_it_back_on():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    x = mg.randn(64, 4)
    model.eval()
    assert not model[1].training
    drop = model[1]
    z = mg.randn(3, 4)
    assert drop(z) is z  # the very same tensor, as torch
    np.testing.assert_array_equal(model(x).data, model[0](x).data)
    model.train()
    assert np.mean(model(x).data == 0) > 0.3  # about half dropped again


def test_p_zero_and_p_one():
    x = mg.randn(5, 6, requires_grad=True)
    assert F.dropout(x, 0.0) is x and F.dropout(x, 0) is x
    y = F.dropout(x, 1.0)
    assert y.shape == x.shape and not np.any(y.data)
    y.sum().backward()
    assert not np.any(x.grad.data)


@pytest.mark.parametrize("p, error, match", [
    (-0.1, ValueError, "dropout probability has to be between 0 and 1, but got -0.1"),
    (1.01, ValueError, "dropout probability has to be between 0 and 1, but got 1.01"),
    ("0.5", TypeError, "dropout probability p must be a number, got str"),
    (True, TypeError, "dropout probability p must be a number, got bool"),
    (None, TypeError, "dropout probability p must be a number, got NoneType"),
])
def test_p_is_validated_by_the_module_and_the_function(p, error, match):
    with pytest.raises(error, match=match):
        nn.Dropout(p)
    with pytest.raises(error, match=match):
        F.dropout(mg.ones(3), p)


def test_bad_input():
    with pytest.raises(TypeError, match="input must be a minigrad.Tensor"):
        F.dropout(np.ones(3), 0.5)
    with pytest.raises(TypeError, match="dropout: input must be float32 or float64, got int64"):
        F.dropout(mg.tensor([1, 2, 3]), 0.5)
    empty = mg.zeros(0, 3)
    assert F.dropout(empty, 0.5) is empty


def test_inplace_writes_into_the_input_and_keeps_its_gradient_right():
    x = mg.ones(100)
    y = nn.Dropout(0.5, inplace=True)(x)
    assert repr(nn.Dropout(0.5, inplace=True)) == "Dropout(p=0.5, inplace=True)"
    assert y is x and np.any(x.data == 0) and set(np.unique(x.data)) <= {0.0, 2.0} and x._version == 1
    w = mg.ones(100, requires_grad=True)
    h = w * 3
    out = F.dropout(h, 0.5, inplace=True)
    assert out is h and h.grad_fn.name() == "MulBackward0"
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.data, h.data)   # d(3 w m / (1 - p))/dw = 3 m / (1 - p) = h at w = 1


def test_relu_and_leaky_relu_in_place_as_torch(torch):
    for inplace in (False, True):
        results = []
        for lib in (mg, torch):
            x = lib.tensor([[-1.0, 2.0], [3.0, -4.0]], dtype=lib.float64, requires_grad=True)
            y = x * 2
            a = lib.nn.functional.relu(y, inplace=inplace)
            b = lib.nn.LeakyReLU(0.1, inplace=inplace)(x * 3)
            (a * a).sum().backward()
            (b * b).sum().backward()
            results.append((a is y, x.grad.detach().numpy().copy()))
        assert results[0][0] == results[1][0] == inplace
        np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-14)
