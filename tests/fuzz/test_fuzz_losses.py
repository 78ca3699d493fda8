"""Fuzz every public loss of minigrad.nn.functional against torch 2.13.0.

Each case draws a shape (0-size and 1-element included), the input's dtype (float16/32/64,
int, bool, object), its values (NaN, +-inf, +-1e30, denormals), memory layouts (Fortran
order, strided, negative strides, read-only), a target (in and out of range, negative,
floating, wrong dtype, wrong shape) and every option the loss has (reduction, weight,
pos_weight, delta, beta, margin, p, ignore_index, label_smoothing, log_target), valid or
not. `bad_arguments` says which arguments the case broke, from minigrad's rules (functional.py's
header lists where they deliberately differ from torch's). Then either

- some argument is bad: minigrad must raise TypeError/ValueError/IndexError naming one of them;
- none is: minigrad's value and input gradient must equal torch's (NaN in the same places),
  with an empty batch giving NaN for 'mean' and 0 for 'sum' (a documented deviation:
  torch's multi_margin_loss returns garbage there).
"""
import math
import warnings

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import minigrad.nn.functional as F
from tests.fuzz._support import (LAYOUTS, as_dtype, assert_same, count, expect_error, float_array,
                                 fuzz_settings,
                                 with_layout)

INPUT_DTYPES = ["float32", "float64", "float32", "float64", "float16", "int64", "int32", "bool", "object"]
FUZZ = fuzz_settings(600)

ELEMENTWISE = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
               "binary_cross_entropy_with_logits", "kl_div", "hinge_loss"]
CLASS_LOSSES = ["cross_entropy", "nll_loss", "multi_margin_loss"]


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _minigrad_dtype(dtype):
    """The dtype minigrad gives a numpy array of `dtype` (float16 widens to float32)."""
    return np.dtype("float32") if dtype == "float16" else np.dtype(dtype)


def _tensor(array, requires_grad=False):
    t = mg.from_numpy(array)
    return t.requires_grad_(True) if requires_grad else t


def _upstream(shape, dtype, rng):
    if shape:
        return rng.uniform(-1, 1, size=shape).astype(dtype)
    return np.asarray(rng.choice([1.0, 1.0, 0.5, -2.0]), dtype=dtype)


def _empty_result(reduction, shape):
    """The documented result of an empty batch: NaN for 'mean' (and 'batchmean'), 0 for 'sum'."""
    if reduction == "none":
        return np.zeros(shape)
    return np.asarray(np.nan if reduction in ("mean", "batchmean") else 0.0)


