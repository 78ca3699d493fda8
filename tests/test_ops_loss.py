"""minigrad/ops/loss.py: every loss Function against finite differences, the loss-only path,
and a backward that only scales what forward saved.

Gradcheck runs in float64 at random points away from the kinks (|x - y| far from 0 and
from delta/beta, y s far from the margin, BCE probabilities inside (0, 1)); the kinks
themselves are compared with torch in tests/torch_parity/test_loss_parity.py.
"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import _kernels
from minigrad.ops import loss as loss_ops

REDUCTIONS = ["mean", "sum", "none"]


def rng(seed=0):
    return np.random.default_rng(seed)


def away_from(value, points, gap):
    """Move every element of `value` at least `gap` away from each of `points`."""
    value = np.array(value, dtype=np.float64)
    for p in points:
        close = np.abs(value - p) < gap
        value[close] = p + np.where(value[close] >= p, gap, -gap)
    return value


def t64(a, requires_grad=False):
    return mg.tensor(np.asarray(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f" else np.asarray(a),
                     requires_grad=requires_grad)


def errors(r, shape, points, gap=0.05):
    """Targets y and inputs x = y + z with errors z away from the kinks `points`."""
    y = r.normal(size=shape)
    z = away_from(r.normal(scale=1.5, size=shape), points, gap)
    return y + z, y


def gradcheck_cases():
    r = rng(1)
    cases = []
    x, y = errors(r, (3, 4), [0.0])
    cases.append(("mse", lambda x, y, red: F.mse_loss(x, y, reduction=red), x, y, True))
    cases.append(("l1", lambda x, y, red: F.l1_loss(x, y, reduction=red), x, y, True))
    x, y = errors(r, (3, 4), [0.0, 0.7, -0.7])
    cases.append(("huber", lambda x, y, red: F.huber_loss(x, y, reduction=red, delta=0.7), x, y, True))
    cases.append(("smooth_l1", lambda x, y, red: F.smooth_l1_loss(x, y, reduction=red, beta=0.7), x, y, True))
    x, y = errors(r, (3, 4), [0.0])
    cases.append(("smooth_l1_beta0", lambda x, y, red: F.smooth_l1_loss(x, y, reduction=red, beta=0.0), x, y, True))
    p, y = r.uniform(0.05, 0.95, size=(3, 4)), r.uniform(size=(3, 4))
    w = t64(r.uniform(0.5, 2, size=4))
    cases.append(("bce", lambda x, y, red: F.binary_cross_entropy(x, y, w, reduction=red), p, y, True))
    x, y = r.normal(scale=2, size=(3, 4)), r.uniform(size=(3, 4))
    pw = t64(r.uniform(0.5, 3, size=4))
    cases.append(("bce_logits", lambda x, y, red: F.binary_cross_entropy_with_logits(
        x, y, w, reduction=red, pos_weight=pw), x, y, True))
    log_q = np.log(r.dirichlet(np.ones(4), size=3))
    t = r.dirichlet(np.ones(4), size=3)
    cases.append(("kl", lambda x, y, red: F.kl_div(x, y, reduction=red), log_q, t, True))
    cases.append(("kl_log_target", lambda x, y, red: F.kl_div(x, y, reduction=red, log_target=True),
                  log_q, np.log(t), True))
    s = r.normal(size=(3, 4))
    y = np.where(r.uniform(size=(3, 4)) > 0.5, 1.0, -1.0)
    s = away_from(s * y, [1.0], 0.05) * y  # y s away from the margin
    cases.append(("hinge", lambda x, y, red: F.hinge_loss(x, y, reduction=red), s, y, False))
    logits = r.normal(size=(5, 4))
    labels = np.array([0, 3, -100, 1, 2])
    wc = t64(r.uniform(0.5, 2, size=4))
    cases.append(("cross_entropy", lambda x, y, red: F.cross_entropy(
        x, y, wc, reduction=red, label_smoothing=0.2), logits, labels, False))
    cases.append(("cross_entropy_4d", lambda x, y, red: F.cross_entropy(x, y, wc, reduction=red),
                  r.normal(size=(2, 4, 2, 2)), r.integers(0, 4, size=(2, 2, 2)), False))
    cases.append(("cross_entropy_probs", lambda x, y, red: F.cross_entropy(
        x, y, wc, reduction=red, label_smoothing=0.1), logits, r.dirichlet(np.ones(4), size=5), True))
    cases.append(("nll", lambda x, y, red: F.nll_loss(x, y, wc, reduction=red, ignore_index=2),
                  logits, np.array([0, 3, 2, 1, 2]), False))
    # multi-margin: keep every h_j = margin - x_t + x_j away from 0
    mm = r.normal(size=(4, 3))
    mm_t = np.array([0, 2, 1, 1])
    for i, ti in enumerate(mm_t):
        for j in range(3):
            if j != ti and abs(1.0 - mm[i, ti] + mm[i, j]) < 0.05:
                mm[i, j] += 0.1
    for p in (1, 2):
        cases.append((f"multi_margin_p{p}", lambda x, y, red, p=p: F.multi_margin_loss(
            x, y, p=p, reduction=red), mm, mm_t, False))
    return cases


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, fn, x, y, target_differentiable", gradcheck_cases(),
                         ids=[c[0] for c in gradcheck_cases()])
def test_gradcheck(name, fn, x, y, target_differentiable, reduction):
    x = t64(x, requires_grad=True)
    y = t64(y, requires_grad=target_differentiable)
    assert mg.gradcheck(lambda a, b: fn(a, b, reduction), (x, y))


def test_gradcheck_multi_margin_with_weights():
    r = rng(2)
    x = r.normal(size=(4, 3))
    x[:, 0] += 3  # class 0 far ahead: margins away from 0 for rows with target 0
    t = np.array([0, 0, 0, 0])
    w = t64([0.5, 2.0, 1.5])
    for p in (1, 2):
        assert mg.gradcheck(lambda a: F.multi_margin_loss(a, t64(t), p=p, margin=0.5, weight=w),
                            (t64(x, requires_grad=True),))


def test_gradcheck_fails_for_a_wrong_gradient():
    """gradcheck itself can fail: the checks above are not vacuous."""
    class WrongMSE(loss_ops.MSELoss):
        @staticmethod
        def backward(ctx, grad):
            g, _ = loss_ops.MSELoss.backward(ctx, grad)
            return g * 1.01, None
    x = t64(rng(3).normal(size=4), requires_grad=True)
    y = t64(np.zeros(4))
    with pytest.raises(AssertionError):
        mg.gradcheck(lambda a: WrongMSE.apply(a, y, reduction="sum"), (x,))


# ---- the loss-only path ----------------------------------------------------------------------
def kernel_calls(monkeypatch):
    """Wrap every loss kernel in minigrad._kernels; record (name, grad_out is None)."""
    calls = []
    for name in _kernels.LOSS_KERNELS:
        original = getattr(_kernels, name)

        def spy(*args, _name=name, _original=original):
            # (..., mean, loss_out, grad_out) for these two; (..., loss_out, grad_out, scale) otherwise
            grad_out = args[-1] if _name in ("cross_entropy", "nll_loss") else args[-2]
            calls.append((_name, grad_out is None))
            return _original(*args)
        monkeypatch.setattr(_kernels, name, spy)
    return calls


def every_loss(x_grad, y_grad=False):
    """One call of each loss (float64, small), the input requiring grad or not."""
    r = rng(4)
    x = t64(r.normal(size=(3, 4)), requires_grad=x_grad)
    p = t64(r.uniform(0.1, 0.9, size=(3, 4)), requires_grad=x_grad)
    y = t64(r.uniform(size=(3, 4)), requires_grad=y_grad)
    signs = t64(np.where(r.uniform(size=(3, 4)) > 0.5, 1.0, -1.0))
    labels = t64(np.array([0, 3, 1]))
    probs = t64(r.dirichlet(np.ones(4), size=3), requires_grad=y_grad)
    return {
        "mse_loss": lambda: F.mse_loss(x, y),
        "l1_loss": lambda: F.l1_loss(x, y),
        "huber_loss": lambda: F.huber_loss(x, y),
        "smooth_l1_loss": lambda: F.smooth_l1_loss(x, y),
        "binary_cross_entropy": lambda: F.binary_cross_entropy(p, y),
        "binary_cross_entropy_with_logits": lambda: F.binary_cross_entropy_with_logits(x, y),
        "kl_div": lambda: F.kl_div(x, y),
        "hinge_loss": lambda: F.hinge_loss(x, signs),
        "cross_entropy": lambda: F.cross_entropy(x, labels),
        "cross_entropy_probs": lambda: F.cross_entropy(x, probs),
        "nll_loss": lambda: F.nll_loss(x, labels),
        "multi_margin_loss": lambda: F.multi_margin_loss(x, labels),
    }


@pytest.mark.parametrize("name", list(every_loss(False)))
def test_no_gradient_work_under_no_grad(monkeypatch, name):
    calls = kernel_calls(monkeypatch)
    with mg.no_grad():
        out = every_loss(True)[name]()
    assert calls == [(name, True)], "under no_grad the kernel must get grad_out=None"
    assert not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize("name", list(every_loss(False)))
def test_no_gradient_work_when_nothing_requires_grad(monkeypatch, name):
    calls = kernel_calls(monkeypatch)
    out = every_loss(False)[name]()
    assert calls == [(name, True)]
    assert not out.requires_grad


@pytest.mark.parametrize("name", list(every_loss(False)))
def test_gradient_computed_in_forward_and_only_scaled_in_backward(monkeypatch, name):
    calls = kernel_calls(monkeypatch)
    out = every_loss(True)[name]()
    assert calls == [(name, False)], "forward asks the kernel for the gradient"
    out.backward()
    assert len(calls) == 1, "backward must not call the kernel again"


@pytest.mark.parametrize("name", [name for name in every_loss(False)
                                  if name not in ("hinge_loss", "cross_entropy", "nll_loss", "multi_margin_loss")])
def test_input_gradient_wanted_only_for_the_target(monkeypatch, name):
    """Only the target requires grad: the kernel's input gradient is skipped where the target's
    gradient does not come from it (everything but the losses of x - y)."""
    calls = kernel_calls(monkeypatch)
    out = every_loss(False, y_grad=True)[name]()
    from_input_gradient = name in ("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss")
    assert calls == [(name, not from_input_gradient)]
    out.backward()


def test_loss_only_path_gives_the_same_value():
    r = rng(5)
    x, t = r.normal(size=(6, 5)), r.integers(0, 5, size=6)
    with_grad = F.cross_entropy(t64(x, requires_grad=True), t64(t), label_smoothing=0.1)
    with mg.no_grad():
        without = F.cross_entropy(t64(x, requires_grad=True), t64(t), label_smoothing=0.1)
    assert with_grad.item() == without.item()


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", list(every_loss(False)))
def test_backward_scales_the_saved_gradient(name, reduction):
    """d(c * loss)/dx = c * d(loss)/dx: upstream 1 returns the saved gradient, any other
    number multiplies it."""
    def grad_for(upstream):
        losses = every_loss(True)
        out = losses[name]()
        out.backward(mg.tensor(np.asarray(upstream, out.dtype)))
        leaf = out.grad_fn.parents[0] if out.grad_fn is not None else None
        return leaf.grad.data
    one, minus_three = grad_for(1.0), grad_for(-3.0)
    assert np.any(one != 0)
    np.testing.assert_allclose(minus_three, -3.0 * one, rtol=1e-15)


@pytest.mark.parametrize("shape, target, fn", [
    ((4, 3), np.array([0, 2, 1, 1]), lambda x, t: F.cross_entropy(x, t, reduction="none")),
    ((3,), np.array(2), lambda x, t: F.cross_entropy(x, t, reduction="none")),
    ((2, 3, 2), np.array([[0, 2], [1, 1]]), lambda x, t: F.nll_loss(x, t, reduction="none")),
    ((4, 3), np.array([0, 2, 1, 1]), lambda x, t: F.multi_margin_loss(x, t, p=2, reduction="none")),
])
def test_none_reduction_scales_each_sample(shape, target, fn):
    """'none': sample i's gradient is multiplied by the upstream gradient of sample i."""
    r = rng(6)
    x_data = r.normal(size=shape)
    x = t64(x_data, requires_grad=True)
    out = fn(x, t64(target))
    upstream = r.uniform(-2, 2, size=out.shape)
    out.backward(t64(upstream))
    for index in np.ndindex(out.shape):  # one sample at a time, as the sum of one loss
        xi = t64(x_data, requires_grad=True)
        fn(xi, t64(target))[index].backward()
        moved = np.moveaxis(x.grad.data, 1, -1) if len(shape) > 1 else x.grad.data
        single = np.moveaxis(xi.grad.data, 1, -1) if len(shape) > 1 else xi.grad.data
        np.testing.assert_allclose(moved[index], upstream[index] * single[index], rtol=1e-14)


