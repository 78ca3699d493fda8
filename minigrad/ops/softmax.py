"""softmax and log_softmax over any axis, computed by the compiled kernels.

The kernels (minigrad/_kernels/_softmax.pyx, twin in reference.py) work along the last
axis of a C-contiguous (rows, classes) array (minigrad/ops/_rows.py). These ops move
`dim` to the end, flatten the rest into rows, call the kernel, and undo the move.

Each Function's `composed` is its formula written with Tensor ops, so that autograd
derives the gradient: what the fused kernel computes, without the speed. The tests hold
the kernel to it (tests/test_ops_composed.py).
"""
import numpy as np

from minigrad import _kernels as kernels
from minigrad.autograd import Function
from minigrad.ops._rows import as_rows, from_rows


def _rowwise_forward(ctx, kernel, x, dim):
    """Run a (rows, classes) kernel along `dim` of x; save its output for backward."""
    rows = as_rows(x, dim)
    y = np.empty_like(rows)
    kernel(rows, y)
    ctx.save_for_backward(y, x.shape, dim)
    return from_rows(y, x.shape, dim)


def _rowwise_backward(ctx, kernel, grad):
    """Run the matching backward kernel on the saved output and the incoming gradient."""
    y, shape, dim = ctx.saved_tensors
    dx = np.empty_like(y)
    kernel(y, as_rows(grad, dim), dx)
    return from_rows(dx, shape, dim)


def _shifted(x, dim):
    """x minus its maximum along `dim`: softmax(x - c) = softmax(x) for any constant c, and
    after this shift no exp can overflow. The maximum is a constant (detached): the
    function does not depend on it, so no gradient flows through it."""
    return x - x.max(dim, keepdim=True).values.detach()


class Softmax(Function):
    """y_i = e^{x_i} / sum_j e^{x_j}   along `dim`;
    dL/dx_i = y_i (g_i - sum_j g_j y_j)   where g = dL/dy.

    Stable for any finite input: the kernel subtracts the maximum before exponentiating.
    """

    @staticmethod
    def forward(ctx, x, dim=-1):
        return _rowwise_forward(ctx, kernels.softmax_forward, x, dim)

    @staticmethod
    def backward(ctx, grad):
        return _rowwise_backward(ctx, kernels.softmax_backward, grad)

    @staticmethod
    def composed(x, dim=-1):
        """The formula in Tensor ops (autograd derives the gradient)."""
        e = _shifted(x, dim).exp()
        return e / e.sum(dim, keepdim=True)


class LogSoftmax(Function):
    """y_i = x_i - log sum_j e^{x_j}   along `dim`;
    dL/dx_i = g_i - e^{y_i} sum_j g_j   where g = dL/dy.

    Fused: never computed as log(softmax(x)), which underflows to log(0) = -inf.
    """

    @staticmethod
    def forward(ctx, x, dim=-1):
        return _rowwise_forward(ctx, kernels.log_softmax_forward, x, dim)

    @staticmethod
    def backward(ctx, grad):
        return _rowwise_backward(ctx, kernels.log_softmax_backward, grad)

    @staticmethod
    def composed(x, dim=-1):
        """The formula in Tensor ops: x - logsumexp(x), the log-sum-exp shifted by the max."""
        z = _shifted(x, dim)
        return z - z.exp().sum(dim, keepdim=True).log()
