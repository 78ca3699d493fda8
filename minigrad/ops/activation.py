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
    """s = 1 / (1 + e^-x);   ds/dx = s (1 - s)."""

    @staticmethod
    def forward(ctx, x):
        # Computed from e = e^(-|x|) <= 1, which never overflows whatever the sign of x:
        # s = 1 / (1 + e) for x >= 0, and s = e / (1 + e) (the same number) for x < 0.
        e = np.exp(-np.abs(x))
        d = 1 + e
        s = np.divide(e, d, out=np.empty_like(d))  # out=: an array even when x is 0-d
        np.divide(1, d, out=s, where=x >= 0)
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
