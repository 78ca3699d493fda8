"""Fuzz cases for the raw compiled kernels, run in a child process by test_fuzz_kernels.py, so
that a crash (a segfault in a kernel) is a failing test that names the signal instead of a
dead test run.

    python -m tests.fuzz.kernel_cases [MAX_EXAMPLES]     (from the repository's root)

Each case calls one kernel of minigrad._kernels._softmax / _loss directly (no wrapper) with
random sizes (0 rows, 1 class, lengths around the kernels' CHUNK of 256 and BLOCK of 2048
entries, rows of LONG_ROW = 128 classes and more), float32 or float64, NaN / +-inf / +-1e30 /
denormal values, with or without loss_out and grad_out, and either

- valid arguments: the result (total, loss_out, grad_out) must equal the numpy twin's
  (minigrad/_kernels/reference.py), NaN in the same places; or
- arguments the kernel itself must refuse even though the wrapper never sends them (a short
  target or output, a weight of the wrong length, mixed dtypes, a strided or read-only
  output, int32 labels): TypeError or ValueError, never a crash. Under the debug build
  (MINIGRAD_CYTHON_DEBUG=1, detected here) labels out of [0, C) are sent too and must be an
  IndexError from Cython's bounds check; the normal build has no bounds checks, so this
  file never sends it such labels (the wrappers in nn/functional.py refuse them).

Prints `kernel cases: N` on its last line; exits non-zero on a failure.
"""
import os
import sys

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minigrad._kernels import _loss, _softmax, reference
from tests.fuzz._support import _close, float_array

CASES = 0


def debug_build():
    """True if the kernels were built with bounds checks (MINIGRAD_CYTHON_DEBUG=1).

    The probe reads logp[0, 1] of a C-contiguous (2, 1) array: out of bounds for the
    memoryview (a debug build raises IndexError), but inside the array's memory (it is
    logp[1, 0]), so a normal build reads a valid number and nothing else happens."""
    logp = np.zeros((2, 1))
    try:
        _loss.nll_loss(logp, np.array([1, 0]), None, -100, False, None, None)
    except IndexError:
        return True
    return False


DEBUG = debug_build()

ELEMENTWISE = {  # name: draws the options between y and loss_out
    "mse_loss": lambda draw: (),
    "l1_loss": lambda draw: (),
    "huber_loss": lambda draw: (draw(st.sampled_from([1.0, 0.5, 1e-3, 1e30])),),
    "smooth_l1_loss": lambda draw: (draw(st.sampled_from([1.0, 0.0, 0.5, 1e30])),),
    "kl_div": lambda draw: (draw(st.booleans()),),
    "hinge_loss": lambda draw: (draw(st.sampled_from([1.0, 0.0, -2.0, float("nan")])),),
    "binary_cross_entropy": None,               # weight: built below (it has length n)
    "binary_cross_entropy_with_logits": None,   # weight, pos_weight
}
CLASS = ["cross_entropy", "nll_loss", "multi_margin_loss", "cross_entropy_probs"]
SOFTMAX = ["softmax_forward", "log_softmax_forward", "softmax_backward", "log_softmax_backward"]
BREAKS = ["short target", "short loss_out", "short grad_out", "mixed dtypes", "strided output",
          "read-only output", "weight length", "int32 labels", "label out of range"]

N = st.one_of(st.sampled_from([0, 1, 2, 7, 8, 9, 255, 256, 257, 513]), st.integers(0, 40))
C = st.one_of(st.sampled_from([1, 2, 3, 7, 8, 9, 127, 128, 129, 300]), st.integers(1, 12))


@st.composite
def kernel_case(draw):
    family = draw(st.sampled_from(["elementwise", "class", "softmax"]))
    dtype = np.dtype(draw(st.sampled_from(["float32", "float64"])))
    want_loss, want_grad = draw(st.booleans()), draw(st.booleans())
    broken = draw(st.sampled_from([None] * 12 + [b for b in BREAKS if DEBUG or b != "label out of range"]))
    if family == "elementwise":
        name = draw(st.sampled_from(sorted(ELEMENTWISE)))
        n = draw(N)
        probability = name == "binary_cross_entropy"
        x = draw(float_array((n,), dtype, low=0.0 if probability else None, high=1.0))
        y = draw(float_array((n,), dtype, low=0.0, high=1.0)) if name != "hinge_loss" else \
            np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)), dtype)
        if name == "binary_cross_entropy":
            options = (draw(st.one_of(st.none(), float_array((n,), dtype, low=0.0, high=2.0))),)
        elif name == "binary_cross_entropy_with_logits":
            options = tuple(draw(st.one_of(st.none(), float_array((n,), dtype, low=0.0, high=3.0)))
                            for _ in range(2))
        else:
            options = ELEMENTWISE[name](draw)
        loss = np.full(n, -7.0, dtype) if want_loss else None
        grad = np.full(n, -7.0, dtype) if want_grad else None
        scale = draw(st.sampled_from([1.0, 1.0 / max(n, 1), 0.5]))
        args = [x, y, *options, loss, grad, scale]
        return name, args, broken, {"x": 0, "y": 1, "loss": 2 + len(options), "grad": 3 + len(options)}
    n, c = draw(N), draw(C)
    while n * c > 6000:
        n //= 2
    x = draw(float_array((n, c), dtype))
    if family == "softmax":
        name = draw(st.sampled_from(SOFTMAX))
        if name.endswith("backward"):  # y: a real (log-)softmax output, grad: anything
            y = np.empty_like(x)
            getattr(reference, name.replace("backward", "forward"))(x, y)
            args = [y, draw(float_array((n, c), dtype)), np.full((n, c), -7.0, dtype)]
            return name, args, broken, {"x": 0, "y": 1, "grad": 2}
        return name, [x, np.full((n, c), -7.0, dtype)], broken, {"x": 0, "grad": 1}
    name = draw(st.sampled_from(CLASS))
    weight = draw(st.one_of(st.none(), float_array((c,), dtype, low=0.0, high=3.0)))
    loss = np.full(n, -7.0, dtype) if want_loss else None
    grad = np.full((n, c), -7.0, dtype) if want_grad else None
    if name == "cross_entropy_probs":
        t = draw(float_array((n, c), dtype, low=0.0, high=1.0))
        eps = draw(st.sampled_from([0.0, 0.1, 1.0]))
        return name, [x, t, weight, eps, loss, grad, 1.0 / max(n, 1)], broken, \
            {"x": 0, "y": 1, "weight": 2, "loss": 4, "grad": 5}
    ignore_index = draw(st.sampled_from([-100, 0, c - 1]))
    t = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), np.int64)
    if n and name != "multi_margin_loss" and draw(st.booleans()):
        t[draw(st.integers(0, n - 1))] = ignore_index
    if name == "cross_entropy":
        args = [x, t, weight, ignore_index, draw(st.sampled_from([0.0, 0.1, 1.0])), draw(st.booleans()), loss, grad]
        where = {"x": 0, "y": 1, "weight": 2, "loss": 6, "grad": 7}
    elif name == "nll_loss":
        args = [x, t, weight, ignore_index, draw(st.booleans()), loss, grad]
        where = {"x": 0, "y": 1, "weight": 2, "loss": 5, "grad": 6}
    else:
        args = [x, t, draw(st.sampled_from([1, 2])), draw(st.sampled_from([1.0, 0.0, float("nan")])),
                weight, loss, grad, 1.0 / max(n, 1)]
        where = {"x": 0, "y": 1, "weight": 4, "loss": 5, "grad": 6}
    return name, args, broken, where


