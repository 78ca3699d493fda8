"""minigrad/ops/loss.py and ops/softmax.py: every fused kernel equals its composed form.

Each loss Function (and Softmax, LogSoftmax) has a `composed` staticmethod: the same
formula in primitive Tensor ops, differentiated by autograd. For every loss and option
(reductions, weights, pos_weight, ignore_index, label smoothing, probability targets, p,
log_target, the scale of 'batchmean', beta = 0) and both float dtypes, the kernel and the
composed form must give the same value and the same gradient for every differentiable
input, on random inputs drawn by hypothesis: shapes with empty batches, unbatched (C,) and
(N, C, d) layouts; values on a grid of quarters (exact in float32, so x - y, |z| - delta,
y s - margin and the multi-margin hinges land exactly on the kinks, where the composed
form must pick the kernel's subgradient too), normal draws, and +-1e4 logits where the
loss is computed stably. One backend is enough here: the numpy twin is held to the kernels
in tests/test_kernels_loss.py.

The tolerance is minigrad.testing's per dtype, with the absolute part scaled by the
largest entry of the compared array (sums in float32 round differently in the kernel,
which accumulates in double).
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.gradcheck import gradcheck
from minigrad.ops import loss as L
from minigrad.ops.softmax import LogSoftmax, Softmax
from minigrad.testing import DEFAULT_TOLERANCES, difference

DTYPES = [np.float32, np.float64]
REDUCTIONS = ["mean", "sum", "none"]
EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- running both forms ----------------------------------------------------------------------
def _run(fn, inputs, upstream):
    """fn(*inputs), then its backward; the output and each input's gradient (None: none)."""
    for t in inputs:
        t.grad = None
    with np.errstate(all="ignore"):  # 0 * log 0 and the like inside the composed forms
        out = fn(*inputs)
        out.backward(None if out.ndim == 0 else mg.tensor(upstream.astype(out.data.dtype)))
    return out.data, [None if t.grad is None else t.grad.data for t in inputs]


