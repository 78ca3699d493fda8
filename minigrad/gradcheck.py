"""gradcheck: compare backward() with central finite differences, in float64.

For every input element x_j the numeric derivative of each output element y_i is

    dy_i/dx_j ~ (y_i(x + eps e_j) - y_i(x - eps e_j)) / (2 eps)

with an error of order eps^2; the analytic one comes from one backward() per output
element (a row of the Jacobian at a time). They must agree to
|analytic - numeric| <= atol + rtol * |numeric| everywhere, as in
torch.autograd.gradcheck. Inputs are copied to float64 first: in float32 the rounding
error of the difference quotient (~1e-7 / eps) would swamp the comparison.

Kinks. The difference quotient assumes the function is smooth between x - eps and
x + eps. Within eps of a kink (relu at 0, a tie in max, hinge at the margin, ...) it
averages the two sides, while backward() returns the one subgradient minigrad chose
(docs/kinks.md), so a correct op could "fail". gradcheck therefore records, at x + eps
and at x - eps, which side of its kink every op in the graph was on (KINKS below). Where
the two differ, the quotient straddles a kink: that input element is not compared, and
gradcheck says so with a KinkWarning listing the elements (kinks="skip", the default),
or raises (kinks="raise"), or compares it anyway (kinks="check").
"""
import functools
import inspect
import warnings
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

from minigrad.autograd import enable_grad, no_grad, toposort
from minigrad.ops import activation, elementwise, loss, reduce
from minigrad.tensor import Tensor


class GradcheckError(AssertionError):
    """backward() and the finite differences disagree."""


@dataclass(frozen=True)
class SkippedElement:
    """One input element gradcheck did not compare, and the kinks its difference quotient straddles."""
    input: int          # position in `inputs`
    element: tuple      # index into that input
    kinks: tuple        # descriptions from KINKS, e.g. ("relu at x = 0",)

    def __str__(self):
        return f"input {self.input} element {self.element} ({'; '.join(self.kinks)})"


class KinkWarning(UserWarning):
    """gradcheck skipped input elements that sit within eps of a kink; `.skipped` lists them.

    Silence it with
        from minigrad.gradcheck import KinkWarning
        warnings.filterwarnings("ignore", category=KinkWarning)
    """

    def __init__(self, message, skipped=()):
        super().__init__(message)
        self.skipped = list(skipped)


# ---- the kinks --------------------------------------------------------------------------------
class Kink(NamedTuple):
    """Where an op is not differentiable, and a function saying which side of that point
    its inputs are on. `sides` takes the op's forward arguments by name (the input arrays,
    then the keyword parameters with their defaults filled in) and returns an array, or a
    tuple of arrays, that changes value exactly when an input crosses the kink."""
    where: str
    sides: Callable


def _side(x, at):
    """-1, 0 or +1 per element: below, on or above the point `at`."""
    return np.sign(x - at)


def _clamp_sides(x, min, max, **_):
    return tuple(_side(x, bound) for bound in (min, max) if bound is not None)


def _whole(b):
    """b is a whole number >= 0, so that a ** b is smooth in a everywhere (a polynomial)."""
    return (b >= 0) & (b == np.floor(b))


def _pow_sides(a, b, **_):
    # In a, a^b is smooth unless b is not a whole number >= 0: then a = 0 is a pole
    # (b < 0) or the edge of the domain (a^0.5 of a negative number is nan).
    # In b, 0^b jumps at b = 0 (inf, 1, 0), so a = 0 and b = 0 together is a kink in b.
    return np.where(_whole(b), 0.0, np.sign(a)), np.where(a == 0, np.sign(b), 0.0)


def _smooth_l1_sides(x, y, beta, **_):
    z = x - y
    return _side(np.abs(z), beta), (np.sign(z) if beta == 0 else 0.0)  # beta = 0 is L1: kink at z = 0


def _multi_margin_sides(x, target, margin, **_):
    # the sign of every hinge h_j = margin - x[t] + x[j]; the class axis is 1 (0 for one sample)
    axis = 0 if x.ndim == 1 else 1
    x_t = np.take_along_axis(x, np.expand_dims(target, axis).astype(np.intp), axis=axis)
    return np.sign(margin - x_t + x)


