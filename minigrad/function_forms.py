"""The function forms of Tensor methods: `minigrad.exp(x)` is `x.exp()`, as torch.exp(x) is.

Each is a one-line forward to the method, so the math lives in one place (ops/). Not to
be confused with `autograd.Function` (one differentiable op) or `nn.functional` (the
stateless forms of layers and losses).
"""
import numpy as np

from minigrad import dtype as dtypes
from minigrad.ops import elementwise, join
from minigrad.tensor import Tensor, _as_tensor, _check_dim, _same_dtype


def _tensor(x):
    """A Tensor as it is; anything else (a number, a list, an array) made into one."""
    return x if isinstance(x, Tensor) else Tensor(x)


def exp(x):
    return _tensor(x).exp()


def log(x):
    return _tensor(x).log()


def sqrt(x):
    return _tensor(x).sqrt()


def abs(x):
    return _tensor(x).abs()


def clamp(x, min=None, max=None):
    return _tensor(x).clamp(min, max)


def relu(x):
    return _tensor(x).relu()


def sigmoid(x):
    return _tensor(x).sigmoid()


def tanh(x):
    return _tensor(x).tanh()


def softmax(x, dim):
    return _tensor(x).softmax(dim)


def log_softmax(x, dim):
    return _tensor(x).log_softmax(dim)


def sum(x, dim=None, keepdim=False):
    return _tensor(x).sum(dim, keepdim)


def mean(x, dim=None, keepdim=False):
    return _tensor(x).mean(dim, keepdim)


def max(x, dim=None, keepdim=False):
    return _tensor(x).max(dim, keepdim)


def argmax(x, dim=None, keepdim=False):
    return _tensor(x).argmax(dim, keepdim)


def matmul(a, b):
    return _tensor(a).matmul(b)


def reshape(x, shape):
    return _tensor(x).reshape(shape)


def transpose(x, dim0, dim1):
    return _tensor(x).transpose(dim0, dim1)


def unsqueeze(x, dim):
    return _tensor(x).unsqueeze(dim)


def squeeze(x, dim=None):
    return _tensor(x).squeeze(dim)


def maximum(a, b):
    return _tensor(a).maximum(b)


def minimum(a, b):
    return _tensor(a).minimum(b)


def where(condition, input, other):
    """Element-wise `input if condition else other`; the gradient follows the choice."""
    condition = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if condition.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got {condition.dtype}")
    if isinstance(input, Tensor):
        other = _as_tensor(other, like=input)
    elif isinstance(other, Tensor):
        input = _as_tensor(input, like=other)
    else:
        input, other = Tensor(input), Tensor(other)
    try:
        np.broadcast_shapes(condition.shape, input.shape, other.shape)
    except ValueError:
        raise ValueError(f"where: shapes condition {condition.shape}, input {input.shape}, "
                         f"other {other.shape} do not broadcast") from None
    a, b = _same_dtype(input, other)
    return elementwise.Where.apply(a, b, condition=condition)


# ---- joining and cutting, indexing, more math and reductions, comparisons ------------------
def _tensor_sequence(op_name, tensors):
    """cat/stack's `tensors`: a non-empty list or tuple of Tensors, as torch takes it."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op_name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op_name}(): expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return _common(list(tensors))


def _common(tensors):
    """The tensors converted to the dtype they meet in (torch's promotion, as for a + b)."""
    common = tensors[0].dtype if tensors else None
    for t in tensors[1:]:
        common = dtypes.result_type(common, t.dtype)
    return [t.to(common) for t in tensors]


def cat(tensors, dim=0):
    """Join tensors along an existing axis `dim`; all other sizes must be equal. (A 1-D empty
    tensor is skipped, as torch does for backward compatibility.) Differentiable: each input
    gets its own part of the gradient."""
    tensors = _tensor_sequence("cat", tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    kept = [(i, t) for i, t in enumerate(tensors) if t.shape != (0,)] or [(0, tensors[0])]
    first = kept[0][1]
    axis = _check_dim(dim, first.ndim)
    for i, t in kept[1:]:
        if t.ndim != first.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {first.ndim} and {t.ndim}")
        for d, (n, m) in enumerate(zip(first.shape, t.shape)):
            if d != axis and n != m:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {axis}. Expected size {n} "
                                   f"but got size {m} for tensor number {i} in the list.")
    return join.Cat.apply(*tensors, dim=axis)


def stack(tensors, dim=0):
    """Join tensors of one shape along a new axis `dim` (0 <= dim <= ndim, or negative)."""
    tensors = _tensor_sequence("stack", tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    axis = _check_dim(dim, tensors[0].ndim + 1)
    for i, t in enumerate(tensors[1:], start=1):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                               f"entry 0 and {list(t.shape)} at entry {i}")
    return join.Stack.apply(*tensors, dim=axis)


def split(tensor, split_size_or_sections, dim=0):
    return _tensor(tensor).split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    return _tensor(input).chunk(chunks, dim)


def gather(input, dim, index):
    return _tensor(input).gather(dim, index)


def index_select(input, dim, index):
    return _tensor(input).index_select(dim, index)


def min(input, dim=None, keepdim=False):
    return _tensor(input).min(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return _tensor(input).argmin(dim, keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _tensor(input).var(dim, unbiased, keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _tensor(input).std(dim, unbiased, keepdim, correction=correction)


def norm(input, p="fro", dim=None, keepdim=False):
    return _tensor(input).norm(p, dim, keepdim)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    return _tensor(input).prod(dim, keepdim, dtype=dtype)


def t(input):
    return _tensor(input).t()


def log1p(input):
    return _tensor(input).log1p()


def expm1(input):
    return _tensor(input).expm1()


def sin(input):
    return _tensor(input).sin()


def cos(input):
    return _tensor(input).cos()


def square(input):
    return _tensor(input).square()


def sign(input):
    return _tensor(input).sign()


def all(input, dim=None, keepdim=False):
    return _tensor(input).all(dim, keepdim)


def any(input, dim=None, keepdim=False):
    return _tensor(input).any(dim, keepdim)


def _close_arrays(op_name, input, other):
    """isclose/allclose's operands: two Tensors of one dtype (torch refuses a mix), broadcast."""
    for name, value in (("input", input), ("other", other)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{op_name}(): argument '{name}' must be Tensor, not {type(value).__name__}")
    if input.dtype != other.dtype:
        raise RuntimeError(f"{op_name}(): {input.dtype} did not match {other.dtype} (convert one of them first)")
    try:
        np.broadcast_shapes(input.shape, other.shape)
    except ValueError:
        raise RuntimeError(f"{op_name}(): the shapes {tuple(input.shape)} and {tuple(other.shape)} "
                           f"do not broadcast") from None
    return input.data, other.data


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol |other| element-wise (infinities equal when equal; NaN
    equal to NaN only with equal_nan): a bool tensor."""
    a, b = _close_arrays("isclose", input, other)
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose(): rtol and atol must be non-negative, got rtol={rtol}, atol={atol}")
    if a.dtype.kind == "b":
        return Tensor._wrap(np.broadcast_to(a == b, np.broadcast_shapes(a.shape, b.shape)).copy())
    with np.errstate(invalid="ignore", over="ignore"):
        return Tensor._wrap(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when isclose holds for every element (a Python bool, as torch.allclose)."""
    return bool(np.all(isclose(input, other, rtol, atol, equal_nan).data))
