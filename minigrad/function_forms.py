"""The function forms of Tensor methods: `minigrad.exp(x)` is `x.exp()`, as torch.exp(x) is.

Each is a one-line forward to the method, so the math lives in one place (ops/). Not to
be confused with `autograd.Function` (one differentiable op) or `nn.functional` (the
stateless forms of layers and losses).
"""
import numpy as np

from minigrad.ops import elementwise
from minigrad.tensor import Tensor, _as_tensor, _same_dtype


def _tensor(x):
    """A Tensor as it is; anything else (a number, a list, an array) made into one."""
    return x if isinstance(x, Tensor) else Tensor(x)


def exp(x):
    return _tensor(x).exp()


def log(x):
    return _tensor(x).log()


def sqrt(x):
    return _tensor(x).sqrt()


def abs(x):
    return _tensor(x).abs()


def clamp(x, min=None, max=None):
    return _tensor(x).clamp(min, max)


def relu(x):
    return _tensor(x).relu()


def sigmoid(x):
    return _tensor(x).sigmoid()


def tanh(x):
    return _tensor(x).tanh()


def softmax(x, dim):
    return _tensor(x).softmax(dim)


def log_softmax(x, dim):
    return _tensor(x).log_softmax(dim)


def sum(x, dim=None, keepdim=False):
    return _tensor(x).sum(dim, keepdim)


def mean(x, dim=None, keepdim=False):
    return _tensor(x).mean(dim, keepdim)


def max(x, dim=None, keepdim=False):
    return _tensor(x).max(dim, keepdim)


def argmax(x, dim=None, keepdim=False):
    return _tensor(x).argmax(dim, keepdim)


def matmul(a, b):
    return _tensor(a).matmul(b)


def reshape(x, shape):
    return _tensor(x).reshape(shape)


def transpose(x, dim0, dim1):
    return _tensor(x).transpose(dim0, dim1)


def unsqueeze(x, dim):
    return _tensor(x).unsqueeze(dim)


def squeeze(x, dim=None):
    return _tensor(x).squeeze(dim)


def maximum(a, b):
    return _tensor(a).maximum(b)


def minimum(a, b):
    return _tensor(a).minimum(b)


def where(condition, input, other):
    """Element-wise `input if condition else other`; the gradient follows the choice."""
    condition = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if condition.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got {condition.dtype}")
    if isinstance(input, Tensor):
        other = _as_tensor(other, like=input)
    elif isinstance(other, Tensor):
        input = _as_tensor(input, like=other)
    else:
        input, other = Tensor(input), Tensor(other)
    try:
        np.broadcast_shapes(condition.shape, input.shape, other.shape)
    except ValueError:
        raise ValueError(f"where: shapes condition {condition.shape}, input {input.shape}, "
                         f"other {other.shape} do not broadcast") from None
    a, b = _same_dtype(input, other)
    return elementwise.Where.apply(a, b, condition=condition)