# Function class -> its kink. A subclass (say, a test's deliberately wrong op) inherits its
# parent's entry. The sides functions name the arguments as each op's forward does.
KINKS = {
    # docs/kinks.md, the ops
    elementwise.Abs: Kink("abs at x = 0", lambda x, **_: np.sign(x)),
    activation.ReLU: Kink("relu at x = 0", lambda x, **_: np.sign(x)),
    elementwise.Clamp: Kink("clamp at min or max", _clamp_sides),
    elementwise.Maximum: Kink("maximum at a tie a = b", lambda a, b, **_: np.sign(a - b)),
    elementwise.Minimum: Kink("minimum at a tie a = b", lambda a, b, **_: np.sign(a - b)),
    reduce.Max: Kink("max() at a tie for the maximum", lambda x, **_: x == np.max(x)),
    reduce.MaxDim: Kink("max(dim) at a tie for the maximum", lambda x, dim, **_: np.argmax(x, axis=dim)),
    elementwise.Pow: Kink("a ** b at a = 0 (b not a whole number >= 0), or at a = 0, b = 0", _pow_sides),
    elementwise.PowScalar: Kink("x ** c at x = 0 (c not a whole number >= 0)",
                                lambda a, exponent, **_: 0.0 if _whole(exponent) else np.sign(a)),
    elementwise.Sqrt: Kink("sqrt at x = 0 (edge of its domain)", lambda x, **_: np.sign(x)),
    # edges of a domain and poles: the quotient is nan or huge there, the derivative inf
    elementwise.Log: Kink("log at x = 0 (edge of its domain)", lambda x, **_: np.sign(x)),
    elementwise.Div: Kink("a / b at b = 0 (a pole)", lambda a, b, **_: np.sign(b)),
    # a branch on the data: where(x > 0, ...) switches as x crosses 0
    elementwise.Where: Kink("where, as its condition flips", lambda a, b, condition, **_: condition),
    # docs/kinks.md, the losses
    loss.L1Loss: Kink("l1_loss at x = y", lambda x, y, **_: np.sign(x - y)),
    loss.HuberLoss: Kink("huber_loss at |x - y| = delta", lambda x, y, delta, **_: _side(np.abs(x - y), delta)),
    loss.SmoothL1Loss: Kink("smooth_l1_loss at |x - y| = beta", _smooth_l1_sides),
    loss.HingeLoss: Kink("hinge_loss at y s = margin", lambda s, y, margin, **_: _side(y * s, margin)),
    loss.MultiMarginLoss: Kink("multi_margin_loss at margin - x[t] + x[j] = 0", _multi_margin_sides),
    loss.BinaryCrossEntropy: Kink("binary_cross_entropy at p = 0 or p = 1",
                                  lambda p, y, **_: (np.sign(p), _side(p, 1.0))),
    loss.KLDiv: Kink("kl_div at t = 0 (edge of t log t's domain)",
                     lambda x, t, log_target, **_: 0.0 if log_target else np.sign(t)),
}


def _kink_of(ctx):
    for cls in type(ctx).__mro__:
        if cls in KINKS:
            return KINKS[cls]
    return None


@functools.cache
def _forward_signature(cls):
    return inspect.signature(cls.forward)


def _forward_arguments(ctx):
    """The op's forward arguments by name: input arrays, then every keyword parameter
    (ctx.params, with forward's defaults for the ones not passed)."""
    bound = _forward_signature(type(ctx)).bind(ctx, *[p.data for p in ctx.parents], **ctx.params)
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    del arguments[next(iter(arguments))]  # ctx
    return arguments


def _sides_of_graph(out):
    """[(kink description, which side of it every element is on)] for each kinked op in
    out's graph, in graph order. Copies, so later perturbations of the inputs leave it alone."""
    sides = []
    for node in toposort(out):
        kink = _kink_of(node._ctx) if node._ctx is not None else None
        if kink is not None:
            s = kink.sides(**_forward_arguments(node._ctx))
            s = s if isinstance(s, tuple) else (s,)
            sides.append((kink.where, tuple(np.array(a, dtype=np.float64) for a in s)))
    return sides


def _crossed(plus, minus):
    """The kinks whose side differs between the x + eps and x - eps evaluations."""
    if [where for where, _ in plus] != [where for where, _ in minus]:
        return ("a branch in fn itself (the graph differs at x + eps and x - eps)",)
    crossed = []
    for (where, a), (_, b) in zip(plus, minus):
        if where not in crossed and not all(np.array_equal(u, v, equal_nan=True) for u, v in zip(a, b)):
            crossed.append(where)
    return tuple(crossed)


def _summary(skipped, limit=8):
    shown = "; ".join(str(s) for s in skipped[:limit])
    return shown + (f"; and {len(skipped) - limit} more" if len(skipped) > limit else "")


