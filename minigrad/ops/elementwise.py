"""Element-wise arithmetic and math functions.

Binary ops broadcast like numpy; their backward sums each gradient back to its
input's shape with `unbroadcast` (the adjoint of broadcasting is a sum).
Where a function has a kink, the subgradient is PyTorch 2.13's, and the op says where the
kink is with `kink = Kink(...)` (gradcheck reads it; docs/kinks.md lists them all).

Each op's `backward_with_graph` (create_graph=True) is its `backward` again, written with
Tensor ops so that the gradient can be differentiated again; masks (which input won, which
side of a kink) are constants that carry no gradient, as in torch.
"""
import numpy as np

from minigrad.autograd import Function, Kink, side
from minigrad.ops._broadcast import unbroadcast, unbroadcast_tensor


def _constant(like, array):
    """A Tensor holding `array` in `like`'s dtype, outside the graph (a zero, a mask)."""
    return like._wrap(np.asarray(array, dtype=like.data.dtype))


class Add(Function):
    """z = a + b;   dz/da = 1,  dz/db = 1."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a.shape, b.shape)
        return a + b

    @staticmethod
    def backward(ctx, grad):
        a_shape, b_shape = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad  # (a constant operand, 1 in 1 - x: no sum for it)
        return unbroadcast(grad, a_shape) if need_a else None, unbroadcast(grad, b_shape) if need_b else None

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        a, b = inputs
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast_tensor(grad, a.shape) if need_a else None,
                unbroadcast_tensor(grad, b.shape) if need_b else None)


class Sub(Function):
    """z = a - b;   dz/da = 1,  dz/db = -1."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a.shape, b.shape)
        return a - b

    @staticmethod
    def backward(ctx, grad):
        a_shape, b_shape = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return unbroadcast(grad, a_shape) if need_a else None, unbroadcast(-grad, b_shape) if need_b else None

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        a, b = inputs
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast_tensor(grad, a.shape) if need_a else None,
                unbroadcast_tensor(-grad, b.shape) if need_b else None)


class Neg(Function):
    """z = -a;   dz/da = -1."""

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return -grad


class Mul(Function):
    """z = a * b;   dz/da = b,  dz/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        # Each input is kept only if the other's gradient needs it, as torch does: what is not
        # saved may be changed in place afterwards (see minigrad/inplace.py).
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None, a.shape, b.shape)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b, a_shape, b_shape = ctx.saved_tensors
        grad_a = unbroadcast(grad * b, a_shape) if ctx.needs_input_grad[0] else None
        grad_b = unbroadcast(grad * a, b_shape) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        a, b = inputs
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast_tensor(grad * b, a.shape) if need_a else None,
                unbroadcast_tensor(grad * a, b.shape) if need_b else None)


class Div(Function):
    """z = a / b;   dz/da = 1 / b,  dz/db = -a / b^2."""

    kink = Kink("a / b at b = 0 (a pole)", lambda a, b, **_: side(b, 0))

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b, a.shape)  # a only for dz/db (see Mul)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # x / 0: inf or nan, as in torch
            return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b, a_shape = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            grad_a = unbroadcast(grad / b, a_shape) if ctx.needs_input_grad[0] else None
            # -grad a / b^2 as PyTorch rounds it, (a / b) / b: b^2 alone underflows to 0 for
            # |b| < 1e-154, and the same order gives the same overflows as torch's
            grad_b = unbroadcast(-grad * ((a / b) / b), b.shape) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        a, b = inputs
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast_tensor(grad / b, a.shape) if need_a else None,
                unbroadcast_tensor(-grad * ((a / b) / b), b.shape) if need_b else None)


def _whole(b):
    """b is a whole number >= 0, so that a ** b is smooth in a everywhere (a polynomial)."""
    return (b >= 0) & (b == np.floor(b))


def _pow_sides(a, b, **_):
    # In a, a^b is smooth unless b is not a whole number >= 0: then a = 0 is a pole
    # (b < 0) or the edge of the domain (a^0.5 of a negative number is nan).
    # In b, 0^b jumps at b = 0 (inf, 1, 0), so a = 0 and b = 0 together is a kink in b.
    return np.where(_whole(b), 0.0, side(a, 0)), np.where(a == 0, side(b, 0), 0.0)


class Pow(Function):
    """z = a ** b;   dz/da = b a^(b-1),  dz/db = a^b log(a).

    As in PyTorch, dz/da is 0 where b == 0 (so x ** 0 has gradient 0 even at x = 0), and
    dz/db is 0 where a == 0 and b >= 0 (the limit of a^b log a as a -> 0+).
    """

    kink = Kink("a ** b at a = 0 (b not a whole number >= 0), or at a = 0, b = 0", _pow_sides)

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = np.power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        grad_a = grad_b = None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if ctx.needs_input_grad[0]:
                local = np.where(b == 0, 0, b * np.power(a, b - 1))
                grad_a = unbroadcast(grad * local, a.shape)
            if ctx.needs_input_grad[1]:
                local = np.where((a == 0) & (b >= 0), 0, out * np.log(a))
                grad_b = unbroadcast(grad * local, b.shape)
        return grad_a, grad_b

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        # The same where()s as backward, with masks that carry no gradient: their second
        # derivatives are torch's (which writes its formula the same way).
        a, b = inputs
        zero = _constant(grad, 0)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            local = Where.apply(zero, b * a ** (b - 1), condition=b.data == 0)
            grad_a = unbroadcast_tensor(grad * local, a.shape)
        if ctx.needs_input_grad[1]:
            local = Where.apply(zero, output * a.log(), condition=(a.data == 0) & (b.data >= 0))
            grad_b = unbroadcast_tensor(grad * local, b.shape)
        return grad_a, grad_b


class PowScalar(Function):
    """z = a ** c for a number c;   dz/da = c a^(c-1)   (0 everywhere when c == 0).

    Pow with a constant exponent, the common case (x ** 2 in an L2 penalty): nothing to
    broadcast, no gradient for the exponent, and for c = 2 no call to power at all
    (a * a and 2 a are exactly what np.power and PyTorch compute).
    """

    kink = Kink("x ** c at x = 0 (c not a whole number >= 0)",
                lambda a, exponent, **_: 0.0 if _whole(exponent) else side(a, 0))

    @staticmethod
    def forward(ctx, a, exponent=None):
        ctx.save_for_backward(a)
        if exponent == 2:
            return a * a
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.power(a, exponent)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        c = ctx.params["exponent"]
        if c == 0:
            return np.zeros_like(grad)
        if c == 2:
            return grad * (2 * a)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return grad * (c * np.power(a, c - 1))

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        (a,) = inputs
        c = ctx.params["exponent"]
        if c == 0:  # torch's zeros_like(self): a constant, outside the graph
            return _constant(grad, np.zeros(grad.shape))
        if c == 2:
            return grad * (2 * a)
        return grad * (c * a ** (c - 1))


class Exp(Function):
    """y = e^x;   dy/dx = e^x = y."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):  # exp(1000) is inf, as in torch
            y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return grad * output


