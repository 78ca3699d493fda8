"""The dtypes minigrad supports, and how data becomes an array of one of them.

minigrad's dtypes are numpy dtypes: `minigrad.float32 is numpy.dtype('float32')`.
The rules follow PyTorch: Python floats become float32 (the default float type),
Python ints int64; a numpy array keeps its dtype (float16 is widened to float32,
other integer types to int64, both exactly); mixing an integer tensor with a float
gives the float's dtype, never a silent float64.

float16 is for storage and conversion: ask for it (`dtype=minigrad.float16`, `.half()`,
`.to(minigrad.float16)`). The ops whose float16 result is one correctly rounded operation,
as in PyTorch, accept it (see HALF_OPS); every other op raises a TypeError naming the
dtypes it supports. (A float16 numpy array is still widened to float32 when converted
without a dtype: PyTorch would keep float16.)
"""
import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

default_float = float32
SUPPORTED = (float16, float32, float64, int64, bool_)

# What accepts float16 (torch gives the same bits, each result being one rounding of an exact
# value): conversion, creation, shape and indexing ops, comparisons, all/any, and these.
# Everything else (exp, log, matmul, sum, mean, var, norm, softmax, the losses, ...) raises
# `half_error`: numpy computes them in float16 steps where torch accumulates in float32.
HALF_OPS = ("add", "sub", "mul", "div", "neg", "abs", "sign", "square", "clamp", "maximum", "minimum",
            "where", "relu", "max", "min", "argmax", "argmin")


def half_error(op_name):
    """The TypeError an op that does not take float16 raises for a float16 tensor."""
    return TypeError(f"{op_name} supports float32 and float64 (and integer types where torch takes them), "
                     f"not float16: convert with .float() first. Float16 ops: {', '.join(HALF_OPS)}, "
                     f"conversion, creation, shape and indexing ops, comparisons")


def is_floating(dtype):
    return np.dtype(dtype).kind == "f"


def as_dtype(dtype, name="dtype"):
    """Normalise a dtype argument (minigrad.float32, np.float64, 'float32', float, ...)."""
    if dtype is float:
        return default_float
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be one of float16, float32, float64, int64, bool; got {dtype!r}") from None
    if result not in SUPPORTED:
        raise TypeError(f"{name} must be one of float16, float32, float64, int64, bool; got {result}")
    return result


def to_array(data, dtype=None, name="data"):
    """Turn `data` (array, nested lists, number) into a numpy array of a supported dtype."""
    from_numpy = isinstance(data, (np.ndarray, np.generic))
    try:
        array = np.asarray(data)
    except ValueError as error:  # e.g. ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers: {error}") from None
    if dtype is not None:
        dtype = as_dtype(dtype)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{name} must contain numbers, got an array of {array.dtype}")
        with np.errstate(over="ignore", invalid="ignore"):  # 1e5 -> float16 inf, as in torch
            return array.astype(dtype, copy=False)
    kind = array.dtype.kind
    if kind == "f":
        if not from_numpy:
            return array.astype(default_float)  # Python floats: the default float type
        if array.dtype == np.float16:
            return array.astype(float32)  # widening is exact
        if array.dtype not in (float32, float64):
            raise TypeError(f"{name} has dtype {array.dtype}; minigrad supports float32 and float64")
        return array
    if kind in "iu":
        if kind == "u" and array.dtype.itemsize == 8 and array.size and array.max() > np.iinfo(np.int64).max:
            raise ValueError(f"{name} has unsigned integers too large for int64")
        return array.astype(int64, copy=False)
    if kind == "b":
        return array
    raise TypeError(f"{name} must contain numbers (int, float or bool), got {type(data).__name__} "
                    f"that numpy reads as {array.dtype}")


_CATEGORY = {bool_: 0, int64: 1, float16: 2, float32: 2, float64: 2}


def result_type(a, b, a_is_0d=False, b_is_0d=False):
    """The dtype of a binary op on two arrays, by PyTorch's promotion rules.

    Same kind: the wider one (float32 + float64 -> float64). Integer or bool with
    float: the float's dtype (numpy would give float64 for int64 + float32).
    A 0-d tensor beside a tensor with dimensions counts only by its category (bool <
    int < float): float32 tensor + 0-d float64 tensor -> float32, as a Python number
    would; int64 tensor + 0-d float64 tensor -> float64.
    """
    if a == b:
        return a
    if a_is_0d != b_is_0d and _CATEGORY[a] == _CATEGORY[b]:
        return b if a_is_0d else a  # the tensor with dimensions decides
    a_float, b_float = is_floating(a), is_floating(b)
    if a_float != b_float:
        return a if a_float else b
    return np.promote_types(a, b)
