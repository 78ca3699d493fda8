"""Ops that copy values: clone, and what copy_ and fill_ record when they change a tensor
that is part of a graph (see minigrad/inplace.py).
"""
import numpy as np

from minigrad.autograd import Function
from minigrad.ops._broadcast import unbroadcast, unbroadcast_tensor
from minigrad.ops.reduce import Sum


class Clone(Function):
    """y = x, in memory of its own;   dy/dx = 1.

    The way to change a copy in place and leave the original (and the graph) alone.
    """

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return grad


class Copy(Function):
    """y = src, broadcast to x's shape and converted to x's dtype (x.copy_(src));
    dy/dx = 0 (every old value is overwritten),   dy/dsrc = 1 (summed over the broadcast)."""

    @staticmethod
    def forward(ctx, x, src):
        ctx.save_for_backward(x.shape, src.shape)
        return np.broadcast_to(src, x.shape).astype(x.dtype)  # astype copies: y has its own memory

    @staticmethod
    def backward(ctx, grad):
        x_shape, src_shape = ctx.saved_tensors
        return (np.zeros(x_shape, grad.dtype) if ctx.needs_input_grad[0] else None,
                unbroadcast(grad, src_shape) if ctx.needs_input_grad[1] else None)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        x, src = inputs
        return (_zeros(grad, x.shape) if ctx.needs_input_grad[0] else None,
                unbroadcast_tensor(grad, src.shape) if ctx.needs_input_grad[1] else None)


def _zeros(like, shape):
    """A constant zero gradient (no graph: it does not depend on anything)."""
    return like._wrap(np.zeros(shape, like.dtype))


class Fill(Function):
    """y = value in every element, x's shape and dtype (x.fill_(value), x.zero_(); `value` a
    0-d tensor);   dy/dx = 0,   dy/dvalue = 1 for every element, so its gradient is sum(grad)."""

    @staticmethod
    def forward(ctx, x, value):
        ctx.save_for_backward(x.shape)
        return np.full(x.shape, value, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (shape,) = ctx.saved_tensors
        return (np.zeros(shape, grad.dtype) if ctx.needs_input_grad[0] else None,
                np.asarray(grad.sum()) if ctx.needs_input_grad[1] else None)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return (_zeros(grad, inputs[0].shape) if ctx.needs_input_grad[0] else None,
                Sum.apply(grad, axes=None, keepdim=False) if ctx.needs_input_grad[1] else None)


class CopySlices(Function):
    """y = x with the region that `views` picks out of it replaced by `src`: what an in-place
    change of a view of x records on x (torch's CopySlices). `views` is the chain of view ops,
    as (Function class, keyword parameters) pairs, that made the view from x (x[0], x.T[1:], ...).

        dy/dx = 1 outside the region, 0 inside (those values were overwritten);
        dy/dsrc = 1: src's gradient is the gradient's region.
    """

    def name(self):
        return "CopySlices"  # torch's name for this node

    @staticmethod
    def forward(ctx, x, src, views=()):
        out = x.copy()
        region(out, views)[...] = src
        return out

    @staticmethod
    def backward(ctx, grad):
        views = ctx.params["views"]
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = grad.copy()
            region(grad_x, views)[...] = 0
        grad_src = np.array(region(grad, views)) if ctx.needs_input_grad[1] else None  # (a copy)
        return grad_x, grad_src

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        """grad_x: the gradient with the region replaced by zeros, which is CopySlices again;
        grad_src: the region, read by the same chain of view ops."""
        views = ctx.params["views"]
        grad_x = grad_src = None
        if ctx.needs_input_grad[0]:
            grad_x = CopySlices.apply(grad, _zeros(grad, region(grad.data, views).shape), views=views)
        if ctx.needs_input_grad[1]:
            grad_src = grad
            for op, params in views:
                grad_src = op.apply(grad_src, **params)
        return grad_x, grad_src


class _Scratch:
    """A stand-in ctx for replaying a view op's forward on plain arrays (nothing is recorded)."""
    needs_input_grad = ()

    def save_for_backward(self, *values):
        pass


def region(array, views):
    """The view of `array` that the chain of view ops takes (a view: writing to it writes
    into `array`)."""
    for op, params in views:
        view = op.forward(_Scratch(), array, **params)
        if not np.shares_memory(view, array):
            raise NotImplementedError(
                f"minigrad cannot record this in-place change: the view ({op.__name__}) of the changed tensor "
                "cannot be taken again as a view of a copy (torch can, with as_strided). Change a .clone(), or "
                "compute the new tensor out of place")
        array = view
    return array
