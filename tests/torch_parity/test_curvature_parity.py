"""The curvature lesson's Hessians against torch.autograd.functional (torch 2.13.0), float64
and float32: the regression loss, softmax + cross-entropy (with and without label
smoothing), the AND gate's sigmoid + BCE; the Hessian-vector product along the all-ones
vector; the training the lesson's factors are measured on, replayed with torch.optim.SGD.

Tolerance (helpers.assert_close): relative 1e-12 in float64, 1e-5 in float32.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons import binary, curvature, multiclass, regression
from minigrad.lessons._common import quiet
from tests.torch_parity.helpers import assert_close

DTYPES = {"float64": np.float64, "float32": np.float32}


def torch_dtype(torch, dtype):
    return {"float64": torch.float64, "float32": torch.float32}[dtype]


def theirs(torch, fn, x, dtype):
    """torch's Hessian of fn at x, flattened to (n, n)."""
    h = torch.autograd.functional.hessian(fn, torch.tensor(np.asarray(x), dtype=torch_dtype(torch, dtype)))
    return h.numpy().reshape(np.size(x), np.size(x))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("w", [regression.INITIAL_W, -3.0, 2.0])
def test_regression_hessian(torch, dtype, w):
    t = torch_dtype(torch, dtype)
    x, y = torch.tensor(regression.X, dtype=t), torch.tensor(regression.Y, dtype=t)
    expected = theirs(torch, lambda v: torch.nn.functional.mse_loss(x * v, y), [w], dtype)
    mine = curvature.hessian(curvature.regression_loss, mg.tensor([w], dtype=curvature.dtype_of(dtype)))
    assert mine.dtype == DTYPES[dtype]
    assert_close(mine, expected, DTYPES[dtype], "d2L/dw2")


def lesson_logits():
    run = multiclass.softmax_regression(epochs=1, out=quiet)
    return np.asarray(multiclass.X) @ run.initial["weight"].T + run.initial["bias"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("label_smoothing", [0.0, curvature.SMOOTHING])
@pytest.mark.parametrize("case", ["001", "lesson 3", "t = 5 on the ray"])
def test_cross_entropy_hessian(torch, dtype, label_smoothing, case):
    logits, target = {"001": ([curvature.LOGITS_001], [0]),
                      "lesson 3": (lesson_logits(), multiclass.CLASSES),
                      "t = 5 on the ray": ([[5.0, 0.0, 0.0]], [0])}[case]
    expected = theirs(torch, lambda z: torch.nn.functional.cross_entropy(z, torch.tensor(target),
                                                                          label_smoothing=label_smoothing),
                      logits, dtype)
    mine = curvature.cross_entropy_hessian(logits, target, label_smoothing=label_smoothing, dtype=dtype)
    assert_close(mine, expected, DTYPES[dtype], "d2 CE / dz2")


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_all_ones_direction_is_flat(torch, dtype):
    t = torch_dtype(torch, dtype)
    z = torch.tensor([curvature.LOGITS_001], dtype=t)
    _, expected = torch.autograd.functional.hvp(lambda v: torch.nn.functional.cross_entropy(v, torch.tensor([0])),
                                                z, torch.ones(1, 3, dtype=t))
    ours = mg.tensor([curvature.LOGITS_001], dtype=curvature.dtype_of(dtype))
    _, mine = mg.autograd.functional.hvp(curvature.cross_entropy_of([0]), ours, mg.ones(1, 3, dtype=ours.dtype))
    assert_close(mine.data, expected.numpy(), DTYPES[dtype], "H 1")
    assert np.max(np.abs(mine.data)) < 10 * np.finfo(DTYPES[dtype]).eps


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("theta", [[0.1257, -0.1321, 0.0], [0.0, 0.0, 0.0], [4.0, 4.0, -6.0]])
def test_and_gate_hessian(torch, dtype, theta):
    """torch's double backward of binary_cross_entropy divides by (p + 1e-12)^2 (1 - p + 1e-12)^2
    (its eps, FunctionsManual.cpp), so in float64 it is off by about 1e-12 (1/p + 1/(1 - p))
    relative: 8e-12 at p = 1/2. Hence 1e-10 here in float64, and the exact formula
    X^T diag(p (1 - p)) X / N to 1e-13 beside it."""
    t = torch_dtype(torch, dtype)
    x = torch.tensor(np.c_[binary.X, np.ones(4)], dtype=t)
    y = torch.tensor(binary.Y, dtype=t)
    expected = theirs(torch, lambda v: torch.nn.functional.binary_cross_entropy((x @ v).sigmoid(), y), theta, dtype)
    mine = curvature.hessian(curvature.and_gate_loss(dtype), mg.tensor(theta, dtype=curvature.dtype_of(dtype)))
    if dtype == "float64":
        np.testing.assert_allclose(mine, expected, rtol=1e-10)
        np.testing.assert_allclose(mine, curvature.irls_hessian(theta), rtol=1e-13)
    else:
        assert_close(mine, expected, DTYPES[dtype], "d2 BCE / dtheta2")


@pytest.mark.parametrize("lr", [0.03, 0.05, 0.1])
def test_the_measured_factors_come_from_the_same_training_as_torchs(torch, lr):
    row = curvature.stability_row(lr, curvature.regression_hessian(), epochs=12)
    w = torch.tensor([[regression.INITIAL_W]], dtype=torch.float64, requires_grad=True)
    x = torch.tensor(np.reshape(regression.X, (-1, 1)), dtype=torch.float64)
    y = torch.tensor(np.reshape(regression.Y, (-1, 1)), dtype=torch.float64)
    optimizer = torch.optim.SGD([w], lr=lr)
    weights = [w.item()]
    for _ in range(12):
        loss = torch.nn.functional.mse_loss(x @ w.T, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        weights.append(w.item())
    assert_close(np.asarray(row.weights), np.asarray(weights), np.float64, "w per epoch")
    errors = np.asarray(weights) - 2
    assert errors[1] / errors[0] == pytest.approx(row.factor, rel=1e-12)
