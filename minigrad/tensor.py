"""Tensor: a numpy array that remembers how it was made, so it can be differentiated.

Every operator below is spelled out as a method that checks its arguments and calls
`ops.<Family>.<Op>.apply(...)`; there is no registration magic, so `grep "def relu"`
finds the one place `Tensor.relu` is defined, and the op's math is one hop away in
minigrad/ops/.
"""
import collections
import math

import numpy as np

from minigrad import autograd
from minigrad import dtype as dtypes
from minigrad import hooks, inplace
from minigrad.ops import activation, copy, elementwise, join, matmul, reduce, shape, softmax
from minigrad.warnings import warn_user

MaxResult = collections.namedtuple("MaxResult", ["values", "indices"])  # what max(dim) returns
MinResult = collections.namedtuple("MinResult", ["values", "indices"])  # what min(dim) returns
_HALF = dtypes.float16
_FIELDS = ("data", "_grad", "_ctx", "requires_grad", "_hooks", "_past")  # what a Tensor holds (tensor.pxd)
_FLOATS = (dtypes.float32, dtypes.float64)  # the dtypes every op takes (float16 is for storage: see dtype.py)


class Tensor:
    """An n-dimensional array with automatic differentiation.

    `data` is the numpy array; `grad` is None until `backward()` fills it with a Tensor
    of the same shape holding d(output)/d(self). Only floating-point tensors can
    require gradients. Only leaves (tensors no recorded op made) get a `.grad`, unless an
    intermediate tensor asks with `retain_grad()`; `register_hook` sees any tensor's
    gradient as backward passes it.
    """

    __array_priority__ = 1000  # so `numpy_array + tensor` calls Tensor.__radd__
    # What a Tensor holds (declared with their C types in tensor.pxd, which makes Tensor a
    # compiled class): data, _grad (what the `grad` property shows), _ctx, requires_grad,
    # _hooks (None unless register_hook or retain_grad asked for something: a
    # hooks.TensorHooks) and _past (None unless an in-place change of a tensor in a graph
    # left its earlier self behind: see inplace.py).

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        self.data = dtypes.to_array(data, dtype)
        self._grad = None
        self._ctx = None  # the Function that produced this tensor (None for a leaf)
        self.requires_grad = False
        self._hooks = None
        self._past = None
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(array):
        """Make a Tensor around an array an op produced (no conversion, no checks).

        Always a plain Tensor, even when called on a subclass instance (a Parameter): the
        engine calls it as `inputs[0]._wrap(result)`, so autograd.py needs no import of
        this module.
        """
        out = Tensor.__new__(Tensor)  # (not Tensor(...): no conversion, no checks)
        # An op can return a numpy scalar (np.float64), which is not an ndarray.
        out.data = array if type(array) is np.ndarray else np.asarray(array)
        out._grad = None
        out._ctx = None
        out.requires_grad = False
        out._hooks = None
        out._past = None
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
            warn_user(_NON_LEAF_GRAD)
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
        with np.errstate(over="ignore", invalid="ignore"):  # 1e5 -> float16 inf, nan -> int: as torch, quietly
            return Tensor._wrap(self.data.astype(dtype))

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def half(self):
        """A float16 copy: for storage and conversion (dtype.py lists the ops that take float16)."""
        return self.to(dtypes.float16)

    def long(self):
        return self.to(dtypes.int64)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute d(self)/d(leaf) for every leaf that requires grad; add it to `leaf.grad`.

        `self` must hold one element, unless `gradient` (d(loss)/d(self), same shape)
        is given, as in PyTorch. `inputs` (a Tensor or a sequence of them): accumulate
        into these tensors' .grad only (an intermediate one then retains its grad).
        `create_graph=True` records the backward pass too: each `.grad` is then a Tensor with a
        graph of its own, to differentiate again (second derivatives; mg.autograd.grad does
        the same without touching `.grad`). `retain_graph` defaults to `create_graph`.
        """
        given = gradient
        if not self.requires_grad:
            error = RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")  # torch's
            error.add_note("(no input of the computation had requires_grad=True, or it ran under no_grad)")
            raise error
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
        if create_graph:
            warn_user(_CREATE_GRAPH_CYCLE)
            start = given if isinstance(given, Tensor) and given.dtype == self.dtype else Tensor._wrap(gradient)
            autograd.backward_with_graph((self,), {id(self): start}, True if retain_graph is None else retain_graph,
                                         targets)
            return
        autograd.backward((self,), {id(self): gradient}, {id(gradient): gradient}, retain_graph, targets)


    # ---- pickle and copy ---------------------------------------------------------------
    def __getstate__(self):
        """The fields as a dict, for pickle and copy: the same whether Tensor runs compiled
        or not (with a subclass's own attributes, e.g. a Parameter's)."""
        state = dict(getattr(self, "__dict__", {}))
        for name in _FIELDS:
            state[name] = getattr(self, name)
        return state

    def __setstate__(self, state):
        for name, value in state.items():
            setattr(self, name, value)

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

    def __hash__(self):  # == is element-wise, but a tensor still works as a dict key, by identity
        return id(self)

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
            if self.data.dtype is _HALF and exponent != 2:
                raise dtypes.half_error("pow")
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
            if len(a) > 2 or len(b) > 2:  # batch axes
                np.broadcast_shapes(a[:-2], b[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of {a} and {b} do not broadcast") from None
        a, b = _same_dtype(self, other)
        if a.data.dtype is _HALF:
            raise dtypes.half_error("matmul")
        return matmul.MatMul.apply(a, b)

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

    def log1p(self):
        """ln(1 + x), accurate where x is tiny (log(1 + x) would round 1 + x first)."""
        return elementwise.Log1p.apply(_as_float(self, "log1p"))

    def expm1(self):
        """e^x - 1, accurate where x is tiny."""
        return elementwise.Expm1.apply(_as_float(self, "expm1"))

    def sin(self):
        return elementwise.Sin.apply(_as_float(self, "sin"))

    def cos(self):
        return elementwise.Cos.apply(_as_float(self, "cos"))

    def square(self):
        """x * x; an integer tensor stays integer (bool becomes int64), as in torch."""
        if self.data.dtype.kind == "f":
            return elementwise.PowScalar.apply(self, exponent=2)  # a * a, gradient 2 a
        x = self.to(dtypes.int64)
        return x * x

    def sign(self):
        """-1, 0 or +1 by the sign of each element (the dtype kept; bool stays bool); gradient 0."""
        if self.data.dtype.kind == "b":
            return Tensor._wrap(self.data.copy())
        return elementwise.Sign.apply(self)

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
        if self.data.dtype is _HALF:  # numpy sums float16 in float16 steps, torch in float32
            raise dtypes.half_error("sum")
        return reduce.Sum.apply(self, axes=None if dim is None else _check_dims(dim, self.ndim), keepdim=keepdim)

    def mean(self, dim=None, keepdim=False):
        return reduce.Mean.apply(_as_float(self, "mean"), axes=_check_dims(dim, self.ndim), keepdim=keepdim)

    def max(self, dim=None, keepdim=False):
        """The largest element; with `dim`, a (values, indices) pair along that axis; with a
        tensor, the element-wise maximum (torch.max(input, other))."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
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

    def min(self, dim=None, keepdim=False):
        """The smallest element (the gradient split evenly among ties, as torch); with `dim`, a
        (values, indices) pair along that axis (the gradient to the first minimum, the index
        returned); with a tensor, the element-wise minimum (torch.min(input, other))."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        if dim is None:
            if self.data.size == 0:
                raise RuntimeError("min(): Expected reduction dim to be specified for input.numel() == 0. "
                                   "Specify the reduction dim with the 'dim' argument.")
            return reduce.Min.apply(self)
        dim = _check_dim(dim, self.ndim)
        if self.ndim and self.shape[dim] == 0:
            raise IndexError(f"min(): Expected reduction dim {dim} to have non-zero size.")
        source = self if self.ndim else self.reshape(1)
        axis = 0 if not self.ndim else dim
        values = reduce.MinDim.apply(source, dim=axis, keepdim=keepdim or not self.ndim)
        indices = np.argmin(source.data, axis=axis)
        if keepdim or not self.ndim:
            indices = np.expand_dims(indices, axis)
        if not self.ndim:
            values, indices = values.reshape(()), indices.reshape(())
        return MinResult(values, Tensor._wrap(indices.astype(np.int64)))

    def argmin(self, dim=None, keepdim=False):
        """Index of the (first) smallest element, of the flattened tensor or along `dim`."""
        if dim is None:
            if self.data.size == 0:
                raise RuntimeError("argmin(): Expected reduction dim to be specified for input.numel() == 0.")
            index = np.argmin(self.data)
            return Tensor._wrap(np.asarray(index, dtype=np.int64).reshape((1,) * self.ndim if keepdim else ()))
        dim = _check_dim(dim, self.ndim)
        if self.ndim and self.shape[dim] == 0:
            raise IndexError(f"argmin(): Expected reduction dim {dim} to have non-zero size.")
        index = np.argmin(self.data, axis=dim, keepdims=keepdim) if self.ndim else np.asarray(0)
        return Tensor._wrap(index.astype(np.int64))

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """The variance sum (x - mean)^2 / (n - correction) over `dim` (all by default).

        correction=1 (the default) is the unbiased estimate, 0 the population variance;
        `unbiased=True/False` is torch's older spelling of correction=1/0 (not both).
        """
        axes, correction = _spread_args("var", self, dim, unbiased, correction)
        return reduce.Var.apply(self, axes=axes, correction=correction, keepdim=bool(keepdim))

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """The standard deviation sqrt(var) over `dim`, with var's arguments; gradient 0 where it
        is 0 (a slice of equal elements), as in torch."""
        axes, correction = _spread_args("std", self, dim, unbiased, correction)
        return reduce.Std.apply(self, axes=axes, correction=correction, keepdim=bool(keepdim))

    def norm(self, p="fro", dim=None, keepdim=False):
        """The p-norm (sum |x|^p)^(1/p) of all elements, or over `dim` (an int or a tuple):
        p a number, inf, -inf, or 'fro' (= 2). Matrix norms ('nuc') are not supported; with a
        tuple dim the norm is of the vector of those elements, as torch.norm computes it."""
        if isinstance(p, str):
            if p != "fro":
                raise ValueError(f"norm: p={p!r} is not supported; p must be a number, inf, -inf or 'fro'")
            p = 2.0
        elif isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
            raise TypeError(f"norm: p must be a number or 'fro', got {type(p).__name__}")
        x = _as_float(self, "norm")
        return reduce.Norm.apply(x, axes=_check_dims(dim, self.ndim), p=float(p), keepdim=bool(keepdim))

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        """The product of all elements, or along one `dim` (an int); integer and bool tensors
        give int64, as in torch. The gradient with zeros is the product of the others."""
        x = self if dtype is None else self.to(dtype)
        if x.data.dtype.kind in "biu":
            x = x.to(dtypes.int64)
        elif x.data.dtype is _HALF:
            raise dtypes.half_error("prod")
        if dim is None:
            return reduce.Prod.apply(x, axes=None, keepdim=False)
        if isinstance(dim, (tuple, list)):
            raise TypeError("prod: dim must be an int (torch.prod reduces one axis), got a tuple")
        axes = _check_dims(dim, self.ndim)
        return reduce.Prod.apply(x, axes=axes, keepdim=bool(keepdim) and axes is not None)

    def all(self, dim=None, keepdim=False):
        """True where every element (over `dim`, or all) is nonzero; a bool tensor, no gradient."""
        return Tensor._wrap(np.all(self.data != 0, axis=_check_dims(dim, self.ndim), keepdims=bool(keepdim)))

    def any(self, dim=None, keepdim=False):
        """True where some element (over `dim`, or all) is nonzero; a bool tensor, no gradient."""
        return Tensor._wrap(np.any(self.data != 0, axis=_check_dims(dim, self.ndim), keepdims=bool(keepdim)))

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
        """Merge the axes start_dim..end_dim into one (a 0-d tensor becomes shape (1,))."""
        start, end = _check_dim(start_dim, self.ndim), _check_dim(end_dim, self.ndim)
        if self.ndim == 0:
            return self.reshape(1)
        if start > end:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")  # torch's words
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

    def t(self):
        """The transpose of a matrix; a 0-d or 1-D tensor as it is (torch's t())."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return shape.Permute.apply(self, dims=tuple(reversed(range(self.ndim))))

    def split(self, split_size_or_sections, dim=0):
        """Cut along `dim` into pieces of `split_size_or_sections` elements (the last may be
        smaller), or into pieces of the listed sizes (which must add up to the size). Each
        piece is a view, differentiable as a slice is."""
        if self.ndim == 0:
            raise RuntimeError("split expects at least a 1-dimensional tensor")
        dim = _check_dim(dim, self.ndim)
        size = self.shape[dim]
        sections = split_size_or_sections
        if isinstance(sections, (list, tuple)):
            sizes = list(sections)
            if any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) for n in sizes):
                raise TypeError(f"split: split_sizes must be ints, got {sizes!r}")
            if any(n < 0 for n in sizes) or sum(sizes) != size:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                                   f"size at dimension {dim}), but got split_sizes={sizes}")
        else:
            if isinstance(sections, bool) or not isinstance(sections, (int, np.integer)):
                raise TypeError(f"split: split_size must be an int or a list of ints, got "
                                f"{type(sections).__name__}")
            if sections < 0:
                raise RuntimeError(f"split expects split_size be non-negative, but got split_size={sections}")
            if sections == 0 and size != 0:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
            sizes = [min(sections, size - start) for start in range(0, size, sections)] if size else [0]
        starts = np.cumsum([0] + sizes[:-1])
        return tuple(join.Narrow.apply(self, dim=dim, start=int(start), length=int(n))
                     for start, n in zip(starts, sizes))

    def chunk(self, chunks, dim=0):
        """Cut along `dim` into `chunks` pieces of ceil(size / chunks) elements (the last
        smaller; fewer pieces when the size runs out first), as torch.chunk."""
        if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)):
            raise TypeError(f"chunk: chunks must be an int, got {type(chunks).__name__}")
        if self.ndim == 0:
            raise RuntimeError("chunk expects at least a 1-dimensional tensor")
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        size = self.shape[_check_dim(dim, self.ndim)]
        if size == 0:
            return self.split(0, dim) * int(chunks)  # torch: `chunks` empty pieces
        return self.split(-(-size // int(chunks)), dim)

    def gather(self, dim, index):
        """out[i][j] = self[i][index[i][j]] for dim = 1 (in general `index` replaces the
        coordinate along `dim`); `index` is an int64 tensor with self's number of axes and
        no axis larger than self's except along `dim`. The gradient adds up at repeats."""
        dim = _check_dim(dim, self.ndim)
        index = _index_tensor("gather", index, "Expected dtype int32/int64 for index")
        if index.ndim != self.ndim and not (self.ndim == 0 and index.ndim <= 1):
            raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
        source = self if self.ndim else self.reshape(1)
        idx = index if index.ndim else index.reshape(1)
        for axis, (n, m) in enumerate(zip(idx.shape, source.shape)):
            if axis != dim and n > m:
                raise RuntimeError(f"Size does not match at dimension {axis} expected index {list(idx.shape)} to be "
                                   f"no larger than self {list(source.shape)} apart from dimension {dim}")
        _check_index_range(idx, source.shape[dim], dim)
        out = shape.Gather.apply(source, index=idx, dim=dim)
        return out if out.shape == index.shape else out.reshape(index.shape)

    def index_select(self, dim, index):
        """The slices at the positions `index` (a 1-D or 0-d int64 tensor) along `dim`, in that
        order (repeats allowed; their gradients add up)."""
        dim = _check_dim(dim, self.ndim)
        index = _index_tensor("index_select", index, "Expected dtype int32 or int64 for index")
        if index.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        idx = index.reshape(-1)
        if self.ndim == 0 and idx.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
        source = self if self.ndim else self.reshape(1)
        _check_index_range(idx, source.shape[dim], dim)
        out = shape.IndexSelect.apply(source, index=idx, dim=dim)
        return out if self.ndim else out.reshape(())

    @property
    def T(self):
        """The tensor with its axes reversed (the transpose, for a matrix)."""
        return shape.Permute.apply(self, dims=tuple(reversed(range(self.ndim))))

    def __getitem__(self, index):
        return shape.GetItem.apply(self, index=_index_arg(index))

    # ---- in-place changes (inplace.py: version counters, and how the graph records them) -----
    @property
    def _version(self):
        """How many in-place changes this tensor's memory has had (shared with its views)."""
        return autograd.version_of(self)

    def add_(self, other, *, alpha=1):
        """self += alpha * other, in place."""
        return inplace.change(self, _add_scaled, other, alpha)

    def sub_(self, other, *, alpha=1):
        """self -= alpha * other, in place."""
        return inplace.change(self, _add_scaled, other, -alpha)

    def mul_(self, other):
        return inplace.change(self, Tensor.__mul__, other)

    def div_(self, other):
        return inplace.change(self, Tensor.__truediv__, other)

    def neg_(self):
        return inplace.change(self, Tensor.__neg__)

    def clamp_(self, min=None, max=None):
        return inplace.change(self, Tensor.clamp, min, max)

    clip_ = clamp_

    def zero_(self):
        return inplace.fill(self, 0)

    def fill_(self, value):
        return inplace.fill(self, value)

    def copy_(self, src, non_blocking=False):
        """Overwrite self with `src` (broadcast to self's shape, converted to self's dtype)."""
        return inplace.copy_from(self, src)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def clone(self):
        """A copy in memory of its own, still in the graph (the gradient passes through)."""
        return copy.Clone.apply(self)


def _add_scaled(x, other, alpha):
    """x + alpha * other (add_ and sub_), with torch's checks on alpha."""
    if alpha == 1:
        return x + other
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.number)):
        raise TypeError(f"alpha must be a number, got {type(alpha).__name__}")
    if isinstance(alpha, float) and not dtypes.is_floating(x.dtype):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    return x + _as_tensor(other, like=x) * alpha


