"""The compiled hot paths, and the backend switch.

Each kernel exists twice, with the same signature and the same results to rounding:
compiled from Cython (`_softmax.pyx`, `_loss.pyx`), and its plain-numpy twin
(`reference.py`). The math they compute is in the docstrings of the Functions that call
them (minigrad.ops.softmax, minigrad.ops.loss). The environment variable MINIGRAD_BACKEND,
read once at import, picks which one the rest of minigrad calls:

    MINIGRAD_BACKEND=cython   the compiled kernels (an error at import if they are not built)
    MINIGRAD_BACKEND=numpy    the numpy twins: slower, same numbers
    unset or empty            the compiled kernels where they are built, else the numpy twins
                              (an install without a C compiler; minigrad warns at import)

`BACKEND` holds the name chosen and `COMPILED` whether the compiled kernels loaded.
MINIGRAD_PURE_PYTHON=1 at run time means the numpy twins too (see minigrad/config.py),
unless MINIGRAD_BACKEND=cython is set with it.

On x86-64 the compiled kernels exist in three builds of the same source: `_softmax`/`_loss`
for any x86-64, `_softmax_avx2`/`_loss_avx2` (-mavx2 -mfma, twice the SIMD width) for CPUs
that have AVX2 and FMA, and `_softmax_avx512`/`_loss_avx512` for CPUs with AVX-512 too.
`SIMD` says which one runs: the widest the CPU has and the build made ("avx512", "avx2" or
"baseline"; "none" without compiled kernels). MINIGRAD_SIMD=avx2 or MINIGRAD_SIMD=baseline
caps it (to compare the builds, or to rule one out). Their results agree to rounding.
"""
import importlib
import os

from . import reference

BACKENDS = ("cython", "numpy")

_requested = os.environ.get("MINIGRAD_BACKEND") or ""
if _requested not in BACKENDS + ("",):
    raise ValueError(f"MINIGRAD_BACKEND must be one of {', '.join(map(repr, BACKENDS))} "
                     f"(or unset: the compiled kernels where they are built); got {_requested!r}")

# MINIGRAD_PURE_PYTHON=1 at run time: the numpy twins, even where compiled kernels are built,
# unless MINIGRAD_BACKEND=cython asks for them too (the interpreted engine on compiled kernels:
# what compiling the engine alone buys).
COMPILED = os.environ.get("MINIGRAD_PURE_PYTHON") != "1" or _requested == "cython"
if COMPILED:
    try:
        import minigrad._kernels._softmax as _softmax  # (`from . import` would blame a circular import)
    except ImportError as exc:
        if _requested == "cython":  # asked for by name: its absence is an error, not a fall-back
            raise ImportError(
                "MINIGRAD_BACKEND=cython, but minigrad's compiled kernels (minigrad._kernels._softmax) "
                f"are not built or do not load: {exc}. Build them from the source tree with "
                "`pip install .` (or `pip install -e .` to develop), or in place with "
                "`python setup.py build_ext --inplace`; this needs a C compiler (gcc or clang)."
            ) from exc
        COMPILED = False  # an install without a C compiler: the numpy twins (minigrad warns at import)
BACKEND = _requested or ("cython" if COMPILED else "numpy")

SIMD_CHOICES = ("auto", "baseline", "avx2")
_simd_request = os.environ.get("MINIGRAD_SIMD") or "auto"
if _simd_request not in SIMD_CHOICES:
    raise ValueError(f"MINIGRAD_SIMD must be one of {', '.join(map(repr, SIMD_CHOICES))} "
                     f"(or unset, which means 'auto'); got {_simd_request!r}")
SIMD = "baseline" if COMPILED else "none"
if COMPILED:
    import minigrad._kernels._loss as _compiled_loss  # noqa: E402
    _compiled_softmax = _softmax
    # The widest build this CPU runs, where it was built (x86-64 only): MINIGRAD_SIMD=avx2
    # stops at AVX2, MINIGRAD_SIMD=baseline at the baseline.
    widest_first = {"auto": ("avx512", "avx2"), "avx2": ("avx2",), "baseline": ()}[_simd_request]
    cpu_has = {"avx512": _softmax.cpu_has_avx512, "avx2": _softmax.cpu_has_avx2_fma}
    for build in widest_first:
        if not cpu_has[build]():
            continue
        try:
            _loss_simd = importlib.import_module(f"minigrad._kernels._loss_{build}")
            _softmax_simd = importlib.import_module(f"minigrad._kernels._softmax_{build}")
        except ImportError:  # not built (not x86-64, or an older build): a narrower one is right too
            continue
        _compiled_loss, _compiled_softmax, SIMD = _loss_simd, _softmax_simd, build
        break

if BACKEND == "cython":
    log_softmax_backward = _compiled_softmax.log_softmax_backward
    log_softmax_forward = _compiled_softmax.log_softmax_forward
    softmax_backward = _compiled_softmax.softmax_backward
    softmax_forward = _compiled_softmax.softmax_forward
    binary_cross_entropy = _compiled_loss.binary_cross_entropy
    binary_cross_entropy_with_logits = _compiled_loss.binary_cross_entropy_with_logits
    cross_entropy = _compiled_loss.cross_entropy
    cross_entropy_probs = _compiled_loss.cross_entropy_probs
    hinge_loss = _compiled_loss.hinge_loss
    huber_loss = _compiled_loss.huber_loss
    kl_div = _compiled_loss.kl_div
    l1_loss = _compiled_loss.l1_loss
    mse_loss = _compiled_loss.mse_loss
    multi_margin_loss = _compiled_loss.multi_margin_loss
    nll_loss = _compiled_loss.nll_loss
    smooth_l1_loss = _compiled_loss.smooth_l1_loss
else:
    from .reference import (log_softmax_backward, log_softmax_forward, softmax_backward,
                            softmax_forward)
    from .reference import (binary_cross_entropy, binary_cross_entropy_with_logits,
                            cross_entropy, cross_entropy_probs, hinge_loss, huber_loss, kl_div,
                            l1_loss, mse_loss, multi_margin_loss, nll_loss, smooth_l1_loss)

SOFTMAX_KERNELS = ("softmax_forward", "log_softmax_forward", "softmax_backward",
                   "log_softmax_backward")
LOSS_KERNELS = ("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
                "binary_cross_entropy_with_logits", "kl_div", "hinge_loss", "cross_entropy",
                "cross_entropy_probs", "nll_loss", "multi_margin_loss")

__all__ = ["BACKEND", "BACKENDS", "COMPILED", "SIMD", *SOFTMAX_KERNELS, *LOSS_KERNELS]
