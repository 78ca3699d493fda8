"""`minigrad check`: every op, activation, layer and loss, against PyTorch and against finite
differences.

Each case is a function fn(lib, *tensors), written once (see minigrad.testing), and a
recipe for its seeded random inputs. For each case the runner

1. against torch, in float64 and float32: runs fn in minigrad and in torch on the same
   inputs (minigrad.testing.compare_with_torch) and compares the value and every
   gradient, with the dtype's tolerance |minigrad - torch| <= atol + rtol * |torch|;
2. against finite differences, in float64 only: minigrad.gradcheck, the full Jacobian by
   central differences (float32's rounding would swamp a difference quotient). The row
   shows how far backward() is from the numeric derivative of sum(upstream * output),
   the same number gradcheck bounds element by element. Not for the few cases whose gradient
   is a definition rather than a derivative (`Case.derivative=False`: embedding's padding_idx
   row gets 0, scale_grad_by_freq scales a repeated row down): torch alone checks those.

The last cases (`Probe`) look inside backward instead: the gradient a hook sees and passes
on, a retained intermediate gradient, and what autograd.grad returns, against torch and
against finite differences.

With `--order 2` (`run(order=2)`) every op and loss is checked to the second derivative:
against torch, Hessian-vector products (compare_with_torch(order=2): the gradient computed
with create_graph=True and differentiated again, in both frameworks); against finite
differences, minigrad.gradgradcheck decides PASS/FAIL and the row shows how far the
Hessian-vector product is from the central difference of the gradient along v,
(g(x + eps v) - g(x - eps v)) / (2 eps). The probes look at first-order internals and are
not run at order 2.

One row per case, reference and dtype; the run fails if any row fails. Inputs stay away
from the kinks (abs at 0, a hinge at its margin, ...), where the derivative is a choice
rather than a limit: docs/kinks.md lists those choices.
"""
import json
import warnings
from dataclasses import asdict, dataclass

import numpy as np

import minigrad
from minigrad.gradcheck import GradcheckError, gradcheck, gradgradcheck, numeric_jacobian

N, C = 4, 3           # batch size and number of classes of the loss cases: small keeps gradcheck fast
INSTALL_HINT = 'PyTorch is not installed: only the finite-difference half ran. For the comparison ' \
               'with PyTorch: pip install "minigrad[torch]"'


@dataclass
class Case:
    name: str                     # the op or loss, e.g. "cross_entropy"
    options: str                  # e.g. "reduction='sum', weight"
    fn: object                    # fn(lib, *tensors) -> tensor, run on minigrad and torch
    inputs: object                # inputs(rng) -> list of float64 / int64 numpy arrays
    torch_fn: object = None       # torch's spelling, when it differs (minigrad's hinge_loss)
    grad: tuple = None            # which inputs get a gradient (default: the floating ones)
    derivative: bool = True       # False: the gradient is a chosen one, not the derivative (no finite diff)
    torch_fn2: object = None      # torch's spelling at order 2, where torch's op has no second derivative


@dataclass
class Row:
    name: str
    options: str
    dtype: str
    against: str                  # "torch" or "finite diff"
    value_abs: float
    value_rel: float
    grad_abs: float
    grad_rel: float
    status: str                   # PASS or FAIL
    detail: str = ""              # why it failed
    order: int = 1                # 2: grad_abs/grad_rel are those of the Hessian-vector products


# ---- inputs ---------------------------------------------------------------------------------
def normal(*shape):
    return lambda rng: rng.normal(size=shape)


def positive(*shape):
    return lambda rng: rng.uniform(0.5, 2.0, size=shape)


def logits_and_classes(rng):
    return [rng.normal(size=(N, C)), rng.integers(0, C, size=N)]


def logits_and_probabilities(rng):
    return [rng.normal(size=(N, C)), rng.dirichlet(np.ones(C), size=N)]


def values_and_targets(rng):
    return [rng.normal(size=(N, C)), rng.normal(size=(N, C))]


def probabilities_and_labels(rng):
    return [rng.uniform(0.05, 0.95, size=(N, C)), rng.uniform(0.0, 1.0, size=(N, C)).round()]


def logits_and_labels(rng):
    return [rng.normal(size=(N, C)), rng.uniform(0.0, 1.0, size=(N, C)).round()]


def scores_and_signs(rng):
    return [rng.normal(size=(N, C)), np.where(rng.uniform(size=(N, C)) < 0.5, -1.0, 1.0)]


