"""Reductions: sum, mean, max, min, var, std, norm, prod.

The backward of a reduction spreads the output gradient back over the elements that
were reduced: evenly for sum and mean, to the winner(s) for max and min, in proportion
to each element's own derivative for the others.
"""
import numpy as np

from minigrad.autograd import Function, Kink
from minigrad.ops._broadcast import unbroadcast, unbroadcast_tensor
from minigrad.ops.elementwise import Where
from minigrad.ops.shape import Permute, Reshape, ScatterAdd, _grid


def _expand_back(grad, shape, axes, keepdim):
    """Broadcast a reduced gradient back to the input `shape` (a fresh, writable array)."""
    if not keepdim and axes is not None:  # put back the reduced axes as 1s (a full reduction's scalar needs none)
        grad = grad.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    # A real array rather than np.broadcast_to's read-only view: cheaper to make at the
    # small sizes of a training step, and a leaf can keep it as its .grad without a copy.
    out = np.empty(shape, dtype=grad.dtype)
    out[...] = grad
    return out


# ---- create_graph=True: the same backwards written with Tensor ops -----------------------
# Sum and Expand are each other's adjoint (the adjoint of broadcasting is a sum), so the
# gradients of a reduction, written with Expand, can be differentiated again and again.
def _kept(tensor, shape, axes, keepdim):
    """A reduction's output (or its gradient) with the reduced axes back as 1s, to broadcast
    against the input of `shape`."""
    if keepdim or axes is None:
        return tensor
    return Reshape.apply(tensor, shape=tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _expand_back_tensor(grad, shape, axes, keepdim):
    """_expand_back in Tensor ops: the reduced axes put back as 1s, then broadcast to `shape`."""
    grad = _kept(grad, shape, axes, keepdim)
    return grad if grad.shape == tuple(shape) else Expand.apply(grad, shape=tuple(shape))


def _constant(like, array):
    """A constant Tensor (a mask, a count: no gradient flows into it) of `like`'s dtype."""
    return like._wrap(np.asarray(array, dtype=like.dtype))


class Expand(Function):
    """y = x broadcast to `shape` (numpy's rules: axes added in front, axes of size 1 stretched);
    dy/dx = the gradient summed back over those axes (unbroadcast). The backward of Sum, Mean
    and the other reductions with create_graph=True, and Sum is its backward."""

    @staticmethod
    def forward(ctx, x, shape=None):
        ctx.save_for_backward(x.shape)
        out = np.empty(shape, dtype=x.dtype)  # a real array, writable (not np.broadcast_to's view)
        out[...] = x
        return out

    @staticmethod
    def backward(ctx, grad):
        (shape,) = ctx.saved_tensors
        return unbroadcast(grad, shape)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return unbroadcast_tensor(grad, inputs[0].shape)


class Sum(Function):
    """y = sum_i x_i over `axes`;   dy/dx_i = 1 for every summed element."""

    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False):
        ctx.save_for_backward(x.shape, axes, keepdim)
        return x.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        shape, axes, keepdim = ctx.saved_tensors
        return _expand_back(grad, shape, axes, keepdim)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return _expand_back_tensor(grad, inputs[0].shape, ctx.params.get("axes"), ctx.params.get("keepdim", False))


class Mean(Function):
    """y = (1/n) sum_i x_i over `axes` (n elements);   dy/dx_i = 1/n.

    An empty reduction gives nan (0/0), as in PyTorch.
    """

    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False):
        count = int(np.prod([x.shape[a] for a in axes])) if axes is not None else x.size
        ctx.save_for_backward(x.shape, axes, keepdim, count)
        if count:
            return x.sum(axis=axes, keepdims=keepdim) / x.dtype.type(count)
        with np.errstate(invalid="ignore", divide="ignore"):  # only here: 0 / 0 is the answer
            return x.sum(axis=axes, keepdims=keepdim) / x.dtype.type(count)

    @staticmethod
    def backward(ctx, grad):
        shape, axes, keepdim, count = ctx.saved_tensors
        if count:
            return _expand_back(grad / grad.dtype.type(count), shape, axes, keepdim)
        with np.errstate(invalid="ignore", divide="ignore"):
            return _expand_back(grad / grad.dtype.type(count), shape, axes, keepdim)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        shape, axes, keepdim, count = ctx.saved_tensors
        return _expand_back_tensor(grad / count, shape, axes, keepdim)  # count 0: nan, spread over no elements


