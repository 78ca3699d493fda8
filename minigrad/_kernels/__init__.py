"""The compiled hot paths, and the backend switch.

Each kernel exists twice, with the same signature and the same results to rounding:
compiled from Cython (`_softmax.pyx`, `_loss.pyx`), and in plain numpy (`reference.py`,
the readable spec). The environment variable MINIGRAD_BACKEND, read once at import, picks
which one the rest of minigrad calls:

    MINIGRAD_BACKEND=cython   the compiled kernels (the default, also when unset or empty)
    MINIGRAD_BACKEND=numpy    the numpy twins: slower, same numbers

`BACKEND` holds the name chosen. The compiled extension is required either way: a missing
build is an error at import, not a silent fall-back to numpy.
"""
import os

from . import reference

BACKENDS = ("cython", "numpy")

BACKEND = os.environ.get("MINIGRAD_BACKEND") or "cython"
if BACKEND not in BACKENDS:
    raise ValueError(f"MINIGRAD_BACKEND must be one of {', '.join(map(repr, BACKENDS))} "
                     f"(or unset, which means 'cython'); got {BACKEND!r}")

try:
    import minigrad._kernels._softmax as _softmax  # (`from . import` would blame a circular import)
except ImportError as exc:
    raise ImportError(
        "minigrad's compiled kernels (minigrad._kernels._softmax) are not built or do not "
        f"load: {exc}. Build them from the source tree with `pip install .` (or "
        "`pip install -e .` to develop), or in place with `python setup.py build_ext "
        "--inplace`; this needs a C compiler (gcc or clang)."
    ) from exc

if BACKEND == "cython":
    from ._softmax import (log_softmax_backward, log_softmax_forward, softmax_backward,
                           softmax_forward)
    from ._loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                        cross_entropy_probs, hinge_loss, huber_loss, kl_div, l1_loss, mse_loss,
                        multi_margin_loss, nll_loss, smooth_l1_loss)
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

__all__ = ["BACKEND", "BACKENDS", *SOFTMAX_KERNELS, *LOSS_KERNELS]
