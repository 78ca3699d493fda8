"""Matrix multiplication, with numpy's rules for 1-D and batched operands."""
import numpy as np

from minigrad.autograd import Function
from minigrad.ops._broadcast import unbroadcast


class MatMul(Function):
    """C = A @ B;   dL/dA = dL/dC @ B^T,   dL/dB = A^T @ dL/dC.

    A 1-D A is treated as a row (1, n) and a 1-D B as a column (n, 1), then the extra
    axis is dropped, exactly as numpy and PyTorch do. Leading (batch) axes broadcast,
    so their gradients are summed back with `unbroadcast`.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        a2 = a[np.newaxis, :] if a.ndim == 1 else a  # (1, n)
        b2 = b[:, np.newaxis] if b.ndim == 1 else b  # (n, 1)
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        grad2 = np.reshape(grad, batch + (a2.shape[-2], b2.shape[-1]))
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = np.reshape(unbroadcast(grad2 @ np.swapaxes(b2, -1, -2), a2.shape), a.shape)
        if ctx.needs_input_grad[1]:
            grad_b = np.reshape(unbroadcast(np.swapaxes(a2, -1, -2) @ grad2, b2.shape), b.shape)
        return grad_a, grad_b


class Linear(Function):
    """y = x W^T + b, for x of shape (..., in), W (out, in), b (out,) or absent;

        dL/dx = g W,    dL/dW = g^T x,    dL/db = sum of g over the leading axes,

    where g = dL/dy, and x and g are seen as matrices (rows = every leading index).

    What nn.Linear computes, as one op (PyTorch's F.linear / addmm): a layer is the most
    frequent op of a training step, and one graph node instead of three (transpose, matmul,
    add) is a third of the bookkeeping. The math is the MatMul and Add rules above.
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        out = x @ weight.T
        if bias is not None:
            out += bias  # in place: `out` is a fresh array nobody else has seen
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        rows = grad.reshape(-1, weight.shape[0])  # (every leading index, out)
        grad_x = (grad @ weight) if need_x else None
        grad_w = (rows.T @ x.reshape(-1, weight.shape[1])) if need_w else None
        if len(ctx.needs_input_grad) == 3 and ctx.needs_input_grad[2]:
            return grad_x, grad_w, rows.sum(axis=0)
        return grad_x, grad_w
