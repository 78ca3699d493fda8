"""The function forms of Tensor methods (`minigrad.exp(x)` is `x.exp()`), as in torch.*.

Each is a one-line forward to the method, so the math lives in one place (ops/).
"""
import numpy as np

from minigrad.ops import elementwise
from minigrad.tensor import Tensor, _as_tensor, _same_dtype


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def exp(x):
    return _t(x).exp()


def log(x):
    return _t(x).log()


def sqrt(x):
    return _t(x).sqrt()


def abs(x):
    return _t(x).abs()


def clamp(x, min=None, max=None):
    return _t(x).clamp(min, max)


def relu(x):
    return _t(x).relu()


def sigmoid(x):
    return _t(x).sigmoid()


def tanh(x):
    return _t(x).tanh()


def softmax(x, dim):
    return _t(x).softmax(dim)


def log_softmax(x, dim):
    return _t(x).log_softmax(dim)


def sum(x, dim=None, keepdim=False):
    return _t(x).sum(dim, keepdim)


def mean(x, dim=None, keepdim=False):
    return _t(x).mean(dim, keepdim)


def max(x, dim=None, keepdim=False):
    return _t(x).max(dim, keepdim)


def argmax(x, dim=None, keepdim=False):
    return _t(x).argmax(dim, keepdim)


def matmul(a, b):
    return _t(a).matmul(b)


def reshape(x, shape):
    return _t(x).reshape(shape)


def transpose(x, dim0, dim1):
    return _t(x).transpose(dim0, dim1)


def unsqueeze(x, dim):
    return _t(x).unsqueeze(dim)


def squeeze(x, dim=None):
    return _t(x).squeeze(dim)


def maximum(a, b):
    return _t(a).maximum(b)


def minimum(a, b):
    return _t(a).minimum(b)


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
