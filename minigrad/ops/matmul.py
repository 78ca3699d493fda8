"""Matrix multiplication, with numpy's rules for 1-D and batched operands."""
import numpy as np

from minigrad.autograd import Function
from minigrad.ops._broadcast import unbroadcast, unbroadcast_tensor
from minigrad.ops.shape import Permute, Reshape


class MatMul(Function):
    """C = A @ B;   dL/dA = dL/dC @ B^T,   dL/dB = A^T @ dL/dC.

    A 1-D A is treated as a row (1, n) and a 1-D B as a column (n, 1), then the extra
    axis is dropped, exactly as numpy and PyTorch do. Leading (batch) axes broadcast,
    so their gradients are summed back with `unbroadcast`.
    """

    @staticmethod
    def forward(ctx, a, b):
        # A is needed only for dL/dB and B only for dL/dA; the unneeded one is not kept, as in
        # torch (what is not saved may be changed in place afterwards: minigrad/inplace.py).
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None, a.shape, b.shape)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b, a_shape, b_shape = ctx.saved_tensors
        a2_shape = (1,) + a_shape if len(a_shape) == 1 else a_shape  # a row (1, n)
        b2_shape = b_shape + (1,) if len(b_shape) == 1 else b_shape  # a column (n, 1)
        batch = _batch_shape(a2_shape, b2_shape)
        grad2 = grad.reshape(batch + (a2_shape[-2], b2_shape[-1]))
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            b2 = b.reshape(b2_shape)
            grad_a = unbroadcast(grad2 @ b2.swapaxes(-1, -2), a2_shape).reshape(a_shape)
        if ctx.needs_input_grad[1]:
            a2 = a.reshape(a2_shape)
            grad_b = unbroadcast(a2.swapaxes(-1, -2) @ grad2, b2_shape).reshape(b_shape)
        return grad_a, grad_b

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        """The same rule with Tensor ops: dL/dA = G B^T and dL/dB = A^T G are matmuls again."""
        a, b = inputs
        a2 = Reshape.apply(a, shape=(1,) + a.shape) if a.ndim == 1 else a  # (1, n)
        b2 = Reshape.apply(b, shape=b.shape + (1,)) if b.ndim == 1 else b  # (n, 1)
        batch = _batch_shape(a2.shape, b2.shape)
        shape2 = batch + (a2.shape[-2], b2.shape[-1])
        grad2 = grad if grad.shape == shape2 else Reshape.apply(grad, shape=shape2)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = _shaped(unbroadcast_tensor(MatMul.apply(grad2, _swap_last(b2)), a2.shape), a.shape)
        if ctx.needs_input_grad[1]:
            grad_b = _shaped(unbroadcast_tensor(MatMul.apply(_swap_last(a2), grad2), b2.shape), b.shape)
        return grad_a, grad_b


def _swap_last(t):
    """t with its last two axes swapped (the batched transpose), as a recorded op."""
    dims = list(range(t.ndim))
    dims[-2], dims[-1] = dims[-1], dims[-2]
    return Permute.apply(t, dims=tuple(dims))


def _shaped(t, shape):
    return t if t.shape == shape else Reshape.apply(t, shape=shape)


def _batch_shape(a_shape, b_shape):
    """The broadcast shape of the leading (batch) axes of two operands of at least 2-D:
    () for plain matrices, without asking numpy."""
    if len(a_shape) == 2 and len(b_shape) == 2:
        return ()
    return np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