# torch's words, without its "(Triggered internally at ...)" tail.
_CREATE_GRAPH_CYCLE = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its gradient "
    "which can cause a memory leak. We recommend using autograd.grad when creating the graph to avoid this. If you "
    "have to use this function, make sure to reset the .grad fields of your parameters to None after use to break "
    "the cycle and avoid the leak.")
_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf "
    "Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
    "you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information.")


class Cast(autograd.Function):
    """y = x converted to another float dtype;   dy/dx = 1 (converted back)."""

    @staticmethod
    def forward(ctx, x, dtype=None):
        with np.errstate(over="ignore"):  # 1e5 -> float16 inf, as in torch
            return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad  # the engine converts it to the input's dtype

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return grad.to(inputs[0].dtype)  # a Cast back, recorded when grad has a graph


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
        if like.data.dtype is _HALF:
            return Tensor._wrap(_half_number(value))
        if dtypes.is_floating(like.dtype) or (isinstance(value, int) and like.dtype == dtypes.int64):
            return Tensor._wrap(np.asarray(value, dtype=like.dtype))
        return Tensor._wrap(dtypes.to_array(value))  # e.g. int tensor * 0.5 -> float32
    return Tensor(value)


def _half_number(value):
    """A Python number beside a float16 tensor, as a float16 array: only when exact. torch
    computes `half_tensor * 0.3` with 0.3 in float32 and rounds once; numpy would round 0.3
    to float16 first, a different answer, so that case is refused."""
    if not np.isfinite(value):
        return np.asarray(value, dtype=_HALF)
    with np.errstate(over="ignore"):
        half = np.asarray(value, dtype=_HALF)
    if float(half) == value:  # (half == value would compare in float16, NEP 50)
        return half
    raise TypeError(f"{value!r} is not exactly a float16: torch would compute with it in float32 and round "
                    f"the result, numpy rounds the number first. Compute in float32 and convert: "
                    f"(x.float() * {value!r}).half()")


