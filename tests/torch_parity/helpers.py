"""One-line PyTorch comparisons: run the same expression in both frameworks, compare all.

`fn(lib, *tensors)` is written once and runs on minigrad and on torch: both spell the
methods the same (x.exp(), x.sum(dim=1), x.max(dim=0)[0], ...); `lib` is the module
(minigrad or torch) for the few function forms such as lib.where.
"""
import numpy as np

import minigrad as mg
from minigrad.testing import difference

RTOL = {np.float64: 1e-12, np.float32: 1e-5}


def assert_close(actual, expected, dtype, what):
    """minigrad.testing.difference with the relative tolerance of `dtype` and an absolute
    floor at the values' magnitude (inputs are of order 1: scale=1), so that an element that
    should be ~0, the result of a cancellation, cannot fail on rounding alone."""
    row = difference(what, actual, expected, atol=0.0, rtol=RTOL[np.dtype(dtype).type], scale=1.0)
    assert row.ok, f"{row}  (rtol {RTOL[np.dtype(dtype).type]:g})"


def compare(torch, fn, arrays, dtype=np.float64, grad_seed=0, requires_grad=None):
    """Run fn on minigrad and torch tensors built from `arrays`; compare outputs and the
    gradient of every input under a random upstream gradient. Returns the minigrad output."""
    arrays = [np.asarray(a, dtype=dtype) for a in arrays]
    requires_grad = requires_grad or [True] * len(arrays)
    mine = [mg.tensor(a, requires_grad=r) for a, r in zip(arrays, requires_grad)]
    theirs = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, requires_grad)]
    out, expected = fn(mg, *mine), fn(torch, *theirs)
    assert out.dtype == np.dtype(dtype), f"output dtype {out.dtype}, expected {np.dtype(dtype)}"
    assert out.shape == tuple(expected.shape), f"output shape {out.shape} vs torch {tuple(expected.shape)}"
    assert_close(out.data, expected.detach().numpy(), dtype, "forward value")
    upstream = np.random.default_rng(grad_seed).uniform(-1, 1, size=out.shape).astype(dtype)
    out.backward(mg.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    for i, (m, t) in enumerate(zip(mine, theirs)):
        if not requires_grad[i]:
            continue
        if t.grad is None:
            assert m.grad is None or not np.any(m.grad.data), f"input {i}: torch has no gradient"
            continue
        assert m.grad is not None, f"input {i}: minigrad produced no gradient"
        assert m.grad.shape == m.shape and m.grad.dtype == m.dtype
        assert_close(m.grad.data, t.grad.numpy(), dtype, f"gradient of input {i}")
    return out
