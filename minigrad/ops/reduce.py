"""Reductions: sum, mean, max.

The backward of a reduction spreads the output gradient back over the elements that
were reduced: evenly for sum and mean, to the winner(s) for max.
"""
import numpy as np

from minigrad.autograd import Function, Kink


def _expand_back(grad, shape, axes, keepdim):
    """Broadcast a reduced gradient back to the input `shape` (a fresh, writable array)."""
    if not keepdim and axes is not None:  # put back the reduced axes as 1s (a full reduction's scalar needs none)
        grad = grad.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    # A real array rather than np.broadcast_to's read-only view: cheaper to make at the
    # small sizes of a training step, and a leaf can keep it as its .grad without a copy.
    out = np.empty(shape, dtype=grad.dtype)
    out[...] = grad
    return out


class Sum(Function):
    """y = sum_i x_i over `axes`;   dy/dx_i = 1 for every summed element."""

    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False):
        ctx.save_for_backward(x.shape, axes, keepdim)
        return x.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        shape, axes, keepdim = ctx.saved_tensors
        return _expand_back(grad, shape, axes, keepdim)


class Mean(Function):
    """y = (1/n) sum_i x_i over `axes` (n elements);   dy/dx_i = 1/n.

    An empty reduction gives nan (0/0), as in PyTorch.
    """

    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False):
        count = int(np.prod([x.shape[a] for a in axes])) if axes is not None else x.size
        ctx.save_for_backward(x.shape, axes, keepdim, count)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.sum(x, axis=axes, keepdims=keepdim) / x.dtype.type(count)

    @staticmethod
    def backward(ctx, grad):
        shape, axes, keepdim, count = ctx.saved_tensors
        with np.errstate(invalid="ignore", divide="ignore"):
            return _expand_back(grad / grad.dtype.type(count), shape, axes, keepdim)


class Max(Function):
    """y = max of all elements;   the gradient is split evenly among the tied maxima.

    (PyTorch 2.13's rule for the full reduction. A NaN is the maximum if present.)
    """

    kink = Kink("max() at a tie for the maximum", lambda x, **_: x == np.max(x))  # which elements win

    @staticmethod
    def forward(ctx, x):
        y = np.max(x)
        ctx.save_for_backward(x, y)
        return np.asarray(y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        winners = np.isnan(x) if np.isnan(y) else (x == y)
        return np.where(winners, grad / grad.dtype.type(winners.sum()), np.zeros((), grad.dtype))


class MaxDim(Function):
    """y = max of x along `dim`;   the whole gradient goes to the first maximum of each slice.

    The indices of those maxima are what `Tensor.max(dim)` returns beside the values.
    """

    kink = Kink("max(dim) at a tie for the maximum", lambda x, dim, **_: np.argmax(x, axis=dim))  # which one wins

    @staticmethod
    def forward(ctx, x, dim=0, keepdim=False):
        index = np.expand_dims(np.argmax(x, axis=dim), dim)  # argmax picks the first maximum (or NaN)
        ctx.save_for_backward(x.shape, index, dim, keepdim)
        values = np.take_along_axis(x, index, axis=dim)
        return values if keepdim else np.squeeze(values, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        shape, index, dim, keepdim = ctx.saved_tensors
        out = np.zeros(shape, dtype=grad.dtype)
        np.put_along_axis(out, index, grad if keepdim else np.expand_dims(grad, dim), axis=dim)
        return out
