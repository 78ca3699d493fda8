"""The compiled builds of the kernels agree: _softmax/_loss (any x86-64 or arm64),
_softmax_avx2/_loss_avx2 (-mavx2 -mfma) and _softmax_avx512/_loss_avx512 (AVX-512 too), the
widest the CPU runs chosen at import. Each SIMD build is compared with the baseline.

They are the same source with the same order of operations (-ffp-contract=off: no fused
multiply-add); only glibc's vector exp/log/log1p differ between the SSE2, AVX2 and AVX-512
variants, by an ulp or so. So every output must match to a few ulps, with NaN and inf in the same
places. (A few ulps of the terms it is made of, for a float32 loss that subtracts larger
terms in float32: see test_elementwise_losses_agree.) The rest of the suite tests the build minigrad imports (kernels.SIMD); the
kernel tests that import _loss and _softmax directly test the baseline build.
"""
import importlib
import os
import subprocess
import sys

import numpy as np
import pytest

import minigrad._kernels as kernels
from minigrad._kernels import _loss, _softmax
from minigrad.testing import difference

CPU_HAS = {"avx2": _softmax.cpu_has_avx2_fma(), "avx512": _softmax.cpu_has_avx512()}


def _build(name):
    """(the _loss module, the _softmax module) of the SIMD build `name`, or None where it is
    not built (not x86-64) or this CPU cannot run it."""
    try:
        modules = (importlib.import_module(f"minigrad._kernels._loss_{name}"),
                   importlib.import_module(f"minigrad._kernels._softmax_{name}"))
    except ImportError:  # only built on x86-64
        return None
    return modules if CPU_HAS[name] else None


BUILDS = {name: _build(name) for name in ("avx2", "avx512")}
# Each SIMD build, run where this CPU has it (and skipped, saying why, where it has not).
each_simd_build = pytest.mark.parametrize("build", [
    pytest.param(name, marks=pytest.mark.skipif(
        BUILDS[name] is None, reason=f"the {name} build exists only on x86-64, and runs only on CPUs with {name}"))
    for name in BUILDS])

SHAPES = [(1, 1), (4, 3), (7, 13), (64, 10), (33, 100), (3, 1000)]
RTOL = {np.float32: 4e-6, np.float64: 1e-14}


def _inputs(shape, dtype, seed):
    """Scores with a few extremes mixed in (large magnitudes, NaN, +-inf)."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    if x.size > 4:
        flat = x.reshape(-1)
        flat[rng.integers(0, x.size)] = 80.0
        flat[rng.integers(0, x.size)] = -1e4
        if seed % 2:
            flat[rng.integers(0, x.size)] = np.nan
            flat[rng.integers(0, x.size)] = np.inf
    return x


def _same(a, b, dtype, what, terms=0.0):
    """A few ulps apart (RTOL), NaN and infinities in the same places (minigrad.testing.difference).

    terms: the size of the terms each entry was computed from, when it is their difference
    (an array, entry by entry): a few ulps of those, not of the result, may separate the builds.
    """
    row = difference(what, a, b, atol=RTOL[dtype] * (1e-3 + terms), rtol=RTOL[dtype])
    assert row.ok, str(row)


def _run_both(build, kernel, make_args, dtype, what, terms=None):
    """Call the kernel of the baseline and of `build` on the same inputs; compare return value
    and outputs (terms: _same's, one per output, or None)."""
    results = []
    loss_simd, softmax_simd = BUILDS[build]
    for module in (_loss, loss_simd) if hasattr(_loss, kernel) else (_softmax, softmax_simd):
        args, outputs = make_args()
        total = getattr(module, kernel)(*args)
        results.append((total, outputs))
    (t0, o0), (t1, o1) = results
    if t0 is not None:
        _same(t0, t1, dtype, f"{what}: total")
    for i, (a, b) in enumerate(zip(o0, o1)):
        _same(a, b, dtype, f"{what}: output {i}", 0.0 if terms is None else terms[i])


def _elementwise_args(kernel, x, y, dtype):
    n = x.size
    extra = {"mse_loss": (), "l1_loss": (), "huber_loss": (1.0,), "smooth_l1_loss": (0.5,),
             "binary_cross_entropy": (None,), "binary_cross_entropy_with_logits": (None, None),
             "kl_div": (False,), "hinge_loss": (1.0,)}[kernel]
    if kernel == "binary_cross_entropy":
        x = 1 / (1 + np.exp(-np.clip(np.nan_to_num(x, nan=0.0), -50, 50).astype(np.float64)))
        x = x.astype(dtype)
        y = (y > 0).astype(dtype)
    if kernel == "hinge_loss":
        y = np.where(y > 0, 1, -1).astype(dtype)
    if kernel == "kl_div":
        y = np.abs(y)

    def make():
        loss, grad = np.empty(n, dtype), np.empty(n, dtype)
        return (x.reshape(-1), y.reshape(-1), *extra, loss, grad, 1.0 / n), (loss, grad)
    return make


@each_simd_build
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("kernel", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
                                    "binary_cross_entropy_with_logits", "kl_div", "hinge_loss"])