def many(fn):
    """Turn a one-array input recipe into a list of one array."""
    return lambda rng: [fn(rng)]


# ---- the case table: ops --------------------------------------------------------------------------
def op_cases():
    x = many(normal(N, C))
    p = many(positive(N, C))
    two = lambda rng: [rng.normal(size=(N, C)), rng.normal(size=(N, C))]      # noqa: E731
    return [
        Case("exp", "", lambda lib, a: a.exp(), x),
        Case("log", "", lambda lib, a: a.log(), p),
        Case("sqrt", "", lambda lib, a: a.sqrt(), p),
        Case("abs", "", lambda lib, a: a.abs(), x),
        Case("relu", "", lambda lib, a: a.relu(), x),
        Case("sigmoid", "", lambda lib, a: a.sigmoid(), x),
        Case("tanh", "", lambda lib, a: a.tanh(), x),
        Case("softmax", "dim=1", lambda lib, a: a.softmax(dim=1), x),
        Case("log_softmax", "dim=0", lambda lib, a: a.log_softmax(dim=0), x),
        Case("clamp", "min=-0.5, max=0.5", lambda lib, a: a.clamp(-0.5, 0.5), x),
        Case("add", "broadcast (N, C) + (C,)", lambda lib, a, b: a + b,
             lambda rng: [rng.normal(size=(N, C)), rng.normal(size=C)]),
        Case("sub", "", lambda lib, a, b: a - b, two),
        Case("mul", "broadcast (N, 1) * (N, C)", lambda lib, a, b: a * b,
             lambda rng: [rng.normal(size=(N, 1)), rng.normal(size=(N, C))]),
        Case("div", "", lambda lib, a, b: a / b, lambda rng: [rng.normal(size=(N, C)), rng.uniform(0.5, 2, (N, C))]),
        Case("pow", "x ** 3", lambda lib, a: a ** 3, x),
        Case("pow", "a ** b", lambda lib, a, b: a ** b, lambda rng: [rng.uniform(0.5, 2, (N, C)), rng.normal(size=(N, C))]),
        Case("maximum", "", lambda lib, a, b: lib.maximum(a, b), two),
        Case("minimum", "", lambda lib, a, b: lib.minimum(a, b), two),
        Case("where", "", lambda lib, a, b: lib.where(a > 0, a, b), two),
        Case("sum", "", lambda lib, a: a.sum(), x),
        Case("sum", "dim=1, keepdim", lambda lib, a: a.sum(dim=1, keepdim=True), x),
        Case("mean", "dim=0", lambda lib, a: a.mean(dim=0), x),
        Case("max", "", lambda lib, a: a.max(), x),
        Case("max", "dim=1", lambda lib, a: a.max(dim=1)[0], x),
        Case("matmul", "(N, C) @ (C, 2)", lambda lib, a, b: a @ b,
             lambda rng: [rng.normal(size=(N, C)), rng.normal(size=(C, 2))]),
        Case("reshape", "transpose, T, index", lambda lib, a: a.reshape(C, N).transpose(0, 1).T[1:, ::2], x),
        Case("min", "", lambda lib, a: a.min(), x),
        Case("min", "dim=1", lambda lib, a: a.min(dim=1)[0], x),
        Case("var", "", lambda lib, a: a.var(), x),
        Case("var", "dim=1, correction=0", lambda lib, a: a.var(dim=1, correction=0), x),
        Case("std", "dim=0, keepdim", lambda lib, a: a.std(dim=0, keepdim=True), x),
        Case("norm", "", lambda lib, a: a.norm(), x),
        Case("norm", "p=1, dim=1", lambda lib, a: a.norm(p=1, dim=1), x),
        Case("norm", "p=3, dim=0, keepdim", lambda lib, a: a.norm(p=3, dim=0, keepdim=True), x),
        Case("norm", "p=inf, dim=1", lambda lib, a: a.norm(p=float("inf"), dim=1), x),
        Case("prod", "dim=1", lambda lib, a: a.prod(dim=1), x),
        Case("log1p", "", lambda lib, a: a.log1p(), p),
        Case("expm1", "", lambda lib, a: a.expm1(), x),
        Case("sin", "", lambda lib, a: a.sin(), x),
        Case("cos", "", lambda lib, a: a.cos(), x),
        Case("square", "", lambda lib, a: a.square(), x),
        Case("sign", "sign(a) * a", lambda lib, a: a.sign() * a, x),
        Case("cat", "dim=1", lambda lib, a, b: lib.cat([a, b], dim=1), two),
        Case("stack", "dim=-1", lambda lib, a, b: lib.stack([a, b], dim=-1), two),
        Case("split", "[1, C - 1] along dim=1", lambda lib, a: a.split([1, C - 1], dim=1)[1] * 2, x),
        Case("chunk", "2 along dim=0", lambda lib, a: a.chunk(2, dim=0)[1].exp(), x),
        Case("gather", "dim=1, repeats",
             lambda lib, a: a.gather(1, lib.tensor([[0, 2], [1, 1], [2, 0], [0, 0]])), x),
        Case("index_select", "dim=0, repeats", lambda lib, a: a.index_select(0, lib.tensor([3, 0, 3])), x),
        Case("t", "", lambda lib, a: a.t(), x),
        Case("clone", "then changed in place", lambda lib, a: a.exp().clone().mul_(a), x),
        Case("add_", "on a slice of an op's output (CopySlices)",
             lambda lib, a: _sliced_in_place(a), x),
    ]


