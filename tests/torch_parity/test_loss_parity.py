"""Every loss against torch.nn.functional (torch 2.13.0): value, gradient of the input (and
of the target where torch has one), for every reduction, option and dtype.

Tolerance (helpers.assert_close): relative 1e-12 in float64, 1e-5 in float32. The kernels
compute in double and round once, torch computes in the tensor's dtype: float32 results
differ by a few ulps, well inside 1e-5. For reduction='none' the upstream gradient is
random; for 'mean' and 'sum' it is 1 (the usual `loss.backward()`) or another number.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.warnings import SoftmaxTwiceWarning
from tests.torch_parity.helpers import assert_close

DTYPES = [np.float32, np.float64]
REDUCTIONS = ["mean", "sum", "none"]


def torch_hinge(torch):
    """minigrad's hinge_loss spelled in torch: relu(margin - y s), reduced."""
    def hinge_loss(input, target, margin=1.0, reduction="mean"):
        loss = torch.relu(margin - target * input)
        return {"mean": loss.mean, "sum": loss.sum, "none": lambda: loss}[reduction]()
    return hinge_loss


def torch_function(torch, name):
    if name == "hinge_loss":
        return torch_hinge(torch)
    return getattr(torch.nn.functional, name)


def run_torch(torch, name, x, t, reduction, upstream, target_grad, options, dtype):
    """torch's value and gradients for numpy arrays, computed in `dtype`."""
    def as_torch(a, requires_grad=False):
        a = np.asarray(a)
        return torch.tensor(a.astype(dtype) if a.dtype.kind == "f" else a, requires_grad=requires_grad)

    tx, tt = as_torch(x, True), as_torch(t, target_grad)
    opts = {k: as_torch(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's kl_div 'mean' warning
        out = torch_function(torch, name)(tx, tt, reduction=reduction, **opts)
    out.backward(as_torch(upstream))
    return (out.detach().numpy(), tx.grad.numpy(), tt.grad.numpy() if target_grad else None)


def check(torch, name, x, t, dtype, reduction="mean", target_grad=False, upstream=1.0, **options):
    """Run F.<name>(x, t, reduction=..., **options) in both frameworks and compare the value,
    its dtype and shape, the input's gradient and (target_grad) the target's gradient.

    Options that are numpy arrays (weight, pos_weight) become tensors of `dtype` in both.
    float64: against torch in float64, relative 1e-12. float32: against torch computing in
    float64 from the same float32 numbers, relative 1e-5 (the kernels do their math in
    double, so they are closer to that than torch's own float32 path is when a small loss
    comes out of a cancellation, e.g. log-sum-exp - x_t of a confident prediction), and
    against torch's float32 path with its rounding error in the scale of the inputs.
    Returns the minigrad output.
    """
    x = np.asarray(x, dtype)
    t = np.asarray(t)
    t = t.astype(dtype) if t.dtype.kind == "f" else t.astype(np.int64)
    options = {k: np.asarray(v, dtype) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    mx, mt = mg.tensor(x, requires_grad=True), mg.tensor(t, requires_grad=target_grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SoftmaxTwiceWarning)
        out = getattr(F, name)(mx, mt, reduction=reduction,
                               **{k: mg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()})
    up = np.random.default_rng(1).uniform(-1, 1, size=out.shape) if out.shape else np.asarray(upstream)
    up = up.astype(dtype)
    out.backward(mg.tensor(up))
    assert out.dtype == np.dtype(dtype), f"{name}: output dtype {out.dtype}"
    assert mx.grad is not None and mx.grad.dtype == np.dtype(dtype) and mx.grad.shape == x.shape
    mine = [out.data, mx.grad.data]
    if target_grad:
        assert mt.grad is not None and mt.grad.shape == t.shape, f"{name}: no gradient for the target"
        mine.append(mt.grad.data)
    what = [f"{name}: value", f"{name}: gradient of input", f"{name}: gradient of target"]

    exact = run_torch(torch, name, x, t, reduction, up, target_grad, options, np.float64)
    assert out.shape == exact[0].shape, f"{name}: output shape {out.shape} vs torch {exact[0].shape}"
    for m, e, w in zip(mine, exact, what):
        if dtype == np.float32 and not np.any(e):
            # exactly 0 (e.g. a single class): the kernel must give 0 too, not a 1e-8 residue
            np.testing.assert_allclose(m, e, rtol=0, atol=1e-12, err_msg=w)
        else:
            assert_close(m, e, dtype, w)
    if dtype == np.float32:
        rounded = run_torch(torch, name, x, t, reduction, up, target_grad, options, np.float32)
        input_scale = max(1.0, float(np.max(np.abs(x), initial=0)))
        for m, e, w in zip(mine, rounded, what):
            scale = max(input_scale, float(np.max(np.abs(e[np.isfinite(e)]), initial=0)))
            np.testing.assert_allclose(m, e, rtol=1e-5, atol=1e-5 * scale, err_msg=w + " (torch float32)")
    return out


def rng(seed):
    return np.random.default_rng(seed)


# ---- element-wise losses ---------------------------------------------------------------------
def _regression_cases():
    r = rng(0)
    x, y = r.normal(size=(5, 4)), r.normal(size=(5, 4))
    x3, y3 = r.normal(size=(2, 3, 4)), r.normal(size=(2, 3, 4))
    cases = [("mse_loss", {}), ("l1_loss", {}), ("huber_loss", {}), ("huber_loss", {"delta": 0.3}),
             ("huber_loss", {"delta": 2.5}), ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
             ("smooth_l1_loss", {"beta": 0.0}), ("smooth_l1_loss", {"beta": 3.0})]
    for name, opts in cases:
        yield pytest.param(name, x, y, opts, id=f"{name}-{opts}")
        yield pytest.param(name, x3, y3, opts, id=f"{name}-{opts}-3d")
    yield pytest.param("mse_loss", np.array(1.5), np.array(-0.5), {}, id="mse-0d")
    yield pytest.param("l1_loss", r.normal(size=7), r.normal(size=7), {}, id="l1-1d")


regression_cases = list(_regression_cases())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, x, y, options", regression_cases)
def test_regression_losses(torch, name, x, y, options, reduction, dtype):
    check(torch, name, x, y, dtype, reduction, target_grad=True, **options)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy_with_logits"])
def test_scalar_upstream_gradient_other_than_one(torch, name, dtype):
    r = rng(3)
    check(torch, name, r.normal(size=(3, 4)), r.uniform(size=(3, 4)), dtype, "mean", target_grad=True, upstream=-2.5)
    check(torch, name, r.normal(size=(3, 4)), r.uniform(size=(3, 4)), dtype, "sum", upstream=0.37)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name, target, options", [
    ("cross_entropy", np.array([0, 3, 1, -100]), {"weight": np.array([1.0, 2.0, 0.5, 1.5]), "label_smoothing": 0.1}),
    ("cross_entropy", np.full((4, 4), 0.25), {"weight": np.array([1.0, 2.0, 0.5, 1.5])}),
    ("nll_loss", np.array([0, 3, 1, 2]), {}),
    ("multi_margin_loss", np.array([0, 3, 1, 2]), {"p": 2}),
])
def test_class_losses_scalar_upstream_gradient_other_than_one(torch, name, target, options, reduction, dtype):
    x = rng(13).normal(size=(4, 4))
    check(torch, name, x, target, dtype, reduction, upstream=-1.75, **options)


def _bce_cases():
    r = rng(1)
    p = r.uniform(0.02, 0.98, size=(5, 4))
    soft, hard = r.uniform(size=(5, 4)), (r.uniform(size=(5, 4)) > 0.5).astype(float)
    yield pytest.param(p, soft, {}, id="soft-targets")
    yield pytest.param(p, hard, {}, id="hard-targets")
    for shape in [(4,), (1,), (5, 1), (5, 4)]:
        yield pytest.param(p, hard, {"weight": r.uniform(0.1, 3, size=shape)}, id=f"weight{shape}")
    yield pytest.param(r.uniform(0.02, 0.98, size=(2, 3, 2)), r.uniform(size=(2, 3, 2)), {}, id="3d")


bce_cases = list(_bce_cases())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p, y, options", bce_cases)
def test_binary_cross_entropy(torch, p, y, options, reduction, dtype):
    check(torch, "binary_cross_entropy", p, y, dtype, reduction, target_grad=True, **options)


def _bce_logits_cases():
    r = rng(2)
    x = r.normal(scale=3, size=(5, 4))
    soft, hard = r.uniform(size=(5, 4)), (r.uniform(size=(5, 4)) > 0.5).astype(float)
    yield pytest.param(x, soft, {}, id="soft")
    yield pytest.param(x, hard, {}, id="hard")
    for shape in [(4,), (1,), (5, 1), (5, 4)]:
        yield pytest.param(x, hard, {"weight": r.uniform(0.1, 3, size=shape)}, id=f"weight{shape}")
        yield pytest.param(x, soft, {"pos_weight": r.uniform(0.1, 5, size=shape)}, id=f"pos_weight{shape}")
    yield pytest.param(x, soft, {"weight": r.uniform(0.1, 3, size=(5, 1)), "pos_weight": r.uniform(0.5, 4, size=4)},
                       id="weight-and-pos_weight")
    yield pytest.param(r.normal(size=(2, 3, 4)), r.uniform(size=(2, 3, 4)), {"pos_weight": r.uniform(1, 3, size=4)},
                       id="3d-pos_weight-last-dim")


bce_logits_cases = list(_bce_logits_cases())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("x, y, options", bce_logits_cases)
def test_binary_cross_entropy_with_logits(torch, x, y, options, reduction, dtype):
    check(torch, "binary_cross_entropy_with_logits", x, y, dtype, reduction, target_grad=True, **options)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("shape", [(4, 5), (3, 2, 4), (6,)])
def test_kl_div(torch, shape, log_target, reduction, dtype):
    r = rng(4)
    log_q = np.log(r.dirichlet(np.ones(shape[-1]), size=shape[:-1]))
    t = r.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    check(torch, "kl_div", log_q, np.log(t) if log_target else t, dtype, reduction, target_grad=True,
          log_target=log_target)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_kl_div_target_zero_contributes_zero(torch, reduction, dtype):
    # xlogy(0, 0) = 0: a zero target adds nothing to the loss; its input gradient is -0
    log_q = np.log([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    t = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    out = check(torch, "kl_div", log_q, t, dtype, reduction, target_grad=True)  # NaN at t = 0, as torch
    if reduction == "none":
        assert out.data[0, 0] == 0 and out.data[1, 1] == 0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.5, 2.0])
def test_hinge_loss(torch, margin, reduction, dtype):
    r = rng(5)
    s = r.normal(scale=2, size=(6, 3))
    y = np.where(r.uniform(size=(6, 3)) > 0.5, 1.0, -1.0)
    check(torch, "hinge_loss", s, y, dtype, reduction, margin=margin)
    check(torch, "hinge_loss", s[:, 0], y[:, 0].astype(np.int64), dtype, reduction, margin=margin)  # integer labels


# ---- class losses ----------------------------------------------------------------------------
def class_targets(r, n, n_classes, ignore=None):
    t = r.integers(0, n_classes, size=n)
    if ignore is not None:
        t[::3] = ignore  # every third sample is ignored
    return t


def _cross_entropy_cases():
    r = rng(6)
    x = r.normal(scale=2, size=(7, 5))
    t = class_targets(r, 7, 5)
    w = r.uniform(0.2, 2.0, size=5)
    yield pytest.param(x, t, {}, id="plain")
    yield pytest.param(x, t, {"weight": w}, id="weight")
    yield pytest.param(x, class_targets(r, 7, 5, -100), {}, id="ignore-default")
    yield pytest.param(x, class_targets(r, 7, 5, -100), {"weight": w}, id="ignore-default-weight")
    yield pytest.param(x, class_targets(r, 7, 5, 2), {"ignore_index": 2}, id="ignore-in-range")
    yield pytest.param(x, class_targets(r, 7, 5, 2), {"ignore_index": 2, "weight": w}, id="ignore-in-range-weight")
    for eps in [0.1, 0.5, 1.0]:
        yield pytest.param(x, t, {"label_smoothing": eps}, id=f"smooth{eps}")
        yield pytest.param(x, t, {"label_smoothing": eps, "weight": w}, id=f"smooth{eps}-weight")
    yield pytest.param(x, class_targets(r, 7, 5, -100), {"label_smoothing": 0.2, "weight": w},
                       id="smooth-weight-ignore")
    yield pytest.param(x, class_targets(r, 7, 5, 4), {"label_smoothing": 0.3, "ignore_index": 4},
                       id="smooth-ignore-in-range")
    # unbatched: (C,) with a 0-d target
    yield pytest.param(x[0], np.array(3), {}, id="unbatched")
    yield pytest.param(x[0], np.array(3), {"weight": w, "label_smoothing": 0.1}, id="unbatched-weight-smooth")
    # (N, C, d1, d2) with target (N, d1, d2)
    x4 = r.normal(size=(3, 4, 2, 3))
    t4 = r.integers(0, 4, size=(3, 2, 3))
    t4_ignored = t4.copy()
    t4_ignored[0, 1] = -100
    yield pytest.param(x4, t4, {}, id="4d")
    yield pytest.param(x4, t4_ignored, {"weight": w[:4], "label_smoothing": 0.2}, id="4d-weight-smooth-ignore")
    yield pytest.param(r.normal(size=(3, 4, 5)), r.integers(0, 4, size=(3, 5)), {}, id="3d")
    yield pytest.param(x[:1], t[:1], {}, id="one-row")


cross_entropy_cases = list(_cross_entropy_cases())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("x, t, options", cross_entropy_cases)
def test_cross_entropy_class_indices(torch, x, t, options, reduction, dtype):
    check(torch, "cross_entropy", x, t, dtype, reduction, **options)


def _probability_cases():
    r = rng(7)
    x = r.normal(scale=2, size=(6, 4))
    p = r.dirichlet(np.ones(4), size=6)
    w = r.uniform(0.2, 2.0, size=4)
    yield pytest.param(x, p, {}, id="plain")
    yield pytest.param(x, p, {"weight": w}, id="weight")
    yield pytest.param(x, p, {"label_smoothing": 0.2}, id="smooth")
    yield pytest.param(x, p, {"label_smoothing": 0.3, "weight": w}, id="smooth-weight")
    yield pytest.param(x, r.uniform(size=(6, 4)), {}, id="soft-not-normalised")
    yield pytest.param(x, p, {"ignore_index": -1}, id="negative-ignore_index-accepted")
    yield pytest.param(x[0], p[0], {"weight": w}, id="unbatched")
    yield pytest.param(r.normal(size=(2, 4, 3)), r.dirichlet(np.ones(4), size=(2, 3)).transpose(0, 2, 1), {"weight": w},
                       id="3d")


probability_cases = list(_probability_cases())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("x, t, options", probability_cases)
def test_cross_entropy_probabilities(torch, x, t, options, reduction, dtype):
    check(torch, "cross_entropy", x, t, dtype, reduction, target_grad=True, **options)


def _nll_cases():
    r = rng(8)
    logits = r.normal(size=(7, 5))
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    t = class_targets(r, 7, 5)
    w = r.uniform(0.2, 2, size=5)
    yield pytest.param(logp, t, {}, id="plain")
    yield pytest.param(logp, t, {"weight": w}, id="weight")
    yield pytest.param(logp, class_targets(r, 7, 5, -100), {"weight": w}, id="ignore-default-weight")
    yield pytest.param(logp, class_targets(r, 7, 5, 1), {"ignore_index": 1}, id="ignore-in-range")
    yield pytest.param(logp[2], np.array(4), {"weight": w}, id="unbatched")
    yield pytest.param(r.normal(size=(2, 5, 3)), r.integers(0, 5, size=(2, 3)), {"weight": w}, id="3d")


nll_cases = list(_nll_cases())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("x, t, options", nll_cases)
def test_nll_loss(torch, x, t, options, reduction, dtype):
    check(torch, "nll_loss", x, t, dtype, reduction, **options)


def _multi_margin_cases():
    r = rng(9)
    x = r.normal(size=(6, 4))
    t = class_targets(r, 6, 4)
    w = r.uniform(0.2, 2, size=4)
    for p in [1, 2]:
        for margin in [1.0, 0.3, 2.0]:
            yield pytest.param(x, t, {"p": p, "margin": margin}, id=f"p{p}-margin{margin}")
        yield pytest.param(x, t, {"p": p, "weight": w}, id=f"p{p}-weight")
        yield pytest.param(x[1], t[1], {"p": p, "weight": w}, id=f"p{p}-unbatched")


multi_margin_cases = list(_multi_margin_cases())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("x, t, options", multi_margin_cases)
def test_multi_margin_loss(torch, x, t, options, reduction, dtype):
    check(torch, "multi_margin_loss", x, t, dtype, reduction, **options)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 9), n_classes=st.integers(1, 7), scale=st.floats(0.01, 30),
       eps=st.sampled_from([0.0, 0.05, 0.7]), weighted=st.booleans(), seed=st.integers(0, 2**31),
       reduction=st.sampled_from(REDUCTIONS), dtype=st.sampled_from(DTYPES))
