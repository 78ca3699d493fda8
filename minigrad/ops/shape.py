"""Ops that move elements around without changing them: reshape, permute, indexing.

Their backward moves the gradient back the same way: reshape it back, apply the
inverse permutation, or scatter it into the positions that were read.
"""
import numpy as np

from minigrad.autograd import Function


class Reshape(Function):
    """y = x with a new shape (same elements, same order);   dy/dx reshapes back.

    Also serves view, flatten, squeeze and unsqueeze, which are reshapes too.
    """

    view_of_input = True  # y shares x's memory

    @staticmethod
    def forward(ctx, x, shape=None):
        ctx.save_for_backward(x.shape)
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        (shape,) = ctx.saved_tensors
        return grad.reshape(shape)


class Permute(Function):
    """y = x with its axes reordered by `dims`;   the backward applies the inverse order."""

    view_of_input = True  # y shares x's memory

    @staticmethod
    def forward(ctx, x, dims=None):
        ctx.save_for_backward(dims)
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, grad):
        (dims,) = ctx.saved_tensors
        return np.transpose(grad, np.argsort(dims))


class GetItem(Function):
    """y = x[index];   dx = zeros with the gradient added back at the positions read.

    Integer-array indices can read one element several times, so the scatter must add
    (np.add.at), not assign.
    """

    view_of_input = True  # y shares x's memory (for GetItem: unless the index is an array)

    @staticmethod
    def forward(ctx, x, index=None):
        ctx.save_for_backward(x.shape, index)
        y = x[index]
        if type(y) is not np.ndarray:  # an integer for every axis: numpy gives a copy (a scalar),
            y = x[(index if isinstance(index, tuple) else (index,)) + (Ellipsis,)]  # torch a 0-d view
        return y

    @staticmethod
    def backward(ctx, grad):
        shape, index = ctx.saved_tensors
        out = np.zeros(shape, dtype=grad.dtype)
        parts = index if isinstance(index, tuple) else (index,)
        if any(isinstance(p, np.ndarray) and p.dtype != bool for p in parts):
            np.add.at(out, index, grad)  # repeated indices accumulate
        else:
            out[index] = grad  # slices and masks read each element at most once
        return out


def _grid(index, dim):
    """The full index tuple for an `index` array along `dim`: an open grid (arange along every
    other axis, shaped to broadcast) with `index` itself at `dim`."""
    return tuple(index if axis == dim else
                 np.arange(n).reshape((1,) * axis + (n,) + (1,) * (index.ndim - axis - 1))
                 for axis, n in enumerate(index.shape))


class Gather(Function):
    """y[i][j][k] = x[i][index[i][j][k]][k] for dim = 1 (the index replaces the coordinate along
    `dim`; index has x's number of axes, and no axis larger than x's except along `dim`);
    dx = zeros with each y's gradient added at the element it read (np.add.at: repeats add up).
    """

    @staticmethod
    def forward(ctx, x, index=None, dim=0):
        where = _grid(index, dim)
        ctx.save_for_backward(x.shape, where)
        return x[where]

    @staticmethod
    def backward(ctx, grad):
        shape, where = ctx.saved_tensors
        out = np.zeros(shape, dtype=grad.dtype)
        np.add.at(out, where, grad)
        return out


class IndexSelect(Function):
    """y = the slices of x at positions `index` (a 1-D integer array) along `dim`, in that order;
    dx = zeros with each slice's gradient added back at its position (repeats add up)."""

    @staticmethod
    def forward(ctx, x, index=None, dim=0):
        ctx.save_for_backward(x.shape, index, dim)
        return np.take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        shape, index, dim = ctx.saved_tensors
        out = np.zeros(shape, dtype=grad.dtype)
        np.add.at(out, (slice(None),) * dim + (index,), grad)
        return out
