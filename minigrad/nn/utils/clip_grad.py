"""Gradient clipping: keep one bad batch from throwing the parameters far away.

    clip_grad_norm_(params, max_norm)   scale every gradient by min(1, max_norm / (total + 1e-6)),
                                        total = the norm of all the gradients as one vector
    clip_grad_value_(params, c)         clamp every gradient element into [-c, c]

Both change `p.grad` in place (the same Tensor object holds the clipped values) and leave the
graph alone; they run between `loss.backward()` and `optimizer.step()`.
"""
import math
import types
import warnings

import numpy as np

from minigrad.tensor import Tensor


def _tensors(parameters, fn):
    """A Tensor, or an iterable of them, as a list (a generator is read once)."""
    if isinstance(parameters, Tensor):
        return [parameters]
    try:
        tensors = list(parameters)
    except TypeError:
        raise TypeError(f"{fn}: parameters must be a Tensor or an iterable of Tensors, "
                        f"got {type(parameters).__name__}") from None
    for i, p in enumerate(tensors):
        if not isinstance(p, Tensor):
            raise TypeError(f"{fn}: parameters[{i}] must be a minigrad Tensor, got {type(p).__name__}")
    return tensors


def _vector_norm(array, p):
    """||array||_p of every element, as torch.linalg.vector_norm (p = inf: the largest |x|,
    p = 0: the count of non-zeros, p = -inf: the smallest |x|)."""
    a = np.abs(array)
    if p == math.inf:
        return a.max(initial=0.0)
    if p == -math.inf:
        return a.min(initial=math.inf)
    if p == 0:
        return a.dtype.type(np.count_nonzero(a))
    if p == 1:
        return a.sum()
    if p == 2:
        return np.sqrt((a * a).sum())
    return (a ** p).sum() ** (1.0 / p)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm_type-norm of all `tensors` as one vector: the norm of their norms.

    Returns a 0-d Tensor: float32 tensor(0.) for no tensors, else the tensors' (promoted)
    dtype. error_if_nonfinite=True raises torch's RuntimeError when it is nan or inf.
    """
    tensors = _tensors(tensors, "get_total_norm")
    norm_type = float(norm_type)
    if not tensors:
        return Tensor(np.array(0.0, dtype=np.float32))
    norms = [_vector_norm(t.data, norm_type) for t in tensors]
    dtype = np.result_type(*[t.data.dtype for t in tensors])
    total = np.asarray(_vector_norm(np.array(norms, dtype=dtype), norm_type), dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                           "so it cannot be clipped. To disable this error and scale the gradients by the "
                           "non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale each gradient by min(max_norm / (total_norm + 1e-6), 1), in place.

    The factor is applied even when it is 1 (as torch, so a nan total makes every gradient nan).
    """
    parameters = _tensors(parameters, "clip_grads_with_norm_")
    grads = [p.grad for p in parameters if p.grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    total = total_norm.data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    coef = np.minimum(max_norm / (total + 1e-6), 1.0)  # in the total's dtype, as torch's clamp(coef, max=1)
    for g in grads:
        # A new array rather than *= : the old one may be shared (or read-only); `g` stays the same Tensor.
        with np.errstate(invalid="ignore"):  # inf * 0 where the total is inf: nan, as torch, without a warning
            g.data = g.data * coef.astype(g.data.dtype)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Clip the gradients of `parameters` (a Tensor or an iterable) to a total norm of max_norm.

        total = || (||g_1||, ||g_2||, ...) ||   (norm_type: 2 by default; float('inf') for the max)
        g_i  <- g_i * min(1, max_norm / (total + 1e-6))

    Parameters without a gradient are skipped. Returns `total`, the norm *before* clipping, as
    a 0-d Tensor (torch's return value; watch it to see how often clipping acts). `foreach`
    is accepted and ignored (it picks torch's kernels).
    """
    was_generator = isinstance(parameters, types.GeneratorType)
    parameters = _tensors(parameters, "clip_grad_norm_")
    if was_generator and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element of `parameters` into [-clip_value, clip_value], in place.
    Returns None, as torch."""
    parameters = _tensors(parameters, "clip_grad_value_")
    clip_value = float(clip_value)
    for p in parameters:
        if p.grad is not None:
            g = p.grad
            # torch's clamp_(min=-c, max=c) is min(max(g, -c), c): NaN stays NaN, and c < 0 gives c everywhere
            g.data = np.minimum(np.maximum(g.data, g.data.dtype.type(-clip_value)), g.data.dtype.type(clip_value))
