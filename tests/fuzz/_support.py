"""What the fuzz tests share: value and layout strategies, the torch oracle's comparison, the
error-message check, and the count of cases run (printed at the end of the session by
tests/fuzz/conftest.py).

Every fuzz case ends in exactly one of two ways:

- minigrad raises TypeError / ValueError / IndexError and the message names the argument
  the case broke (`expect_error`), or
- minigrad returns a result equal to torch 2.13.0's (`assert_same`): the same shape, the
  same dtype, NaN in the same places, infinities of the same sign, finite values within
  the dtype's rounding, for the value and for the gradient.
"""
import collections
import os

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from minigrad.testing import difference

# Cases run per area, summed over the session. Hypothesis calls the test body once per
# example: each body calls `count(area)` once.
COUNTS = collections.Counter()


def count(area):
    COUNTS[area] += 1


# ---- values ---------------------------------------------------------------------------------
SPECIAL = [np.nan, np.inf, -np.inf, 1e30, -1e30, 5e-324, 1e-40, -1e-45, 0.0, -0.0, 1.0, -1.0]


def values(n, special=0.2):
    """n floats: mostly normal numbers of order 1-10, each special (NaN, +-inf, +-1e30,
    denormals of float64 and float32, signed zeros) with probability `special`."""
    ordinary = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=32)
    return st.lists(st.one_of(ordinary, st.sampled_from(SPECIAL)) if special else ordinary,
                    min_size=n, max_size=n)


@st.composite
def float_array(draw, shape, dtype, special=True, low=None, high=None):
    """An array of `shape` and `dtype`; values in [low, high] if given (then no specials)."""
    n = int(np.prod(shape))
    if n > 64:  # a long array from a seed: hypothesis' per-element draws would be slow
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        if low is not None:
            vals = rng.uniform(low, high, size=n)
            vals[rng.random(n) < 0.05] = low
            vals[rng.random(n) < 0.05] = high
        else:
            vals = rng.uniform(-10, 10, size=n)
            if special:
                where = rng.random(n) < draw(st.sampled_from([0.0, 0.01, 0.2]))
                vals[where] = rng.choice(SPECIAL, size=int(where.sum()))
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            return vals.astype(dtype).reshape(shape)
    if low is not None:
        vals = draw(st.lists(st.floats(low, high, width=32), min_size=n, max_size=n))
        if n and draw(st.booleans()):  # the ends of the interval are the interesting points
            vals[draw(st.integers(0, n - 1))] = draw(st.sampled_from([low, high]))
    else:
        vals = draw(values(n, special=0.25 if special else 0))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return np.array(vals, dtype=np.float64).astype(dtype).reshape(shape)


# ---- layouts --------------------------------------------------------------------------------
LAYOUTS = ["C", "F", "strided", "reversed", "readonly"]


def with_layout(array, layout):
    """The same values in another memory layout: Fortran order, a strided view of a larger
    array, negative strides, or a read-only array."""
    if array.ndim == 0:
        return array.copy()
    if layout == "F":
        return np.asfortranarray(array)
    if layout == "strided":
        big = np.zeros(array.shape[:-1] + (2 * array.shape[-1],), array.dtype)
        big[..., ::2] = array
        return big[..., ::2]
    if layout == "reversed":
        flipped = np.ascontiguousarray(array[..., ::-1])
        return flipped[..., ::-1]
    if layout == "readonly":
        out = array.copy()
        out.setflags(write=False)
        return out
    return np.array(array, order="C")


def as_dtype(array, dtype):
    """The array in `dtype` (any numpy dtype, object included), values converted as numpy does."""
    with np.errstate(invalid="ignore", over="ignore"):
        if np.dtype(dtype).kind in "iu" and array.dtype.kind == "f":
            return np.asarray(np.nan_to_num(array, nan=0, posinf=3, neginf=-3).clip(-3, 3)).astype(dtype)
        return np.asarray(array).astype(dtype)


# ---- the checks -----------------------------------------------------------------------------
ERRORS = (TypeError, ValueError, IndexError)


def expect_error(call, names, what=""):
    """`call()` must raise TypeError/ValueError/IndexError whose message contains one of
    `names` (the arguments the case broke). Returns the exception."""
    try:
        result = call()
    except ERRORS as error:
        message = str(error)
        assert any(name in message for name in names), (
            f"{what}: the message should name one of {sorted(names)}: {type(error).__name__}: {message}")
        return error
    raise AssertionError(f"{what}: expected an error naming one of {sorted(names)}, got {result!r}")


RTOL = {np.dtype(np.float32): 2e-4, np.dtype(np.float64): 1e-9}


def _close(actual, expected, dtype, scale=None):
    """None if `actual` matches `expected`, else what differs: minigrad.testing.difference with
    the dtype's rounding (RTOL), NaN and infinities in the same places, and an absolute floor
    at the scale of the finite values, as tests/torch_parity has (or at `scale`, the size of
    the terms a sum added, where they may cancel)."""
    rtol = RTOL[np.dtype(dtype)]
    row = difference("", actual, expected, atol=0.0, rtol=rtol, scale=max(1.0, scale or 0.0))
    if row.ok:
        return None
    return (f"{row.note or 'values differ'}: worst at {row.index}, minigrad {row.minigrad_value!r} vs torch "
            f"{row.torch_value!r} (max |difference| {row.max_abs:.3g}, rtol {rtol})")


def assert_same(actual, expected, dtype, what, also=None, scale=None):
    """`actual` equals `expected` (see _close); or, if `also` is given, equals `also` (the
    same computation by torch in float64, rounded to dtype: minigrad's kernels accumulate in
    double, so where torch's float32 path overflows or cancels, minigrad matches that)."""
    problem = _close(actual, expected, dtype, scale)
    if problem and also is not None:
        with np.errstate(over="ignore", invalid="ignore"):
            also = np.asarray(also, dtype=np.float64).astype(dtype)
        second = _close(actual, also, dtype, scale)
        if second is None:
            return
        problem = f"{problem}; against torch in float64: {second}"
    assert problem is None, f"{what}: {problem}"


def fuzz_settings(max_examples):
    """Hypothesis settings for a fuzz test: `max_examples` by default (the suite stays under
    two minutes), or MINIGRAD_FUZZ_EXAMPLES each for a deeper run, e.g.
    `MINIGRAD_FUZZ_EXAMPLES=5000 pytest tests/fuzz`."""
    return settings(max_examples=int(os.environ.get("MINIGRAD_FUZZ_EXAMPLES") or max_examples),
                    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