def test_elementwise_losses_agree(build, kernel, shape, dtype):
    """binary_cross_entropy_with_logits computes in the inputs' dtype, as torch: its float32
    loss (1 - y) x - log_sigmoid(x) subtracts terms of size |x| (1 + |y|) rounded to float32,
    so it is compared to a few ulps of those (y here is not a probability: the terms cancel)."""
    for seed in (0, 1):
        x = _inputs(shape, dtype, seed)
        y = np.nan_to_num(_inputs(shape, dtype, seed + 10), nan=0.5, posinf=2.0, neginf=-2.0)
        terms = None
        if kernel == "binary_cross_entropy_with_logits" and dtype == np.float32:
            with np.errstate(invalid="ignore", over="ignore"):
                loss_terms = np.abs(x) * (1 + np.abs(y)) + 1
            terms = (np.nan_to_num(loss_terms.reshape(-1), posinf=0.0), 0.0)
        _run_both(build, kernel, _elementwise_args(kernel, x, y, dtype), dtype, f"{kernel}{shape} seed {seed}",
                  terms)


@each_simd_build
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_class_losses_and_softmax_agree(build, shape, dtype):
    n, c = shape
    for seed in (0, 1):
        x = _inputs(shape, dtype, seed)
        rng = np.random.default_rng(seed)
        target = rng.integers(0, c, size=n).astype(np.int64)
        weight = rng.uniform(0.5, 2.0, size=c).astype(dtype)
        probs = rng.dirichlet(np.ones(c), size=n).astype(dtype)
        logp = np.empty_like(x)
        _softmax.log_softmax_forward(np.nan_to_num(x), logp)

        def out():
            return np.empty(n, dtype), np.empty(shape, dtype)

        def ce():
            loss, grad = out()
            return (x, target, weight, -100, 0.1, True, loss, grad), (loss, grad)

        def ce_probs():
            loss, grad = out()
            return (x, probs, None, 0.0, loss, grad, 1.0 / n), (loss, grad)

        def nll():
            loss, grad = out()
            return (logp, target, weight, -100, True, loss, grad), (loss, grad)

        def margin():
            loss, grad = out()
            return (x, target, 2, 1.0, None, loss, grad, 1.0 / n), (loss, grad)

        for kernel, make in (("cross_entropy", ce), ("cross_entropy_probs", ce_probs), ("nll_loss", nll),
                             ("multi_margin_loss", margin)):
            _run_both(build, kernel, make, dtype, f"{kernel}{shape} seed {seed}")

        grad = rng.standard_normal(shape).astype(dtype)
        for forward, backward in (("softmax_forward", "softmax_backward"),
                                  ("log_softmax_forward", "log_softmax_backward")):
            def fwd(forward=forward):
                o = np.empty_like(x)
                return (x, o), (o,)
            _run_both(build, forward, fwd, dtype, f"{forward}{shape} seed {seed}")
            y = np.empty_like(x)
            getattr(_softmax, forward)(np.nan_to_num(x), y)

            def bwd(backward=backward, y=y):
                o = np.empty_like(x)
                return (y, grad, o), (o,)
            _run_both(build, backward, bwd, dtype, f"{backward}{shape} seed {seed}")


def _widest(allowed=("avx512", "avx2")):
    return next((name for name in allowed if BUILDS[name] is not None), "baseline")


def test_the_build_in_use_is_the_widest_the_cpu_can_run():
    request = os.environ.get("MINIGRAD_SIMD") or "auto"
    expected = _widest({"auto": ("avx512", "avx2"), "avx2": ("avx2",), "baseline": ()}[request])
    assert kernels.SIMD == expected
    module = "minigrad._kernels._loss" + ("" if expected == "baseline" else f"_{expected}")
    if kernels.BACKEND == "cython":
        assert kernels.cross_entropy is importlib.import_module(module).cross_entropy


@pytest.mark.parametrize("value", ["baseline", "avx2", "", "sse9"])
def test_minigrad_simd_environment_variable(value):
    env = dict(os.environ, MINIGRAD_SIMD=value)
    result = subprocess.run([sys.executable, "-c", "import minigrad._kernels as k; print(k.SIMD)"],
                            env=env, capture_output=True, text=True)
    if value == "sse9":
        assert result.returncode != 0 and "MINIGRAD_SIMD must be one of" in result.stderr
        return
    assert result.returncode == 0, result.stderr
    expected = {"baseline": "baseline", "avx2": _widest(("avx2",)), "": _widest()}[value]
    assert result.stdout.strip() == expected