def _break(name, args, broken, where):
    """Apply the corruption `broken` to args; return the errors it must raise (None: it does
    not apply to this kernel, run the case as valid)."""
    def shorter(a):
        return a[:-1] if a.ndim == 1 else a[:, :-1] if a.shape[0] == 0 else a[:-1]

    if broken == "short target" and "y" in where and len(args[where["y"]]):
        args[where["y"]] = np.ascontiguousarray(shorter(args[where["y"]]))
        return (ValueError,)
    for key in ("loss", "grad"):
        if broken == f"short {key}_out" and key in where and args[where[key]] is not None \
                and args[where[key]].shape[0]:
            args[where[key]] = np.ascontiguousarray(args[where[key]][:-1])
            return (ValueError,)
    out = where.get("grad", where.get("loss"))
    floats = [a for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f" and i != where["x"]]
    if broken == "mixed dtypes" and args[where["x"]].size and floats:
        other = np.float64 if args[where["x"]].dtype == np.float32 else np.float32
        args[where["x"]] = args[where["x"]].astype(other)
        return (TypeError, ValueError)
    if broken == "strided output" and out is not None and args[out] is not None and args[out].size > 1:
        a = args[out]
        args[out] = np.repeat(a, 2, axis=-1)[..., ::2]  # same shape, not C-contiguous
        return (ValueError,)
    if broken == "read-only output" and out is not None and args[out] is not None:
        args[out].setflags(write=False)
        return (ValueError,)
    if broken == "weight length" and "weight" in where and args[where["weight"]] is not None:
        args[where["weight"]] = np.concatenate([args[where["weight"]], args[where["weight"]][:1]])
        return (ValueError,)
    if broken == "int32 labels" and name in ("cross_entropy", "nll_loss", "multi_margin_loss") and len(args[1]):
        args[1] = args[1].astype(np.int32)
        return (TypeError, ValueError)
    if broken == "label out of range" and name in ("cross_entropy", "nll_loss", "multi_margin_loss") \
            and len(args[1]):
        c = args[0].shape[1]
        args[1] = args[1].copy()
        args[1][-1] = c  # never ignore_index, which is one of -100, 0, C - 1
        return (IndexError,)
    return None


def _describe(a):
    return f"{a.dtype}{a.shape}" if isinstance(a, np.ndarray) else repr(a)


def _outputs(args, where):
    return [args[where[k]] for k in ("loss", "grad") if k in where and args[where[k]] is not None]


@settings(max_examples=int(sys.argv[1]) if len(sys.argv) > 1 else 400, deadline=None, database=None,
          derandomize=bool(os.environ.get("CI")), print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=kernel_case())
def fuzz_kernels(case):
    global CASES
    CASES += 1
    name, args, broken, where = case
    kernel = getattr(_softmax if name in SOFTMAX else _loss, name)
    errors = _break(name, args, broken, where) if broken else None
    what = f"{name}({', '.join(_describe(a) for a in args)}) {broken}"
    if errors:
        try:
            kernel(*args)
        except errors:
            return
        raise AssertionError(f"{what}: expected {[e.__name__ for e in errors]}")
    twin_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    total = kernel(*args)
    expected = getattr(reference, name)(*twin_args)
    dtype = args[where["x"]].dtype
    if total is not None or expected is not None:
        with np.errstate(over="ignore"):
            problem = _close(np.float64(total).astype(dtype), np.float64(expected).astype(dtype), dtype)
        assert problem is None, f"{what}: total: {problem}"
    for mine, theirs in zip(_outputs(args, where), _outputs(twin_args, where)):
        problem = _close(mine, theirs, dtype)
        assert problem is None, f"{what}: output: {problem}"


if __name__ == "__main__":
    print(f"debug build: {DEBUG}")
    try:
        fuzz_kernels()
    finally:
        print(f"kernel cases: {CASES}")
