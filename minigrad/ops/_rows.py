"""The kernels' (rows, C) layout, with the class axis last.

The softmax and class-loss kernels walk one C-contiguous row of C values at a time. An
array with its class (or softmax) axis elsewhere is brought to that layout by moving the
axis last and flattening the others into rows; the result goes back the same way.
"""
import math

import numpy as np


def as_rows(x, dim):
    """x as a C-contiguous (rows, x.shape[dim]) array: `dim` moved last, the rest flattened.

    (N, C) with dim 1 is returned as it is when it is already C-contiguous. An x of one
    axis (C,) (or none) is one row, whatever `dim` says: its only axis is the class axis.
    So the class losses pass dim=1 for (C,), (N, C) and (N, C, d1, ...) alike.
    """
    if dim == 1 and x.ndim == 2 and x.flags.c_contiguous:
        return x  # the common case, (batch, classes): nothing to move
    if x.ndim <= 1:
        return np.ascontiguousarray(x).reshape(1, -1)
    moved = np.moveaxis(x, dim, -1)
    n_rows = math.prod(moved.shape[:-1])  # explicit, so that a size-0 axis still reshapes
    return np.ascontiguousarray(moved).reshape(n_rows, moved.shape[-1])


def from_rows(rows, shape, dim):
    """Undo as_rows: the (rows, C) array back in `shape`, its last axis returned to `dim`."""
    if dim == 1 and len(shape) == 2:
        return rows
    if len(shape) <= 1:
        return rows.reshape(shape)
    dim %= len(shape)
    moved = shape[:dim] + shape[dim + 1:] + (shape[dim],)
    return np.moveaxis(rows.reshape(moved), -1, dim)
