"""Activation functions: relu, sigmoid, tanh.

Each backward uses the forward's *output*, which is all the derivative needs.
"""
import numpy as np

from minigrad.autograd import Function


class ReLU(Function):
    """y = max(x, 0);   dy/dx = 1 where x > 0, else 0 (0 at x = 0, as in PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, np.zeros((), dtype=x.dtype))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (y > 0)


class Sigmoid(Function):
    """s = 1 / (1 + e^-x);   ds/dx = s (1 - s).

    The formula as written is safe in floating point: for x < -709 (float64) e^-x
    overflows to inf and s = 1 / inf = 0, the right limit, and there is no cancellation
    anywhere. It is also how PyTorch computes it, so the two agree to the last bit more
    often than any rearrangement would.
    """

    @staticmethod
    def forward(ctx, x):
        s = np.negative(x, out=np.empty_like(x))  # out=: an array even when x is 0-d
        with np.errstate(over="ignore"):
            np.exp(s, out=s)
        s += 1
        np.reciprocal(s, out=s)
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        return grad * (1 - s) * s


class Tanh(Function):
    """t = tanh(x);   dt/dx = 1 - t^2."""

    @staticmethod
    def forward(ctx, x):
        t = np.tanh(x)
        ctx.save_for_backward(t)
        return t

    @staticmethod
    def backward(ctx, grad):
        (t,) = ctx.saved_tensors
        return grad * (1 - t * t)