# ---- the case table: activations and layers of nn.functional ------------------------------------
def nn_cases():
    """The activations torch has only as functions, and the layers' functional forms."""
    wide = many(lambda rng: rng.normal(scale=3.0, size=(N, C)))     # reaches softplus's linear branch
    per_channel = lambda rng: [rng.normal(size=(N, C)), rng.normal(size=C), rng.normal(size=C)]      # noqa: E731
    sequence = lambda rng: [rng.normal(size=(N, C, 2)), rng.normal(size=C), rng.normal(size=C)]      # noqa: E731
    running = lambda rng: [rng.normal(size=(N, C)), rng.normal(size=C), rng.uniform(0.5, 2.0, C),  # noqa: E731
                           rng.normal(size=C), rng.normal(size=C)]
    table_and_ids = lambda rng: [rng.normal(size=(5, C)), rng.integers(0, 5, size=(N, 2))]          # noqa: E731
    return [
        Case("leaky_relu", "", lambda lib, a: F(lib).leaky_relu(a), wide),
        Case("leaky_relu", "negative_slope=0.2", lambda lib, a: F(lib).leaky_relu(a, 0.2), wide),
        Case("softplus", "", lambda lib, a: F(lib).softplus(a), wide),
        Case("softplus", "beta=2, threshold=3", lambda lib, a: F(lib).softplus(a, beta=2.0, threshold=3.0), wide),
        Case("gelu", "approximate='none'", lambda lib, a: F(lib).gelu(a), wide),
        Case("gelu", "approximate='tanh'", lambda lib, a: F(lib).gelu(a, approximate="tanh"), wide),
        Case("batch_norm", "training, weight, bias", lambda lib, a, w, b: F(lib).batch_norm(
            a, None, None, w, b, training=True), per_channel),
        Case("batch_norm", "training, input (N, C, L)", lambda lib, a, w, b: F(lib).batch_norm(
            a, None, None, w, b, training=True, eps=0.1), sequence),
        Case("batch_norm", "eval: running statistics", lambda lib, a, m, v, w, b: F(lib).batch_norm(
            a, m, v, w, b, training=False), running, grad=(True, False, False, True, True)),
        Case("layer_norm", "normalized_shape=(C,), weight, bias", lambda lib, a, w, b: F(lib).layer_norm(
            a, (C,), w, b), per_channel),
        Case("layer_norm", "normalized_shape=(C, 2), no bias, eps=0.1", lambda lib, a, w: F(lib).layer_norm(
            a, (C, 2), w, None, eps=0.1), lambda rng: [rng.normal(size=(N, C, 2)), rng.normal(size=(C, 2))]),
        Case("embedding", "", lambda lib, w, i: F(lib).embedding(i, w), table_and_ids),
        # These two gradients are torch's definitions, not derivatives (the padding row's is 0, a
        # repeated row's is scaled down): only torch can check them.
        Case("embedding", "padding_idx=1", lambda lib, w, i: F(lib).embedding(i, w, padding_idx=1), table_and_ids,
             derivative=False),
        Case("embedding", "scale_grad_by_freq", lambda lib, w, i: F(lib).embedding(i, w, scale_grad_by_freq=True),
             table_and_ids, derivative=False),
    ]



# ---- the case table: losses, with every option ---------------------------------------------------
def F(lib):
    return lib.nn.functional


