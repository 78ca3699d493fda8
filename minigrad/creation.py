"""Making tensors: from data, filled with a constant, random, or a range.

Floats default to float32 and integers to int64, as in PyTorch. Random tensors draw
from minigrad's global generator, so `minigrad.manual_seed(s)` makes them reproducible.
"""
import numpy as np

from minigrad import dtype as dtypes
from minigrad.random import generator, numpy_generator
from minigrad.tensor import Tensor, _shape_arg


def tensor(data, dtype=None, requires_grad=False):
    """A new tensor holding a copy of `data` (numbers, nested lists, a numpy array, a Tensor)."""
    source = data.data if isinstance(data, Tensor) else data
    out = Tensor._wrap(np.array(dtypes.to_array(source, dtype), copy=True))
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


# ---- more of torch's creation functions ----------------------------------------------------
def empty(*size, dtype=None, requires_grad=False):
    """A tensor of shape `size` whose values are whatever was in memory (as torch.empty):
    fill it before reading it."""
    shape = _shape_arg(size)
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.default_float
    out = Tensor._wrap(np.empty(shape, dtype=dtype))
    return out.requires_grad_(True) if requires_grad else out


def _size_int(value, name, position):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"eye(): argument '{name}' (position {position}) must be int, not {type(value).__name__}")
    if value < 0:
        raise RuntimeError(f"{name} must be greater or equal to 0, got {value}")
    return int(value)


def eye(n, m=None, dtype=None, requires_grad=False):
    """The n x m identity matrix (m = n by default): ones on the diagonal."""
    n = _size_int(n, "n", 1)
    m = n if m is None else _size_int(m, "m", 2)
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.default_float
    out = Tensor._wrap(np.eye(n, m, dtype=dtype))
    return out.requires_grad_(True) if requires_grad else out


def linspace(start, end, steps, dtype=None, requires_grad=False):
    """`steps` evenly spaced values from start to end, both included.

    Computed by torch's formula: step = (end - start) / (steps - 1) in the output's dtype
    (float64 for an integer dtype, whose start and end are first truncated to integers),
    the first half as start + i step and the second half as end - (steps - 1 - i) step, so
    that both ends are exact. (torch's vectorised loop rounds some middle values
    differently, by an ulp, and how depends on the CPU.)
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"linspace: steps must be an int, got {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"linspace: {name} must be a number, got {type(value).__name__}")
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.default_float
    if dtypes.is_floating(dtype):
        compute, first, last = dtype, dtype.type(start), dtype.type(end)
    else:
        compute, first, last = dtypes.float64, np.float64(int(start)), np.float64(int(end))
    i = np.arange(steps)
    with np.errstate(invalid="ignore", divide="ignore"):
        step = (last - first) / compute.type(max(steps - 1, 1))
        values = np.where((i < steps // 2) | (steps == 1), first + step * i.astype(compute),
                          last - step * (steps - 1 - i).astype(compute))
    out = Tensor._wrap(values.astype(dtype))
    return out.requires_grad_(True) if requires_grad else out


def randint(low, high=None, size=None, *, generator=None, dtype=None, requires_grad=False):
    """Integers drawn uniformly from [low, high): `randint(high, size)` or
    `randint(low, high, size)`, as torch; `size` is a tuple. int64 unless `dtype` says."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not {type(size).__name__}")
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"randint: {name} must be an int, got {type(value).__name__}")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.int64
    draws = numpy_generator(generator).integers(low, high, size=_shape_arg(tuple(size)))
    out = Tensor._wrap(draws.astype(dtype))
    return out.requires_grad_(True) if requires_grad else out


def _like(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input


def rand_like(input, *, generator=None, dtype=None, requires_grad=False):
    """Uniform on [0, 1), with input's shape (and its dtype unless `dtype` says)."""
    input = _like(input, "rand_like")
    draw = numpy_generator(generator)
    return _random(lambda s: draw.random(s), (input.shape,), dtype or input.dtype, requires_grad)


def randn_like(input, *, generator=None, dtype=None, requires_grad=False):
    """Standard normal, with input's shape (and its dtype unless `dtype` says)."""
    input = _like(input, "randn_like")
    draw = numpy_generator(generator)
    return _random(lambda s: draw.standard_normal(s), (input.shape,), dtype or input.dtype, requires_grad)


def full_like(input, fill_value, *, dtype=None, requires_grad=False):
    """A tensor of input's shape (and dtype unless `dtype` says) filled with `fill_value`
    (converted to that dtype: 2.7 in an int64 tensor is 2, as in torch)."""
    input = _like(input, "full_like")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if not isinstance(fill_value, (bool, int, float, np.number)):
        raise TypeError(f"full_like: fill_value must be a number, got {type(fill_value).__name__}")
    return _filled((input.shape,), fill_value, dtype or input.dtype, requires_grad)
