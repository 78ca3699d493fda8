"""The softmax kernels: compiled (_softmax.pyx) against the numpy twin (reference.py),
against PyTorch, and against what a softmax must satisfy.

Both implementations run every test, so the twin is checked as strictly as the kernel.
"""
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad._kernels
from minigrad._kernels import _softmax, reference

IMPLS = {"cython": _softmax, "numpy": reference}
DTYPES = [np.float32, np.float64]
# rtol as promised; the small atol covers values that are zero up to rounding: a gradient
# y * (grad - dot) where grad ~ dot, a log-probability -log(1 + tiny), a subnormal.
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}
# Logits as large as these must still give finite results equal to torch's.
LARGE = {np.float32: 1e4, np.float64: 1e30}
INF, NAN = np.inf, np.nan

impls = pytest.mark.parametrize("impl", list(IMPLS), ids=list(IMPLS))
dtypes = pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)


# ---- helpers --------------------------------------------------------------------------------

def run(impl, dtype, x, grad, readonly=False):
    """softmax and log_softmax forward and backward through one implementation.

    Returns {"softmax": (y, dx), "log_softmax": (y, dx)}, each computed into an output
    pre-filled with garbage, so a value the kernel forgot to write shows up.
    """
    k = IMPLS[impl]
    x, grad = np.ascontiguousarray(x, dtype), np.ascontiguousarray(grad, dtype)
    if readonly:  # the kernels take `const` memoryviews: read-only input must be accepted
        x.setflags(write=False)
        grad.setflags(write=False)
    results = {}
    for name, forward, backward in [
        ("softmax", k.softmax_forward, k.softmax_backward),
        ("log_softmax", k.log_softmax_forward, k.log_softmax_backward),
    ]:
        y, dx = np.full_like(x, 7.0), np.full_like(x, 7.0)
        assert forward(x, y) is None
        if readonly:
            y.setflags(write=False)
        assert backward(y, grad, dx) is None
        results[name] = (y, dx)
    return results


def run_torch(torch, x, grad):
    """The same four numbers from torch: forward, then autograd's backward with `grad`."""
    results = {}
    for name, fn in [("softmax", torch.softmax), ("log_softmax", torch.log_softmax)]:
        tx = torch.tensor(x, requires_grad=True)
        ty = fn(tx, dim=-1)
        ty.backward(torch.tensor(grad))
        results[name] = (ty.detach().numpy(), tx.grad.numpy())
    return results


def magnitude(a):
    """max(1, max |a|): the scale of the rounding errors a computation with `a` makes."""
    return max(1.0, float(np.abs(a).max(initial=0.0)))


def assert_close(actual, expected, dtype, grad=None):
    """Values as the tolerances say; NaN where the other has NaN; +-inf the same."""
    tol = dict(TOL[dtype])
    if grad is not None:  # a backward: its rounding scales with the gradient
        tol["atol"] *= magnitude(grad)
    assert actual.dtype == dtype
    np.testing.assert_allclose(actual, expected, equal_nan=True, **tol)


def assert_all_close(results, expected, dtype, grad):
    for name in ("softmax", "log_softmax"):
        y, dx = results[name]
        y_expected, dx_expected = expected[name]
        assert_close(y, y_expected, dtype)
        assert_close(dx, dx_expected, dtype, grad=grad)


@st.composite
def logits_and_grad(draw, dtype, special=False):
    """A (n, C) array of logits and a gradient of the same shape, n and C in 0..40.

    Logits range up to LARGE[dtype] in size; with `special`, some are NaN or +-inf.
    """
    shape = (draw(st.integers(0, 40)), draw(st.integers(0, 40)))
    width = 32 if dtype == np.float32 else 64
    bound = draw(st.sampled_from([1.0, 30.0, LARGE[dtype]]))
    finite = st.floats(-bound, bound, width=width)
    elements = st.one_of(finite, st.sampled_from([NAN, INF, -INF])) if special else finite
    x = draw(hnp.arrays(dtype, shape, elements=elements))
    grad = draw(hnp.arrays(dtype, shape, elements=st.floats(-10, 10, width=width)))
    return x, grad


