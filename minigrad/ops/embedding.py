"""Embedding: looking up rows of a weight matrix by integer index.

The lookup is indexing (y = W[i]); its backward is the adjoint of a gather, a scatter-add:
each picked row's gradient is added back into the row it came from.
"""
import numpy as np

from minigrad.autograd import Function
from minigrad.ops.shape import ScatterAdd


class Embedding(Function):
    """y[..., :] = W[i[...], :] for integer indices i;

    dW[r] = sum of dy[...] over the positions where i = r (a row picked twice gets both),
    except:
    - padding_idx: dW[padding_idx] = 0, that row is never trained;
    - scale_grad_by_freq: each position's contribution is divided by the number of times its
      row is picked in i (so frequent rows do not dominate), as PyTorch does.

    The indices are not differentiable: they arrive as a parameter, not an input.
    """

    @staticmethod
    def forward(ctx, weight, indices=None, padding_idx=None, scale_grad_by_freq=False):
        ctx.save_for_backward(weight.shape, indices)
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        shape, indices = ctx.saved_tensors
        flat = indices.reshape(-1)
        rows = grad.reshape(-1, shape[1])
        if ctx.params.get("scale_grad_by_freq"):
            counts = np.bincount(flat, minlength=shape[0])
            rows = rows / counts[flat][:, None].astype(grad.dtype)
        out = np.zeros(shape, dtype=grad.dtype)
        np.add.at(out, flat, rows)  # repeated indices accumulate
        padding_idx = ctx.params.get("padding_idx")
        if padding_idx is not None:
            out[padding_idx] = 0
        return out

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        """The same scatter-add as an op (ScatterAdd, whose backward reads the rows again);
        the frequency scale and the padding row are constant factors of the gradient.

        With scale_grad_by_freq this differentiates the scaled backward as it is; torch 2.13's
        double backward of embedding leaves the 1 / count out (its d(dW)/d(dy) is unscaled),
        so there minigrad and torch part (tests/torch_parity/test_double_backward_structural.py)."""
        shape, indices = ctx.saved_tensors
        if ctx.params.get("scale_grad_by_freq"):
            counts = np.bincount(indices.reshape(-1), minlength=shape[0])
            grad = grad / grad._wrap(counts[indices][..., None].astype(grad.dtype))
        padding_idx = ctx.params.get("padding_idx")
        if padding_idx is not None:
            kept = indices != padding_idx % shape[0]  # (a negative padding_idx counts from the end)
            grad = grad * grad._wrap(kept[..., None].astype(grad.dtype))
        return ScatterAdd.apply(grad, index=indices, shape=shape)
