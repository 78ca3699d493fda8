"""Activation functions: relu, sigmoid, tanh.

Each backward uses the forward's *output*, which is all the derivative needs.
"""
import numpy as np

from minigrad.autograd import Function, Kink, side


class ReLU(Function):
    """y = max(x, 0);   dy/dx = 1 where x > 0, else 0 (0 at x = 0, as in PyTorch).

    NaN is no exception: relu(NaN) = NaN and the gradient passes there, as in PyTorch,
    which blocks the gradient where y <= 0 (false for NaN) rather than letting it through
    where y > 0 (also false for NaN). Two differences from PyTorch remain, because selecting
    with np.where instead of multiplying by a mask is ~18x slower on a 256 x 512 array of
    mixed signs: relu(-0.0) is +0.0 (torch: -0.0), and a NaN or inf gradient arriving where
    y = 0 gives NaN (NaN * 0; torch: 0).
    """

    kink = Kink("relu at x = 0", lambda x, **_: side(x, 0))

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, np.zeros((), dtype=x.dtype))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * ~(y <= 0)  # 1 where y > 0 and where y is NaN


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