def _operands(a, b):
    """Both operands as Tensors of one dtype (PyTorch's promotion rules)."""
    # The common case first, `x * 0.5` on a float32/64 tensor: the number takes x's dtype.
    if type(b) in _NUMBERS and isinstance(a, Tensor) and a.data.dtype in _FLOATS:
        return a, Tensor._wrap(np.array(b, dtype=a.data.dtype))
    if type(a) in _NUMBERS and isinstance(b, Tensor) and b.data.dtype in _FLOATS:
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
    if a.data.dtype is _HALF:
        raise dtypes.half_error("pow")
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
    """`tensor` itself when float32 or float64; an integer tensor converted to the default
    float, or a TypeError for the ops PyTorch refuses integers for; for a float16 tensor a
    TypeError (these ops do not take float16: see dtype.py)."""
    dtype = tensor.data.dtype
    if dtype in _FLOATS:
        return tensor
    if dtype == _HALF:
        raise dtypes.half_error(op_name)
    if dtype.kind != "f":
        if op_name in ("softmax", "log_softmax", "mean", "norm"):
            raise TypeError(f"{op_name} needs a floating-point tensor, got {tensor.dtype}; "
                            f"convert it first with .float()")
        return tensor.to(dtypes.default_float)  # exp/log/sqrt/sigmoid/tanh of ints give floats, as in torch
    return tensor


