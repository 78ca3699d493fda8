"""Activation functions: relu, sigmoid, tanh, leaky_relu, softplus, gelu.

relu, sigmoid and tanh's backward uses the forward's *output*, which is all their derivative
needs; leaky_relu, softplus and gelu's derivatives need the input, so they keep that.

Each op's `backward_with_graph` (create_graph=True) is its backward written with Tensor ops,
so that it can be differentiated again. Two ops at the end of the file exist for that: Slope
(relu and leaky_relu's gradient, whose second derivative is 0, as torch's) and NormalCDF
(the Phi in gelu's gradient).
"""
import math

import numpy as np

from minigrad.autograd import Function, Kink, side
from minigrad.ops.elementwise import Where


class ReLU(Function):
    """y = max(x, 0);   dy/dx = 1 where x > 0, else 0 (0 at x = 0, as in PyTorch).

    NaN is no exception: relu(NaN) = NaN and the gradient passes there, as in PyTorch,
    which blocks the gradient where y <= 0 (false for NaN) rather than letting it through
    where y > 0 (also false for NaN). Two differences from PyTorch remain, because selecting
    with np.where instead of multiplying by a mask is ~18x slower on a 256 x 512 array of
    mixed signs: relu(-0.0) is +0.0 (torch: -0.0), and a NaN or inf gradient arriving where
    y = 0 gives NaN (NaN * 0; torch: 0).
    """

    kink = Kink("relu at x = 0", lambda x, **_: side(x, 0))

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, np.zeros((), dtype=x.dtype))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * ~(y <= 0)  # 1 where y > 0 and where y is NaN

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        x = inputs[0].data
        return Slope.apply(grad, inputs[0], slope=(~(x <= 0)).astype(x.dtype))  # the mask of backward


class Sigmoid(Function):
    """s = 1 / (1 + e^-x);   ds/dx = s (1 - s).

    The formula as written is safe in floating point: for x < -709 (float64) e^-x
    overflows to inf and s = 1 / inf = 0, the right limit, and there is no cancellation
    anywhere. It is also how PyTorch computes it, so the two agree to the last bit more
    often than any rearrangement would.
    """

    @staticmethod
    def forward(ctx, x):
        s = np.negative(x, out=np.empty_like(x))  # out=: an array even when x is 0-d
        with np.errstate(over="ignore"):
            np.exp(s, out=s)
        s += 1
        np.reciprocal(s, out=s)
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        return grad * (1 - s) * s

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return grad * (1 - output) * output


class Tanh(Function):
    """t = tanh(x);   dt/dx = 1 - t^2."""

    @staticmethod
    def forward(ctx, x):
        t = np.tanh(x)
        ctx.save_for_backward(t)
        return t

    @staticmethod
    def backward(ctx, grad):
        (t,) = ctx.saved_tensors
        return grad * (1 - t * t)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return grad * (1 - output * output)


class LeakyReLU(Function):
    """y = x where x > 0, else negative_slope * x;   dy/dx = 1 where x > 0, else negative_slope.

    At x = 0 the gradient is negative_slope, as in PyTorch 2.13 (its backward tests x > 0).
    At a NaN the value is NaN and the gradient is negative_slope * upstream (NaN > 0 is false).
    """

    kink = Kink("leaky_relu at x = 0", lambda x, **_: side(x, 0))

    @staticmethod
    def forward(ctx, x, negative_slope=0.01):
        positive = x > 0
        ctx.save_for_backward(positive)
        return np.where(positive, x, x * x.dtype.type(negative_slope))

    @staticmethod
    def backward(ctx, grad):
        (positive,) = ctx.saved_tensors
        return np.where(positive, grad, grad * grad.dtype.type(ctx.params.get("negative_slope", 0.01)))

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        x = inputs[0].data
        slope = np.where(x > 0, x.dtype.type(1), x.dtype.type(ctx.params.get("negative_slope", 0.01)))
        return Slope.apply(grad, inputs[0], slope=slope)


class Softplus(Function):
    """y = log(1 + exp(beta x)) / beta, a smooth relu;   dy/dx = sigmoid(beta x).

    Where beta x > threshold, y = x and dy/dx = 1 (PyTorch's switch to the linear branch: there
    log(1 + exp(beta x)) / beta and x differ by about exp(-threshold) / beta, below float32's
    resolution for the default threshold 20). That switch is a tiny jump in value, so the
    function is not differentiable at beta x = threshold: there minigrad, like PyTorch, takes
    the smooth branch (the test is beta x > threshold).
    """

    kink = Kink("softplus at beta x = threshold", lambda x, beta=1.0, threshold=20.0, **_: side(x * beta, threshold))

    @staticmethod
    def forward(ctx, x, beta=1.0, threshold=20.0):
        bx = x * x.dtype.type(beta)
        linear = bx > threshold
        with np.errstate(over="ignore"):  # exp overflows only where the linear branch is taken (or threshold is huge)
            z = np.exp(bx)
        ctx.save_for_backward(linear, z)
        return np.where(linear, x, np.log1p(z) / x.dtype.type(beta))

    @staticmethod
    def backward(ctx, grad):
        linear, z = ctx.saved_tensors
        with np.errstate(invalid="ignore"):  # inf / inf where the linear branch is taken anyway
            return np.where(linear, grad, grad * z / (z + 1))  # sigmoid(beta x) = z / (z + 1), as torch writes it

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        # sigmoid(beta x) as an op (its derivative is known); on the linear branch the
        # gradient is grad itself, so the second derivative there is 0.
        (x,) = inputs
        beta, threshold = ctx.params.get("beta", 1.0), ctx.params.get("threshold", 20.0)
        linear = x.data * x.data.dtype.type(beta) > threshold
        return Where.apply(grad, grad * Sigmoid.apply(x * beta), condition=linear)