# ---- gradcheck ----------------------------------------------------------------------------------
def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, kinks="skip"):
    """True if `fn`'s gradients match finite differences; raises GradcheckError otherwise.

    `fn(*inputs)` must return a Tensor. `inputs` is a Tensor or a sequence of them (and
    other arguments, passed through); only floating-point tensors with requires_grad
    are checked. The error names the input, the element, and both values.

    kinks: what to do with an input element whose difference quotient straddles a known
    kink of an op in fn's graph (see the module docstring):
      "skip"  (default) do not compare it, and list it in a KinkWarning (its `.skipped`);
      "raise" raise GradcheckError naming the element and the kink;
      "check" compare it like any other element (and probably fail).
    """
    if kinks not in ("skip", "raise", "check"):
        raise ValueError(f"gradcheck: kinks must be 'skip', 'raise' or 'check', got {kinks!r}")
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    inputs = tuple(Tensor(x.data.astype(np.float64), requires_grad=x.requires_grad)
                   if isinstance(x, Tensor) and x.dtype.kind == "f" else x for x in inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")

    def evaluate():
        out = fn(*inputs)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
        return out

    with enable_grad():
        out = evaluate()
    n_out = out.data.size
    # Recording the graph at every perturbation costs time: only do it when there is a kink to watch.
    watch = kinks != "check" and out.requires_grad and bool(_sides_of_graph(out))

    def evaluate_perturbed():
        """fn's output as float64, flat; and which side of each kink its ops were on."""
        if watch:
            with enable_grad():
                y = evaluate()
            return y.data.astype(np.float64).reshape(-1), _sides_of_graph(y) if y.requires_grad else []
        with no_grad():
            return evaluate().data.astype(np.float64).reshape(-1), None

    numeric = {i: np.zeros((n_out, inputs[i].data.size)) for i in checked}
    skipped = []
    for i in checked:
        flat = inputs[i].data.reshape(-1)  # a view: perturbing it perturbs the input
        for j in range(flat.size):
            original = flat[j]
            flat[j] = original + eps
            plus, sides_plus = evaluate_perturbed()
            flat[j] = original - eps
            minus, sides_minus = evaluate_perturbed()
            flat[j] = original
            with np.errstate(invalid="ignore", over="ignore"):
                # an output that did not move has derivative 0, even where it is inf (log 0) and inf - inf is nan
                numeric[i][:, j] = np.where(plus == minus, 0.0, (plus - minus) / (2 * eps))
            crossed = _crossed(sides_plus, sides_minus) if watch else ()
            if crossed:
                index = tuple(int(k) for k in np.unravel_index(j, inputs[i].shape))
                skipped.append(SkippedElement(i, index, crossed))
    if skipped and kinks == "raise":
        raise GradcheckError(f"gradcheck: {len(skipped)} input element(s) within eps = {eps} of a kink, "
                             f"where finite differences are not a derivative: {_summary(skipped)}")

    analytic = {i: np.zeros_like(numeric[i]) for i in checked}
    for row in range(n_out):  # one backward per output element: row `row` of each Jacobian
        for i in checked:
            inputs[i].grad = None
        with enable_grad():
            out = evaluate()
        if not out.requires_grad:
            continue  # the output does not depend on any checked input: analytic rows stay 0
        seed = np.zeros(out.data.size)
        seed[row] = 1.0
        out.backward(seed.reshape(out.shape))
        for i in checked:
            if inputs[i].grad is not None:
                analytic[i][row] = inputs[i].grad.data.reshape(-1)

    not_compared = {i: np.zeros(inputs[i].data.size, dtype=bool) for i in checked}
    for s in skipped:
        not_compared[s.input][np.ravel_multi_index(s.element, inputs[s.input].shape)] = True
    for i in checked:
        with np.errstate(invalid="ignore"):
            error = np.abs(analytic[i] - numeric[i]) - (atol + rtol * np.abs(numeric[i]))
        error = np.where(np.isnan(error), np.inf, error)
        error[:, not_compared[i]] = -np.inf
        if error.size and error.max() > 0:
            out_index, in_index = np.unravel_index(np.argmax(error), error.shape)
            element = tuple(int(k) for k in np.unravel_index(in_index, inputs[i].shape))
            raise GradcheckError(
                f"gradcheck: input {i} (shape {inputs[i].shape}), element {element}, output element {int(out_index)}: "
                f"analytic {float(analytic[i][out_index, in_index])!r} vs numeric "
                f"{float(numeric[i][out_index, in_index])!r} "
                f"(allowed |difference| <= {atol} + {rtol} * |numeric|)"
                + (f". Not compared, within eps of a kink: {_summary(skipped)}" if skipped else ""))
    if skipped:
        total = sum(inputs[i].data.size for i in checked)
        warnings.warn(KinkWarning(
            f"gradcheck: {len(skipped)} of {total} input elements not compared: their finite difference "
            f"straddles a kink, where backward() gives the subgradient of docs/kinks.md instead of a "
            f"derivative: {_summary(skipped)}. Move the inputs away from the kink to check them "
            f"(kinks='check' compares them anyway).", skipped), stacklevel=2)
    return True
