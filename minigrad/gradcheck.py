"""gradcheck: compare backward() with central finite differences, in float64; gradgradcheck:
the same for second derivatives (the gradient with create_graph=True, differentiated again).

For every input element x_j the numeric derivative of each output element y_i is

    dy_i/dx_j ~ (y_i(x + eps e_j) - y_i(x - eps e_j)) / (2 eps)

with an error of order eps^2 (`numeric_jacobian`, the one finite-difference routine:
`minigrad check` uses it too); the analytic one comes from one backward() per output
element (a row of the Jacobian at a time). They must agree to
|analytic - numeric| <= atol + rtol * |numeric| everywhere, as in
torch.autograd.gradcheck. Inputs are copied to float64 first: in float32 the rounding
error of the difference quotient (~1e-7 / eps) would swamp the comparison.

Kinks. The difference quotient assumes the function is smooth between x - eps and
x + eps. Within eps of a kink (relu at 0, a tie in max, hinge at the margin, ...) it
averages the two sides, while backward() returns the one subgradient minigrad chose
(docs/kinks.md), so a correct op could "fail". gradcheck therefore records, at x + eps
and at x - eps, which side of its kink every op in the graph was on (each op declares its
kink as a class attribute, `kink = Kink(where, sides)`: see minigrad.autograd.Kink). Where
the two differ, the quotient straddles a kink: that input element is not compared, and
gradcheck says so with a KinkWarning listing the elements (kinks="skip", the default),
or raises (kinks="raise"), or compares it anyway (kinks="check").
"""
import functools
import inspect
import warnings
from dataclasses import dataclass

import numpy as np

from minigrad.autograd import enable_grad, _grad_of, no_grad, toposort
from minigrad.tensor import Tensor


class GradcheckError(AssertionError):
    """backward() and the finite differences disagree."""


@dataclass(frozen=True)
class SkippedElement:
    """One input element gradcheck did not compare, and the kinks its difference quotient straddles."""
    input: int          # position in `inputs`
    element: tuple      # index into that input
    kinks: tuple        # the ops' Kink.where, e.g. ("relu at x = 0",)

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


# ---- the kinks: each op declares its own (Function.kink) -----------------------------------------
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
        kink = node._ctx.kink if node._ctx is not None else None  # a class attribute: subclasses inherit it
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


def _not_compared(skipped, inputs, checked):
    """{i: a mask over input i's flattened elements} of the elements skipped at a kink."""
    masks = {i: np.zeros(inputs[i].data.size, dtype=bool) for i in checked}
    for s in skipped:
        masks[s.input][np.ravel_multi_index(s.element, inputs[s.input].shape)] = True
    return masks


def _worst_outside(analytic, numeric, atol, rtol, skip_columns):
    """(row, column) of the Jacobian entry furthest outside |analytic - numeric| <= atol +
    rtol |numeric| (NaN counts as outside), or None when every compared entry is inside."""
    with np.errstate(invalid="ignore"):
        error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    error = np.where(np.isnan(error), np.inf, error)
    error[:, skip_columns] = -np.inf
    if error.size and error.max() > 0:
        return np.unravel_index(np.argmax(error), error.shape)
    return None