def loss_cases():
    cases = []
    reductions = ("mean", "sum", "none")

    def add(name, options, fn, inputs, **kw):
        cases.append(Case(name, options, fn, inputs, grad=(True, False), **kw))

    for r in reductions:
        red = f"reduction={r!r}"
        add("mse_loss", red, lambda lib, x, t, r=r: F(lib).mse_loss(x, t, reduction=r), values_and_targets)
        add("l1_loss", red, lambda lib, x, t, r=r: F(lib).l1_loss(x, t, reduction=r), values_and_targets)
        add("binary_cross_entropy", red, lambda lib, p, t, r=r: F(lib).binary_cross_entropy(p, t, reduction=r),
            probabilities_and_labels)
        add("binary_cross_entropy_with_logits", red,
            lambda lib, x, t, r=r: F(lib).binary_cross_entropy_with_logits(x, t, reduction=r), logits_and_labels)
        add("cross_entropy", red, lambda lib, x, t, r=r: F(lib).cross_entropy(x, t, reduction=r), logits_and_classes)
        add("nll_loss", red, lambda lib, x, t, r=r: F(lib).nll_loss(x.log_softmax(dim=1), t, reduction=r),
            logits_and_classes)
        add("multi_margin_loss", red, lambda lib, x, t, r=r: F(lib).multi_margin_loss(x, t, reduction=r),
            logits_and_classes, torch_fn2=lambda lib, x, t, r=r: _multi_margin_composed(lib, x, t, reduction=r))
        add("hinge_loss", red, lambda lib, x, t, r=r: F(lib).hinge_loss(x, t, reduction=r), scores_and_signs,
            torch_fn=lambda lib, x, t, r=r: _reduce(lib.relu(1.0 - t * x), r))
    for r in reductions + ("batchmean",):
        for log_target in (False, True):
            add("kl_div", f"reduction={r!r}, log_target={log_target}",
                lambda lib, x, t, r=r, lt=log_target: F(lib).kl_div(x.log_softmax(dim=1), t.log() if lt else t,
                                                                    reduction=r, log_target=lt),
                logits_and_probabilities)

    for delta in (0.5, 2.0):
        add("huber_loss", f"delta={delta}", lambda lib, x, t, d=delta: F(lib).huber_loss(x, t, delta=d),
            values_and_targets)
    for beta in (0.5, 0.0):
        add("smooth_l1_loss", f"beta={beta}", lambda lib, x, t, b=beta: F(lib).smooth_l1_loss(x, t, beta=b),
            values_and_targets)

    weight = np.array([0.5, 2.0, 1.0])            # one per class (C = 3); broadcasts along the last axis too
    w = lambda lib, x: lib.tensor(weight, dtype=x.dtype)    # noqa: E731
    add("binary_cross_entropy", "weight", lambda lib, p, t: F(lib).binary_cross_entropy(p, t, weight=w(lib, p)),
        probabilities_and_labels)
    add("binary_cross_entropy_with_logits", "weight",
        lambda lib, x, t: F(lib).binary_cross_entropy_with_logits(x, t, weight=w(lib, x)), logits_and_labels)
    add("binary_cross_entropy_with_logits", "pos_weight",
        lambda lib, x, t: F(lib).binary_cross_entropy_with_logits(x, t, pos_weight=w(lib, x)), logits_and_labels)
    add("binary_cross_entropy_with_logits", "weight, pos_weight, reduction='sum'",
        lambda lib, x, t: F(lib).binary_cross_entropy_with_logits(x, t, weight=w(lib, x), pos_weight=w(lib, x) * 2,
                                                                  reduction="sum"), logits_and_labels)
    for options, kwargs in (("weight", {"weight": True}), ("ignore_index=1", {"ignore_index": 1}),
                            ("label_smoothing=0.2", {"label_smoothing": 0.2}),
                            ("weight, ignore_index=0, label_smoothing=0.1",
                             {"weight": True, "ignore_index": 0, "label_smoothing": 0.1})):
        def ce(lib, x, t, kwargs=kwargs):
            extra = {**kwargs, "weight": w(lib, x)} if "weight" in kwargs else kwargs
            return F(lib).cross_entropy(x, t, **extra)
        add("cross_entropy", options, ce, logits_and_classes)
    add("cross_entropy", "probability targets", lambda lib, x, t: F(lib).cross_entropy(x, t),
        logits_and_probabilities)
    add("cross_entropy", "probability targets, weight, label_smoothing=0.1",
        lambda lib, x, t: F(lib).cross_entropy(x, t, weight=w(lib, x), label_smoothing=0.1), logits_and_probabilities)
    add("nll_loss", "weight, ignore_index=2",
        lambda lib, x, t: F(lib).nll_loss(x.log_softmax(dim=1), t, weight=w(lib, x), ignore_index=2),
        logits_and_classes)
    for p, margin in ((1, 0.5), (2, 1.0), (2, 2.0)):
        add("multi_margin_loss", f"p={p}, margin={margin}",
            lambda lib, x, t, p=p, m=margin: F(lib).multi_margin_loss(x, t, p=p, margin=m), logits_and_classes,
            torch_fn2=lambda lib, x, t, p=p, m=margin: _multi_margin_composed(lib, x, t, p=p, margin=m))
    add("multi_margin_loss", "weight", lambda lib, x, t: F(lib).multi_margin_loss(x, t, weight=w(lib, x)),
        logits_and_classes, torch_fn2=lambda lib, x, t: _multi_margin_composed(lib, x, t, weight=w(lib, x)))
    # (N, C, d) inputs: one prediction per class per position, as for images.
    spatial = lambda rng: [rng.normal(size=(2, C, 2)), rng.integers(0, C, size=(2, 2))]   # noqa: E731
    add("cross_entropy", "input (N, C, d), label_smoothing=0.1",
        lambda lib, x, t: F(lib).cross_entropy(x, t, label_smoothing=0.1), spatial)
    add("nll_loss", "input (N, C, d), reduction='sum'",
        lambda lib, x, t: F(lib).nll_loss(x.log_softmax(dim=1), t, reduction="sum"), spatial)
    # The gradient with respect to the target, where the target is a real number.
    for name, recipe in (("mse_loss", values_and_targets), ("l1_loss", values_and_targets),
                         ("huber_loss", values_and_targets), ("smooth_l1_loss", values_and_targets),
                         ("binary_cross_entropy_with_logits", logits_and_labels)):
        cases.append(Case(name, "gradient of the target too",
                          lambda lib, x, t, name=name: getattr(F(lib), name)(x, t), recipe))
    cases.append(Case("kl_div", "gradient of the target too, reduction='batchmean'",
                      lambda lib, x, t: F(lib).kl_div(x.log_softmax(dim=1), t, reduction="batchmean"),
                      logits_and_probabilities))
    add("hinge_loss", "margin=0.5", lambda lib, x, t: F(lib).hinge_loss(x, t, margin=0.5), scores_and_signs,
        torch_fn=lambda lib, x, t: lib.relu(0.5 - t * x).mean())
    return cases