def test_saved_gradient_is_released_after_backward():
    x = t64(rng(7).normal(size=(3, 4)), requires_grad=True)
    loss = F.cross_entropy(x, t64(np.array([0, 1, 2])))
    ctx = loss.grad_fn
    assert ctx.saved_tensors[0].shape == (3, 4)
    loss.backward()
    assert ctx.saved_tensors == ()
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outputs_are_zero_dimensional_arrays_of_the_input_dtype(dtype):
    x = mg.tensor(np.zeros((2, 3), dtype), requires_grad=True)
    for out in (F.cross_entropy(x, mg.tensor([0, 1])), F.mse_loss(x, mg.tensor(np.ones((2, 3))))):
        assert isinstance(out.data, np.ndarray) and out.data.shape == () and out.data.dtype == dtype
        out.backward()
        assert x.grad.dtype == dtype
        x.grad = None


@pytest.mark.parametrize("shape, dim", [((4, 3), 1), ((3,), 0), ((3,), 1), ((), 0), ((2, 3, 4), 1),
                                        ((2, 3, 4), -1), ((2, 3, 4), 0), ((0, 3), 1), ((2, 0, 3), 1)])
def test_rows_layout_round_trip(shape, dim):
    from minigrad.ops._rows import as_rows, from_rows
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    rows = as_rows(x, dim)
    size = shape[dim] if len(shape) > 1 else (shape[0] if shape else 1)
    assert rows.ndim == 2 and rows.shape[1] == size and rows.flags.c_contiguous
    if size:
        assert rows.shape[0] == x.size // size
    if len(shape) > 1:  # each row holds the values along `dim`, in order
        np.testing.assert_array_equal(rows, np.moveaxis(x, dim, -1).reshape(rows.shape))
    np.testing.assert_array_equal(from_rows(rows, shape, dim), x)
    assert from_rows(rows, shape, dim).shape == shape


def test_rows_layout_fast_path_is_the_array_itself():
    from minigrad.ops._rows import as_rows, from_rows
    x = np.zeros((5, 3))
    assert as_rows(x, 1) is x and from_rows(x, x.shape, 1) is x
    assert as_rows(x.T, 1).flags.c_contiguous  # a transposed (N, C) is copied into the layout
