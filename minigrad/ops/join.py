"""Joining tensors and cutting them apart: cat, stack, and the pieces of split and chunk.

Each is the adjoint of the other: the backward of a concatenation cuts the gradient
into the inputs' pieces, and the backward of cutting out a piece puts its gradient back
into a zero tensor of the whole's shape.
"""
import numpy as np

from minigrad.autograd import Function
from minigrad.ops.shape import GetItem, Reshape, ScatterAdd


class Cat(Function):
    """y = [x_1, x_2, ...] joined along `dim` (every other size equal);
    dy/dx_k is the part of the gradient where x_k landed: the gradient cut back into pieces."""

    @staticmethod
    def forward(ctx, *xs, dim=0):
        shapes = [x.shape for x in xs]
        # A 1-D empty tensor joins anything (torch keeps this for old code): read it as the
        # others' shape with 0 along `dim`, and give it back its (0,) gradient.
        like = next((x.shape for x in xs if x.shape != (0,)), (0,))
        empty = like[:dim] + (0,) + like[dim + 1:]
        xs = [x.reshape(empty) if x.shape == (0,) else x for x in xs]
        ctx.save_for_backward(shapes, np.cumsum([x.shape[dim] for x in xs])[:-1])
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        shapes, edges = ctx.saved_tensors
        pieces = np.split(grad, edges, axis=ctx.params["dim"])
        return tuple(piece.reshape(shape) for piece, shape in zip(pieces, shapes))

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        """The pieces cut with Narrow (whose backward puts them back: ScatterAdd)."""
        shapes, edges = ctx.saved_tensors
        dim = ctx.params["dim"]
        starts, ends = [0, *edges], [*edges, grad.shape[dim]]
        pieces = []
        for shape, start, end, needs in zip(shapes, starts, ends, ctx.needs_input_grad):
            if not needs:
                pieces.append(None)
                continue
            piece = Narrow.apply(grad, dim=dim, start=int(start), length=int(end - start))
            pieces.append(piece if piece.shape == shape else Reshape.apply(piece, shape=shape))
        return tuple(pieces)


class Stack(Function):
    """y[..., k, ...] = x_k: the inputs (all of one shape) along a new axis `dim`;
    dy/dx_k is the gradient's slice k along that axis."""

    @staticmethod
    def forward(ctx, *xs, dim=0):
        return np.stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.moveaxis(grad, ctx.params["dim"], 0))  # one slice per input

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        """Slice k of the gradient along `dim`, read with GetItem (backward: ScatterAdd)."""
        before = (slice(None),) * ctx.params["dim"]
        return tuple(GetItem.apply(grad, index=before + (k,)) if needs else None
                     for k, needs in enumerate(ctx.needs_input_grad))


class Narrow(Function):
    """y = x[start : start + length] along `dim` (one piece of split or chunk, a view as in
    PyTorch);   dx = zeros with the piece's gradient put back where it was cut from."""

    view_of_input = True  # y shares x's memory (see Function.view_of_input)

    @staticmethod
    def forward(ctx, x, dim=0, start=0, length=0):
        ctx.save_for_backward(x.shape)
        return x[(slice(None),) * dim + (slice(start, start + length),)]

    @staticmethod
    def backward(ctx, grad):
        (shape,) = ctx.saved_tensors
        dim, start, length = ctx.params["dim"], ctx.params["start"], ctx.params["length"]
        out = np.zeros(shape, dtype=grad.dtype)
        out[(slice(None),) * dim + (slice(start, start + length),)] = grad
        return out

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        dim, start, length = ctx.params["dim"], ctx.params["start"], ctx.params["length"]
        return ScatterAdd.apply(grad, index=(slice(None),) * dim + (slice(start, start + length),),
                                shape=inputs[0].shape)