def _multi_margin_composed(lib, x, t, p=1, margin=1.0, weight=None, reduction="mean"):
    """torch's multi_margin_loss in primitive torch ops, for order 2: torch 2.13 has no second
    derivative of its fused op ("derivative for aten::multi_margin_loss_backward is not
    implemented"). loss_i = sum_{j != t_i} w[t_i] max(0, margin - x_i[t_i] + x_ij)^p / C."""
    n_classes = x.shape[1]
    others = 1 - lib.nn.functional.one_hot(t, n_classes).to(x.dtype)     # j != t_i
    terms = lib.relu(margin - x.gather(1, t[:, None]) + x) ** p * others
    if weight is not None:
        terms = terms * weight[t][:, None]
    return _reduce(terms.sum(dim=1) / n_classes, reduction)


def _reduce(loss, reduction):
    return {"mean": loss.mean, "sum": loss.sum, "none": lambda: loss}[reduction]()


def _sliced_in_place(a):
    y = a * a
    y[1:3, ::2].add_(a[0:2, 1:], alpha=2)   # recorded on y, as torch's CopySlices
    return y


# ---- the case table: looking inside backward -------------------------------------------------------
@dataclass
class Probe:
    """A look inside backward rather than an op: `look(lib, a)` returns the gradients it sees
    (a hook's, a retained one, autograd.grad's), compared with torch's, and
    `numeric(a, gradient_of)` the same quantities by finite differences, where
    gradient_of(f, x) is the central difference of the scalar f at the array x."""
    name: str
    options: str
    look: object
    numeric: object
    inputs: object = many(normal(N, C))
    derivative: bool = True


def _head(a):      # input -> an intermediate tensor
    return (a * a).sigmoid() * 3


def _tail(y):      # the intermediate -> a scalar, through a kernel (log_softmax)
    return (y.log_softmax(dim=1)[:, 0] * 2).sum() + (y * y.exp()).mean()


def _hook_probe(lib, a):
    y = _head(a)
    seen = []
    y.register_hook(lambda g: seen.append(g.detach() * 1))
    y.register_hook(lambda g: g * 2)        # a replacement: doubles what flows on to a
    _tail(y).backward()
    return [seen[0], a.grad]