def _spread_args(op_name, tensor, dim, unbiased, correction):
    """var/std's arguments, as torch takes them: (axes, correction). `var(True)` is the old
    var(unbiased); unbiased and correction together are an error, as in torch."""
    if tensor.data.dtype.kind != "f":
        raise TypeError(f"{op_name}: std and var only support floating point dtypes, got {tensor.dtype}")
    if tensor.data.dtype == _HALF:
        raise dtypes.half_error(op_name)
    if isinstance(dim, (bool, np.bool_)):  # var(False): the unbiased flag in dim's place
        if unbiased is not None:
            raise TypeError(f"{op_name}: unbiased given twice")
        dim, unbiased = None, dim
    if unbiased is not None:
        if correction is not None:
            raise TypeError(f"{op_name}: give either unbiased or correction, not both")
        if not isinstance(unbiased, (bool, np.bool_)):
            raise TypeError(f"{op_name}: unbiased must be a bool, got {type(unbiased).__name__}")
        correction = 1 if unbiased else 0
    elif correction is None:
        correction = 1
    elif isinstance(correction, bool) or not isinstance(correction, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op_name}: correction must be a number, got {type(correction).__name__}")
    axes = _check_dims(dim, tensor.ndim)
    if axes == ():  # dim=[] reduces over everything, as in torch
        axes = None
    count = tensor.data.size if axes is None else int(np.prod([tensor.shape[a] for a in axes]))
    if count - correction <= 0:
        warn_user(f"{op_name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                  f"reduction factor (input numel divided by output numel).")
    return axes, correction


def _index_tensor(op_name, index, dtype_message):
    """The index argument of gather/index_select: an integer Tensor, as an int64 array."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op_name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.data.dtype.kind not in "iu":
        raise RuntimeError(f"{op_name}(): {dtype_message}")
    return index.data.astype(np.int64, copy=False)


def _check_index_range(index, size, dim):
    bad = index[(index < 0) | (index >= size)]
    if bad.size:
        raise RuntimeError(f"index {int(bad[0])} is out of bounds for dimension {dim} with size {size}")


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
