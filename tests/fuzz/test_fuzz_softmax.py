"""Fuzz softmax and log_softmax (F.softmax, the Tensor methods, nn.Softmax / nn.LogSoftmax)
against torch 2.13.0: any shape (0-size axes, 0-d, 1 element, rows longer than a SIMD
block), every input dtype, NaN / +-inf / +-1e30 / denormals, every memory layout, and any
`dim` (in range, out of range, not an int). Each case either raises an error naming the
argument (`dim`, `input`, or the op) or gives torch's value and gradient under a random
upstream gradient, NaN in the same places.
"""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from tests.fuzz._support import (LAYOUTS, as_dtype, assert_same, count, expect_error, float_array,
                                 fuzz_settings, with_layout)

INPUT_DTYPES = ["float32", "float64", "float32", "float64", "float16", "int64", "bool", "object"]
SIDES = st.one_of(st.integers(0, 4), st.integers(0, 4), st.sampled_from([1, 7, 8, 9, 17, 130]))


@st.composite
def softmax_case(draw):
    ndim = draw(st.integers(0, 3))
    shape = tuple(draw(SIDES) for _ in range(ndim))
    while int(np.prod(shape)) > 600:  # keep a case small: one long axis at most
        shape = shape[1:]
    dtype = draw(st.sampled_from(INPUT_DTYPES))
    x = draw(float_array(shape, np.float64))
    if x.size and draw(st.integers(0, 3)) == 0:  # large finite logits: stability
        with np.errstate(over="ignore", invalid="ignore"):
            x = x * draw(st.sampled_from([1e4, 1e30, 1e300]))
    x = with_layout(as_dtype(x, dtype), draw(st.sampled_from(LAYOUTS)))
    dim = draw(st.one_of(st.integers(-len(shape) - 1, len(shape)), st.sampled_from([None, 1.0, True, "0"])))
    op = draw(st.sampled_from(["softmax", "log_softmax"]))
    entry = draw(st.sampled_from(["F", "method", "module"]))
    return op, entry, x, dim


def _call(op, entry, tensor, dim):
    if entry == "F":
        return getattr(F, op)(tensor, dim)
    if entry == "method":
        return getattr(tensor, op)(dim)
    return {"softmax": mg.nn.Softmax, "log_softmax": mg.nn.LogSoftmax}[op](dim)(tensor)


@fuzz_settings(600)
@given(case=softmax_case())
def test_softmax(torch, case):
    count("softmax")
    op, entry, x, dim = case
    what = f"{op} via {entry}: input {x.dtype}{x.shape}, dim={dim!r}"
    if x.dtype == object:
        expect_error(lambda: mg.from_numpy(x), {"data"}, what)
        return
    xm = mg.from_numpy(x)
    low, high = (-1, 0) if x.ndim == 0 else (-x.ndim, x.ndim - 1)
    bad_dim = isinstance(dim, bool) or not isinstance(dim, int) or not low <= dim <= high
    if xm.dtype.kind != "f" or bad_dim:
        names = {"input", op} if xm.dtype.kind != "f" else set()
        names |= {"dim", "Dimension"} if bad_dim else set()
        expect_error(lambda: _call(op, entry, xm, dim), names, what)
        return
    xm.requires_grad_(True)
    out = _call(op, entry, xm, dim)
    dtype = xm.dtype
    assert out.dtype == dtype and out.shape == x.shape, f"{what}: output {out.dtype}{out.shape}"
    up = np.random.default_rng(x.size).uniform(-1, 1, size=x.shape).astype(dtype)
    out.backward(mg.tensor(up))

    def in_torch(dt):
        tx = torch.tensor(np.array(x, dtype=dt, order="C"), requires_grad=True)
        y = getattr(torch, op)(tx, dim)
        y.backward(torch.tensor(up.astype(dt)))
        return y.detach().numpy(), tx.grad.numpy()

    expected, expected_grad = in_torch(dtype)
    also, also_grad = in_torch(np.float64) if dtype == np.float32 else (None, None)
    assert_same(out.data, expected, dtype, f"{what}: value", also)
    assert_same(xm.grad.data, expected_grad, dtype, f"{what}: gradient", also_grad)


@fuzz_settings(100)
@given(shape=st.tuples(st.integers(0, 3), st.integers(1, 40)), scale=st.sampled_from([1.0, 1e4, 1e30, 1e300]))
def test_softmax_rows_are_distributions(shape, scale):
    """For any finite logits, every softmax row is in [0, 1] and sums to 1, and log_softmax is
    <= 0 and finite, its largest entry >= -log(C): the max subtraction makes overflow impossible."""
    count("softmax")
    x = np.random.default_rng(shape[1]).uniform(-1, 1, size=shape) * scale
    for dtype in (np.float32, np.float64):
        with np.errstate(over="ignore"):
            xs = x.astype(dtype)
        if not np.all(np.isfinite(xs)):
            continue
        p = F.softmax(mg.tensor(xs), 1).data
        logp = F.log_softmax(mg.tensor(xs), 1).data
        assert np.all((p >= 0) & (p <= 1)) and np.allclose(p.sum(axis=1), 1, atol=1e-5)
        assert np.all(logp <= 0) and np.all(np.isfinite(logp))
        if shape[0]:
            assert np.all(logp.max(axis=1) >= -np.log(shape[1]) - 1e-5)
