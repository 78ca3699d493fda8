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

    @staticmethod
    def forward(ctx, x, index=None):
        ctx.save_for_backward(x.shape, index)
        return x[index]

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
