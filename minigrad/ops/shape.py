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

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return Reshape.apply(grad, shape=inputs[0].shape)


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

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        dims = ctx.params.get("dims")
        if dims is None:  # numpy's default: the axes reversed, its own inverse
            dims = tuple(reversed(range(grad.ndim)))
        return Permute.apply(grad, dims=tuple(int(d) for d in np.argsort(dims)))


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

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return ScatterAdd.apply(grad, index=ctx.params["index"], shape=inputs[0].shape)


class ScatterAdd(Function):
    """y = zeros(`shape`) with x added at the positions `index` picks: y[index] += x (an
    element picked twice gets both). The adjoint of reading x[index]:

        dy/dx = the gradient read back at those positions, grad[index].

    GetItem's backward (and Gather's, IndexSelect's, Narrow's, max(dim)'s, Embedding's) as an
    op of its own, so that create_graph=True can differentiate it: its backward is GetItem's
    forward, and GetItem's backward is it.
    """

    @staticmethod
    def forward(ctx, x, index=None, shape=None):
        out = np.zeros(shape, dtype=x.dtype)
        parts = index if isinstance(index, tuple) else (index,)
        if any(isinstance(p, np.ndarray) and p.dtype != bool for p in parts):
            np.add.at(out, index, x)  # repeated indices accumulate
        else:
            out[index] = x
        return out

    @staticmethod
    def backward(ctx, grad):
        return _read(grad, ctx.params["index"])

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return GetItem.apply(grad, index=ctx.params["index"])


def _read(x, index):
    """x[index] as GetItem reads it (a 0-d array, not a numpy scalar, for an integer per axis)."""
    y = x[index]
    if type(y) is not np.ndarray:
        y = x[(index if isinstance(index, tuple) else (index,)) + (Ellipsis,)]
    return y


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

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        shape, where = ctx.saved_tensors
        return ScatterAdd.apply(grad, index=where, shape=shape)


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

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        shape, index, dim = ctx.saved_tensors
        return ScatterAdd.apply(grad, index=(slice(None),) * dim + (index,), shape=shape)