def _retain_probe(lib, a):
    y = _head(a)
    y.retain_grad()
    _tail(y).backward()
    return [y.grad, a.grad]


def _grad_probe(lib, a):
    y = _head(a)
    grads = lib.autograd.grad(_tail(y), [a, y])
    assert a.grad is None                    # grad() touches no .grad
    return list(grads)


def probe_cases():
    def numeric(double_a=1.0):
        def of(a, gradient_of):
            tail = lambda x: _tail(minigrad.tensor(x)).item()                 # noqa: E731
            whole = lambda x: _tail(_head(minigrad.tensor(x))).item()         # noqa: E731
            y = _head(minigrad.tensor(a)).data
            return [gradient_of(tail, y), double_a * gradient_of(whole, a)]
        return of

    def grad_numeric(a, gradient_of):
        seen, total = numeric()(a, gradient_of)
        return [total, seen]
    return [
        Probe("register_hook", "the gradient a hook sees; a second hook doubles it", _hook_probe, numeric(2.0)),
        Probe("retain_grad", "an intermediate's .grad, and the input's", _retain_probe, numeric()),
        Probe("autograd.grad", "d/d(input) and d/d(intermediate), no .grad touched", _grad_probe, grad_numeric),
    ]


def cases():
    return op_cases() + nn_cases() + loss_cases() + probe_cases()


# ---- running one case -----------------------------------------------------------------------------
def against_torch(case, arrays, dtype, order=1):
    """One row: minigrad against torch (compare_with_torch). At order 2 the gradient columns
    show the Hessian-vector products, and an op that cannot differentiate its backward fails
    the row, saying so, instead of stopping the run."""
    from minigrad.testing import compare_with_torch
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # torch's notice that kl_div's 'mean' is not 'batchmean'
            report = compare_with_torch(case.fn, *arrays, dtype=dtype, requires_grad=_grad_flags(case, arrays),
                                        torch_fn=(order == 2 and case.torch_fn2) or case.torch_fn, order=order)
    except Exception as error:
        if order == 1:
            raise
        return _failed_row(case, np.dtype(dtype).name, "torch", error)
    value = report.rows[0]
    grads = [row for row in report.rows[1:] if row.name.startswith("hvp of ") == (order == 2)]
    return Row(case.name, case.options, np.dtype(dtype).name, "torch", value.max_abs, value.max_rel,
               max((g.max_abs for g in grads), default=0.0), max((g.max_rel for g in grads), default=0.0),
               "PASS" if report.ok else "FAIL",
               "" if report.ok else "; ".join(f"{row.name} at {row.index}: minigrad {row.minigrad_value:.6g}, "
                                              f"torch {row.torch_value:.6g}" for row in report.failures), order)


def _failed_row(case, dtype, against, error):
    return Row(case.name, case.options, dtype, against, np.nan, np.nan, np.nan, np.nan, "FAIL",
               f"{type(error).__name__}: {error}", 2)


def probe_against_torch(probe, arrays, dtype):
    """The gradients `probe.look` sees, in minigrad and in torch, on the same input."""
    import torch

    from minigrad.testing import DEFAULT_TOLERANCES, difference
    atol, rtol = DEFAULT_TOLERANCES[np.dtype(dtype)]
    mine = probe.look(minigrad, minigrad.tensor(arrays[0].astype(dtype), requires_grad=True))
    theirs = probe.look(torch, torch.tensor(arrays[0].astype(dtype), requires_grad=True))
    return _probe_row(probe, np.dtype(dtype).name, "torch",
                      [difference(f"seen {i}", m.data, t.detach().numpy(), atol, rtol, scale=1.0)
                       for i, (m, t) in enumerate(zip(mine, theirs))])


def probe_against_finite_differences(probe, arrays, eps=1e-6):
    from minigrad.testing import difference

    def gradient_of(f, x):
        x = x.astype(np.float64)
        out = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[i] += eps
            down[i] -= eps
            out[i] = (f(up) - f(down)) / (2 * eps)
        return out
    mine = probe.look(minigrad, minigrad.tensor(arrays[0], requires_grad=True))
    numeric = probe.numeric(arrays[0], gradient_of)
    return _probe_row(probe, "float64", "finite diff",
                      [difference(f"seen {i}", m.data, n, 1e-5, 1e-3) for i, (m, n) in enumerate(zip(mine, numeric))])


