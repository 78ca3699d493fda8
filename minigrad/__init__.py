"""minigrad: a small, readable autograd framework with PyTorch's API and Cython kernels.

Read in this order: autograd.py (the engine), tensor.py (the Tensor and its
operators), ops/ (each op's forward and backward), _kernels/ (the compiled softmax
and losses, with their numpy twin in reference.py), nn/, optim/, utils/data.py; then
inplace.py (in-place changes in a graph) and serialization.py (save and load).

The library is everything imported here; the course (minigrad.lessons, plot, cli, check)
is built on it and never imported by it (tests/test_imports.py walks the imports).
"""
from minigrad import _threads, config

config.run_sources_if_asked()  # MINIGRAD_PURE_PYTHON=1: the .py files, not compiled modules (config.py)
_threads.default_to_one_thread()  # before numpy loads, if it has not yet (see _threads.py)

from minigrad import _kernels  # noqa: E402  fails early, with build instructions, if the extension is missing
# Tensor before the engine: compiled, autograd takes the Tensor type from tensor's module
# (autograd.pxd), and tensor.py imports autograd itself, after Tensor exists.
from minigrad.tensor import Tensor  # noqa: E402
from minigrad.autograd import (Function, enable_grad, is_anomaly_check_nan_enabled, is_anomaly_enabled,
                               is_grad_enabled, no_grad, set_grad_enabled)
from minigrad.creation import (arange, empty, eye, from_numpy, full, full_like, linspace, ones, ones_like, rand,
                               rand_like, randint, randn, randn_like, tensor, zeros, zeros_like)
from minigrad.dtype import bool_, float16, float32, float64, int64
from minigrad.function_forms import (abs, all, allclose, any, argmax, argmin, cat, chunk, clamp, cos, exp, expm1,
                                     gather, index_select, isclose, log, log1p, log_softmax, matmul, max, maximum,
                                     mean, min, minimum, norm, prod, relu, reshape, sigmoid, sign, sin, softmax,
                                     split, sqrt, square, squeeze, stack, std, sum, t, tanh, transpose, unsqueeze,
                                     var, where)
from minigrad.random import Generator, manual_seed
# Submodules reachable as attributes after `import minigrad` (as torch.utils.data is after `import torch`).
# minigrad.testing is not among them: it stands on the package (see its docstring).
from minigrad import autograd, data, metrics, nn, optim, utils, viz
from minigrad.serialization import load, save
from minigrad.gradcheck import gradcheck, gradgradcheck
from minigrad._threads import set_num_threads
from minigrad.config import show_config

__version__ = "0.1.0"

config.warn_at_import()  # once: if it runs uncompiled, or compiled from an older .py

__all__ = [
    "Tensor", "tensor", "from_numpy", "zeros", "ones", "full", "zeros_like", "ones_like", "rand", "randn",
    "arange", "manual_seed", "float32", "float64", "int64", "bool_",
    "empty", "eye", "linspace", "randint", "rand_like", "randn_like", "full_like", "float16",
    "cat", "stack", "split", "chunk", "gather", "index_select", "min", "argmin", "std", "var", "norm", "prod",
    "t", "log1p", "expm1", "sin", "cos", "square", "sign", "all", "any", "allclose", "isclose",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "Function", "Generator",
    "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
    "exp", "log", "sqrt", "abs", "clamp", "relu", "sigmoid", "tanh", "softmax", "log_softmax",
    "sum", "mean", "max", "argmax", "matmul", "reshape", "transpose", "unsqueeze", "squeeze",
    "maximum", "minimum", "where", "autograd", "nn", "optim", "data", "utils", "metrics", "gradcheck", "gradgradcheck",
    "set_num_threads", "save", "load", "show_config",
]