_erf = np.frompyfunc(math.erf, 1, 1)  # numpy has no erf; Python's (libm's) is exact to double rounding


class GELU(Function):
    """The Gaussian error linear unit, y = x Phi(x), Phi the standard normal CDF.

    approximate='none':  Phi(x) = (1 + erf(x / sqrt 2)) / 2;
                         dy/dx = Phi(x) + x phi(x),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi).
    approximate='tanh':  y = x (1 + tanh(u)) / 2,  u = sqrt(2 / pi) (x + 0.044715 x^3);
                         dy/dx = (1 + tanh(u)) / 2 + x / 2 (1 - tanh(u)^2) sqrt(2 / pi) (1 + 3 * 0.044715 x^2).

    erf is evaluated element by element in float64 by Python's math.erf (numpy has none, and
    minigrad depends on numpy only): exact, but ~25x slower than np.exp (~0.1 us per element);
    the float32 result is rounded from it. One difference from torch 2.13: gelu(+inf) in float32
    is inf here, NaN in torch (its vectorised float32 erf); float64 agrees (inf).
    """

    @staticmethod
    def forward(ctx, x, approximate="none"):
        with np.errstate(over="ignore", invalid="ignore"):  # at +-inf: inf or nan, as torch's, without numpy's warning
            if approximate == "tanh":
                k = x.dtype.type(math.sqrt(2 / math.pi))
                t = np.tanh(k * (x + x.dtype.type(0.044715) * (x * x * x)))
                ctx.save_for_backward(x, t)
                return x * x.dtype.type(0.5) * (1 + t)
            cdf = _normal_cdf(x)
            ctx.save_for_backward(x, cdf)
            return x * cdf

    @staticmethod
    def backward(ctx, grad):
        x, saved = ctx.saved_tensors
        f = x.dtype.type
        with np.errstate(over="ignore", invalid="ignore"):
            if ctx.params.get("approximate", "none") == "tanh":
                t = saved
                du_dx = f(math.sqrt(2 / math.pi)) * (1 + f(3 * 0.044715) * x * x)
                return grad * (f(0.5) * (1 + t) + f(0.5) * x * (1 - t * t) * du_dx)
            pdf = f(1 / math.sqrt(2 * math.pi)) * np.exp(f(-0.5) * x * x)
            return grad * (saved + x * pdf)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        (x,) = inputs
        if ctx.params.get("approximate", "none") == "tanh":
            k = math.sqrt(2 / math.pi)
            t = Tanh.apply(k * (x + 0.044715 * (x * x * x)))
            du_dx = k * (1 + (3 * 0.044715) * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du_dx)
        return grad * (NormalCDF.apply(x) + x * _normal_pdf(x))


# ---- ops that gradients are made of (create_graph=True) -------------------------------------

class Slope(Function):
    """z = grad * slope: the gradient of a piecewise-linear op (relu, leaky_relu) as an op of
    its own, as torch's threshold_backward and leaky_relu_backward are.

    `slope` is the op's derivative at each element of its input x, fixed by the piece x is on
    (0 or 1 for relu). dz/dgrad = slope;  dz/dx = 0: the slope is constant on each piece (and
    at the kink it is torch's subgradient), so relu's second derivative is 0, as torch's.
    x is an input only so that z stays in x's graph, as torch's does: differentiating z again
    with respect to x gives zeros rather than "x was not used".
    """

    @staticmethod
    def forward(ctx, grad, x, slope=None):
        return grad * slope

    @staticmethod
    def backward(ctx, grad):
        need_grad, need_x = ctx.needs_input_grad
        return (grad * ctx.params["slope"] if need_grad else None,
                np.zeros_like(grad) if need_x else None)

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        need_grad, need_x = ctx.needs_input_grad
        return (Slope.apply(grad, inputs[1], slope=ctx.params["slope"]) if need_grad else None,
                grad._wrap(np.zeros(grad.shape, dtype=grad.data.dtype)) if need_x else None)  # torch's zeros_like


def _normal_cdf(x):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, in float64 by math.erf (see GELU), rounded to x's dtype."""
    erf = np.asarray(_erf(x.astype(np.float64) * math.sqrt(0.5)), dtype=np.float64)  # object array -> float64
    return (0.5 * (1.0 + erf)).astype(x.dtype)


class NormalCDF(Function):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, the standard normal CDF;   dPhi/dx = phi(x) = exp(-x^2 / 2) / sqrt(2 pi).

    The Phi of gelu's gradient, Phi(x) + x phi(x), as an op whose derivative is known, so that
    gelu can be differentiated twice (and more).
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _normal_cdf(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        f = x.dtype.type
        with np.errstate(over="ignore", invalid="ignore"):
            return grad * (f(1 / math.sqrt(2 * math.pi)) * np.exp(f(-0.5) * x * x))

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        return grad * _normal_pdf(inputs[0])


def _normal_pdf(x):
    """phi(x) = exp(-x^2 / 2) / sqrt(2 pi) of a Tensor, with Tensor ops (recorded)."""
    return (-0.5 * x * x).exp() * (1 / math.sqrt(2 * math.pi))
