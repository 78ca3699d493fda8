"""softmax and log_softmax over any axis, computed by the compiled kernels.

The kernels (minigrad/_kernels/_softmax.pyx, twin in reference.py) work along the
last axis of a C-contiguous (rows, classes) array. These ops move `dim` to the end,
flatten the rest into rows, call the kernel, and undo the move.
"""
import numpy as np

from minigrad import _kernels as kernels
from minigrad.autograd import Function


def _as_rows(x, dim):
    """View x as a C-contiguous (rows, size of `dim`) array, with `dim` last."""
    if x.ndim == 2 and dim == 1 and x.flags.c_contiguous:
        return x, x.shape  # the common case, (batch, classes): nothing to move
    moved = np.moveaxis(x, dim, -1) if x.ndim else x.reshape(1)
    n_rows = int(np.prod(moved.shape[:-1]))  # explicit, so a size-0 axis still reshapes
    return np.ascontiguousarray(moved.reshape(n_rows, moved.shape[-1])), moved.shape


def _from_rows(rows, moved_shape, dim, ndim):
    if ndim == 2 and dim == 1:
        return rows
    out = rows.reshape(moved_shape)
    return np.moveaxis(out, -1, dim) if ndim else out.reshape(())


def _rowwise_forward(ctx, kernel, x, dim):
    """Run a (rows, classes) kernel along `dim` of x; save its output for backward."""
    rows, moved_shape = _as_rows(x, dim)
    y = np.empty_like(rows)
    kernel(rows, y)
    ctx.save_for_backward(y, moved_shape, dim, x.ndim)
    return _from_rows(y, moved_shape, dim, x.ndim)


def _rowwise_backward(ctx, kernel, grad):
    """Run the matching backward kernel on the saved output and the incoming gradient."""
    y, moved_shape, dim, ndim = ctx.saved_tensors
    g, _ = _as_rows(grad, dim)
    dx = np.empty_like(y)
    kernel(y, g, dx)
    return _from_rows(dx, moved_shape, dim, ndim)


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