# ---- against torch --------------------------------------------------------------------------

@impls
@dtypes
@settings(deadline=None, max_examples=60)
@given(data=st.data())
def test_matches_torch_on_any_finite_logits(torch, impl, dtype, data):
    x, grad = data.draw(logits_and_grad(dtype))
    readonly = data.draw(st.booleans())
    results = run(impl, dtype, x, grad, readonly=readonly)
    for y, dx in results.values():  # stable: finite logits give finite results
        assert np.isfinite(y).all() and np.isfinite(dx).all()
    assert_all_close(results, run_torch(torch, x, grad), dtype, grad)


@impls
@dtypes
@settings(deadline=None, max_examples=60)
@given(data=st.data())
def test_matches_torch_with_nan_and_inf(torch, impl, dtype, data):
    x, grad = data.draw(logits_and_grad(dtype, special=True))
    assert_all_close(run(impl, dtype, x, grad), run_torch(torch, x, grad), dtype, grad)


SPECIAL_ROWS = [
    [1.0, 2.0, 3.0],
    [NAN, 1.0, 2.0],         # any NaN: a row of NaN
    [-INF, NAN, 1.0],
    [NAN, NAN, NAN],
    [INF, 1.0, 2.0],         # +inf: inf - inf = NaN, a row of NaN
    [INF, INF, 1.0],
    [INF, -INF, 1.0],
    [-INF, -INF, -INF],      # all -inf: -inf - (-inf) = NaN, a row of NaN
    [-INF, 1.0, 2.0],        # some -inf: probability 0, log-probability -inf, gradient finite
    [-INF, -INF, 0.0],
]


@impls
@dtypes
def test_special_rows_match_torch(torch, impl, dtype):
    x = np.array(SPECIAL_ROWS, dtype)
    grad = np.array([[2.0, 1.0, -1.0]] * len(SPECIAL_ROWS), dtype)
    results = run(impl, dtype, x, grad)
    assert_all_close(results, run_torch(torch, x, grad), dtype, grad)
    y, _ = results["softmax"]  # and the pattern itself, spelled out
    assert np.isnan(y[1:8]).all()
    np.testing.assert_array_equal(np.isnan(y[[0, 8, 9]]), False)


