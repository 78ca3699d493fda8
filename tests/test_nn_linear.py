"""nn.Linear, nn.Identity, nn.Flatten and the activation modules."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


def test_linear_shapes_and_value():
    layer = nn.Linear(3, 2)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    out = layer(mg.tensor(x))
    assert out.shape == (5, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out.data, x @ layer.weight.data.T + layer.bias.data, rtol=1e-6)


def test_linear_known_numbers_and_batched_input():
    layer = nn.Linear(2, 1, dtype=mg.float64)
    layer.load_state_dict({"weight": [[2.0, -1.0]], "bias": [0.5]})
    out = layer(mg.tensor([[1.0, 3.0], [0.0, 0.0]], dtype=mg.float64))
    np.testing.assert_array_equal(out.data, [[2 - 3 + 0.5], [0.5]])
    batched = layer(mg.ones(4, 3, 2, dtype=mg.float64))  # (..., in_features)
    assert batched.shape == (4, 3, 1)
    np.testing.assert_array_equal(batched.data, np.full((4, 3, 1), 1.5))


def test_linear_gradients():
    layer = nn.Linear(3, 2, dtype=mg.float64)
    x = np.random.default_rng(1).normal(size=(4, 3))
    upstream = np.random.default_rng(2).normal(size=(4, 2))
    layer(mg.tensor(x)).backward(mg.tensor(upstream))
    np.testing.assert_allclose(layer.weight.grad.data, upstream.T @ x, rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad.data, upstream.sum(axis=0), rtol=1e-12)


def test_linear_without_bias_and_float64():
    layer = nn.Linear(4, 3, bias=False, dtype=mg.float64)
    assert layer.bias is None and layer.weight.dtype == np.float64
    x = mg.randn(2, 4).double()
    np.testing.assert_allclose(layer(x).data, x.data @ layer.weight.data.T, rtol=1e-12)
    assert repr(layer) == "Linear(in_features=4, out_features=3, bias=False)"


def test_linear_bad_arguments():
    with pytest.raises(TypeError, match="in_features"):
        nn.Linear(2.0, 3)
    with pytest.raises(ValueError, match="out_features"):
        nn.Linear(2, -1)
    with pytest.raises(TypeError, match="floating"):
        nn.Linear(2, 3, dtype=mg.int64)
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\).*\(4, 3\)"):
        nn.Linear(2, 3)(mg.randn(4, 3))


@pytest.mark.parametrize("in_features", [1, 3, 64])
def test_linear_init_bound_is_one_over_sqrt_fan_in(in_features):
    mg.manual_seed(in_features)
    layer = nn.Linear(in_features, 4000)
    bound = 1 / math.sqrt(in_features)
    for p in (layer.weight, layer.bias):
        values = p.data.astype(np.float64)
        assert np.all(np.abs(values) <= bound * (1 + 1e-7))  # float32 rounding of the bound
        # 4000+ uniform draws: the largest |value| is within 0.5% of the bound (a draw
        # misses that band with probability 0.995**4000 < 1e-8), so a wrong bound fails.
        assert np.max(np.abs(values)) > 0.995 * bound
        assert abs(values.mean()) < 5 * bound / math.sqrt(3 * values.size)  # centred


def test_linear_with_zero_inputs_has_zero_bias():
    layer = nn.Linear(0, 3)
    assert layer.weight.shape == (3, 0)
    np.testing.assert_array_equal(layer.bias.data, np.zeros(3))


def test_linear_init_is_reproducible_with_manual_seed():
    mg.manual_seed(42)
    a = nn.Linear(5, 4)
    mg.manual_seed(42)
    b = nn.Linear(5, 4)
    c = nn.Linear(5, 4)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(b.weight.data, c.weight.data)


def test_identity():
    x = mg.randn(3, 2)
    assert nn.Identity()(x) is x
    assert nn.Identity(54, unused="x")(x) is x
    assert repr(nn.Identity()) == "Identity()"


@pytest.mark.parametrize("start, end, shape", [
    (1, -1, (2, 60)), (0, -1, (120,)), (1, 2, (2, 12, 5)), (-2, -1, (2, 3, 20)), (2, 2, (2, 3, 4, 5)),
])
def test_flatten(start, end, shape):
    data = np.arange(120.0).reshape(2, 3, 4, 5)
    out = nn.Flatten(start, end)(mg.tensor(data))
    assert out.shape == shape
    np.testing.assert_array_equal(out.data, data.reshape(shape))


def test_flatten_gradient_and_repr():
    x = mg.randn(2, 3, 4, requires_grad=True)
    (nn.Flatten()(x) * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((2, 3, 4), 2.0))
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


X = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0], [1.0, 2.0, -1.0, 0.25, -4.0]])


def _softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


@pytest.mark.parametrize("module, expected", [
    (nn.ReLU(), np.maximum(X, 0)),
    (nn.Sigmoid(), 1 / (1 + np.exp(-X))),
    (nn.Tanh(), np.tanh(X)),
    (nn.Softmax(dim=1), _softmax(X, 1)),
    (nn.Softmax(dim=0), _softmax(X, 0)),
    (nn.LogSoftmax(dim=1), np.log(_softmax(X, 1))),
    (nn.LogSoftmax(dim=-2), np.log(_softmax(X, 0))),
], ids=lambda v: repr(v) if isinstance(v, nn.Module) else "")
def test_activation_values(module, expected):
    out = module(mg.tensor(X))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-15)


def test_softmax_rows_sum_to_one_and_dim_is_required():
    out = nn.Softmax(dim=1)(mg.randn(4, 7))
    np.testing.assert_allclose(out.data.sum(axis=1), np.ones(4), rtol=1e-6)
    with pytest.raises(TypeError):
        nn.Softmax()
    with pytest.raises(TypeError):
        nn.LogSoftmax()


def test_activation_reprs():
    assert [repr(m) for m in (nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.Softmax(1), nn.LogSoftmax(dim=0))] == [
        "ReLU()", "Sigmoid()", "Tanh()", "Softmax(dim=1)", "LogSoftmax(dim=0)"]


def test_activations_have_no_parameters():
    for module in (nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.Softmax(1), nn.LogSoftmax(1),
                   nn.Identity(), nn.Flatten()):
        assert list(module.parameters()) == [] and module.state_dict() == {}
