"""A model's parameters as one flat vector and back (for methods that see the model as a
point in R^n: line searches, second-order methods, evolution strategies)."""
from minigrad.ops.join import Cat
from minigrad.tensor import Tensor


def parameters_to_vector(parameters):
    """Every parameter flattened and joined, in order: a 1-D Tensor of the total size.

    Differentiable, as torch's (a reshape and a cat): a gradient of the vector flows back
    into each parameter.
    """
    pieces = []
    for i, param in enumerate(parameters):
        if not isinstance(param, Tensor):
            raise TypeError(f"parameters_to_vector: parameters[{i}] must be a minigrad Tensor, "
                            f"got {type(param).__name__}")
        pieces.append(param.reshape(-1))
    if not pieces:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")  # what torch's cat says
    return Cat.apply(*pieces, dim=0)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D `vec` into the parameters, in order (each takes
    param.numel() values, reshaped to its shape). As in torch, each parameter's data becomes a
    view of `vec` (they share memory from then on), and `vec` may be longer than needed.
    """
    if not isinstance(vec, Tensor):
        kind = type(vec).__name__
        if type(vec).__module__ != "builtins":
            kind = f"{type(vec).__module__}.{kind}"
        raise TypeError(f"expected minigrad.Tensor, but got: {kind}")  # torch's words
    pointer = 0
    for param in parameters:
        n = param.data.size
        piece = vec.data[pointer:pointer + n]
        if piece.size != n:
            # torch's words (its view_as fails the same way)
            raise RuntimeError(f"shape '{list(param.shape)}' is invalid for input of size {piece.size}")
        param.data = piece.reshape(param.shape)
        pointer += n