def _close(name, mine, expected, dtype):
    atol, rtol = DEFAULT_TOLERANCES[np.dtype(dtype)]
    finite = np.abs(expected[np.isfinite(expected)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    row = difference(name, mine, expected, atol * scale, rtol)
    assert row.ok, f"{name}: composed {row}"


def assert_kernel_equals_composed(function, inputs, params, rng):
    """function.apply and function.composed: same value, same gradient of every input that
    requires one (after an upstream gradient of ones for a total, random for 'none')."""
    dtype = inputs[0].data.dtype
    with np.errstate(all="ignore"):
        shape = function.apply(*inputs, **params).shape
    upstream = rng.uniform(0.5, 2.0, shape)
    kernel_value, kernel_grads = _run(lambda *a: function.apply(*a, **params), inputs, upstream)
    value, grads = _run(lambda *a: function.composed(*a, **params), inputs, upstream)
    assert value.dtype == kernel_value.dtype and value.shape == kernel_value.shape
    _close("value", value, kernel_value, dtype)
    for i, (mine, expected) in enumerate(zip(grads, kernel_grads)):
        if inputs[i].requires_grad:
            assert mine is not None and expected is not None, f"input {i}: no gradient"
            _close(f"gradient of input {i}", mine, expected, dtype)


# ---- inputs -----------------------------------------------------------------------------------
def _values(rng, shape, kind, dtype):
    """'grid': quarters in [-2, 2] (exact: lands on kinks); 'normal'; 'extreme': normal with
    about a third of the entries +-1e4."""
    if kind == "grid":
        a = rng.integers(-8, 9, shape) / 4
    else:
        a = rng.standard_normal(shape) * 2
        if kind == "extreme":
            a = np.where(rng.random(shape) < 0.3, np.sign(a) * 1e4, a)
    return np.asarray(a, dtype=dtype)


def _tensor(a, requires_grad=True):
    return mg.tensor(a, requires_grad=requires_grad)


def _constant(rng, shape, dtype, low=0.0, high=2.0):
    return np.array(rng.uniform(low, high, shape), dtype=dtype)  # C-contiguous, 0-d stays 0-d


dtypes = st.sampled_from(DTYPES)
reductions = st.sampled_from(REDUCTIONS)
seeds = st.integers(0, 2**32 - 1)
element_shapes = st.lists(st.integers(0, 4), max_size=3).map(tuple)


@st.composite
def class_shapes(draw, layouts=("C", "NC", "NCd")):
    """(x's shape, the class axis): (C,), (N, C) with N possibly 0, or (N, C, d)."""
    layout = draw(st.sampled_from(layouts))
    n, c, d = draw(st.integers(0, 5)), draw(st.integers(1, 5)), draw(st.integers(1, 3))
    return {"C": (c,), "NC": (n, c), "NCd": (n, c, d)}[layout]


def _targets(rng, shape, ignore_index=None):
    """Class indices for an input of `shape` (class axis 1, or 0 for (C,)), some ignored."""
    c = shape[1] if len(shape) > 1 else shape[0]
    t = rng.integers(0, c, shape[:1] + shape[2:] if len(shape) > 1 else ())
    if ignore_index is not None:
        t = np.where(rng.random(t.shape) < 0.3, ignore_index, t)
    return np.asarray(t, dtype=np.int64)


def _along_classes(w, shape):
    return w.reshape((-1,) + (1,) * (len(shape) - 2)) if len(shape) > 1 else w


# ---- element-wise losses ------------------------------------------------------------------------
REGRESSION = [
    (L.MSELoss, {}),
    (L.L1Loss, {}),
    (L.HuberLoss, {"delta": 0.25}),
    (L.HuberLoss, {"delta": 1.0}),
    (L.HuberLoss, {"delta": 2.0}),
    (L.SmoothL1Loss, {"beta": 0.0}),
    (L.SmoothL1Loss, {"beta": 0.5}),
    (L.SmoothL1Loss, {"beta": 1.0}),
]


@pytest.mark.parametrize("function, options", REGRESSION,
                         ids=[f"{f.__name__}-{o}" for f, o in REGRESSION])
@EXAMPLES
@given(dtype=dtypes, reduction=reductions, shape=element_shapes, seed=seeds,
       kind=st.sampled_from(["grid", "normal", "extreme"]))
def test_regression_losses(function, options, dtype, reduction, shape, seed, kind):
    rng = np.random.default_rng(seed)
    x, y = _tensor(_values(rng, shape, kind, dtype)), _tensor(_values(rng, shape, "grid", dtype))
    assert_kernel_equals_composed(function, [x, y], dict(options, reduction=reduction), rng)


@EXAMPLES
@given(dtype=dtypes, reduction=reductions, shape=element_shapes, seed=seeds,
       grid=st.booleans(), weighted=st.booleans())
def test_binary_cross_entropy(dtype, reduction, shape, seed, grid, weighted):
    rng = np.random.default_rng(seed)
    if grid:  # eighths: p on the grid, never 0 or 1 (see test_bce_at_zero_and_one)
        p, y = rng.integers(1, 8, shape) / 8, rng.integers(0, 9, shape) / 8
    else:
        p, y = rng.uniform(1e-3, 1 - 1e-3, shape), rng.uniform(0, 1, shape)
    p, y = _tensor(np.asarray(p, dtype)), _tensor(np.asarray(y, dtype))
    weight = _constant(rng, shape, dtype) if weighted else None
    assert_kernel_equals_composed(L.BinaryCrossEntropy, [p, y], {"weight": weight, "reduction": reduction}, rng)


@EXAMPLES
@given(dtype=dtypes, reduction=reductions, shape=element_shapes, seed=seeds,
       kind=st.sampled_from(["grid", "normal", "extreme"]), weighted=st.booleans(), pos_weighted=st.booleans())
def test_binary_cross_entropy_with_logits(dtype, reduction, shape, seed, kind, weighted, pos_weighted):
    rng = np.random.default_rng(seed)
    x = _tensor(_values(rng, shape, kind, dtype))
    y = _tensor(np.asarray(rng.integers(0, 5, shape) / 4, dtype))
    weight = _constant(rng, shape, dtype) if weighted else None
    pos_weight = None
    if pos_weighted:  # one per class (the last axis), broadcast as nn.functional does
        pos_weight = np.array(np.broadcast_to(_constant(rng, shape[-1:], dtype, 0.0, 3.0), shape))
    assert_kernel_equals_composed(L.BinaryCrossEntropyWithLogits, [x, y],
                                  {"weight": weight, "pos_weight": pos_weight, "reduction": reduction}, rng)


@EXAMPLES
@given(dtype=dtypes, shape=element_shapes, seed=seeds, log_target=st.booleans(),
       reduction=st.sampled_from(["sum", "none"]), scale=st.sampled_from([1.0, 0.25]))
def test_kl_div(dtype, shape, seed, log_target, reduction, scale):
    """nn.functional passes 'sum' with the scale of 'mean' (1/n) or 'batchmean' (1/N), or 'none'."""
    rng = np.random.default_rng(seed)
    scale = 1.0 if reduction == "none" else scale  # the scale multiplies the total only
    x = _tensor(_values(rng, shape, "normal", dtype))
    if log_target:
        t = _values(rng, shape, "normal", dtype) / 2
    else:  # probabilities, some exactly 0: 0 log 0 = 0, and a NaN gradient for t there in both
        t = np.where(rng.random(shape) < 0.2, 0.0, rng.uniform(0, 1, shape)).astype(dtype)
    params = {"log_target": log_target, "scale": scale, "reduction": reduction}
    assert_kernel_equals_composed(L.KLDiv, [x, _tensor(t)], params, rng)


@EXAMPLES
@given(dtype=dtypes, reduction=reductions, shape=element_shapes, seed=seeds,
       kind=st.sampled_from(["grid", "normal"]), margin=st.sampled_from([0.0, 0.5, 1.0]))
def test_hinge(dtype, reduction, shape, seed, kind, margin):
    rng = np.random.default_rng(seed)
    s = _tensor(_values(rng, shape, kind, dtype))
    y = _tensor(np.asarray(rng.choice([-1.0, 1.0], shape), dtype), requires_grad=False)
    assert_kernel_equals_composed(L.HingeLoss, [s, y], {"margin": margin, "reduction": reduction}, rng)


# ---- class losses --------------------------------------------------------------------------------
@EXAMPLES
@given(dtype=dtypes, reduction=reductions, shape=class_shapes(), seed=seeds,
       kind=st.sampled_from(["grid", "normal", "extreme"]), weighted=st.booleans(),
       ignore_index=st.sampled_from([-100, 0]), label_smoothing=st.sampled_from([0.0, 0.1, 1.0]))
def test_cross_entropy(dtype, reduction, shape, seed, kind, weighted, ignore_index, label_smoothing):
    rng = np.random.default_rng(seed)
    c = shape[1] if len(shape) > 1 else shape[0]
    x = _tensor(_values(rng, shape, kind, dtype))
    target = mg.tensor(_targets(rng, shape, ignore_index))
    weight = _constant(rng, (c,), dtype) if weighted else None
    params = {"weight": weight, "ignore_index": ignore_index, "label_smoothing": label_smoothing,
              "reduction": reduction}
    assert_kernel_equals_composed(L.CrossEntropy, [x, target], params, rng)


@EXAMPLES
@given(dtype=dtypes, reduction=reductions, shape=class_shapes(), seed=seeds,
       weighted=st.booleans(), ignore_index=st.sampled_from([-100, 1]))
def test_nll_loss(dtype, reduction, shape, seed, weighted, ignore_index):
    rng = np.random.default_rng(seed)
    c = shape[1] if len(shape) > 1 else shape[0]
    logp = _tensor(_values(rng, shape, "normal", dtype))
    target = mg.tensor(_targets(rng, shape, ignore_index))
    weight = _constant(rng, (c,), dtype) if weighted else None
    params = {"weight": weight, "ignore_index": ignore_index, "reduction": reduction}
    assert_kernel_equals_composed(L.NLLLoss, [logp, target], params, rng)


@EXAMPLES
@given(dtype=dtypes, reduction=reductions, shape=class_shapes(), seed=seeds,
       kind=st.sampled_from(["grid", "normal", "extreme"]), weighted=st.booleans(),
       label_smoothing=st.sampled_from([0.0, 0.1, 1.0]))
def test_cross_entropy_probabilities(dtype, reduction, shape, seed, kind, weighted, label_smoothing):
    rng = np.random.default_rng(seed)
    dim = 1 if len(shape) > 1 else 0
    x = _tensor(_values(rng, shape, kind, dtype))
    p = rng.uniform(0, 1, shape)
    p = p / np.maximum(p.sum(axis=dim, keepdims=True), 1e-3)  # each row a distribution
    weight = _constant(rng, (shape[dim],), dtype) if weighted else None
    params = {"weight": weight, "label_smoothing": label_smoothing, "reduction": reduction}
    assert_kernel_equals_composed(L.CrossEntropyProbs, [x, _tensor(p.astype(dtype))], params, rng)


@EXAMPLES
@given(dtype=dtypes, reduction=reductions, shape=class_shapes(("C", "NC")), seed=seeds,
       kind=st.sampled_from(["grid", "normal"]), p=st.sampled_from([1, 2]),
       margin=st.sampled_from([0.0, 0.5, 1.0]), weighted=st.booleans())
def test_multi_margin(dtype, reduction, shape, seed, kind, p, margin, weighted):
    rng = np.random.default_rng(seed)
    x = _tensor(_values(rng, shape, kind, dtype))
    target = mg.tensor(_targets(rng, shape))
    weight = _constant(rng, shape[-1:], dtype) if weighted else None
    params = {"p": p, "margin": margin, "weight": weight, "reduction": reduction}
    assert_kernel_equals_composed(L.MultiMarginLoss, [x, target], params, rng)


# ---- softmax and log_softmax ---------------------------------------------------------------------
@pytest.mark.parametrize("function", [Softmax, LogSoftmax])
@EXAMPLES
@given(dtype=dtypes, shape=st.lists(st.integers(1, 4), max_size=3).map(tuple), seed=seeds,
       kind=st.sampled_from(["grid", "normal", "extreme"]), data=st.data())
def test_softmax(function, dtype, shape, seed, kind, data):
    rng = np.random.default_rng(seed)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1) if shape else st.sampled_from([0, -1]))
    x = _tensor(_values(rng, shape, kind, dtype))
    assert_kernel_equals_composed(function, [x], {"dim": dim}, rng)


