"""unbroadcast: the adjoint of broadcasting is a sum.

When numpy broadcasts an input of shape (3, 1) against (3, 4), each input element is
used 4 times, so its gradient is the sum of those 4 uses. `unbroadcast` sums the
gradient of the broadcast result back down to the input's own shape.
"""
import numpy as np


def unbroadcast(grad, shape):
    """Sum `grad` over the axes that broadcasting added or stretched, to get `shape`."""
    if grad.shape == shape:
        return grad
    # float16 is summed in float32 and rounded once at the end, as torch accumulates it
    # (numpy's float16 sum rounds at every step).
    total = np.float32 if grad.dtype == np.float16 else None
    added = grad.ndim - len(shape)  # leading axes that broadcasting prepended
    if added:
        grad = grad.sum(axis=tuple(range(added)), dtype=total)
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True, dtype=total)
    return grad.reshape(shape).astype(np.float16) if total is not None else grad.reshape(shape)


def unbroadcast_tensor(grad, shape):
    """`unbroadcast` for a gradient that is a Tensor (create_graph=True): the same sums, as
    recorded Tensor ops (sum, then reshape), so the result can be differentiated again.

    Summing is linear, so its own backward broadcasts back: the adjoint of the adjoint.
    """
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    half = grad.data.dtype == np.float16
    if half:  # summed in float32 and rounded once, as the array version does
        grad = grad.to(np.float32)
    added = grad.ndim - len(shape)
    stretched = tuple(added + i for i, n in enumerate(shape) if n == 1 and grad.shape[added + i] != 1)
    axes = tuple(range(added)) + stretched
    if axes:
        grad = grad.sum(dim=axes, keepdim=True)
    grad = grad.reshape(shape)
    return grad.to(np.float16) if half else grad
