"""The softmax kernels in plain numpy: the readable spec of `_softmax.pyx`.

Same functions, same arguments, same results to rounding as the compiled kernels. The
tests use them as a second oracle, and `MINIGRAD_BACKEND=numpy` makes minigrad call them
instead of the Cython ones (to read the math, or to see what the compilation buys).

Every function works along the last axis of a 2-D array x of shape (n, C): n rows, each a
vector of C scores (logits). It writes its result into `out`, an array of the same shape
and dtype that the caller allocated, and returns nothing.

NaN and inf come out as in PyTorch: a row holding a NaN or a +inf, or made only of -inf,
gives a row of NaN (errstate silences numpy's warnings about it).
"""
import numpy as np


def _check_shape(func, name, a, reference_name, reference):
    if a.shape != reference.shape:
        raise ValueError(f"{func}: {name} has shape {a.shape} but {reference_name} has shape "
                         f"{reference.shape}")


@np.errstate(invalid="ignore", over="ignore")
def softmax_forward(x, out):
    """out = softmax(x) = exp(x - max(x)) / sum(exp(x - max(x))), row by row.

    Subtracting the row max changes nothing mathematically (it cancels between the
    numerator and the denominator) and makes the largest exponent 0, so exp cannot
    overflow for any finite input.
    """
    _check_shape("softmax_forward", "out", out, "x", x)
    row_max = x.max(axis=-1, keepdims=True, initial=-np.inf)  # -inf for an empty row
    np.exp(x - row_max, out=out)
    out /= out.sum(axis=-1, keepdims=True)


@np.errstate(invalid="ignore", over="ignore", divide="ignore")  # divide: log(0) when C == 0
def log_softmax_forward(x, out):
    """out = log_softmax(x) = (x - max(x)) - log(sum(exp(x - max(x)))), row by row.

    Computed directly, never as log(softmax(x)): a probability that underflows to 0
    would make that -inf, while x - max(x) - log(...) stays finite.
    """
    _check_shape("log_softmax_forward", "out", out, "x", x)
    shifted = x - x.max(axis=-1, keepdims=True, initial=-np.inf)
    log_sum_exp = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    np.subtract(shifted, log_sum_exp, out=out)


@np.errstate(invalid="ignore")
def softmax_backward(y, grad, out):
    """out = dL/dx = y * (grad - sum(grad * y)), row by row, where y = softmax(x), grad = dL/dy.

    The Jacobian of softmax is dy_j/dx_k = y_j * (delta_jk - y_k), so
    dL/dx_k = sum_j grad_j * y_j * (delta_jk - y_k) = y_k * (grad_k - sum_j grad_j * y_j):
    one dot product per row, the C x C Jacobian is never built.
    """
    _check_shape("softmax_backward", "grad", grad, "y", y)
    _check_shape("softmax_backward", "out", out, "y", y)
    dot = (grad * y).sum(axis=-1, keepdims=True)
    np.multiply(y, grad - dot, out=out)


@np.errstate(invalid="ignore")
def log_softmax_backward(y, grad, out):
    """out = dL/dx = grad - exp(y) * sum(grad), row by row, where y = log_softmax(x), grad = dL/dy.

    dy_j/dx_k = delta_jk - softmax(x)_k, and softmax(x) = exp(y), so
    dL/dx_k = grad_k - exp(y_k) * sum_j grad_j.
    """
    _check_shape("log_softmax_backward", "grad", grad, "y", y)
    _check_shape("log_softmax_backward", "out", out, "y", y)
    np.subtract(grad, np.exp(y) * grad.sum(axis=-1, keepdims=True), out=out)
