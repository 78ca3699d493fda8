"""minigrad: a small, readable autograd framework with PyTorch's API and Cython kernels.

Read in this order: autograd.py (the engine), tensor.py (the Tensor and its
operators), ops/ (each op's forward and backward), _kernels/ (the compiled softmax
and losses, with their numpy twin in reference.py), nn/, optim/, data.py.

The library is everything imported here; the course (minigrad.lessons, plot, cli, check)
is built on it and never imported by it (tests/test_imports.py walks the imports).
"""
from minigrad import _threads

_threads.default_to_one_thread()  # before numpy loads, if it has not yet (see _threads.py)

from minigrad import _kernels  # noqa: E402  fails early, with build instructions, if the extension is missing
from minigrad.autograd import Function, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.creation import arange, from_numpy, full, ones, ones_like, rand, randn, tensor, zeros, zeros_like
from minigrad.dtype import bool_, float32, float64, int64
from minigrad.function_forms import (abs, argmax, clamp, exp, log, log_softmax, matmul, max, maximum, mean, minimum,
                                     relu, reshape, sigmoid, softmax, sqrt, squeeze, sum, tanh, transpose,
                                     unsqueeze, where)
from minigrad.random import manual_seed
from minigrad.tensor import Tensor
# Submodules reachable as attributes after `import minigrad` (as torch.utils.data is after `import torch`).
# minigrad.testing is not among them: it stands on the package (see its docstring).
from minigrad import autograd, data, metrics, nn, optim, viz
from minigrad.gradcheck import gradcheck
from minigrad._threads import set_num_threads

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "from_numpy", "zeros", "ones", "full", "zeros_like", "ones_like", "rand", "randn",
    "arange", "manual_seed", "float32", "float64", "int64", "bool_",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "Function",
    "exp", "log", "sqrt", "abs", "clamp", "relu", "sigmoid", "tanh", "softmax", "log_softmax",
    "sum", "mean", "max", "argmax", "matmul", "reshape", "transpose", "unsqueeze", "squeeze",
    "maximum", "minimum", "where", "autograd", "nn", "optim", "data", "metrics", "gradcheck", "set_num_threads",
]
