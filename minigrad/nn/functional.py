"""minigrad.nn.functional (imported as F): the stateless forms of activations and losses.

Activations forward to the Tensor methods (the math is in minigrad/ops/). The losses
(next) validate every argument here, before a kernel runs.
"""
from minigrad.tensor import Tensor


def _tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a minigrad.Tensor, got {type(x).__name__}")
    return x


def relu(input):
    """max(x, 0) element-wise."""
    return _tensor(input, "input").relu()


def sigmoid(input):
    """1 / (1 + e^-x) element-wise."""
    return _tensor(input, "input").sigmoid()


def tanh(input):
    """tanh(x) element-wise."""
    return _tensor(input, "input").tanh()


def softmax(input, dim):
    """e^x / sum e^x along `dim`. `dim` is required (PyTorch's implicit choice is deprecated)."""
    return _tensor(input, "input").softmax(dim)


def log_softmax(input, dim):
    """x - logsumexp(x) along `dim`, fused and stable. `dim` is required."""
    return _tensor(input, "input").log_softmax(dim)
