"""Tensor: a numpy array that remembers how it was made, so it can be differentiated.

Every operator below is spelled out as a method that checks its arguments and calls
`ops.<Family>.<Op>.apply(...)`; there is no registration magic, so `grep "def relu"`
finds the one place `Tensor.relu` is defined, and the op's math is one hop away in
minigrad/ops/.
"""
import collections
import math
import warnings

import numpy as np

from minigrad import autograd
from minigrad import dtype as dtypes
from minigrad import hooks
from minigrad.ops import activation, elementwise, matmul, reduce, shape, softmax

_new_object = object.__new__  # what Tensor._wrap creates tensors with, skipping __init__'s checks
MaxResult = collections.namedtuple("MaxResult", ["values", "indices"])  # what max(dim) returns


class Tensor:
    """An n-dimensional array with automatic differentiation.

    `data` is the numpy array; `grad` is None until `backward()` fills it with a Tensor
    of the same shape holding d(output)/d(self). Only floating-point tensors can
    require gradients. Only leaves (tensors no recorded op made) get a `.grad`, unless an
    intermediate tensor asks with `retain_grad()`; `register_hook` sees any tensor's
    gradient as backward passes it.
    """

    __array_priority__ = 1000  # so `numpy_array + tensor` calls Tensor.__radd__
    # A training step makes dozens of Tensors: fixed slots make each one smaller and its
    # fields faster to read than a per-instance __dict__. __weakref__ keeps weakref.ref working.
    # _grad is what the `grad` property shows; _hooks is None unless register_hook or
    # retain_grad asked for something (a hooks.TensorHooks).
    __slots__ = ("data", "_grad", "_ctx", "requires_grad", "_hooks", "__weakref__")

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        self.data = dtypes.to_array(data, dtype)
        self._grad = None
        self._ctx = None  # the Function that produced this tensor (None for a leaf)
        self.requires_grad = False
        self._hooks = None
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(array):
        """Make a Tensor around an array an op produced (no conversion, no checks).

        Always a plain Tensor, even when called on a subclass instance (a Parameter): the
        engine calls it as `inputs[0]._wrap(result)`, so autograd.py needs no import of
        this module.
        """
        out = _new_object(Tensor)
        # An op can return a numpy scalar (np.float64), which is not an ndarray.
        out.data = array if type(array) is np.ndarray else np.asarray(array)
        out._grad = None
        out._ctx = None
        out.requires_grad = False
        out._hooks = None
        return out

    # ---- attributes -------------------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def is_leaf(self):
        """True unless a recorded op made this tensor (so also for any tensor that does not
        require grad), as in torch. Only leaves get a .grad from backward()."""
        return self._ctx is None

    @property
    def grad_fn(self):
        """The Function that made this tensor (None for a leaf): `grad_fn.name()` and
        `grad_fn.next_functions` walk the graph, as in torch (see autograd.py)."""
        return self._ctx

    @property
    def grad(self):
        """d(output)/d(self) after backward(): a Tensor of this shape, or None.

        None, with torch's warning, for a tensor made by an op that did not call
        retain_grad(): backward() does not keep intermediate gradients.
        """
        if self._ctx is not None and self._grad is None and (self._hooks is None or not self._hooks.retains_grad):
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        self._grad = value

    @property
    def retains_grad(self):
        """True for a non-leaf tensor on which retain_grad() was called."""
        return self._hooks is not None and self._hooks.retains_grad

    def retain_grad(self):
        """Keep this intermediate tensor's gradient in `.grad` at the next backward() (a leaf
        keeps its own anyway). It is the gradient after this tensor's hooks, summed over
        every path, and accumulates across backward() calls as a leaf's does."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._ctx is not None:
            self._hook_table().retains_grad = True

    def register_hook(self, hook):
        """Call `hook(grad)` when backward() has this tensor's whole gradient (summed over all
        paths): before it flows on to the inputs, or for a leaf before it is added into
        `.grad`. `hook` may return a Tensor of the same shape and dtype to use instead.
        Several hooks run in the order registered, each seeing the previous one's result.
        Returns a handle whose `remove()` takes the hook out.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        return hooks.add_hook(self._hook_table().functions, hook)

    def _hook_table(self):
        if self._hooks is None:
            self._hooks = hooks.TensorHooks()
        return self._hooks

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[_check_dim(dim, self.ndim)]

    def numel(self):
        return self.data.size

    def dim(self):
        return self.ndim

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has {self.data.size}")
        return self.data.item()

    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on a tensor that requires grad. Use tensor.detach().numpy().")
        return self.data

    def tolist(self):
        return self.data.tolist()

    def detach(self):
        """The same data, cut from the graph (no gradient flows through it)."""
        return Tensor._wrap(self.data)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not dtypes.is_floating(self.dtype):
            raise TypeError(f"only floating-point tensors can require gradients, this one is {self.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False) only works on leaves; use detach() for a result of an op")
        self.requires_grad = bool(requires_grad)
        return self

    def astype(self, dtype):
        return self.to(dtype)

    def to(self, dtype):
        """A copy converted to `dtype`, differentiable for float-to-float conversions."""
        if dtype is self.data.dtype:  # the common case (numpy dtypes are shared objects): nothing to do
            return self
        dtype = dtypes.as_dtype(dtype)
        if dtype == self.dtype:
            return self
        if self.requires_grad and dtypes.is_floating(dtype):
            return Cast.apply(self, dtype=dtype)
        return Tensor._wrap(self.data.astype(dtype))

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def long(self):
        return self.to(dtypes.int64)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute d(self)/d(leaf) for every leaf that requires grad; add it to `leaf.grad`.

        `self` must hold one element, unless `gradient` (d(loss)/d(self), same shape)
        is given, as in PyTorch. `inputs` (a Tensor or a sequence of them): accumulate
        into these tensors' .grad only (an intermediate one then retains its grad).
        `retain_graph` defaults to `create_graph`, which is not supported yet.
        """
        if create_graph:
            raise NotImplementedError(autograd.NO_CREATE_GRAPH)
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad: no input of the "
                               "computation had requires_grad=True (or it ran under no_grad)")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward() without `gradient` needs a one-element (scalar) output; "
                                   f"this tensor has shape {self.shape}. Reduce it (e.g. .sum()) or pass "
                                   f"gradient= of the same shape")
            gradient = np.array(1, dtype=self.data.dtype).reshape(self.data.shape)  # d(self)/d(self) = 1
        else:
            gradient = gradient.data if isinstance(gradient, Tensor) else dtypes.to_array(gradient, name="gradient")
            if gradient.shape != self.shape:
                raise ValueError(f"gradient must have the tensor's shape {self.shape}, got {gradient.shape}")
            gradient = gradient.astype(self.dtype, copy=False)
        targets = None if inputs is None else _backward_targets(inputs)
        autograd.backward((self,), {id(self): gradient}, {id(gradient): gradient}, retain_graph, targets)

    def zero_(self):
        self.data[...] = 0
        return self

    # ---- repr -------------------------------------------------------------------------
    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4,
                               floatmode="fixed" if dtypes.is_floating(self.dtype) and self.data.size
                               and np.all(np.isfinite(self.data)) and np.any(self.data % 1 != 0) else "maxprec")
        extras = []
        if self.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool_) or (self.data.size == 0 and self.dtype != dtypes.float32):
            extras.append(f"dtype=minigrad.{self.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name()}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} elements is ambiguous")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.data)

    __hash__ = object.__hash__  # == is element-wise, but a tensor still works as a dict key by identity

    def __array__(self, dtype=None, copy=None):
        """numpy's conversion protocol (numpy 2), as a torch tensor behaves under it:
        `np.array(t)` (copy=True) is a copy, so writing to it leaves the tensor alone;
        `np.asarray(t)` (copy=None) shares the tensor's memory when the dtype matches;
        copy=False shares it or, when a dtype conversion would need a copy, raises."""
        if copy:
            return self.data.astype(self.data.dtype if dtype is None else dtype, copy=True)
        if copy is False and dtype is not None and np.dtype(dtype) != self.data.dtype:
            raise ValueError(f"cannot convert a {self.dtype} tensor to {np.dtype(dtype)} without a copy "
                             f"(copy=False)")
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    # ---- arithmetic -------------------------------------------------------------------
    def __add__(self, other):
        return elementwise.Add.apply(*_operands(self, other))

    def __radd__(self, other):
        return elementwise.Add.apply(*_operands(other, self))

    def __sub__(self, other):
        return elementwise.Sub.apply(*_operands(self, other))

    def __rsub__(self, other):
        return elementwise.Sub.apply(*_operands(other, self))

    def __mul__(self, other):
        return elementwise.Mul.apply(*_operands(self, other))

    def __rmul__(self, other):
        return elementwise.Mul.apply(*_operands(other, self))

    def __truediv__(self, other):
        a, b = _operands(self, other)
        return elementwise.Div.apply(*_true_division_operands(a, b))

    def __rtruediv__(self, other):
        a, b = _operands(other, self)
        return elementwise.Div.apply(*_true_division_operands(a, b))

    def __pow__(self, exponent):
        if type(exponent) in (int, float) and self.data.dtype.kind == "f":
            return elementwise.PowScalar.apply(self, exponent=exponent)  # x ** 2: no exponent tensor
        return elementwise.Pow.apply(*_pow_operands(self, exponent))

    def __rpow__(self, base):
        return elementwise.Pow.apply(*_pow_operands(base, self))

    def __neg__(self):
        return elementwise.Neg.apply(self)

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return _as_tensor(other, like=self).matmul(self)

    def add(self, other):
        return self + other

    def sub(self, other):
        return self - other

    def mul(self, other):
        return self * other

    def div(self, other):
        return self / other

    def pow(self, exponent):
        return self ** exponent

    def neg(self):
        return -self

    def matmul(self, other):
        """Matrix product with numpy's rules for 1-D and batched operands."""
        other = _as_tensor(other, like=self)
        a, b = self.shape, other.shape
        if not a or not b:
            raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {a} and {b}")
        inner_a, inner_b = a[-1], (b[0] if len(b) == 1 else b[-2])
        if inner_a != inner_b:
            raise ValueError(f"matmul: shapes {a} and {b} cannot be multiplied "
                             f"({inner_a} columns on the left, {inner_b} rows on the right)")
        try:
            np.broadcast_shapes(a[:-2], b[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of {a} and {b} do not broadcast") from None
        return matmul.MatMul.apply(*_same_dtype(self, other))

    # ---- comparisons (bool results, no gradient) --------------------------------------
    def __eq__(self, other):
        a, b = _comparable(self, other)
        return Tensor._wrap(a == b)

    def __ne__(self, other):
        a, b = _comparable(self, other)
        return Tensor._wrap(a != b)

    def __lt__(self, other):
        a, b = _comparable(self, other)
        return Tensor._wrap(a < b)

    def __le__(self, other):
        a, b = _comparable(self, other)
        return Tensor._wrap(a <= b)

    def __gt__(self, other):
        a, b = _comparable(self, other)
        return Tensor._wrap(a > b)

    def __ge__(self, other):
        a, b = _comparable(self, other)
        return Tensor._wrap(a >= b)

    # ---- element-wise math ------------------------------------------------------------
    def exp(self):
        return elementwise.Exp.apply(_as_float(self, "exp"))

    def log(self):
        return elementwise.Log.apply(_as_float(self, "log"))

    def sqrt(self):
        return elementwise.Sqrt.apply(_as_float(self, "sqrt"))

    def abs(self):
        return elementwise.Abs.apply(self)

    def clamp(self, min=None, max=None):
        """Limit every element to [min, max] (either may be None)."""
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and not isinstance(bound, (int, float, np.number)):
                raise TypeError(f"clamp: {name} must be a number or None, got {type(bound).__name__}")
        x = self
        if not dtypes.is_floating(x.dtype):  # PyTorch: a float bound makes an int tensor float
            floats = any(isinstance(b, (float, np.floating)) for b in (min, max))
            x = x.to(dtypes.default_float if floats else dtypes.int64)
        return elementwise.Clamp.apply(x, min=min, max=max)

    clip = clamp

    def maximum(self, other):
        return elementwise.Maximum.apply(*_same_dtype(self, _as_tensor(other, like=self)))

    def minimum(self, other):
        return elementwise.Minimum.apply(*_same_dtype(self, _as_tensor(other, like=self)))

    def relu(self):
        return activation.ReLU.apply(self)

    def sigmoid(self):
        return activation.Sigmoid.apply(_as_float(self, "sigmoid"))

    def tanh(self):
        return activation.Tanh.apply(_as_float(self, "tanh"))

    def softmax(self, dim):
        """e^x / sum e^x along `dim` (required: there is no safe default axis)."""
        return softmax.Softmax.apply(_as_float(self, "softmax"), dim=_check_dim(dim, self.ndim))

    def log_softmax(self, dim):
        """x - log sum e^x along `dim`, computed fused (never log(softmax(x)))."""
        return softmax.LogSoftmax.apply(_as_float(self, "log_softmax"), dim=_check_dim(dim, self.ndim))

    # ---- reductions -------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False):
        return reduce.Sum.apply(self, axes=_check_dims(dim, self.ndim), keepdim=keepdim)

    def mean(self, dim=None, keepdim=False):
        return reduce.Mean.apply(_as_float(self, "mean"), axes=_check_dims(dim, self.ndim), keepdim=keepdim)

    def max(self, dim=None, keepdim=False):
        """The largest element; with `dim`, a (values, indices) pair along that axis."""
        if dim is None:
            if self.data.size == 0:
                raise ValueError("max() of an empty tensor has no value; pass dim= for a reduction along an axis")
            return reduce.Max.apply(self)
        dim = _check_dim(dim, self.ndim)
        if self.ndim and self.shape[dim] == 0:
            raise ValueError(f"max(dim={dim}) over an axis of size 0 has no value")
        source = self if self.ndim else self.reshape(1)
        axis = 0 if not self.ndim else dim
        values = reduce.MaxDim.apply(source, dim=axis, keepdim=keepdim or not self.ndim)
        indices = np.argmax(source.data, axis=axis)
        if keepdim or not self.ndim:
            indices = np.expand_dims(indices, axis)
        if not self.ndim:
            values, indices = values.reshape(()), indices.reshape(())
        return MaxResult(values, Tensor._wrap(indices.astype(np.int64)))

    def argmax(self, dim=None, keepdim=False):
        """Index of the (first) largest element, of the flattened tensor or along `dim`."""
        if dim is None:
            if self.data.size == 0:
                raise ValueError("argmax() of an empty tensor has no value")
            index = np.argmax(self.data)
            return Tensor._wrap(np.asarray(index, dtype=np.int64).reshape((1,) * self.ndim if keepdim else ()))
        dim = _check_dim(dim, self.ndim)
        if self.ndim and self.shape[dim] == 0:
            raise ValueError(f"argmax(dim={dim}) of a tensor of shape {self.shape}: that axis is empty")
        index = np.argmax(self.data, axis=dim, keepdims=keepdim) if self.ndim else np.asarray(0)
        return Tensor._wrap(index.astype(np.int64))

    # ---- shape ------------------------------------------------------------------------
    def reshape(self, *shape):
        if shape == (-1,):  # flatten, the most common reshape: nothing to check
            return _reshape(self, (self.data.size,))
        shape = _shape_arg(shape)
        size = self.data.size
        if -1 in shape:
            known = [n for n in shape if n != -1]
            if shape.count(-1) > 1 or any(n < -1 for n in shape):
                raise ValueError(f"reshape: invalid shape {shape} (at most one -1, no other negative sizes)")
            rest = math.prod(known)
            if rest == 0 or size % rest:
                raise ValueError(f"reshape: cannot reshape a tensor of shape {self.shape} to {shape}")
            shape = tuple(size // rest if n == -1 else n for n in shape)
        elif any(n < 0 for n in shape):
            raise ValueError(f"reshape: invalid shape {shape} (at most one -1, no other negative sizes)")
        if math.prod(shape) != size:
            raise ValueError(f"reshape: a tensor of shape {self.shape} ({size} elements) cannot become {shape}")
        return _reshape(self, shape)

    def view(self, *shape):
        return self.reshape(*shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start, end = _check_dim(start_dim, self.ndim), _check_dim(end_dim, self.ndim)
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        middle = int(np.prod(self.shape[start:end + 1]))
        return self.reshape(self.shape[:start] + (middle,) + self.shape[end + 1:])

    def unsqueeze(self, dim):
        dim = _check_dim(dim, self.ndim + 1)
        return _reshape(self, self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim=None):
        if dim is None:
            return _reshape(self, tuple(n for n in self.shape if n != 1))
        dims = _check_dims(dim, self.ndim) or ()
        return _reshape(self, tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1)))

    def permute(self, *dims):
        dims = _shape_arg(dims)
        if sorted(_check_dim(d, self.ndim) for d in dims) != list(range(self.ndim)):
            raise ValueError(f"permute: dims {dims} must be a reordering of 0..{self.ndim - 1}")
        return shape.Permute.apply(self, dims=tuple(_check_dim(d, self.ndim) for d in dims))

    def transpose(self, dim0, dim1):
        dims = list(range(self.ndim))
        i, j = _check_dim(dim0, self.ndim), _check_dim(dim1, self.ndim)
        if dims:  # a 0-d tensor accepts dims 0 and -1 and stays as it is
            dims[i], dims[j] = dims[j], dims[i]
        return shape.Permute.apply(self, dims=tuple(dims))

    @property
    def T(self):
        """The tensor with its axes reversed (the transpose, for a matrix)."""
        return shape.Permute.apply(self, dims=tuple(reversed(range(self.ndim))))

    def __getitem__(self, index):
        return shape.GetItem.apply(self, index=_index_arg(index))

    # ---- in-place, for the rare places that need it (no graph) -------------------------
    def __iadd__(self, other):
        if self.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError("in-place += on a tensor that requires grad would corrupt the graph; "
                               "use x = x + y, or modify x.data under minigrad.no_grad()")
        self.data += _as_tensor(other, like=self).data
        return self

    def __isub__(self, other):
        if self.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError("in-place -= on a tensor that requires grad would corrupt the graph; "
                               "use x = x - y, or modify x.data under minigrad.no_grad()")
        self.data -= _as_tensor(other, like=self).data
        return self


# torch's words, without its "(Triggered internally at ...)" tail.
_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf "
    "Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
    "you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information.")


class Cast(autograd.Function):
    """y = x converted to another float dtype;   dy/dx = 1 (converted back)."""

    @staticmethod
    def forward(ctx, x, dtype=None):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad  # the engine converts it to the input's dtype


# ---- helpers: argument checking and operand conversion -----------------------------------
def _backward_targets(inputs):
    """backward(inputs=...): id -> tensor, checked as torch checks them."""
    targets = {id(t): t for t in autograd.tensor_list(inputs)}
    if not targets:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    for tensor in targets.values():
        if not tensor.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")  # torch's words
        if tensor._ctx is not None:
            tensor.retain_grad()  # a non-leaf input gets its .grad as a retained one does, as in torch
    return targets


def _reshape(tensor, new_shape):
    """The Reshape op, for a shape already checked (reshape, unsqueeze, squeeze)."""
    return shape.Reshape.apply(tensor, shape=tuple(new_shape))


def _as_tensor(value, like):
    """Turn an operand into a Tensor; a Python number takes `like`'s dtype when it fits."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, int, float)) and not isinstance(value, np.generic):
        if dtypes.is_floating(like.dtype) or (isinstance(value, int) and like.dtype == dtypes.int64):
            return Tensor._wrap(np.asarray(value, dtype=like.dtype))
        return Tensor._wrap(dtypes.to_array(value))  # e.g. int tensor * 0.5 -> float32
    return Tensor(value)


def _operands(a, b):
    """Both operands as Tensors of one dtype (PyTorch's promotion rules)."""
    # The common case first, `x * 0.5` on a float tensor: the number takes x's dtype.
    if type(b) in _NUMBERS and isinstance(a, Tensor) and a.data.dtype.kind == "f":
        return a, Tensor._wrap(np.array(b, dtype=a.data.dtype))
    if type(a) in _NUMBERS and isinstance(b, Tensor) and b.data.dtype.kind == "f":
        return Tensor._wrap(np.array(a, dtype=b.data.dtype)), b
    if not isinstance(a, Tensor):
        a = _as_tensor(a, like=b)
    if not isinstance(b, Tensor):
        b = _as_tensor(b, like=a)
    return _same_dtype(a, b)


def _pow_operands(base, exponent):
    """bool ** bool is computed in int64 (numpy would give int8; PyTorch refuses it).

    A float exponent narrower than the result keeps its dtype, as in PyTorch's gradient:
    float64 ** float32 forms b - 1 in float32 (numpy then computes the power in float64).
    """
    a, b = _operands(base, exponent)
    if a.dtype == dtypes.bool_:
        return a.to(dtypes.int64), b.to(dtypes.int64)
    if (isinstance(exponent, Tensor) and exponent.data.dtype.kind == "f" and exponent.dtype != b.dtype
            and np.promote_types(exponent.dtype, b.dtype) == b.dtype):
        return a, exponent
    return a, b


_NUMBERS = (int, float)  # exactly these types: not bool, not numpy scalars (they have a dtype)


def _comparable(tensor, other):
    """The arrays to compare, in the promoted dtype as torch compares them (no graph: a
    comparison has no gradient)."""
    if not isinstance(other, Tensor):
        other = _as_tensor(other, like=tensor)
    common = _common_dtype(tensor, other)
    return tensor.data.astype(common, copy=False), other.data.astype(common, copy=False)


def _common_dtype(a, b):
    """The dtype two tensors meet in (PyTorch's rules, 0-d tensors included)."""
    return dtypes.result_type(a.dtype, b.dtype, a.ndim == 0, b.ndim == 0)


def _same_dtype(a, b):
    common = _common_dtype(a, b)
    return a.to(common), b.to(common)


def _true_division_operands(a, b):
    """True division of integers gives the default float type, as in PyTorch."""
    if not dtypes.is_floating(a.dtype):
        return a.to(dtypes.default_float), b.to(dtypes.default_float)
    return a, b


def _as_float(tensor, op_name):
    """`tensor` itself when floating; an integer tensor converted to the default float, or a
    TypeError for the ops PyTorch refuses integers for."""
    if tensor.data.dtype.kind != "f":
        if op_name in ("softmax", "log_softmax", "mean"):
            raise TypeError(f"{op_name} needs a floating-point tensor, got {tensor.dtype}; "
                            f"convert it first with .float()")
        return tensor.to(dtypes.default_float)  # exp/log/sqrt/sigmoid/tanh of ints give floats, as in torch
    return tensor


def _check_dim(dim, ndim):
    """Normalise an axis index, with PyTorch's error when it is out of range."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)  # a 0-d tensor accepts dim 0 and -1
    if not low <= dim <= high:
        raise IndexError(f"Dimension out of range (expected to be in range of [{low}, {high}], but got {dim})")
    return int(dim) % max(ndim, 1)


def _check_dims(dim, ndim):
    """None (all axes), an int, or a tuple of ints -> a tuple of normalised axes, or None."""
    if dim is None:
        return None
    dims = (dim,) if not isinstance(dim, (tuple, list)) else tuple(dim)
    axes = tuple(_check_dim(d, ndim) for d in dims)
    if len(set(axes)) != len(axes):
        raise ValueError(f"dim {dim} repeats an axis")
    return axes if ndim else None  # reducing a 0-d tensor over dim 0 reduces "everything"


def _shape_arg(args):
    """reshape(2, 3) and reshape((2, 3)) both mean the shape (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    for n in args:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"sizes must be ints, got {n!r}")
    return tuple(int(n) for n in args)


def _index_arg(index):
    """Replace Tensors inside an index by their arrays, and check integer/bool dtypes."""
    parts = index if isinstance(index, tuple) else (index,)
    converted = []
    for part in parts:
        if isinstance(part, Tensor):
            part = part.data
        elif isinstance(part, list):
            part = np.asarray(part)
        if isinstance(part, np.ndarray) and part.dtype.kind not in "iub":
            raise IndexError(f"tensors used as indices must be integer or bool, got {part.dtype}")
        converted.append(part)
    return tuple(converted) if isinstance(index, tuple) else converted[0]