def _probe_row(probe, dtype, against, diffs):
    ok = all(d.ok for d in diffs)
    return Row(probe.name, probe.options, dtype, against, np.nan, np.nan, max(d.max_abs for d in diffs),
               max(d.max_rel for d in diffs), "PASS" if ok else "FAIL",
               "" if ok else "; ".join(f"{d.name} at {d.index}: minigrad {d.minigrad_value:.6g}, "
                                       f"reference {d.torch_value:.6g}" for d in diffs if not d.ok))


def against_finite_differences(case, arrays, rng, eps=1e-6):
    """gradcheck decides PASS/FAIL; the numbers compare backward() with the central difference
    of sum(upstream * output) for every element of every input that gets a gradient."""
    tensors, run = _leaves_and_fn(case, arrays)
    status, detail = "PASS", ""
    try:
        gradcheck(run, tensors, eps=eps)
    except GradcheckError as error:
        status, detail = "FAIL", str(error)

    out = run(*tensors)
    upstream = rng.uniform(-1, 1, out.shape)
    out.backward(minigrad.tensor(upstream))
    pairs = []
    for i, jacobian in numeric_jacobian(run, tensors, eps).items():
        numeric = upstream.reshape(-1) @ jacobian        # the central difference of sum(upstream * output)
        analytic = tensors[i].grad.data.reshape(-1) if tensors[i].grad is not None else np.zeros(numeric.size)
        pairs.append((analytic, numeric))
    worst_abs, worst_rel = _worst_differences(pairs)
    return Row(case.name, case.options, "float64", "finite diff", 0.0, 0.0, worst_abs, worst_rel, status, detail)


def second_against_finite_differences(case, arrays, rng, eps=1e-6):
    """Order 2: gradgradcheck decides PASS/FAIL; the numbers compare the Hessian-vector product
    v^T H of s = sum(upstream * output) with the central difference of the gradient along v,

        (g(x + eps v) - g(x - eps v)) / (2 eps)  ~  H v          (g = ds/dx by plain backward)

    for every input that gets a gradient (x and v joined over those inputs)."""
    from minigrad.testing import hessian_vector_products
    tensors, run = _leaves_and_fn(case, arrays)
    flags = [t.requires_grad for t in tensors]
    status, detail = "PASS", ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # a KinkWarning: the rows' inputs stay away from kinks
            gradgradcheck(run, tensors, eps=eps)
    except GradcheckError as error:
        status, detail = "FAIL", str(error)
    except Exception as error:                   # e.g. an op whose backward cannot be differentiated
        return _failed_row(case, "float64", "finite diff", error)
    out = run(*tensors)
    upstream = None if out.ndim == 0 else rng.uniform(-1, 1, out.shape)
    vectors = [rng.uniform(-1, 1, a.shape) for a in arrays]
    analytic = hessian_vector_products(minigrad, case.fn, arrays, flags, upstream, vectors)

    def gradient_at(step):
        moved = [minigrad.tensor(a + step * v if f else a.copy(), requires_grad=f)
                 for a, v, f in zip(arrays, vectors, flags)]
        wanted = [t for t, f in zip(moved, flags) if f]
        found = minigrad.autograd.grad(run(*moved), wanted, grad_outputs=upstream, allow_unused=True)
        return [np.zeros(t.shape) if g is None else g.data for g, t in zip(found, wanted)]

    numeric = [(up - down) / (2 * eps) for up, down in zip(gradient_at(eps), gradient_at(-eps))]
    worst_abs, worst_rel = _worst_differences(zip(analytic, numeric))
    return Row(case.name, case.options, "float64", "finite diff", 0.0, 0.0, worst_abs, worst_rel, status, detail, 2)


def _worst_differences(pairs):
    """The largest |analytic - numeric| and |analytic - numeric| / |numeric| over (analytic,
    numeric) array pairs (0 / 0 counts as 0)."""
    worst_abs = worst_rel = 0.0
    for analytic, numeric in pairs:
        diff = np.abs(analytic - numeric)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(diff == 0, 0.0, diff / np.abs(numeric))
        worst_abs, worst_rel = max(worst_abs, diff.max(initial=0.0)), max(worst_rel, rel.max(initial=0.0))
    return worst_abs, worst_rel


def _leaves_and_fn(case, arrays):
    """Fresh minigrad leaves for the arrays (requiring grad as the case says) and the case's
    function on minigrad Tensors, for the finite-difference rows."""
    tensors = [minigrad.tensor(a.copy(), requires_grad=f) for a, f in zip(arrays, _grad_flags(case, arrays))]
    return tensors, lambda *ts: case.fn(minigrad, *ts)