class Log(Function):
    """y = ln x;   dy/dx = 1 / x   (log 0 = -inf, log of a negative number = nan)."""

    kink = Kink("log at x = 0 (edge of its domain)", lambda x, **_: side(x, 0))

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # at denormal x
            return grad / x

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return grad / inputs[0]


class Sqrt(Function):
    """y = sqrt(x);   dy/dx = 1 / (2 sqrt(x)) = 1 / (2y)   (inf at 0)."""

    kink = Kink("sqrt at x = 0 (edge of its domain)", lambda x, **_: side(x, 0))

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad / (2 * y)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return grad / (2 * output)


class Abs(Function):
    """y = |x|;   dy/dx = sign(x), and 0 at x = 0 (PyTorch's choice of subgradient)."""

    kink = Kink("abs at x = 0", lambda x, **_: side(x, 0))

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        sign = (x > 0).astype(x.dtype)  # torch's sign: 0 at 0 and at NaN (np.sign(NaN) is NaN)
        sign -= x < 0
        return grad * sign

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return grad * Sign.apply(inputs[0])  # sign's own derivative is 0: abs'' = 0, as in torch


class Clamp(Function):
    """y = min(max(x, lo), hi);   dy/dx = 1 where lo <= x <= hi (boundaries included), else 0.

    Either bound may be None. If lo > hi every element becomes hi, as in PyTorch.
    """

    kink = Kink("clamp at min or max",
                lambda x, min, max, **_: tuple(side(x, bound) for bound in (min, max) if bound is not None))

    @staticmethod
    def forward(ctx, x, min=None, max=None):
        ctx.save_for_backward(x, min, max)
        y = x
        if min is not None:
            y = np.maximum(y, np.asarray(min, dtype=x.dtype))
        if max is not None:
            y = np.minimum(y, np.asarray(max, dtype=x.dtype))
        return y if y is not x else x.copy()

    @staticmethod
    def backward(ctx, grad):
        x, lo, hi = ctx.saved_tensors
        inside = np.ones(x.shape, dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        return grad * inside

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        # grad times a mask that carries no gradient: clamp'' = 0, and the result depends on
        # x only through `grad`, as torch's clamp_backward (a where on comparisons).
        (x,) = inputs
        lo, hi = ctx.params.get("min"), ctx.params.get("max")
        inside = np.ones(x.shape, dtype=bool)
        if lo is not None:
            inside &= x.data >= lo
        if hi is not None:
            inside &= x.data <= hi
        return grad * _constant(grad, inside)


class Maximum(Function):
    """z = max(a, b) element-wise;   the gradient goes to the larger input, split 0.5/0.5 on a tie."""

    kink = Kink("maximum at a tie a = b", lambda a, b, **_: side(a, b))

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_at_ties(grad, a, b, a_loses=a < b, b_loses=a > b)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        a, b = inputs
        return _split_at_ties_with_graph(ctx, grad, a, b, a_loses=a.data < b.data, b_loses=a.data > b.data)


class Minimum(Function):
    """z = min(a, b) element-wise;   the gradient goes to the smaller input, split 0.5/0.5 on a tie."""

    kink = Kink("minimum at a tie a = b", lambda a, b, **_: side(a, b))

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_at_ties(grad, a, b, a_loses=a > b, b_loses=a < b)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        a, b = inputs
        return _split_at_ties_with_graph(ctx, grad, a, b, a_loses=a.data > b.data, b_loses=a.data < b.data)


def _split_at_ties(grad, a, b, a_loses, b_loses):
    """Route `grad` to the winner of max/min; halve it on a tie. (With a NaN neither
    input "loses", so both get the full gradient, as in PyTorch.)"""
    zero = np.zeros((), dtype=grad.dtype)
    shared = np.where(a == b, grad / 2, grad)
    return (unbroadcast(np.where(a_loses, zero, shared), a.shape),
            unbroadcast(np.where(b_loses, zero, shared), b.shape))


def _split_at_ties_with_graph(ctx, grad, a, b, a_loses, b_loses):
    """_split_at_ties on Tensors: `grad` routed by masks that carry no gradient, so max and
    min's second derivatives are 0 and their gradient depends on a, b only through `grad`."""
    zero = _constant(grad, 0)
    shared = Where.apply(grad / 2, grad, condition=a.data == b.data)
    need_a, need_b = ctx.needs_input_grad
    return (unbroadcast_tensor(Where.apply(zero, shared, condition=a_loses), a.shape) if need_a else None,
            unbroadcast_tensor(Where.apply(zero, shared, condition=b_loses), b.shape) if need_b else None)


class Where(Function):
    """z = a where condition else b;   the gradient flows to whichever input was chosen."""

    kink = Kink("where, as its condition flips", lambda a, b, condition, **_: condition)  # a branch on the data

    @staticmethod
    def forward(ctx, a, b, condition=None):
        ctx.save_for_backward(condition, a.shape, b.shape)
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        condition, a_shape, b_shape = ctx.saved_tensors
        zero = np.zeros((), dtype=grad.dtype)
        return (unbroadcast(np.where(condition, grad, zero), a_shape),
                unbroadcast(np.where(condition, zero, grad), b_shape))

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        a, b = inputs
        condition = ctx.params["condition"]
        zero = _constant(grad, 0)
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast_tensor(Where.apply(grad, zero, condition=condition), a.shape) if need_a else None,
                unbroadcast_tensor(Where.apply(zero, grad, condition=condition), b.shape) if need_b else None)