def test_cross_entropy_random_shapes(torch, n, n_classes, scale, eps, weighted, seed, reduction, dtype):
    r = rng(seed)
    x = r.normal(scale=scale, size=(n, n_classes))
    t = class_targets(r, n, n_classes)
    t[r.uniform(size=n) < 0.2] = -100
    options = {"label_smoothing": eps}
    if weighted:
        options["weight"] = r.uniform(0.1, 2, size=n_classes)
    check(torch, "cross_entropy", x, t, dtype, reduction, **options)


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=0, max_size=3).map(tuple), seed=st.integers(0, 2**31),
       name=st.sampled_from(["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
                             "binary_cross_entropy_with_logits"]),
       reduction=st.sampled_from(REDUCTIONS), dtype=st.sampled_from(DTYPES))
def test_elementwise_random_shapes(torch, shape, seed, name, reduction, dtype):
    r = rng(seed)
    check(torch, name, r.normal(scale=2, size=shape), r.uniform(size=shape), dtype, reduction, target_grad=True)


# ---- the kinks, exactly ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_gradient_is_zero_at_zero_error(torch, reduction, dtype):
    x = np.array([1.0, -2.0, 0.5, 3.0])
    y = np.array([1.0, -2.0, 0.0, 4.0])  # errors 0, 0, 0.5, -1
    check(torch, "l1_loss", x, y, dtype, reduction, target_grad=True)
    xm = mg.tensor(x, requires_grad=True)
    F.l1_loss(xm, mg.tensor(y), reduction="sum").backward()
    np.testing.assert_array_equal(xm.grad.data, [0, 0, 1, -1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, param", [("huber_loss", "delta"), ("smooth_l1_loss", "beta")])
def test_huber_and_smooth_l1_at_the_threshold(torch, name, param, reduction, dtype):
    # |z| exactly 0.5 (representable): the linear piece, gradient +-delta (huber) or +-1
    x = np.array([0.5, -0.5, 0.25, 2.0, 0.0])
    y = np.array([0.0, 0.0, 0.0, 1.5, 0.0])
    out = check(torch, name, x, y, dtype, reduction, target_grad=True, **{param: 0.5})
    xm = mg.tensor(x, requires_grad=True)
    getattr(F, name)(xm, mg.tensor(y), reduction="sum", **{param: 0.5}).backward()
    expected = [0.5, -0.5, 0.25, 0.5, 0.0] if name == "huber_loss" else [1, -1, 0.5, 1, 0]
    np.testing.assert_allclose(xm.grad.data, expected)
    assert out is not None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_smooth_l1_beta_zero_is_l1(torch, reduction, dtype):
    x = np.array([1.0, -2.0, 0.5, 0.0])
    y = np.array([1.0, 0.0, 0.0, 0.0])  # includes zero errors
    out = check(torch, "smooth_l1_loss", x, y, dtype, reduction, target_grad=True, beta=0.0)
    l1 = F.l1_loss(mg.tensor(x, dtype=dtype), mg.tensor(y, dtype=dtype), reduction=reduction)
    np.testing.assert_array_equal(out.data, l1.data)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_at_exactly_the_margin(torch, reduction, dtype):
    s = np.array([1.0, -1.0, 0.5, 2.0, -0.25])
    y = np.array([1.0, -1.0, 1.0, 1.0, 1.0])  # y s = 1, 1 (at the margin), 0.5, 2, -0.25
    check(torch, "hinge_loss", s, y, dtype, reduction)
    sm = mg.tensor(s, requires_grad=True)
    F.hinge_loss(sm, mg.tensor(y), reduction="sum").backward()
    np.testing.assert_array_equal(sm.grad.data, [0, 0, -1, 0, -1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_at_exactly_the_margin(torch, p, reduction, dtype):
    # row 0: target 1, margin 1: class 0 sits exactly at the margin (h = 1 - 1 + 0 = 0),
    # class 2 inside it (h = 0.5); row 1: every class exactly at the margin
    x = np.array([[0.0, 1.0, 0.5], [0.0, 1.0, 0.0]])
    t = np.array([1, 1])
    check(torch, "multi_margin_loss", x, t, dtype, reduction, p=p)
    xm = mg.tensor(x, requires_grad=True)
    F.multi_margin_loss(xm, mg.tensor(t), p=p, reduction="sum").backward()
    expected = np.array([[0, -p * 0.5 ** (p - 1) / 3, p * 0.5 ** (p - 1) / 3], [0, 0, 0]])
    np.testing.assert_allclose(xm.grad.data, expected, rtol=1e-6)


# ---- extreme values --------------------------------------------------------------------------
EXTREMES = [(np.float32, 1e4), (np.float64, 1e30)]


@pytest.mark.parametrize("dtype, big", EXTREMES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.1}, {"weight": np.array([0.5, 1.0, 2.0])}],
                         ids=["plain", "smooth", "weight"])
def test_cross_entropy_huge_logits(torch, dtype, big, reduction, options):
    x = np.array([[big, -big, 0.0], [-big, big, big], [0.0, 0.0, -big], [big, big, big]])
    t = np.array([1, 0, 2, 2])
    out = check(torch, "cross_entropy", x, t, dtype, reduction, **options)
    assert np.all(np.isfinite(out.data))


@pytest.mark.parametrize("dtype, big", EXTREMES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities_huge_logits(torch, dtype, big, reduction):
    x = np.array([[big, -big, 0.0], [-big, big, big]])
    t = np.array([[0.2, 0.0, 0.8], [1.0, 0.0, 0.0]])
    out = check(torch, "cross_entropy", x, t, dtype, reduction, target_grad=True, label_smoothing=0.1)
    assert np.all(np.isfinite(out.data))


@pytest.mark.parametrize("dtype, big", EXTREMES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [{}, {"pos_weight": np.array([3.0, 0.5])}], ids=["plain", "pos_weight"])
def test_bce_with_logits_huge_logits(torch, dtype, big, reduction, options):
    x = np.array([[big, -big], [-big, big], [0.0, big]])
    y = np.array([[0.0, 1.0], [0.0, 1.0], [0.5, 0.3]])
    out = check(torch, "binary_cross_entropy_with_logits", x, y, dtype, reduction, target_grad=True, **options)
    assert np.all(np.isfinite(out.data))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, target, options", [
    ("cross_entropy", np.array([0, 1, 2]), {}),
    ("cross_entropy", np.array([0, 1, 2]), {"label_smoothing": 0.01, "weight": np.array([1.0, 2.0, 0.5])}),
    ("cross_entropy", np.eye(3), {}),
    ("binary_cross_entropy_with_logits", np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), {}),
])
def test_confident_predictions_keep_their_digits(torch, name, target, options, reduction, dtype):
    # p_t = softmax(x)_t close to 1: the gradient p_t - 1 is small, and computing it from a
    # p_t already rounded to float32 loses most of its digits (torch's own float32 path does)
    x = np.array([[12.0, 0.0, 0.0], [0.0, 9.0, -1.0], [-3.0, 0.0, 14.0]])
    check(torch, name, x, target, dtype, reduction, **options)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_at_probabilities_zero_and_one(torch, reduction, dtype):
    p = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 0.5, 1.0])
    out = check(torch, "binary_cross_entropy", p, y, dtype, reduction, target_grad=True)
    assert np.all(np.isfinite(out.data))
    if reduction == "none":  # each log clamped at -100
        np.testing.assert_allclose(out.data[:4], [0, 100, 100, 0])