def _grad_flags(case, arrays):
    if case.grad is not None:
        return list(case.grad)
    return [a.dtype.kind == "f" for a in arrays]


def _torch_available():
    try:
        import torch  # noqa: F401  (only whether it imports)
    except ImportError:
        return False
    return True


def run(name_filter=None, dtypes=("float64", "float32"), seed=0, torch=None, order=1):
    """Run every case, or those named `name_filter` (else those whose name contains it);
    returns (rows, whether torch was used). order=2: second derivatives (no probes)."""
    if order not in (1, 2):
        raise ValueError(f"minigrad check: order must be 1 or 2, got {order!r}")
    torch = _torch_available() if torch is None else torch
    rows = []
    table = cases()
    wanted = (name_filter or "").lower()
    exact = any(case.name.lower() == wanted for case in table)   # "cross_entropy" is not "binary_cross_entropy"
    for index, case in enumerate(table):
        if wanted and (case.name.lower() != wanted if exact else wanted not in case.name.lower()):
            continue
        rng = np.random.default_rng([seed, index])    # each case its own stream: filtering changes nothing
        arrays = case.inputs(rng)
        if isinstance(case, Probe):
            if order == 2:
                continue
            if torch:
                rows += [probe_against_torch(case, arrays, dtype) for dtype in dtypes]
            if "float64" in dtypes:
                rows.append(probe_against_finite_differences(case, arrays))
            continue
        if torch:
            rows += [against_torch(case, arrays, dtype, order) for dtype in dtypes]
        if "float64" in dtypes and case.derivative:
            rows.append(against_finite_differences(case, arrays, rng) if order == 1
                        else second_against_finite_differences(case, arrays, rng))
    return rows, torch


# ---- printing ------------------------------------------------------------------------------------------
def format_table(rows):
    second = any(row.order == 2 for row in rows)   # second derivatives: the Hessian-vector products' columns
    grad_abs, grad_rel = ("hvp abs", "hvp rel") if second else ("grad abs", "grad rel")
    header = (f"{'case':<34} {'options':<50} {'dtype':<8} {'against':<11} "
              f"{'value abs':>9} {'value rel':>9} {grad_abs:>9} {grad_rel:>9}  result")
    lines = [header, "-" * len(header)]
    for row in rows:
        value = (f"{row.value_abs:>9.1e} {row.value_rel:>9.1e}" if row.against == "torch" and not np.isnan(row.value_abs)
                 else f"{'-':>9} {'-':>9}")   # (finite differences and probes compare gradients only)
        lines.append(f"{row.name:<34} {row.options or '-':<50} {row.dtype:<8} {row.against:<11} {value} "
                     f"{row.grad_abs:>9.1e} {row.grad_rel:>9.1e}  {row.status}")
        if row.detail:
            lines.append(f"    {row.detail}")
    return "\n".join(lines)


def summary(rows, torch_used):
    failed = sum(row.status == "FAIL" for row in rows)
    cases_run = len({(row.name, row.options) for row in rows})
    references = {row.against for row in rows}
    against = " and ".join(name for key, name in (("torch", "PyTorch"), ("finite diff", "finite differences"))
                           if key in references)
    verdict = "all PASS" if not failed else f"{failed} FAIL"
    what = " (second derivatives)" if any(row.order == 2 for row in rows) else ""
    return f"minigrad check: {cases_run} cases{what}, {len(rows)} rows against {against}: {verdict}"


def main(name_filter=None, dtype="both", seed=0, json_file=None, out=print, order=1):
    """What `minigrad check` does; returns the exit code (1 if any row failed)."""
    dtypes = ("float64", "float32") if dtype == "both" else (dtype,)
    rows, torch_used = run(name_filter, dtypes, seed, order=order)
    if not rows:
        out(f"minigrad check: no case matches --filter {name_filter!r}")
        return 1
    out(format_table(rows))
    out("")
    if not torch_used:
        out(INSTALL_HINT)
    line = summary(rows, torch_used)
    out(line)
    if json_file:
        with open(json_file, "w") as f:
            json.dump({"summary": line, "torch": torch_used, "seed": seed, "order": order,
                       "rows": [_jsonable(asdict(row)) for row in rows]}, f, indent=1)
    return 1 if any(row.status == "FAIL" for row in rows) else 0


def _jsonable(row):
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}

