"""The activations against torch 2.13.0: ReLU where its mask decides (at 0, -0.0, NaN and the
infinities); leaky_relu, softplus and gelu (values, gradients, extremes, kinks, errors) below.

ReLU: torch blocks the gradient where relu(x) <= 0; NaN <= 0 is false, so at a NaN the gradient
passes. minigrad once multiplied by (y > 0), which is false at NaN too, and gave 0.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad.gradcheck import KinkWarning
from minigrad.testing import difference
from tests.torch_parity.helpers import compare

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


# ---- leaky_relu, softplus, gelu: values and gradients, float32 and float64 -------------------

NEW_ACTIVATIONS = {
    "leaky_relu": lambda lib, x: lib.nn.functional.leaky_relu(x),
    "leaky_relu_slope_0.2": lambda lib, x: lib.nn.functional.leaky_relu(x, negative_slope=0.2),
    "leaky_relu_slope_-1.5": lambda lib, x: lib.nn.functional.leaky_relu(x, -1.5),
    "softplus": lambda lib, x: lib.nn.functional.softplus(x),
    "softplus_beta_2_threshold_5": lambda lib, x: lib.nn.functional.softplus(x, beta=2.0, threshold=5.0),
    "softplus_beta_0.5": lambda lib, x: lib.nn.functional.softplus(x, beta=0.5),
    "gelu": lambda lib, x: lib.nn.functional.gelu(x),
    "gelu_tanh": lambda lib, x: lib.nn.functional.gelu(x, approximate="tanh"),
    "LeakyReLU_module": lambda lib, x: lib.nn.LeakyReLU(0.3)(x),
    "Softplus_module": lambda lib, x: lib.nn.Softplus(beta=3, threshold=4)(x),
    "GELU_module": lambda lib, x: lib.nn.GELU()(x),
    "GELU_tanh_module": lambda lib, x: lib.nn.GELU("tanh")(x),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(NEW_ACTIVATIONS))
def test_new_activations_match_torch(torch, name, dtype):
    # Wide range: the tails (softplus's linear branch, gelu's erf near +-1), and values around 0.
    x = np.random.default_rng(0).normal(scale=4.0, size=(6, 7))
    x[0, :4] = [0.5, -0.5, 12.0, -12.0]
    out = compare(torch, NEW_ACTIVATIONS[name], [x], dtype)
    assert np.ptp(out.data) > 1.0  # not a constant


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["leaky_relu", "softplus", "gelu", "gelu_tanh"])
def test_new_activations_at_extremes_match_torch(torch, name, dtype):
    """Huge, tiny, infinite and NaN inputs: the same values and gradients, NaN in the same places."""
    fn = NEW_ACTIVATIONS[name]
    x = np.array([np.nan, np.inf, -np.inf, 1e30, -1e30, 100.0, -100.0, 1e-30, -1e-30, 0.0, -0.0], dtype=dtype)
    upstream = np.linspace(0.5, 2.0, x.size).astype(dtype)
    mine = mg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out, expected = fn(mg, mine), fn(torch, theirs)
    out.backward(mg.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    results = [("value", out.data, expected.detach().numpy()), ("gradient", mine.grad.data, theirs.grad.numpy())]
    if name == "gelu" and dtype == np.float32:
        # The one documented difference (GELU's docstring): torch's float32 erf gives gelu(+inf) = NaN.
        assert out.data[1] == np.inf and np.isnan(expected.detach().numpy()[1])
        results = [(what, np.delete(a, 1), np.delete(b, 1)) for what, a, b in results]
    for what, a, b in results:
        row = difference(what, a, b, atol=1e-300, rtol=rtol)
        assert row.ok, f"{name} {what}: {row}\nminigrad {a}\ntorch    {b}"


# The kinks these ops declare (docs/kinks.md rows), each against torch 2.13.0 exactly.
KINKS = {
    "leaky_relu_at_0": (lambda lib, x: lib.nn.functional.leaky_relu(x, 0.2), [0.0, -0.0, 1e-300, -1e-300]),
    "softplus_at_threshold": (lambda lib, x: lib.nn.functional.softplus(x, beta=2.0, threshold=3.0),
                              [1.5, np.nextafter(1.5, 2.0), np.nextafter(1.5, 1.0)]),
    "softplus_default_threshold": (lambda lib, x: lib.nn.functional.softplus(x), [20.0, 20.5, 19.5]),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(KINKS))
def test_new_activation_kinks_match_torch(torch, case, dtype):
    fn, points = KINKS[case]
    x = np.array(points, dtype=dtype)
    mine = mg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    fn(mg, mine).sum().backward()
    fn(torch, theirs).sum().backward()
    np.testing.assert_allclose(mine.grad.data, theirs.grad.numpy(), rtol=1e-6 if dtype == np.float32 else 1e-15)
    if case == "leaky_relu_at_0":
        assert mine.grad.data[0] == mine.grad.data[1] == dtype(0.2)  # the slope at 0 and -0.0, as torch


def test_new_activations_gradcheck():
    """Central differences in float64, away from and across the kinks (gradcheck skips those)."""
    x = mg.tensor(np.random.default_rng(1).normal(scale=3.0, size=(4, 5)), requires_grad=True)
    F = mg.nn.functional
    for fn in (lambda t: F.leaky_relu(t, 0.1), lambda t: F.softplus(t),
               lambda t: F.softplus(t, beta=2.0, threshold=1.0), lambda t: F.gelu(t),
               lambda t: F.gelu(t, approximate="tanh")):
        assert mg.gradcheck(fn, [x])
    # At the kinks gradcheck skips the element and names the kink (docs/kinks.md), the others still count.
    at = mg.tensor([0.5, 0.0, -1.0], requires_grad=True)
    for fn, where in ((lambda t: F.softplus(t, beta=2.0, threshold=1.0), "softplus at beta x = threshold"),
                      (lambda t: F.leaky_relu(t - 0.5, 0.1), "leaky_relu at x = 0")):
        with pytest.warns(KinkWarning, match=where) as record:
            assert mg.gradcheck(fn, [at])
        assert len(record[0].message.skipped) == 1 and "element (0,)" in str(record[0].message)


def test_a_wrong_gelu_derivative_is_caught_by_gradcheck(monkeypatch):
    """The gradcheck above can fail: drop the x phi(x) term and it does."""
    from minigrad.gradcheck import GradcheckError
    from minigrad.ops import activation
    monkeypatch.setattr(activation.GELU, "backward", staticmethod(lambda ctx, grad: grad * ctx.saved_tensors[1]))
    x = mg.tensor(np.linspace(-2, 2, 7), requires_grad=True)
    with pytest.raises(GradcheckError):
        mg.gradcheck(lambda t: mg.nn.functional.gelu(t), [x])


@pytest.mark.parametrize("call, error, message", [
    (lambda F, x: F.gelu(x, approximate="exact"), RuntimeError, "approximate argument must be either none or tanh"),
    (lambda F, x: F.gelu(x, approximate=None), TypeError, "'approximate' must be str"),
    (lambda F, x: F.leaky_relu(x, "0.1"), TypeError, "argument 'negative_slope'.*must be Number"),
    (lambda F, x: F.softplus(x, beta="2"), TypeError, "'beta' must be Number"),
    (lambda F, x: F.softplus(x, threshold=None), TypeError, "'threshold' must be Number"),
])
def test_new_activation_argument_errors_are_torchs(torch, call, error, message):
    with pytest.raises(error, match=message):
        call(mg.nn.functional, mg.tensor([1.0, 2.0]))
    with pytest.raises(error, match=message):
        call(torch.nn.functional, torch.tensor([1.0, 2.0]))


@pytest.mark.parametrize("name", ["leaky_relu", "softplus", "gelu"])
def test_new_activations_refuse_integer_input(torch, name):
    with pytest.raises(TypeError, match=f"{name}: input must be float32 or float64, got int64"):
        getattr(mg.nn.functional, name)(mg.tensor([1, 2]))
    with pytest.raises(NotImplementedError):  # torch: "..." not implemented for 'Long'
        getattr(torch.nn.functional, name)(torch.tensor([1, 2]))


def test_new_activation_modules_repr_as_torch(torch):
    for mine, theirs in ((mg.nn.LeakyReLU(), torch.nn.LeakyReLU()),
                         (mg.nn.LeakyReLU(0.2, True), torch.nn.LeakyReLU(0.2, True)),
                         (mg.nn.GELU(), torch.nn.GELU()), (mg.nn.GELU("tanh"), torch.nn.GELU("tanh")),
                         (mg.nn.Softplus(), torch.nn.Softplus()), (mg.nn.Softplus(2, 10), torch.nn.Softplus(2, 10))):
        assert repr(mine) == repr(theirs)