class Log1p(Function):
    """y = ln(1 + x), accurate for small x;   dy/dx = 1 / (1 + x)   (-inf at x = -1, nan below)."""

    kink = Kink("log1p at x = -1 (edge of its domain)", lambda x, **_: side(x, -1))

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return grad / (x + 1)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return grad / (inputs[0] + 1)


class Expm1(Function):
    """y = e^x - 1, accurate for small x;   dy/dx = e^x = y + 1."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            y = np.expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (y + 1)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return grad * (output + 1)


class Sin(Function):
    """y = sin x;   dy/dx = cos x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):  # sin(inf) is nan, as in torch
            return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(invalid="ignore"):
            return grad * np.cos(x)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return grad * Cos.apply(inputs[0])


class Cos(Function):
    """y = cos x;   dy/dx = -sin x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):  # cos(inf) is nan, as in torch
            return np.cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(invalid="ignore"):
            return grad * -np.sin(x)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return grad * -Sin.apply(inputs[0])


class Sign(Function):
    """y = -1, 0 or +1 as x < 0, x = 0, x > 0 (and 0 for NaN, as torch);   dy/dx = 0 everywhere.

    A step: flat on both sides, a jump at 0, where PyTorch's gradient is 0 too.
    """

    kink = Kink("sign at x = 0 (a jump)", lambda x, **_: side(x, 0))

    @staticmethod
    def forward(ctx, x):
        y = (x > 0).astype(x.dtype)  # np.sign(NaN) would be NaN
        y -= x < 0
        return y

    @staticmethod
    def backward(ctx, grad):
        return np.zeros_like(grad)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return _constant(grad, np.zeros(grad.shape))  # torch's zeros_like(grad): a constant, outside the graph
