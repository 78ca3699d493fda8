"""The fused linear layer, y = x W^T + b, as one op (what nn.Linear calls)."""
import math

from minigrad.autograd import Function
from minigrad.ops.matmul import MatMul
from minigrad.ops.reduce import Sum
from minigrad.ops.shape import Permute, Reshape


class Linear(Function):
    """y = x W^T + b, for x of shape (..., in), W (out, in), b (out,) or absent;

        dL/dx = g W,    dL/dW = g^T x,    dL/db = sum of g over the leading axes,

    where g = dL/dy, and x and g are seen as matrices (rows = every leading index).

    What nn.Linear computes, as one op (PyTorch's F.linear / addmm): a layer is the most
    frequent op of a training step, and one graph node instead of three (transpose, matmul,
    add) is a third of the bookkeeping. The math is MatMul's rule (ops/matmul.py) and
    Add's (the adjoint of broadcasting b is a sum).
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        # x only for dL/dW, W only for dL/dx: the unneeded one is not kept, as in torch (what
        # is not saved may be changed in place afterwards, e.g. by an optimizer step).
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None,
                              weight if ctx.needs_input_grad[0] else None, weight.shape)
        out = x @ weight.T
        if bias is not None:
            out += bias  # in place: `out` is a fresh array nobody else has seen
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight, (out_features, in_features) = ctx.saved_tensors
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        rows = grad.reshape(-1, out_features)  # (every leading index, out)
        grad_x = (grad @ weight) if need_x else None
        grad_w = (rows.T @ x.reshape(-1, in_features)) if need_w else None
        if len(ctx.needs_input_grad) == 3 and ctx.needs_input_grad[2]:
            return grad_x, grad_w, rows.sum(axis=0)
        return grad_x, grad_w

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        """The same three products with Tensor ops (MatMul, its transpose, Sum)."""
        x, weight = inputs[0], inputs[1]
        out_features, in_features = weight.shape
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        n = math.prod(grad.shape[:-1])
        rows = Reshape.apply(grad, shape=(n, out_features))
        grad_x = MatMul.apply(grad, weight) if need_x else None
        grad_w = None
        if need_w:
            grad_w = MatMul.apply(Permute.apply(rows, dims=(1, 0)), Reshape.apply(x, shape=(n, in_features)))
        if len(ctx.needs_input_grad) == 3 and ctx.needs_input_grad[2]:
            return grad_x, grad_w, Sum.apply(rows, axes=(0,), keepdim=False)
        return grad_x, grad_w