def test_softmax_empty_batch():
    """A size-0 batch axis is fine; only the softmax axis itself must not be empty (max
    over nothing has no value in the composed form)."""
    rng = np.random.default_rng(0)
    for function in (Softmax, LogSoftmax):
        assert_kernel_equals_composed(function, [_tensor(np.zeros((0, 3)))], {"dim": 1}, rng)


# ---- at the kinks, named ---------------------------------------------------------------------------
KINK_CASES = [  # (function, inputs, params): every element of x sits on the kink
    (L.L1Loss, ([1.0, -2.0, 0.5], [1.0, -2.0, 0.5]), {}),
    (L.HuberLoss, ([1.5, -1.5, 0.5], [0.5, -0.5, 1.5]), {"delta": 1.0}),
    (L.SmoothL1Loss, ([0.75, -0.75], [0.25, -0.25]), {"beta": 0.5}),
    (L.SmoothL1Loss, ([0.5, -1.0], [0.5, -1.0]), {"beta": 0.0}),
    (L.HingeLoss, ([1.0, -1.0, 0.5], [1.0, -1.0, 2.0]), {"margin": 1.0}),
    (L.BinaryCrossEntropyWithLogits, ([0.0, 0.0], [0.25, 1.0]), {}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("function, arrays, params", KINK_CASES, ids=[c[0].__name__ for c in KINK_CASES])
def test_the_composed_form_takes_the_kernels_subgradient_at_the_kink(function, arrays, params, dtype):
    inputs = [_tensor(np.array(a, dtype)) for a in arrays]
    if function is L.HingeLoss:
        inputs[1].requires_grad = False
    assert_kernel_equals_composed(function, inputs, dict(params, reduction="sum"), np.random.default_rng(0))


@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_exactly_at_the_margin(p):
    # h_j = 1 - 2 + 1 = 0 for j = 1: a term exactly at the margin adds nothing (relu at 0)
    x = _tensor(np.array([[2.0, 1.0, -3.0]]))
    assert_kernel_equals_composed(L.MultiMarginLoss, [x, mg.tensor([0])], {"p": p, "margin": 1.0},
                                  np.random.default_rng(0))
    x.grad = None
    L.MultiMarginLoss.composed(x, mg.tensor([0]), p=p, margin=1.0).backward()
    assert x.grad.data.tolist() == [[0.0, 0.0, 0.0]]


def test_bce_at_zero_and_one_agrees_in_value_not_in_gradient():
    """Where the composed form cannot follow the kernel: at p = 0 or 1 exactly PyTorch
    clamps the gradient's denominator p (1 - p) at 1e-12; autograd's clamp of the log
    passes 0 into log's backward, and 0 / 0 is NaN (BinaryCrossEntropy.composed says so)."""
    p, y = _tensor(np.array([0.0, 1.0, 0.5])), _tensor(np.array([1.0, 0.0, 1.0]))
    kernel = L.BinaryCrossEntropy.apply(p, y, reduction="none")
    kernel.sum().backward()
    kernel_grad = p.grad.data.copy()
    p.grad = None
    with np.errstate(all="ignore"):
        composed = L.BinaryCrossEntropy.composed(p, y, reduction="none")
        composed.sum().backward()
    np.testing.assert_array_equal(composed.data, kernel.data)  # 100, 100 (the clamp) and log 2
    np.testing.assert_allclose(kernel_grad, [-1e12, 1e12, -2.0])
    assert np.isnan(p.grad.data[:2]).all() and p.grad.data[2] == -2.0


def test_everything_ignored_is_nan_with_a_zero_gradient():
    x = _tensor(np.array([[1.0, 2.0], [3.0, -1.0]]))
    target = mg.tensor([-100, -100])
    assert_kernel_equals_composed(L.CrossEntropy, [x, target], {}, np.random.default_rng(0))
    assert np.isnan(L.CrossEntropy.composed(x, target).item())
    assert x.grad.data.tolist() == [[0.0, 0.0], [0.0, 0.0]]


# ---- the composed forms against finite differences ---------------------------------------------------
def test_gradcheck_composed_forms():
    rng = np.random.default_rng(7)
    x = _tensor(rng.standard_normal((3, 4)))
    y = _tensor(rng.uniform(0.1, 0.9, (3, 4)))
    w = rng.uniform(0.5, 2, 4)
    target = mg.tensor([0, 3, -100])
    assert gradcheck(lambda x: L.CrossEntropy.composed(x, target, w, label_smoothing=0.1), [x])
    assert gradcheck(lambda x, y: L.BinaryCrossEntropyWithLogits.composed(
        x, y, np.broadcast_to(w, (3, 4)), np.broadcast_to(w[::-1], (3, 4))), [x, y])
    assert gradcheck(lambda x, y: L.CrossEntropyProbs.composed(x, y, w, 0.2, "sum"), [x, y])
    assert gradcheck(lambda x: L.MultiMarginLoss.composed(x, mg.tensor([1, 2, 0]), p=2, margin=0.5), [x])
    assert gradcheck(lambda x: LogSoftmax.composed(x, 0), [x])
    assert gradcheck(lambda x, y: L.KLDiv.composed(x, y, scale=1 / 3, reduction="sum"), [x, y])
