"""minigrad computes on one core unless asked otherwise.

A training step here is many small array operations. numpy hands matrix products to
OpenBLAS, whose worker threads cost more to wake than a small product takes, and on a
small machine shared with anything else they stall: a digits MLP epoch (64-128-10, batch
64) measured 8 ms with one BLAS thread and 19-350 ms with two on this project's 2-core
machine. PyTorch's advice for small models is the same (`torch.set_num_threads(1)`).

So, when minigrad is imported and the user has set none of the usual variables
(OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS), BLAS gets one thread:
through the environment if numpy is not loaded yet, else by calling OpenBLAS directly.
`minigrad.set_num_threads(n)` changes it later.
"""
import ctypes
import glob
import os
import sys

_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# The setter's name in numpy's own OpenBLAS (wheels since numpy 2.0), then in a system one.
_SETTERS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads")


def _openblas_functions(names):
    """Of each OpenBLAS library numpy ships with (if any), the first function of `names` it has."""
    import numpy
    libs = os.path.join(os.path.dirname(os.path.dirname(numpy.__file__)), "numpy.libs")
    for path in glob.glob(os.path.join(libs, "*openblas*")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in names:
            function = getattr(lib, name, None)
            if function is not None:
                yield function
                break


def get_num_threads():
    """The threads numpy's OpenBLAS uses now, or None where it cannot be asked (another BLAS)."""
    for getter in _openblas_functions(_GETTERS):
        return int(getter())
    return None


def set_num_threads(n):
    """Use `n` threads for numpy's matrix products (OpenBLAS); minigrad's own kernels use one."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be an int >= 1, got {n!r}")
    if "numpy" not in sys.modules:
        os.environ["OPENBLAS_NUM_THREADS"] = str(n)
        return
    for setter in _openblas_functions(_SETTERS):
        setter(ctypes.c_int(n))


def default_to_one_thread():
    """One BLAS thread, unless the user chose a number with one of the usual variables."""
    if any(name in os.environ for name in _VARIABLES):
        return
    set_num_threads(1)
