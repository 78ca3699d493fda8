"""Degenerate batches: the documented results (docs/errors.md, "Degenerate batches").

- an empty batch: NaN for 'mean' ('batchmean'), 0 for 'sum', an empty tensor for 'none';
  the gradient is an empty array of the input's shape. Every loss.
- nothing counts towards the mean (every target equal to ignore_index, or every target's
  class weight 0): NaN for 'mean' with a zero gradient, 0 for 'sum'.
- one class (C = 1): cross_entropy is exactly 0 with a zero gradient (softmax of one logit is
  1), whatever the logit; multi_margin_loss is 0.
- one sample, one element: as torch.

Compared with torch 2.13.0 where torch defines the result (torch's multi_margin_loss
returns whatever its uninitialised output holds for an empty batch, and its gradient is NaN, 0/0, when every weight is 0).
"""
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float32, np.float64]

ELEMENTWISE = {
    "mse_loss": {}, "l1_loss": {}, "huber_loss": {}, "smooth_l1_loss": {},
    "binary_cross_entropy": {}, "binary_cross_entropy_with_logits": {}, "kl_div": {},
    "hinge_loss": {},
}
CLASS = ["cross_entropy", "nll_loss", "multi_margin_loss"]


def run(name, x, t, **kwargs):
    xm = mg.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = getattr(F, name)(xm, mg.tensor(t), **kwargs)
    out.backward(mg.ones_like(out))
    return out, xm.grad.data


def torch_run(torch, name, x, t, **kwargs):
    tx = torch.tensor(x, requires_grad=True)
    kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = getattr(torch.nn.functional, name)(tx, torch.tensor(t), **kwargs)
    out.backward(torch.ones_like(out))
    return out.detach().numpy(), tx.grad.numpy()


def expected_empty(reduction):
    return {"mean": np.nan, "batchmean": np.nan, "sum": 0.0}.get(reduction)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(ELEMENTWISE) + ["kl_div batchmean"])
def test_empty_batch_elementwise(torch, name, reduction, dtype):
    if name == "kl_div batchmean":
        name, reduction = "kl_div", {"none": "none", "sum": "sum", "mean": "batchmean"}[reduction]
    x, t = np.zeros((0, 3), dtype), np.zeros((0, 3), dtype)
    out, grad = run(name, x, t, reduction=reduction)
    assert out.dtype == dtype and grad.shape == (0, 3)
    if reduction == "none":
        assert out.shape == (0, 3)
    else:
        np.testing.assert_array_equal(out.data, expected_empty(reduction))
        if name != "hinge_loss":  # not in torch
            value, _ = torch_run(torch, name, x, t, reduction=reduction)
            np.testing.assert_array_equal(out.data, value)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", CLASS + ["cross_entropy probabilities"])
def test_empty_batch_class_losses(torch, name, reduction, dtype):
    x = np.zeros((0, 4), dtype)
    t = np.zeros((0, 4), dtype) if name.endswith("probabilities") else np.zeros(0, np.int64)
    name = name.split()[0]
    out, grad = run(name, x, t, reduction=reduction)
    assert out.dtype == dtype and grad.shape == (0, 4)
    if reduction == "none":
        assert out.shape == (0,)
        return
    np.testing.assert_array_equal(out.data, expected_empty(reduction))
    if name != "multi_margin_loss":  # torch's empty multi_margin_loss reads uninitialised memory
        value, _ = torch_run(torch, name, x, t, reduction=reduction)
        np.testing.assert_array_equal(out.data, value)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_every_target_ignored(torch, name, reduction, label_smoothing, dtype):
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(dtype)
    t = np.full(3, -100)
    kwargs = {"reduction": reduction}
    if name == "cross_entropy":
        kwargs["label_smoothing"] = label_smoothing
    out, grad = run(name, x, t, **kwargs)
    value, torch_grad = torch_run(torch, name, x, t, **kwargs)
    assert not grad.any()  # zero gradient, as torch
    np.testing.assert_array_equal(grad, torch_grad)
    expected = {"mean": np.nan, "sum": 0.0, "none": np.zeros(3)}[reduction]
    np.testing.assert_array_equal(out.data, expected)
    np.testing.assert_array_equal(out.data, value)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", CLASS)
def test_every_weight_zero(torch, name, reduction, dtype):
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(dtype)
    t = np.array([0, 1, 3])
    w = np.zeros(4, dtype)
    out, grad = run(name, x, t, weight=mg.tensor(w), reduction=reduction)
    value, torch_grad = torch_run(torch, name, x, t, weight=w, reduction=reduction)
    assert not grad.any(), "the documented gradient is 0"
    if name == "multi_margin_loss" or reduction != "mean":
        np.testing.assert_array_equal(out.data, value)
        np.testing.assert_array_equal(grad, torch_grad)
    else:  # 0 / 0: NaN loss (as torch); torch's gradient is NaN as well, minigrad's 0
        assert np.isnan(out.item()) and np.isnan(value)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
@pytest.mark.parametrize("logit", [-1e30, -3.0, 0.0, 7.5, 1e30])
def test_one_class_cross_entropy_is_zero(torch, logit, label_smoothing, reduction, dtype):
    x = np.full((3, 1), logit, dtype)
    t = np.zeros(3, np.int64)
    out, grad = run("cross_entropy", x, t, reduction=reduction, label_smoothing=label_smoothing)
    value, torch_grad = torch_run(torch, "cross_entropy", x, t, reduction=reduction, label_smoothing=label_smoothing)
    assert not np.any(out.data) and not grad.any()
    np.testing.assert_array_equal(out.data, value)
    np.testing.assert_array_equal(grad, torch_grad)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CLASS)
def test_one_class_unbatched_and_batched(torch, name, dtype):
    for x, t in [(np.array([2.0], dtype), np.array(0)), (np.array([[2.0]], dtype), np.array([0]))]:
        out, grad = run(name, x, t)
        value, torch_grad = torch_run(torch, name, x, t)
        np.testing.assert_allclose(out.data, value, rtol=1e-6)
        np.testing.assert_allclose(grad, torch_grad, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_one_element(torch, name, dtype):
    x = np.array([0.25], dtype)
    t = np.array([1.0], dtype)
    out, grad = run(name, x, t)
    if name == "hinge_loss":
        np.testing.assert_allclose(out.item(), 0.75, rtol=1e-6)
        np.testing.assert_allclose(grad, [-1.0], rtol=1e-6)
        return
    value, torch_grad = torch_run(torch, name, x, t)
    np.testing.assert_allclose(out.data, value, rtol=1e-6)
    np.testing.assert_allclose(grad, torch_grad, rtol=1e-6)
