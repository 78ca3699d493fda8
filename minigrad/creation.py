"""Making tensors: from data, filled with a constant, random, or a range.

Floats default to float32 and integers to int64, as in PyTorch. Random tensors draw
from minigrad's global generator, so `minigrad.manual_seed(s)` makes them reproducible.
"""
import numpy as np

from minigrad import dtype as dtypes
from minigrad.random import generator
from minigrad.tensor import Tensor, _shape_arg


def tensor(data, dtype=None, requires_grad=False):
    """A new tensor holding a copy of `data` (numbers, nested lists, a numpy array, a Tensor)."""
    source = data.data if isinstance(data, Tensor) else data
    out = Tensor(np.array(dtypes.to_array(source, dtype), copy=True))
    return out.requires_grad_(True) if requires_grad else out


def from_numpy(array):
    """A tensor sharing memory with a numpy array (no copy; its dtype is kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def _filled(shape, value, dtype, requires_grad):
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.default_float
    out = Tensor._wrap(np.full(_shape_arg(shape), value, dtype=dtype))
    return out.requires_grad_(True) if requires_grad else out


def zeros(*shape, dtype=None, requires_grad=False):
    return _filled(shape, 0, dtype, requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    return _filled(shape, 1, dtype, requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False):
    return _filled((shape,) if isinstance(shape, int) else (tuple(shape),), fill_value, dtype, requires_grad)


def zeros_like(other, dtype=None, requires_grad=False):
    return _filled((other.shape,), 0, dtype or other.dtype, requires_grad)


def ones_like(other, dtype=None, requires_grad=False):
    return _filled((other.shape,), 1, dtype or other.dtype, requires_grad)


def _random(draw, shape, dtype, requires_grad):
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.default_float
    if not dtypes.is_floating(dtype):
        raise TypeError(f"random tensors must be floating point, got dtype {dtype}")
    out = Tensor._wrap(draw(_shape_arg(shape)).astype(dtype))
    return out.requires_grad_(True) if requires_grad else out


def rand(*shape, dtype=None, requires_grad=False):
    """Uniform on [0, 1)."""
    return _random(lambda s: generator().random(s), shape, dtype, requires_grad)


def randn(*shape, dtype=None, requires_grad=False):
    """Standard normal."""
    return _random(lambda s: generator().standard_normal(s), shape, dtype, requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """start, start + step, ... up to (not including) end; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = dtypes.int64 if integral else dtypes.default_float
    out = Tensor._wrap(np.arange(start, end, step).astype(dtypes.as_dtype(dtype)))
    return out.requires_grad_(True) if requires_grad else out