class Max(Function):
    """y = max of all elements;   the gradient is split evenly among the tied maxima.

    (PyTorch 2.13's rule for the full reduction. A NaN is the maximum if present.)
    """

    kink = Kink("max() at a tie for the maximum", lambda x, **_: x == np.max(x))  # which elements win

    @staticmethod
    def forward(ctx, x):
        y = np.max(x)
        ctx.save_for_backward(x, y)
        return np.asarray(y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        winners = np.isnan(x) if np.isnan(y) else (x == y)
        return np.where(winners, grad / grad.dtype.type(winners.sum()), np.zeros((), grad.dtype))

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        """The same split; which elements win is a constant (piecewise: no second derivative)."""
        x, y = inputs[0].data, output.data
        winners = np.isnan(x) if np.isnan(y) else (x == y)
        return _expand_back_tensor(grad / int(winners.sum()), x.shape, None, False) * _constant(grad, winners)


class MaxDim(Function):
    """y = max of x along `dim`;   the whole gradient goes to the first maximum of each slice.

    The indices of those maxima are what `Tensor.max(dim)` returns beside the values.
    """

    kink = Kink("max(dim) at a tie for the maximum", lambda x, dim, **_: np.argmax(x, axis=dim))  # which one wins

    @staticmethod
    def forward(ctx, x, dim=0, keepdim=False):
        return _take_at(ctx, x, np.argmax(x, axis=dim), dim, keepdim)  # argmax: the first maximum (or NaN)

    @staticmethod
    def backward(ctx, grad):
        shape, index, dim, keepdim = ctx.saved_tensors
        out = np.zeros(shape, dtype=grad.dtype)
        np.put_along_axis(out, index, grad if keepdim else np.expand_dims(grad, dim), axis=dim)
        return out

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        """The gradient scattered to the recorded index: a ScatterAdd (whose backward gathers)."""
        shape, index, dim, keepdim = ctx.saved_tensors
        if not keepdim:
            grad = Reshape.apply(grad, shape=index.shape)
        return ScatterAdd.apply(grad, index=_grid(index, dim), shape=shape)


class Min(Function):
    """y = min of all elements;   the gradient is split evenly among the tied minima.

    (PyTorch 2.13's rule for the full reduction, as for max(). A NaN is the minimum if present.)
    """

    kink = Kink("min() at a tie for the minimum", lambda x, **_: x == np.min(x))  # which elements win

    @staticmethod
    def forward(ctx, x):
        y = np.min(x)
        ctx.save_for_backward(x, y)
        return np.asarray(y)

    backward = staticmethod(Max.backward)  # the same split among the elements equal to y
    backward_with_graph = staticmethod(Max.backward_with_graph)


class MinDim(Function):
    """y = min of x along `dim`;   the whole gradient goes to the first minimum of each slice
    (the index `Tensor.min(dim)` returns), as for max(dim)."""

    kink = Kink("min(dim) at a tie for the minimum", lambda x, dim, **_: np.argmin(x, axis=dim))  # which one wins

    @staticmethod
    def forward(ctx, x, dim=0, keepdim=False):
        return _take_at(ctx, x, np.argmin(x, axis=dim), dim, keepdim)  # argmin: the first minimum (or NaN)

    backward = staticmethod(MaxDim.backward)  # the same scatter: the gradient to the recorded index
    backward_with_graph = staticmethod(MaxDim.backward_with_graph)


def _take_at(ctx, x, index, dim, keepdim):
    """x's values at `index` (one per slice along `dim`), saving what MaxDim's backward needs to
    send the gradient back there."""
    index = np.expand_dims(index, dim)
    ctx.save_for_backward(x.shape, index, dim, keepdim)
    values = np.take_along_axis(x, index, axis=dim)
    return values if keepdim else np.squeeze(values, axis=dim)


def _count(shape, axes):
    """How many elements a reduction over `axes` (None: all) combines into each result."""
    return int(np.prod([shape[a] for a in axes])) if axes is not None else int(np.prod(shape))


def _deviation(x, axes):
    """x - mean(x) over `axes` (an empty slice gives nan, quietly, as torch's does)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return x - np.sum(x, axis=axes, keepdims=True) / x.dtype.type(_count(x.shape, axes))


def _variance(x, axes, dof, keepdim):
    """sum (x - mean)^2 / dof, accumulated in float64 as torch does for float32 too (so the
    squares of 1e30 do not overflow float32 before the division)."""
    wide = x.astype(np.float64, copy=False)
    deviation = _deviation(wide, axes)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return np.sum(deviation * deviation, axis=axes, keepdims=keepdim) / np.float64(dof)


class Var(Function):
    """y = sum_i (x_i - mean)^2 / (n - correction) over `axes` (n elements; correction=1 is
    Bessel's, the unbiased estimate);   dy/dx_i = 2 (x_i - mean) / (n - correction).

    With n - correction <= 0 the divisor is 0 (inf or nan, as in PyTorch, which also warns).
    """

    @staticmethod
    def forward(ctx, x, axes=None, correction=1, keepdim=False):
        dof = max(0, _count(x.shape, axes) - correction)
        ctx.save_for_backward(_deviation(x, axes), dof)
        return _variance(x, axes, dof, keepdim).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        deviation, dof = ctx.saved_tensors
        axes, keepdim = ctx.params.get("axes"), ctx.params.get("keepdim", False)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            scale = grad.dtype.type(2) / grad.dtype.type(dof)
            return _expand_back(grad * scale, deviation.shape, axes, keepdim) * deviation

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        x = inputs[0]
        axes, keepdim = ctx.params.get("axes"), ctx.params.get("keepdim", False)
        return _kept(grad * _two_over(ctx.saved_tensors[1]), x.shape, axes, keepdim) * _deviation_of(x, axes)


def _two_over(dof):
    """2 / dof as a float (inf for dof = 0, as torch's division gives)."""
    return 2.0 / dof if dof else float("inf")


def _deviation_of(x, axes):
    """x - mean(x) over `axes`, in Tensor ops (the mean's dependence on x is part of it)."""
    return x - Mean.apply(x, axes=axes, keepdim=True)


def _lone_sides(x, axes):
    """+1 / -1 for an element above / below all the others of its reduction slice when those
    others are all equal, else 0: it changes exactly as an element crosses the point where
    the whole slice is equal (std's kink, zero spread)."""
    lo, hi = np.min(x, axis=axes, keepdims=True), np.max(x, axis=axes, keepdims=True)
    n = _count(x.shape, axes)
    n_lo, n_hi = (np.sum(x == lo, axis=axes, keepdims=True), np.sum(x == hi, axis=axes, keepdims=True))
    spread = hi != lo
    return ((x == hi) & (n_lo == n - 1) & spread).astype(float) - ((x == lo) & (n_hi == n - 1) & spread)


class Std(Function):
    """y = sqrt(var(x)) over `axes` (var with the same `correction`);
    dy/dx_i = (x_i - mean) / ((n - correction) y), and 0 where y = 0 (PyTorch's choice where
    every element of the slice is equal: the bottom of a cone, not differentiable)."""

    kink = Kink("std at zero spread (every element of the slice equal)",
                lambda x, axes, **_: _lone_sides(x, axes))

    @staticmethod
    def forward(ctx, x, axes=None, correction=1, keepdim=False):
        dof = max(0, _count(x.shape, axes) - correction)
        y = np.sqrt(_variance(x, axes, dof, keepdim)).astype(x.dtype)
        ctx.save_for_backward(_deviation(x, axes), dof, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        deviation, dof, y = ctx.saved_tensors
        axes, keepdim = ctx.params.get("axes"), ctx.params.get("keepdim", False)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            half = np.where(y == 0, np.zeros((), grad.dtype), grad / (2 * y))  # d sqrt(v)/dv, masked at v = 0
            scale = half * (grad.dtype.type(2) / grad.dtype.type(dof))
            return _expand_back(scale, deviation.shape, axes, keepdim) * deviation

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        """torch's order: grad / (2 y), 0 where y = 0, then var's backward. y is the output
        Tensor itself, so the second derivative also flows through it (d y / d x)."""
        x = inputs[0]
        axes, keepdim = ctx.params.get("axes"), ctx.params.get("keepdim", False)
        half = _masked(grad / (output * 2), output.data == 0)
        return _kept(half * _two_over(ctx.saved_tensors[1]), x.shape, axes, keepdim) * _deviation_of(x, axes)


def _masked(t, where):
    """t with 0 where the bool array `where` holds (torch's masked_fill(where, 0)): the
    gradient into t is 0 there."""
    if not where.any():
        return t
    return Where.apply(_constant(t, np.zeros(t.shape)), t, condition=np.broadcast_to(where, t.shape))


def _norm_sides(x, axes, p, **_):
    """Where the p-norm is not differentiable: |x_i| at 0 for p <= 1 (each element is a kink);
    for 1 < p < inf only where the whole slice is 0 (x_i crossing 0 with all others 0); for
    p = +-inf wherever the element of largest (smallest) |x| changes."""
    if p in (np.inf, -np.inf):
        a = np.abs(x)
        extreme = (np.max if p > 0 else np.min)(a, axis=axes, keepdims=True)
        return (a == extreme) * np.sign(x)
    if p <= 1:
        return np.sign(x)
    others = np.sum(x != 0, axis=axes, keepdims=True) - (x != 0)
    return np.where(others == 0, np.sign(x), 0)


class Norm(Function):
    """y = (sum_i |x_i|^p)^(1/p) over `axes`: p = 2 the Euclidean length, 1 the sum of |x_i|,
    inf the largest |x_i|, -inf the smallest, 0 the number of nonzero elements.

    dy/dx_i = sign(x_i) |x_i|^(p-1) / y^(p-1); for p = 2 that is x_i / y; for p = +-inf the
    gradient is split evenly among the elements of largest (smallest) |x|; for p = 0 it is 0.
    Where y = 0 (a slice of zeros) the gradient is 0, and for p < 1 it is 0 at x_i = 0
    (PyTorch 2.13's choices at the kinks, docs/kinks.md).
    """

    kink = Kink("norm at x = 0 (each x_i for p <= 1), or at a tie in abs(x) for p = inf", _norm_sides)

    @staticmethod
    def forward(ctx, x, axes=None, p=2.0, keepdim=False):
        a = np.abs(x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p != 0 and _count(x.shape, axes) == 1:  # torch's shortcut: |x| itself (1e30 ** 2 would overflow)
                y = np.sum(a, axis=axes, keepdims=keepdim)
            elif p == 2:
                y = np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdim))
            elif p == 1:
                y = np.sum(a, axis=axes, keepdims=keepdim)
            elif p == np.inf:
                y = np.max(a, axis=axes, keepdims=keepdim)
            elif p == -np.inf:
                y = np.min(a, axis=axes, keepdims=keepdim)
            elif p == 0:
                y = np.sum(x != 0, axis=axes, keepdims=keepdim).astype(x.dtype)
            else:
                y = np.sum(a ** x.dtype.type(p), axis=axes, keepdims=keepdim) ** x.dtype.type(1 / p)
        ctx.save_for_backward(x, np.asarray(y, dtype=x.dtype))
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        axes, p, keepdim = ctx.params.get("axes"), ctx.params.get("p", 2.0), ctx.params.get("keepdim", False)
        zero = np.zeros((), grad.dtype)
        if p == 0:
            return np.zeros(x.shape, grad.dtype)
        if not keepdim and axes is not None:  # y and grad with the reduced axes back as 1s
            kept = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
            y, grad = y.reshape(kept), grad.reshape(kept)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p == 1:
                local = np.sign(x) * grad
            elif p == 2:
                local = grad * np.where(y == 0, zero, x / y)
            elif p in (np.inf, -np.inf):
                a = np.abs(x)
                winners = (a == y) | np.isnan(a)
                local = np.sign(x) * (grad / np.sum(winners, axis=axes, keepdims=True)) * winners
            elif p < 1:
                scaled = np.where(x == 0, zero, np.sign(x) * np.abs(x) ** x.dtype.type(p - 1))
                local = scaled * grad * y ** x.dtype.type(1 - p)
            else:
                scale = np.where(y == 0, zero, grad / y ** x.dtype.type(p - 1))
                local = np.sign(x) * np.abs(x) ** x.dtype.type(p - 1) * scale
        out = np.empty(x.shape, dtype=grad.dtype)
        out[...] = local
        return out

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        """torch's norm_backward in Tensor ops, case by case; y is the output Tensor (so the
        second derivative flows through it too). sign(x) and which elements win for p = inf
        are constants: their derivative is 0 (almost everywhere)."""
        x = inputs[0]
        axes, p, keepdim = ctx.params.get("axes"), ctx.params.get("p", 2.0), ctx.params.get("keepdim", False)
        if p == 0:
            return _constant(grad, np.zeros(x.shape))
        grad, y = _kept(grad, x.shape, axes, keepdim), _kept(output, x.shape, axes, keepdim)
        sign = _constant(x, np.sign(x.data))
        if p == 1:
            return sign * grad
        if p == 2:
            return grad * _masked(x / y, np.broadcast_to(y.data == 0, x.shape))
        if p in (np.inf, -np.inf):
            a = np.abs(x.data)
            winners = (a == y.data) | np.isnan(a)
            count = _constant(grad, np.sum(winners, axis=axes, keepdims=True))
            return sign * ((grad / count) * _constant(grad, winners))
        if p < 1:
            scaled = sign * _masked(x.abs() ** (p - 1), x.data == 0)
            return scaled * grad * y ** (1 - p)
        scaled = sign * x.abs() ** (p - 1) if p < 2 else x * x.abs() ** (p - 2)
        return scaled * _masked(grad / y ** (p - 1), y.data == 0)


class Prod(Function):
    """y = prod_i x_i over `axes` (one axis, or all);   dy/dx_i = prod_{j != i} x_j.

    That is y / x_i where x_i != 0; with zeros in a slice it is computed as the product of
    the others (one zero: only that element gets a gradient; two or more: none does),
    as PyTorch does. prod is a polynomial: smooth everywhere.
    """

    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False):
        with np.errstate(over="ignore", invalid="ignore"):  # inf * 0 is nan, as in torch
            y = np.prod(x, axis=axes, keepdims=keepdim)
        ctx.save_for_backward(x, np.asarray(y))
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        axes, keepdim = ctx.params.get("axes"), ctx.params.get("keepdim", False)
        if not np.any(x == 0):
            with np.errstate(over="ignore", invalid="ignore"):  # grad * (y / x), in torch's order
                return _expand_back(grad, x.shape, axes, keepdim) * (_expand_back(y, x.shape, axes, keepdim) / x)
        with np.errstate(over="ignore", invalid="ignore"):
            return _expand_back(grad, x.shape, axes, keepdim) * _product_of_others(x, axes)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        """grad * y / x without zeros (y the output Tensor, as torch); with a zero, the
        product of the others, written with Prod itself (see _others)."""
        x = inputs[0]
        if x.ndim == 0:
            return grad
        axes, keepdim = ctx.params.get("axes"), ctx.params.get("keepdim", False)
        grad = _kept(grad, x.shape, axes, keepdim)
        if not np.any(x.data == 0):
            return grad * (_kept(output, x.shape, axes, keepdim) / x)
        return grad * _others(x, axes)


def _others(x, axes):
    """prod_{j != i} x_j for each element, in Tensor ops without dividing: the reduced axis
    moved last and repeated as a square whose diagonal is 1 (row i: x with x_i replaced by
    1), then the product of each row. n^2 values per slice: the price of exact derivatives
    of every order where some x_i = 0 (only then is it used)."""
    if axes is None:
        moved = Reshape.apply(x, shape=(x.data.size,))
    else:
        order = tuple(i for i in range(x.ndim) if i != axes[0]) + (axes[0],)
        moved = Permute.apply(x, dims=order)
    n = moved.shape[-1]
    eye = np.eye(n, dtype=x.dtype)
    square = Reshape.apply(moved, shape=moved.shape[:-1] + (1, n)) * _constant(x, 1 - eye) + _constant(x, eye)
    others = Prod.apply(square, axes=(square.ndim - 1,), keepdim=False)
    if axes is None:
        return Reshape.apply(others, shape=x.shape)
    return Permute.apply(others, dims=tuple(int(i) for i in np.argsort(order)))


def _product_of_others(x, axes):
    """prod_{j != i} x_j along the reduced axis (or over all elements), without dividing:
    the product of everything before i times the product of everything after it."""
    axis = -1 if axes is None else axes[0]
    v = x.reshape(-1) if axes is None else np.moveaxis(x, axis, -1)
    ones = np.ones(v.shape[:-1] + (1,), dtype=x.dtype)
    before = np.cumprod(np.concatenate([ones, v[..., :-1]], axis=-1), axis=-1)
    after = np.flip(np.cumprod(np.concatenate([ones, np.flip(v, -1)[..., :-1]], axis=-1), axis=-1), -1)
    others = before * after
    return others.reshape(x.shape) if axes is None else np.moveaxis(others, -1, axis)