def _run_both(torch, mg_call, torch_call, x, out_dtype, documented, reduction, what, zero_grad=None):
    """Run minigrad and torch on x (a float array); compare value and input gradient with
    torch's, or with the documented result (NaN for 'mean', 0 for 'sum', zero gradient) if
    `documented` (an empty batch; nothing counting towards a 'mean'). `zero_grad`: a mask
    of x's shape where the gradient is documented to be 0 (the rows of ignored targets)."""
    rng = np.random.default_rng(x.size)
    xm = _tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = mg_call(xm)
    assert out.dtype == out_dtype, f"{what}: output dtype {out.dtype}, expected {out_dtype}"
    up = _upstream(out.shape, out_dtype, rng)
    out.backward(mg.tensor(up))
    grad = xm.grad.data
    assert grad.shape == x.shape and grad.dtype == out_dtype, f"{what}: gradient {grad.shape} {grad.dtype}"

    def in_torch(dtype):
        tx = torch.tensor(np.array(x, dtype=dtype, order="C"), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = torch_call(tx, dtype)
        value.backward(torch.tensor(up.astype(dtype)))
        return value.detach().numpy(), tx.grad.numpy()

    if documented:
        expected, expected_grad = _empty_result(reduction, out.shape), np.zeros(x.shape)
        also = also_grad = None
    else:
        expected, expected_grad = in_torch(out_dtype)
        also, also_grad = in_torch(np.float64) if out_dtype == np.float32 else (None, None)
        if zero_grad is not None:  # torch: NaN there when the row's logits hold NaN or inf
            for g in (expected_grad, also_grad):
                if g is not None:
                    g[np.broadcast_to(zero_grad, g.shape)] = 0.0
    assert tuple(out.shape) == tuple(np.shape(expected)), f"{what}: shape {out.shape} vs {np.shape(expected)}"
    assert_same(out.data, expected, out_dtype, f"{what}: value", also)
    assert_same(grad, expected_grad, out_dtype, f"{what}: input gradient", also_grad)


def _empty_batch(x, reduction):
    """An element-wise loss's batch is empty when x has no elements; for 'batchmean', when
    the batch axis has length 0 (a (1, 0) input is one sample of no elements: sum 0, / 1)."""
    if reduction == "batchmean" and x.ndim:
        return x.shape[0] == 0
    return x.size == 0


# ---- element-wise losses ------------------------------------------------------------------
OPTIONS = {
    "huber_loss": {"delta": [1.0, 0.5, 2.0, 1e-3, 0.0, -1.0, math.nan, math.inf, "1", None]},
    "smooth_l1_loss": {"beta": [1.0, 0.0, 0.5, 3.0, -1.0, math.nan, math.inf, [1.0]]},
    "hinge_loss": {"margin": [1.0, 0.0, 2.5, -1.0, math.nan, math.inf, "1"]},
    "kl_div": {"log_target": [False, True, 1, None]},
}


def _bad_elementwise(name, x, t, reduction, options, weights):
    """The arguments this element-wise case breaks (empty: it is valid)."""
    bad = set()
    if x.dtype.kind != "f":
        bad.add("input")
    if t.shape != x.shape:
        bad.add("target")
    if reduction not in (("mean", "sum", "none", "batchmean") if name == "kl_div" else ("mean", "sum", "none")):
        bad.add("reduction")
    for key, value in options.items():
        if key == "delta" and not (_is_number(value) and value > 0):
            bad.add(key)
        if key == "beta" and not (_is_number(value) and value >= 0):
            bad.add(key)
        if key == "margin" and not _is_number(value):
            bad.add(key)
        if key == "log_target" and not isinstance(value, bool):
            bad.add(key)
    for key, w in weights.items():
        if w is not None:
            try:
                np.broadcast_to(w, x.shape)
            except ValueError:
                bad.add(key)
    if not bad and name == "binary_cross_entropy":
        with np.errstate(invalid="ignore"):
            if x.size and not np.all((x >= 0) & (x <= 1)):
                bad.add("input")
            if t.size and not np.all((t >= 0) & (t <= 1)):
                bad.add("target")
    if not bad and name == "hinge_loss" and t.size and not np.all(np.abs(t.astype(np.float64)) == 1):
        bad.add("target")
    return bad


def _torch_elementwise(torch, name, tt, reduction, options, weights):
    def call(tx, dtype):
        t = tt.to(getattr(torch, np.dtype(dtype).name))
        w = {k: torch.tensor(np.asarray(v, dtype=dtype)) for k, v in weights.items() if v is not None}
        if name == "hinge_loss":
            loss = torch.relu(options["margin"] - t * tx)
            return {"mean": loss.mean, "sum": loss.sum, "none": lambda: loss}[reduction]()
        return getattr(torch.nn.functional, name)(tx, t, reduction=reduction, **options, **w)
    return call


@st.composite
def elementwise_case(draw):
    name = draw(st.sampled_from(ELEMENTWISE))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    dtype = draw(st.sampled_from(INPUT_DTYPES))
    probability = name == "binary_cross_entropy" and draw(st.integers(0, 4)) > 0  # mostly in [0, 1]
    x = draw(float_array(shape, np.float64, low=0.0 if probability else None, high=1.0))
    x = with_layout(as_dtype(x, dtype), draw(st.sampled_from(LAYOUTS)))
    t_shape = shape if draw(st.integers(0, 6)) else draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    t_dtype = draw(st.sampled_from(["float32", "float64", "float64", "int64", "bool", "object"]))
    if name == "hinge_loss" and draw(st.integers(0, 5)):
        t = draw(hnp.arrays(np.float64, t_shape, elements=st.sampled_from([-1.0, 1.0])))
    elif name in ("binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div") and draw(st.integers(0, 3)):
        t = draw(float_array(t_shape, np.float64, low=0.0, high=1.0))
    else:
        t = draw(float_array(t_shape, np.float64))
    t = with_layout(as_dtype(t, t_dtype), draw(st.sampled_from(LAYOUTS)))
    reductions = ["mean", "sum", "none"] + (["batchmean"] if name == "kl_div" else [])
    reduction = draw(st.sampled_from(reductions * 4 + ["avg", None]))
    options = {k: draw(st.sampled_from(v[:3] * 3 + v)) for k, v in OPTIONS.get(name, {}).items()}
    weights = {}
    if name in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        keys = ["weight"] + (["pos_weight"] if name == "binary_cross_entropy_with_logits" else [])
        for key in keys:
            kind = draw(st.sampled_from(["none", "none", "same", "suffix", "other"]))
            if kind == "none":
                continue
            w_shape = {"same": shape, "suffix": shape[len(shape) - 1:] if shape else (),
                       "other": (draw(st.integers(2, 5)),)}[kind]
            weights[key] = draw(float_array(w_shape, np.float64, low=0.0, high=3.0))
    return name, x, t, reduction, options, weights


@FUZZ
@given(case=elementwise_case())
# found by the fuzzing: torch's gradient weights sigmoid by pos_weight * y + 1 - y (NaN here),
# not by the loss's 1 + (pos_weight - 1) * y (-inf)
@example(case=("binary_cross_entropy_with_logits", np.array(0.0, np.float32), np.array(np.inf, np.float32),
               "mean", {}, {"pos_weight": np.array(0.5)}))
def test_elementwise_losses(torch, case):
    count("losses")
    name, x, t, reduction, options, weights = case
    what = f"{name}(input {x.dtype}{x.shape}, target {t.dtype}{t.shape}, reduction={reduction!r}, {options}, {list(weights)})"
    for array in (x, t):
        if array.dtype == object:
            expect_error(lambda: mg.from_numpy(array), {"data"}, what)
            return
    xd, td = _minigrad_dtype(x.dtype.name), _minigrad_dtype(t.dtype.name)
    kwargs = dict(options, **{k: mg.tensor(v) for k, v in weights.items()})
    kwargs["reduction"] = reduction
    fn = getattr(F, name)
    bad = _bad_elementwise(name, x.astype(xd), t.astype(td), reduction, options, weights)
    if bad:
        expect_error(lambda: fn(_tensor(x), _tensor(t), **kwargs), bad, what)
        return
    tt = torch.tensor(np.array(t, dtype=np.float64, order="C"))
    _run_both(torch, lambda xm: fn(xm, _tensor(t), **kwargs),
              _torch_elementwise(torch, name, tt, reduction, options, weights),
              x, xd, _empty_batch(x, reduction), reduction, what)


# ---- class losses ---------------------------------------------------------------------------
@st.composite
def class_case(draw):
    name = draw(st.sampled_from(CLASS_LOSSES))
    n, c, d = draw(st.integers(0, 4)), draw(st.sampled_from([0, 1, 1, 2, 3, 4, 5])), draw(st.integers(0, 3))
    layout = draw(st.sampled_from(["(C,)", "(N, C)", "(N, C)", "(N, C)", "(N, C, d)", "()"]))
    shape = {"(C,)": (c,), "(N, C)": (n, c), "(N, C, d)": (n, c, d), "()": ()}[layout]
    dtype = draw(st.sampled_from(INPUT_DTYPES))
    x = with_layout(as_dtype(draw(float_array(shape, np.float64)), dtype), draw(st.sampled_from(LAYOUTS)))
    label_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    ignore_index = -100
    if name != "multi_margin_loss":
        ignore_index = draw(st.sampled_from([-100] * 6 + [0, 1, -1, 2**70, 1.5, True, np.int32(2)]))
    kind = draw(st.sampled_from(["labels"] * 6 + ["out of range", "float", "bool", "int32", "wrong shape", "probs"]))
    if kind == "probs":
        t = draw(float_array(shape, np.float64, low=0.0, high=1.0))
        if t.ndim and t.size and draw(st.booleans()):  # rows that sum to 1
            axis = 0 if t.ndim == 1 else 1
            t = t / np.where(t.sum(axis=axis, keepdims=True) > 0, t.sum(axis=axis, keepdims=True), 1)
        t = t.astype(draw(st.sampled_from(["float32", "float64"])))
    else:
        t_shape = label_shape if kind != "wrong shape" else draw(
            hnp.array_shapes(min_dims=0, max_dims=2, max_side=4).filter(lambda s: s != label_shape))
        t = draw(hnp.arrays(np.int64, t_shape, elements=st.integers(0, max(c - 1, 0))))
        if t.size and isinstance(ignore_index, int) and not isinstance(ignore_index, bool) and draw(st.booleans()):
            t.flat[draw(st.integers(0, t.size - 1))] = ignore_index if abs(ignore_index) < 2**63 else 0
        if kind == "out of range" and t.size:
            t.flat[draw(st.integers(0, t.size - 1))] = draw(st.sampled_from([c, c + 7, -1, -5, 2**62]))
        t = {"float": t.astype(np.float32), "bool": t.astype(bool), "int32": t.astype(np.int32)}.get(kind, t)
    t = with_layout(t, draw(st.sampled_from(LAYOUTS)))
    weight = None
    weight_kind = draw(st.sampled_from(["none", "none", "classes", "zeros", "int", "wrong"]))
    if weight_kind == "classes":
        weight = draw(float_array((c,), np.float64, low=0.0, high=3.0))
    elif weight_kind == "zeros":
        weight = np.zeros(c)
    elif weight_kind == "int":
        weight = np.arange(1, c + 1)
    elif weight_kind == "wrong":
        weight = np.ones(c + 1) if draw(st.booleans()) else np.ones((1, c))
    reduction = draw(st.sampled_from(["mean", "sum", "none"] * 4 + ["batchmean", 3]))
    options = {}
    if name == "cross_entropy":
        options["label_smoothing"] = draw(st.sampled_from([0.0] * 4 + [0.1, 0.5, 1.0, -0.1, 1.5, math.nan, "0.1"]))
    if name == "multi_margin_loss":
        options["p"] = draw(st.sampled_from([1, 2, 1, 2, 2.0, 3, 1.5, True, "1"]))
        options["margin"] = draw(st.sampled_from([1.0, 1.0, 0.0, 0.5, -1.0, math.nan, math.inf, "1"]))
    else:
        options["ignore_index"] = ignore_index
    return name, x, t, weight, reduction, options


def _bad_class(name, x, t, weight, reduction, options):
    """The arguments this class-loss case breaks (empty: it is valid)."""
    bad = set()
    c = None
    if x.dtype.kind != "f" or x.ndim == 0 or (name == "multi_margin_loss" and x.ndim > 2):
        bad.add("input")
    else:
        c = x.shape[0] if x.ndim == 1 else x.shape[1]
        if c == 0:
            bad.add("input")
    if reduction not in ("mean", "sum", "none"):
        bad.add("reduction")
    if weight is not None and c is not None and weight.shape != (c,):
        bad.add("weight")
    ignore_index = options.get("ignore_index", -100)
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)) or not (
            -2**63 <= int(ignore_index) < 2**63):
        bad.add("ignore_index")
    ls = options.get("label_smoothing", 0.0)
    if not (_is_number(ls) and 0 <= ls <= 1):
        bad.add("label_smoothing")
    p = options.get("p", 1)
    if isinstance(p, bool) or not _is_number(p) or p not in (1, 2):
        bad.add("p")
    if not _is_number(options.get("margin", 1.0)):
        bad.add("margin")
    if c is None:
        return bad
    probs = name == "cross_entropy" and t.dtype.kind == "f" and t.shape == x.shape
    if probs:
        if "ignore_index" not in bad and ignore_index >= 0:
            bad.add("ignore_index")
        return bad
    label_shape = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    if t.dtype.kind not in "iu" or t.shape != label_shape:
        bad.add("target")
    else:
        allowed = (t >= 0) & (t < c)
        if name != "multi_margin_loss" and "ignore_index" not in bad:
            allowed |= t == ignore_index
        if not np.all(allowed):
            bad.add("target")
    return bad