# ---- the finite differences ----------------------------------------------------------------------
def _float64_copies(inputs):
    """The inputs as a tuple, each floating Tensor copied to a float64 leaf; other arguments as they are."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    return tuple(Tensor(x.data.astype(np.float64), requires_grad=x.requires_grad)
                 if isinstance(x, Tensor) and x.dtype.kind == "f" else x for x in inputs)


def _differentiable(inputs, who):
    """The positions of the inputs that require grad (there must be one)."""
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError(f"{who}: no input has requires_grad=True, so there is nothing to check")
    return checked


def _evaluate(fn, inputs, who):
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"{who}: fn must return a Tensor, got {type(out).__name__}")
    return out


def _moved(inputs, i, j, step):
    """`inputs` with element j of input i (flattened) moved by `step`, in a copy of that input."""
    data = inputs[i].data.copy()
    data.reshape(-1)[j] += step
    return inputs[:i] + (Tensor(data, requires_grad=inputs[i].requires_grad),) + inputs[i + 1:]


def numeric_jacobian(fn, inputs, eps=1e-6, watch=None):
    """The Jacobian of `fn(*inputs)` by central differences, in float64: {i: J} for every
    input i that requires grad, with output and input flattened and

        J[k, j] = d out_k / d x_j ~ (out_k(x + eps e_j) - out_k(x - eps e_j)) / (2 eps).

    An output element that does not move has derivative 0, even where it is inf (log 0),
    where inf - inf would give nan. Floating inputs are copied to float64 first (see
    gradcheck for why); the caller's tensors are left alone.

    watch(i, j, plus, minus), if given, is called with fn's outputs at x + eps and x - eps
    for element j of input i, their graphs recorded (gradcheck looks at the kinks in them).
    """
    inputs = _float64_copies(inputs)
    checked = _differentiable(inputs, "numeric_jacobian")

    def evaluate(args):
        with enable_grad() if watch is not None else no_grad():
            return _evaluate(fn, args, "numeric_jacobian")

    n_out = evaluate(inputs).data.size
    jacobians = {}
    for i in checked:
        jacobian = jacobians[i] = np.zeros((n_out, inputs[i].data.size))
        for j in range(inputs[i].data.size):
            plus, minus = evaluate(_moved(inputs, i, j, eps)), evaluate(_moved(inputs, i, j, -eps))
            up, down = (y.data.astype(np.float64).reshape(-1) for y in (plus, minus))
            with np.errstate(invalid="ignore", over="ignore"):
                jacobian[:, j] = np.where(up == down, 0.0, (up - down) / (2 * eps))
            if watch is not None:
                watch(i, j, plus, minus)
    return jacobians


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
    inputs = _float64_copies(inputs)
    checked = _differentiable(inputs, "gradcheck")

    def evaluate():
        return _evaluate(fn, inputs, "gradcheck")

    with enable_grad():
        out = evaluate()
    n_out = out.data.size
    skipped = []

    def note_kinks(i, j, plus, minus):
        crossed = _crossed(*(_sides_of_graph(y) if y.requires_grad else [] for y in (plus, minus)))
        if crossed:
            index = tuple(int(k) for k in np.unravel_index(j, inputs[i].shape))
            skipped.append(SkippedElement(i, index, crossed))

    # Recording the graph at every perturbation costs time: only do it when there is a kink to watch.
    watch = kinks != "check" and out.requires_grad and bool(_sides_of_graph(out))
    numeric = numeric_jacobian(fn, inputs, eps, watch=note_kinks if watch else None)
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

    not_compared = _not_compared(skipped, inputs, checked)
    for i in checked:
        worst = _worst_outside(analytic[i], numeric[i], atol, rtol, not_compared[i])
        if worst is not None:
            out_index, in_index = worst
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


# ---- gradgradcheck: second derivatives ----------------------------------------------------------
def _grad_output_tensor(grad_outputs, out, seed):
    """The vector v that fn's output is weighted with: torch's draw, uniform in [-1, 1) and
    requiring grad, when not given; else the caller's, as a float64 copy that requires grad
    where the caller's does (a sequence of one tensor is accepted, as torch's tuple)."""
    if grad_outputs is None:
        draw = np.random.default_rng(seed).uniform(-1.0, 1.0, out.shape)
        return Tensor(draw, requires_grad=True)
    if isinstance(grad_outputs, (list, tuple)):
        if len(grad_outputs) != 1:
            raise ValueError(f"gradgradcheck: fn returns one Tensor, so grad_outputs must be one tensor, got "
                             f"{len(grad_outputs)}")
        grad_outputs = grad_outputs[0]
    wants_grad = isinstance(grad_outputs, Tensor) and grad_outputs.requires_grad
    data = np.asarray(grad_outputs.data if isinstance(grad_outputs, Tensor) else grad_outputs, dtype=np.float64)
    if data.shape != out.shape:
        raise ValueError(f"gradgradcheck: grad_outputs must have fn's output shape {out.shape}, got {data.shape}")
    return Tensor(data.copy(), requires_grad=wants_grad)


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, kinks="skip", seed=0):
    """True if fn's second derivatives (backward with create_graph=True, differentiated again)
    match finite differences of its gradient; raises GradcheckError otherwise.

    As torch.autograd.gradgradcheck: with v = grad_outputs (random in [-1, 1) when None),

        G(x, v) = d <v, fn(x)> / dx = J(x)^T v            (one gradient per checked input)

    is computed with create_graph=True, and gradcheck's test is applied to G: its derivatives

        d G / dx = sum_k v_k d^2 fn_k / dx dx             (a Hessian, weighted by v)
        d G / dv = J^T                                    (the backward is linear in v)

    from one backward pass through G's recorded graph per element of G, against central
    differences of G (computed by plain backward(), so the two backward passes are held to
    each other too). v is differentiated when it requires grad (always, when drawn here).
    First, G itself must equal backward()'s gradient.

    Kinks as in gradcheck (kinks="skip" | "raise" | "check"): an element whose difference
    quotient straddles a kink of an op in fn's graph is not compared. That covers the jumps
    of the first derivative (relu at 0, where the second is 0 on both sides) and the jumps
    of the second (huber at |x - y| = delta). The errors name the element of the gradient,
    the input element it is differentiated by, and both values.
    """
    if kinks not in ("skip", "raise", "check"):
        raise ValueError(f"gradgradcheck: kinks must be 'skip', 'raise' or 'check', got {kinks!r}")
    inputs = _float64_copies(inputs)
    checked = _differentiable(inputs, "gradgradcheck")
    with enable_grad():
        out = _evaluate(fn, inputs, "gradgradcheck")
    v = _grad_output_tensor(grad_outputs, out, seed)
    n = len(inputs)
    arguments = inputs + (v,)
    names = {**{i: f"input {i}" for i in range(n)}, n: "grad_outputs"}

    def gradients(args, create_graph):
        """fn's output at args[:n], and G: d <v, fn> / dx for every checked input (zeros where
        the output does not depend on it)."""
        xs, weights = args[:n], args[n]
        with enable_grad():
            y = _evaluate(fn, xs, "gradgradcheck")
            found = (_grad_of(y, [xs[i] for i in checked], grad_outputs=weights, create_graph=create_graph,
                             allow_unused=True) if y.requires_grad else [None] * len(checked))
        return y, [Tensor(np.zeros(xs[i].shape)) if g is None else g for i, g in zip(checked, found)]

    # G with a graph, and the same by plain backward(): they must agree before anything else.
    _, first = gradients(arguments, create_graph=True)
    _, plain = gradients(arguments, create_graph=False)
    for i, g, h in zip(checked, first, plain):
        worst = _worst_outside(g.data.reshape(1, -1), h.data.reshape(1, -1), atol, rtol, [])
        if worst is not None:
            k = np.unravel_index(worst[1], g.shape)
            raise GradcheckError(
                f"gradgradcheck: the gradient of input {i} computed with create_graph=True differs from backward()'s "
                f"at element {tuple(int(e) for e in k)}: {float(g.data[k])!r} vs {float(h.data[k])!r}")

    # Numeric: central differences of G (computed without a graph), with the kinks of fn's
    # forward graph noted at x + eps and x - eps (G's own values carry no graph to look at).
    watching = kinks != "check" and out.requires_grad and bool(_sides_of_graph(out))
    sides_of = {}  # id(a value of G) -> the sides of fn's kinks where it was computed

    def joined_gradient(*args):
        y, found = gradients(args, create_graph=False)
        result = Tensor(np.concatenate([g.data.reshape(-1) for g in found]))
        if watching:
            sides_of[id(result)] = _sides_of_graph(y) if y.requires_grad else []
        return result

    skipped = []

    def note_kinks(i, j, plus, minus):
        crossed = _crossed(sides_of.pop(id(plus)), sides_of.pop(id(minus)))
        if crossed:
            index = tuple(int(k) for k in np.unravel_index(j, arguments[i].shape))
            skipped.append(SkippedElement(i, index, crossed))

    numeric = numeric_jacobian(joined_gradient, arguments, eps, watch=note_kinks if watching else None)
    if skipped and kinks == "raise":
        raise GradcheckError(f"gradgradcheck: {len(skipped)} element(s) within eps = {eps} of a kink, where finite "
                             f"differences of the gradient are not a second derivative: {_summary(skipped)}")

    # Analytic: one backward pass through G's graph per element of G.
    targets = list(numeric)                     # the arguments that require grad (inputs, and v if it does)
    analytic = {i: np.zeros_like(numeric[i]) for i in targets}
    rows = [(i, g, k) for i, g in zip(checked, first) for k in range(g.data.size)]   # (input, its G, element)
    for row, (i, g, k) in enumerate(rows):
        if not g.requires_grad:
            continue  # a gradient that does not depend on anything: its derivatives are 0
        seed_row = np.zeros(g.data.size)
        seed_row[k] = 1.0
        found = _grad_of(g, [arguments[t] for t in targets], grad_outputs=Tensor(seed_row.reshape(g.shape)),
                        retain_graph=True, allow_unused=True)
        for t, d in zip(targets, found):
            if d is not None:
                analytic[t][row] = d.data.reshape(-1)

    not_compared = _not_compared(skipped, arguments, targets)
    for t in targets:
        worst = _worst_outside(analytic[t], numeric[t], atol, rtol, not_compared[t])
        if worst is not None:
            row, column = worst
            i, g, k = rows[row]
            of = tuple(int(e) for e in np.unravel_index(k, g.shape))
            by = tuple(int(e) for e in np.unravel_index(column, arguments[t].shape))
            raise GradcheckError(
                f"gradgradcheck: d(gradient of input {i}, element {of}) / d({names[t]}, element {by}): "
                f"analytic {float(analytic[t][row, column])!r} vs numeric {float(numeric[t][row, column])!r} "
                f"(allowed |difference| <= {atol} + {rtol} * |numeric|)"
                + (f". Not compared, within eps of a kink: {_summary(skipped)}" if skipped else ""))
    if skipped:
        total = sum(arguments[t].data.size for t in targets)
        warnings.warn(KinkWarning(
            f"gradgradcheck: {len(skipped)} of {total} input elements not compared: their finite difference of "
            f"the gradient straddles a kink, where the second derivative is not defined: {_summary(skipped)}. "
            f"Move the inputs away from the kink to check them (kinks='check' compares them anyway).", skipped),
            stacklevel=2)
    return True