# ---- empty batches ---------------------------------------------------------------------------
EMPTY_CASES = [
    ("mse_loss", (0, 3), np.zeros((0, 3)), {}),
    ("l1_loss", (0,), np.zeros(0), {}),
    ("huber_loss", (0, 2), np.zeros((0, 2)), {}),
    ("smooth_l1_loss", (0, 2), np.zeros((0, 2)), {}),
    ("binary_cross_entropy", (0, 2), np.zeros((0, 2)), {"weight": np.ones(2)}),
    ("binary_cross_entropy_with_logits", (0, 2), np.zeros((0, 2)), {"pos_weight": np.ones(2)}),
    ("kl_div", (0, 3), np.zeros((0, 3)), {}),
    ("hinge_loss", (0,), np.zeros(0), {}),
    ("cross_entropy", (0, 3), np.zeros(0, np.int64), {}),
    ("cross_entropy", (0, 3), np.zeros(0, np.int64), {"weight": np.ones(3), "label_smoothing": 0.1}),
    ("cross_entropy", (0, 3), np.zeros((0, 3)), {}),
    ("cross_entropy", (2, 3, 0), np.zeros((2, 0), np.int64), {}),
    ("nll_loss", (0, 3), np.zeros(0, np.int64), {}),
    ("multi_margin_loss", (0, 3), np.zeros(0, np.int64), {}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, shape, target, options", EMPTY_CASES)
def test_empty_batch(torch, name, shape, target, options, reduction, dtype):
    x = mg.tensor(np.zeros(shape, dtype), requires_grad=True)
    t = mg.tensor(target.astype(dtype) if target.dtype.kind == "f" else target)
    opts = {k: mg.tensor(v.astype(dtype)) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    out = getattr(F, name)(x, t, reduction=reduction, **opts)
    assert out.dtype == np.dtype(dtype)
    if reduction == "mean":
        assert out.shape == () and np.isnan(out.item())
    elif reduction == "sum":
        assert out.shape == () and out.item() == 0
    else:
        assert out.data.size == 0
    out.backward(mg.tensor(np.ones(out.shape, dtype)))
    assert x.grad.shape == shape and x.grad.dtype == np.dtype(dtype)
    if name != "multi_margin_loss" or reduction == "none":  # torch's mean and sum read uninitialised memory
        tx = torch.zeros(shape, dtype=getattr(torch, np.dtype(dtype).name))
        tt = torch.tensor(target.astype(dtype) if target.dtype.kind == "f" else target)
        topts = {k: torch.tensor(v.astype(dtype)) if isinstance(v, np.ndarray) else v for k, v in options.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = torch_function(torch, name)(tx, tt, reduction=reduction, **topts)
        assert tuple(expected.shape) == out.shape
        np.testing.assert_array_equal(np.abs(out.data), np.abs(expected.numpy()))  # torch's sum may be -0.0


# ---- layouts: non-contiguous and read-only arrays -----------------------------------------------
LAYOUT_CASES = [
    ("mse_loss", lambda r: r.normal(size=(4, 6)), lambda r: r.normal(size=(4, 6)), {}),
    ("binary_cross_entropy", lambda r: r.uniform(0.1, 0.9, size=(4, 6)), lambda r: r.uniform(size=(4, 6)),
     {"weight": lambda r: r.uniform(size=(4, 6))}),
    ("binary_cross_entropy_with_logits", lambda r: r.normal(size=(4, 6)), lambda r: r.uniform(size=(4, 6)),
     {"pos_weight": lambda r: r.uniform(1, 2, size=(4, 6))}),
    ("kl_div", lambda r: -r.uniform(0.1, 3, size=(4, 6)), lambda r: r.uniform(size=(4, 6)), {}),
    ("cross_entropy", lambda r: r.normal(size=(6, 4)), lambda r: r.integers(0, 4, size=6),
     {"weight": lambda r: r.uniform(size=4), "label_smoothing": 0.1}),
    ("cross_entropy", lambda r: r.normal(size=(6, 4)), lambda r: r.dirichlet(np.ones(4), size=6), {}),
    ("nll_loss", lambda r: -r.uniform(size=(6, 4)), lambda r: r.integers(0, 4, size=6), {}),
    ("multi_margin_loss", lambda r: r.normal(size=(6, 4)), lambda r: r.integers(0, 4, size=6), {"p": 2}),
]


def strided(a):
    """The same values in a non-contiguous array (every other element of a wider buffer)."""
    wide = np.empty(a.shape + (2,), a.dtype)
    wide[..., 0] = a
    return wide[..., 0]


def read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", [strided, read_only, lambda a: np.asfortranarray(a)],
                         ids=["strided", "read-only", "fortran"])
@pytest.mark.parametrize("name, make_x, make_t, options", LAYOUT_CASES)
def test_non_contiguous_and_read_only_inputs(torch, name, make_x, make_t, options, layout, dtype):
    r = rng(10)
    x, t = make_x(r), make_t(r)
    t = t.astype(dtype) if t.dtype.kind == "f" else t
    opts = {k: (v(r).astype(dtype) if callable(v) else v) for k, v in options.items()}
    reference = {}
    for kind, f in [("contiguous", np.ascontiguousarray), ("other", layout)]:
        xm = mg.Tensor._wrap(f(x.astype(dtype)))
        xm.requires_grad = True
        tm = mg.Tensor._wrap(f(t))
        om = {k: mg.Tensor._wrap(f(v)) if isinstance(v, np.ndarray) else v for k, v in opts.items()}
        if kind == "other" and layout is not read_only and x.ndim > 1:
            assert not xm.data.flags.c_contiguous
        out = getattr(F, name)(xm, tm, reduction="none", **om)
        out.backward(mg.tensor(np.linspace(-1, 1, out.data.size).reshape(out.shape).astype(dtype)))
        reference[kind] = (out.data.copy(), xm.grad.data.copy())
    np.testing.assert_array_equal(reference["other"][0], reference["contiguous"][0])
    np.testing.assert_array_equal(reference["other"][1], reference["contiguous"][1])
    check(torch, name, x, t, dtype, "none", **opts)  # and both are right


# ---- a loss at the end of a network ------------------------------------------------------------
NETWORK_LOSSES = [
    ("mse_loss", lambda r, n: r.normal(size=(n, 3)), {}),
    ("huber_loss", lambda r, n: r.normal(size=(n, 3)), {"delta": 0.5}),
    ("binary_cross_entropy_with_logits", lambda r, n: (r.uniform(size=(n, 3)) > 0.5).astype(float),
     {"pos_weight": np.array([1.0, 2.0, 0.5])}),
    ("cross_entropy", lambda r, n: r.integers(0, 3, size=n), {"weight": np.array([1.0, 2.0, 0.5]),
                                                              "label_smoothing": 0.1}),
    ("cross_entropy", lambda r, n: r.dirichlet(np.ones(3), size=n), {}),
    ("multi_margin_loss", lambda r, n: r.integers(0, 3, size=n), {"p": 2}),
    ("hinge_loss", lambda r, n: np.where(r.uniform(size=(n, 3)) > 0.5, 1.0, -1.0), {}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, make_target, options", NETWORK_LOSSES)
def test_loss_backpropagates_into_linear_layers_as_torch(torch, name, make_target, options, dtype):
    r = rng(11)
    mine = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    if dtype == np.float64:
        mine.double()
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in mine.state_dict().items()})
    theirs.to(getattr(torch, np.dtype(dtype).name))
    x = r.normal(size=(10, 4)).astype(dtype)
    t = make_target(r, 10)
    t = t.astype(dtype) if t.dtype.kind == "f" else t
    mine_options = {k: mg.tensor(v.astype(dtype)) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    loss = getattr(F, name)(mine(mg.tensor(x)), mg.tensor(t), **mine_options)
    expected = torch_function(torch, name)(theirs(torch.from_numpy(x)), torch.from_numpy(t),
                                           **{k: torch.from_numpy(v.astype(dtype)) if isinstance(v, np.ndarray) else v
                                              for k, v in options.items()})
    assert_close(loss.data, expected.detach().numpy(), dtype, f"{name}: loss")
    loss.backward()
    expected.backward()
    grads = dict(theirs.named_parameters())
    for key, param in mine.named_parameters():
        assert param.grad is not None, key
        assert_close(param.grad.data, grads[key].grad.numpy(), dtype, f"{name}: gradient of {key}")
    assert np.abs(mine[0].weight.grad.data).max() > 1e-4  # the gradient reached the first layer


@pytest.mark.parametrize("module, function, options", [
    (nn.MSELoss, "mse_loss", {}), (nn.L1Loss, "l1_loss", {}), (nn.HuberLoss, "huber_loss", {"delta": 0.4}),
    (nn.SmoothL1Loss, "smooth_l1_loss", {"beta": 0.4}), (nn.KLDivLoss, "kl_div", {"log_target": True}),
    (nn.BCEWithLogitsLoss, "binary_cross_entropy_with_logits", {}),
])
def test_modules_match_torch_modules(torch, module, function, options):
    r = rng(12)
    x, y = -r.uniform(0.1, 2, size=(5, 3)), r.uniform(-1, 1, size=(5, 3))
    torch_module = getattr(torch.nn, module.__name__)(reduction="sum", **options)
    out = module(reduction="sum", **options)(mg.tensor(x), mg.tensor(y))
    assert_close(out.data, torch_module(torch.from_numpy(x), torch.from_numpy(y)).numpy(), np.float64, module.__name__)


@pytest.mark.parametrize("backend", ["cython", "numpy"])
def test_bce_with_logits_infinite_target_without_pos_weight(torch, backend, monkeypatch):
    """Without pos_weight the log-sigmoid term's factor is exactly 1, as in torch: computing
    it as 1 + (1 - 1) * y gave NaN for a target of +-inf (found by the fuzzing)."""
    from minigrad import nn
    from minigrad._kernels import reference
    if backend == "numpy":
        monkeypatch.setattr(nn.functional.loss_ops.kernels, "binary_cross_entropy_with_logits",
                            reference.binary_cross_entropy_with_logits)
    x = np.array([0.5, -1.0, 2.0, 0.0])
    y = np.array([np.inf, -np.inf, 0.5, np.inf])
    mine = mg.tensor(x, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(mine, mg.tensor(y), reduction="none")
    loss.sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(theirs, torch.tensor(y), reduction="none")
    expected.sum().backward()
    np.testing.assert_array_equal(np.isnan(loss.data), np.isnan(expected.detach().numpy()))
    np.testing.assert_allclose(loss.data, expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(mine.grad.data, theirs.grad.numpy(), rtol=1e-12)