def _torch_class(torch, name, t, weight, reduction, options):
    def call(tx, dtype):
        tt = torch.tensor(np.array(t, dtype=dtype if t.dtype.kind == "f" else np.int64, order="C"))
        w = None if weight is None else torch.tensor(np.asarray(weight, dtype=dtype))
        return getattr(torch.nn.functional, name)(tx, tt, weight=w, reduction=reduction, **options)
    return call


@FUZZ
@given(case=class_case())
def test_class_losses(torch, case):
    count("losses")
    name, x, t, weight, reduction, options = case
    what = (f"{name}(input {x.dtype}{x.shape}, target {t.dtype}{t.shape} {t.ravel()[:6]}, "
            f"weight={None if weight is None else weight.shape}, reduction={reduction!r}, {options})")
    if x.dtype == object:
        expect_error(lambda: mg.from_numpy(x), {"data"}, what)
        return
    xd = _minigrad_dtype(x.dtype.name)
    fn = getattr(F, name)
    kwargs = dict(options, reduction=reduction, weight=None if weight is None else mg.tensor(weight))
    bad = _bad_class(name, x.astype(xd), t, weight, reduction, options)
    if bad:
        expect_error(lambda: fn(_tensor(x), _tensor(t), **kwargs), bad, what)
        return
    empty, ignored = x.size == 0, None
    if name != "multi_margin_loss" and t.dtype.kind != "f":
        ignored = t == options["ignore_index"]  # their gradient rows are 0
        ignored = ignored[:, None] if x.ndim > 1 else ignored
    if name != "multi_margin_loss" and t.dtype.kind != "f" and reduction == "mean":
        # Nothing counts towards the mean (every target ignored, or every target's weight
        # 0): NaN, and a zero gradient (torch: zero too when ignored; NaN = 0/0 when weighted 0).
        kept = t[t != options["ignore_index"]]
        empty |= float(np.sum(weight[kept]) if weight is not None else kept.size) == 0
    _run_both(torch, lambda xm: fn(xm, _tensor(t), **kwargs),
              _torch_class(torch, name, t, weight, reduction, options),
              x, xd, empty, reduction, what, ignored)