@impls
@dtypes
@pytest.mark.parametrize("shape", [(0, 0), (0, 5), (4, 0), (1, 1), (3, 1)])
def test_degenerate_shapes_match_torch(torch, impl, dtype, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    grad = np.random.default_rng(1).standard_normal(shape)
    results = run(impl, dtype, x, grad)
    assert_all_close(results, run_torch(torch, x, grad), dtype, grad)


# ---- without torch: the two implementations, and the math itself ----------------------------

@dtypes
@settings(deadline=None, max_examples=100)
@given(data=st.data())
def test_cython_matches_numpy_twin(dtype, data):
    x, grad = data.draw(logits_and_grad(dtype, special=data.draw(st.booleans())))
    cython, numpy = run("cython", dtype, x, grad), run("numpy", dtype, x, grad)
    assert_all_close(cython, numpy, dtype, grad)


@impls
@dtypes
@settings(deadline=None, max_examples=60)
@given(data=st.data())
def test_softmax_is_a_distribution_and_log_softmax_its_log(impl, dtype, data):
    x, grad = data.draw(logits_and_grad(dtype))
    results = run(impl, dtype, x, grad)
    p, dp = results["softmax"]
    log_p, dlog_p = results["log_softmax"]
    assert ((p >= 0) & (p <= 1)).all()
    np.testing.assert_allclose(p.sum(axis=-1, dtype=np.float64), 1.0 if x.shape[1] else 0.0,
                               rtol=10 * TOL[dtype]["rtol"])
    assert (log_p <= 0).all()
    assert_close(np.exp(log_p), p, dtype)
    # The gradient of anything through softmax sums to 0 in each row (shifting every logit
    # by the same amount changes nothing), and so does the one through log_softmax.
    for dx in (dp, dlog_p):
        np.testing.assert_allclose(dx.sum(axis=-1, dtype=np.float64), 0.0,
                                   atol=100 * TOL[dtype]["rtol"] * magnitude(grad))


@impls
@dtypes
def test_known_values(impl, dtype):
    """softmax([0, log 3]) = [1/4, 3/4], and adding a constant to a row changes nothing."""
    k = IMPLS[impl]
    x = np.array([[0.0, np.log(3.0)], [5.0, 5.0 + np.log(3.0)]], dtype)
    p, log_p = np.empty_like(x), np.empty_like(x)
    k.softmax_forward(x, p)
    k.log_softmax_forward(x, log_p)
    assert_close(p, np.array([[0.25, 0.75]] * 2, dtype), dtype)
    assert_close(log_p, np.log(np.array([[0.25, 0.75]] * 2)).astype(dtype), dtype)
    # d softmax / dx applied to grad = [1, 0]: y * (grad - y[0]) = [3/16, -3/16]
    grad = np.array([[1.0, 0.0]] * 2, dtype)
    dx = np.empty_like(x)
    k.softmax_backward(p, grad, dx)
    assert_close(dx, np.array([[3 / 16, -3 / 16]] * 2, dtype), dtype)
    # d log_softmax / dx applied to grad = [1, 0]: grad - p * 1 = [3/4, -3/4]
    k.log_softmax_backward(log_p, grad, dx)
    assert_close(dx, np.array([[0.75, -0.75]] * 2, dtype), dtype)


@impls
def test_log_softmax_is_fused_not_log_of_softmax(impl):
    """log(softmax) would be log(0) = -inf here; the fused form gives the exact -1000."""
    x = np.array([[0.0, -1000.0]])
    log_p = np.empty_like(x)
    IMPLS[impl].log_softmax_forward(x, log_p)
    np.testing.assert_allclose(log_p, [[0.0, -1000.0]], atol=1e-12)


@impls
@dtypes
def test_read_only_inputs_and_caller_output(impl, dtype):
    """Inputs may be read-only; the result lands in the caller's array and nowhere else."""
    rng = np.random.default_rng(2)
    x, grad = rng.standard_normal((5, 7)).astype(dtype), rng.standard_normal((5, 7)).astype(dtype)
    expected = run("numpy", dtype, x, grad)
    x_before, grad_before = x.copy(), grad.copy()
    results = run(impl, dtype, x, grad, readonly=True)
    assert_all_close(results, expected, dtype, grad)
    np.testing.assert_array_equal(x, x_before)  # inputs untouched
    np.testing.assert_array_equal(grad, grad_before)


@impls
@pytest.mark.parametrize("fn", ["softmax_forward", "log_softmax_forward"])
def test_forward_rejects_mismatched_shapes(impl, fn):
    x = np.zeros((3, 4))
    for out in (np.zeros((3, 5)), np.zeros((4, 4)), np.zeros((1, 4))):
        with pytest.raises(ValueError, match="out has shape"):
            getattr(IMPLS[impl], fn)(x, out)


@impls
@pytest.mark.parametrize("fn", ["softmax_backward", "log_softmax_backward"])
def test_backward_rejects_mismatched_shapes(impl, fn):
    y = np.zeros((3, 4))
    with pytest.raises(ValueError, match="grad has shape"):
        getattr(IMPLS[impl], fn)(y, np.zeros((3, 5)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="out has shape"):
        getattr(IMPLS[impl], fn)(y, np.zeros((3, 4)), np.zeros((2, 4)))


@pytest.mark.parametrize("x, out", [
    (np.zeros((3, 4), np.int64), np.zeros((3, 4), np.int64)),        # not floating point
    (np.zeros((3, 4), np.float32), np.zeros((3, 4), np.float64)),    # mixed dtypes
    (np.zeros((4, 3)).T, np.zeros((3, 4))),                          # not C-contiguous
    (np.zeros(4), np.zeros(4)),                                      # not 2-D
    (np.zeros((3, 4)), np.zeros((3, 8))[:, :4]),                     # output not contiguous
], ids=["int", "mixed", "transposed", "1d", "strided-out"])
def test_compiled_kernel_rejects_bad_arrays(x, out):
    """The wrapper validates first; the kernel itself still refuses rather than crashes."""
    with pytest.raises((TypeError, ValueError)):
        _softmax.softmax_forward(x, out)


def test_compiled_kernel_rejects_read_only_output():
    out = np.zeros((2, 3))
    out.setflags(write=False)
    with pytest.raises(ValueError):
        _softmax.softmax_forward(np.zeros((2, 3)), out)


# ---- choosing the backend -------------------------------------------------------------------

def python_with_backend(value, code, tmp_path):
    """Run `code` in a fresh interpreter with MINIGRAD_BACKEND=value (None: unset)."""
    env = dict(os.environ)
    env.pop("MINIGRAD_BACKEND", None)
    if value is not None:
        env["MINIGRAD_BACKEND"] = value
    # Import the minigrad these tests import (installed or built in place), from anywhere.
    package_parent = os.path.dirname(os.path.dirname(minigrad._kernels.__file__))
    package_parent = os.path.dirname(package_parent)
    env["PYTHONPATH"] = os.pathsep.join([package_parent, env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


SHOW_BACKEND = """
import minigrad._kernels as k
from minigrad._kernels import _softmax, reference
compiled = _softmax
if k.SIMD in ('avx2', 'avx512'):  # the same source built for that SIMD (tests/test_kernels_simd.py)
    import importlib
    compiled = importlib.import_module('minigrad._kernels._softmax_' + k.SIMD)
impl = {compiled.softmax_forward: 'cython', reference.softmax_forward: 'numpy'}[k.softmax_forward]
assert all(getattr(k, f) is getattr({'cython': compiled, 'numpy': reference}[impl], f)
           for f in ['softmax_forward', 'log_softmax_forward', 'softmax_backward',
                     'log_softmax_backward'])
print(k.BACKEND, impl)
"""


@pytest.mark.parametrize("value, expected", [
    (None, "cython"), ("", "cython"), ("cython", "cython"), ("numpy", "numpy"),
])
def test_backend_is_chosen_by_environment(value, expected, tmp_path):
    result = python_with_backend(value, SHOW_BACKEND, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [expected, expected]


@pytest.mark.parametrize("value", ["fortran", "Cython", "numpy "])
def test_unknown_backend_is_a_value_error(value, tmp_path):
    result = python_with_backend(value, "import minigrad._kernels", tmp_path)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ValueError: MINIGRAD_BACKEND must be one of 'cython', 'numpy'")
    assert repr(value) in last_line


def test_asking_for_the_compiled_kernels_where_they_are_missing_says_how_to_build_them(tmp_path):
    code = ("import sys; sys.modules['minigrad._kernels._softmax'] = None\n"
            "import minigrad._kernels")
    result = python_with_backend("cython", code, tmp_path)
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    for hint in ("pip install .", "pip install -e .", "build_ext --inplace", "C compiler"):
        assert hint in result.stderr


def test_without_the_compiled_kernels_minigrad_runs_the_numpy_twins_and_says_so(tmp_path):
    """An install without a C compiler has no compiled kernels: minigrad still imports,
    computes with the numpy twins, and warns once at import."""
    code = ("import sys, warnings; sys.modules['minigrad._kernels._softmax'] = None\n"
            "warnings.simplefilter('always')\n"
            "import minigrad as mg, minigrad._kernels as k, numpy as np\n"
            "from minigrad._kernels import reference\n"
            "x = mg.tensor([[1.0, 2.0, 3.0]], dtype=mg.float64)\n"
            "p = mg.softmax(x, dim=1).data\n"
            "print(k.BACKEND, k.COMPILED, k.SIMD, k.softmax_forward is reference.softmax_forward, "
            "np.allclose(p, np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), rtol=1e-15))\n")
    result = python_with_backend(None, code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["numpy", "False", "none", "True", "True"]
    assert result.stderr.count("UncompiledWarning: minigrad runs uncompiled") == 1, result.stderr
