"""Embedding: looking up rows of a weight matrix by integer index.

The lookup is indexing (y = W[i]); its backward is the adjoint of a gather, a scatter-add:
each picked row's gradient is added back into the row it came from.
"""
import numpy as np

from minigrad.autograd import Function


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
