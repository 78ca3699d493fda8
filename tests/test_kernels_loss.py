"""The loss kernels: compiled (_loss.pyx) against the numpy twin (reference.py), and each of
them against PyTorch (values from reduction='none' / 'sum' / 'mean', gradients from autograd).

Both implementations run every torch test, so the twin is checked as strictly as the kernel.
Inputs mix random values of several magnitudes with values on a grid of quarters, so that
the kinks (zero error, |z| = delta, the hinge margin, p = 0 or 1) are hit exactly.
"""
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad._kernels
from minigrad._kernels import _loss, reference

IMPLS = {"cython": _loss, "numpy": reference}
DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}
LARGE = {np.float32: 1e4, np.float64: 1e30}  # logits this large must still work
INF, NAN = np.inf, np.nan

impls = pytest.mark.parametrize("impl", list(IMPLS), ids=list(IMPLS))
dtypes = pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)

ELEMENTWISE = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
               "binary_cross_entropy_with_logits", "kl_div", "hinge_loss"]
CLASS = ["cross_entropy", "cross_entropy_probs", "nll_loss", "multi_margin_loss"]
SCALED = set(ELEMENTWISE) | {"cross_entropy_probs", "multi_margin_loss"}  # take `scale`
MEAN = {"cross_entropy", "nll_loss"}                                       # take `mean`

# Every kernel with every option: (kernel, options). The options name the arguments of the
# kernel between its inputs and its outputs; "weight" / "pos_weight" say whether to pass one.
CASES = (
    [("mse_loss", {}), ("l1_loss", {})]
    + [("huber_loss", {"delta": d}) for d in (1.0, 0.5, 2.25)]
    + [("smooth_l1_loss", {"beta": b}) for b in (1.0, 0.0, 0.25)]
    + [("binary_cross_entropy", {"weight": w}) for w in (False, True)]
    + [("binary_cross_entropy_with_logits", {"weight": w, "pos_weight": pw})
       for w in (False, True) for pw in (False, True)]
    + [("kl_div", {"log_target": lt}) for lt in (False, True)]
    + [("hinge_loss", {"margin": m}) for m in (1.0, 0.5, 0.0)]
    + [("cross_entropy", {"weight": w, "ignore": ig, "eps": eps, "mean": mean})
       for w in (False, True) for ig in (False, True) for eps in (0.0, 0.1, 1.0)
       for mean in (False, True)]
    + [("cross_entropy_probs", {"weight": w, "eps": eps}) for w in (False, True)
       for eps in (0.0, 0.2)]
    + [("nll_loss", {"weight": w, "ignore": ig, "mean": mean}) for w in (False, True)
       for ig in (False, True) for mean in (False, True)]
    + [("multi_margin_loss", {"p": p, "margin": m, "weight": w}) for p in (1, 2)
       for m in (1.0, 0.5) for w in (False, True)]
)
cases = pytest.mark.parametrize(
    "name, opts", CASES,
    ids=[name + "".join(f"-{k}={v}" for k, v in opts.items()) for name, opts in CASES])

IGNORE_INDEX = -100


# ---- inputs ---------------------------------------------------------------------------------

def make_inputs(name, opts, dtype, n, n_classes, seed, big=1.0):
    """The kernel's arguments before its outputs (inputs and options), as numpy arrays of
    `dtype` and Python scalars. `big` scales the random part of predictions and logits."""
    rng = np.random.default_rng(seed)

    def values(shape):  # random values of size ~big, and quarters in [-2, 2] (kinks)
        v = rng.standard_normal(shape) * big
        grid = rng.integers(-8, 9, shape) / 4
        return np.where(rng.random(shape) < 0.4, grid, v).astype(dtype)

    def unit(shape):  # [0, 1], with 0, 1 and 1/2 exactly now and then
        u = rng.random(shape)
        return np.where(rng.random(shape) < 0.3, rng.integers(0, 3, shape) / 2, u).astype(dtype)

    def positive(shape):
        return rng.uniform(0.0, 3.0, shape).astype(dtype)

    if name in ("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"):
        x, y = values(n), values(n)
        option = {"huber_loss": ("delta",), "smooth_l1_loss": ("beta",)}.get(name, ())
        return (x, y) + tuple(opts[k] for k in option)
    if name == "binary_cross_entropy":
        return unit(n), unit(n), positive(n) if opts["weight"] else None
    if name == "binary_cross_entropy_with_logits":
        return (values(n), unit(n), positive(n) if opts["weight"] else None,
                positive(n) if opts["pos_weight"] else None)
    if name == "kl_div":
        x = -np.abs(values(n))                                     # log q <= 0
        t = -np.abs(values(n)) if opts["log_target"] else unit(n)  # log p, or p with zeros
        return x, t, opts["log_target"]
    if name == "hinge_loss":
        return values(n), rng.choice([-1.0, 1.0], n).astype(dtype), opts["margin"]
    # class losses: (n, C) scores
    x = values((n, n_classes))
    weight = positive(n_classes) if opts.get("weight") else None
    target = rng.integers(0, n_classes, n) if n_classes else np.full(n, IGNORE_INDEX)
    if opts.get("ignore"):
        target[rng.random(n) < 0.3] = IGNORE_INDEX
    if name == "cross_entropy":
        return x, target, weight, IGNORE_INDEX, opts["eps"], opts["mean"]
    if name == "cross_entropy_probs":
        probs = rng.random((n, n_classes))
        probs[rng.random((n, n_classes)) < 0.2] = 0.0
        probs /= np.maximum(probs.sum(axis=1, keepdims=True), 1e-300)
        return x, probs.astype(dtype), weight, opts["eps"]
    if name == "nll_loss":
        logp = -np.abs(x)
        return logp, target, weight, IGNORE_INDEX, opts["mean"]
    if name == "multi_margin_loss":
        return x, target, opts["p"], opts["margin"], weight
    raise AssertionError(name)


def shapes_of(name, args):
    """(shape of loss_out, shape of grad_out): one loss per sample, a gradient like input 0."""
    return args[0].shape[:1], args[0].shape


def run(impl, name, args, dtype, want_loss=True, want_grad=True, scale=0.75, readonly=False):
    """Call one kernel; returns (total, loss_out, grad_out), the outputs None if not wanted.

    Outputs are pre-filled with garbage (7.0), so an entry the kernel forgot shows up.
    """
    if readonly:
        for a in args:
            if isinstance(a, np.ndarray):
                a.setflags(write=False)
    loss_shape, grad_shape = shapes_of(name, args)
    loss_out = np.full(loss_shape, 7.0, dtype) if want_loss else None
    grad_out = np.full(grad_shape, 7.0, dtype) if want_grad else None
    extra = (scale,) if name in SCALED else ()
    total = getattr(IMPLS[impl], name)(*args, loss_out, grad_out, *extra)
    assert type(total) is float
    return total, loss_out, grad_out


# ---- the independent oracle: torch ----------------------------------------------------------

def run_torch(torch, name, args, scale=0.75):
    """(total, per-sample losses, gradient) from torch.nn.functional and autograd."""
    F = torch.nn.functional
    T = torch.from_numpy
    x = torch.tensor(args[0], requires_grad=True)
    opt = lambda a: None if a is None else T(a)  # noqa: E731
    if name == "mse_loss":
        per_sample = F.mse_loss(x, T(args[1]), reduction="none")
    elif name == "l1_loss":
        per_sample = F.l1_loss(x, T(args[1]), reduction="none")
    elif name == "huber_loss":
        per_sample = F.huber_loss(x, T(args[1]), reduction="none", delta=args[2])
    elif name == "smooth_l1_loss":
        per_sample = F.smooth_l1_loss(x, T(args[1]), reduction="none", beta=args[2])
    elif name == "binary_cross_entropy":
        per_sample = F.binary_cross_entropy(x, T(args[1]), weight=opt(args[2]),
                                            reduction="none")
    elif name == "binary_cross_entropy_with_logits":
        per_sample = F.binary_cross_entropy_with_logits(
            x, T(args[1]), weight=opt(args[2]), pos_weight=opt(args[3]), reduction="none")
    elif name == "kl_div":
        per_sample = F.kl_div(x, T(args[1]), reduction="none", log_target=args[2])
    elif name == "hinge_loss":  # not in torch: spelled out with relu (gradient 0 at 0)
        per_sample = torch.relu(args[2] - T(args[1]) * x)
    elif name == "cross_entropy":
        _, target, weight, ignore_index, eps, mean = args
        kw = dict(weight=opt(weight), ignore_index=ignore_index, label_smoothing=eps)
        per_sample = F.cross_entropy(x.detach(), T(target), reduction="none", **kw)
        total = F.cross_entropy(x, T(target), reduction="mean" if mean else "sum", **kw)
        total.backward()
        return total.item(), per_sample.numpy(), x.grad.numpy()
    elif name == "cross_entropy_probs":
        _, probs, weight, eps = args
        per_sample = F.cross_entropy(x, T(probs), weight=opt(weight), label_smoothing=eps,
                                     reduction="none")
    elif name == "nll_loss":
        _, target, weight, ignore_index, mean = args
        kw = dict(weight=opt(weight), ignore_index=ignore_index)
        per_sample = F.nll_loss(x.detach(), T(target), reduction="none", **kw)
        total = F.nll_loss(x, T(target), reduction="mean" if mean else "sum", **kw)
        total.backward()
        return total.item(), per_sample.numpy(), x.grad.numpy()
    elif name == "multi_margin_loss":
        _, target, p, margin, weight = args
        per_sample = F.multi_margin_loss(x, T(target), p=p, margin=margin, weight=opt(weight),
                                         reduction="none")
    else:
        raise AssertionError(name)
    total = per_sample.sum()
    if x.shape[0]:  # torch cannot backpropagate through an empty multi_margin_loss
        total.backward()
        grad = x.grad.numpy() * scale
    else:
        grad = np.zeros(x.shape)
    return total.item(), per_sample.detach().numpy(), grad


# ---- comparing ------------------------------------------------------------------------------

def magnitude(*arrays):
    """max(1, max |a| over the finite entries): the scale of the rounding errors."""
    finite = [np.abs(a[np.isfinite(a)]).max(initial=0.0) for a in map(np.asarray, arrays)]
    return max([1.0] + finite)


def assert_close(actual, expected, dtype, scale_of=None):
    """As the tolerances say, relative to each entry and to the magnitude of `scale_of`
    (default: the expected values); NaN where the other has NaN, +-inf the same."""
    tol = dict(TOL[dtype])
    tol["atol"] *= magnitude(expected if scale_of is None else scale_of)
    np.testing.assert_allclose(np.asarray(actual, np.float64), np.asarray(expected, np.float64),
                               equal_nan=True, **tol)


def assert_results_close(actual, expected, dtype, terms=1):
    """(total, loss_out, grad_out) against the same from another implementation.

    terms: how many float32 terms the other side adds up, one by one, for one loss or
    gradient entry (torch's multi_margin_loss: C - 1); its rounding error grows like their
    square root. Ours are summed in double.
    """
    total, loss, grad = actual
    total_expected, loss_expected, grad_expected = expected
    growth = np.sqrt(terms) if dtype == np.float32 else 1.0
    if loss is not None and loss_expected is not None:
        assert loss.dtype == dtype
        assert_close(loss, loss_expected, dtype, scale_of=growth * magnitude(loss_expected))
    if grad is not None and grad_expected is not None:
        assert grad.dtype == dtype
        assert_close(grad, grad_expected, dtype, scale_of=growth * magnitude(grad_expected))
    # The total may cancel (kl_div's terms have both signs): its rounding scales with the
    # sum of the magnitudes of the losses, and with their number in float32 (torch's sum).
    scale_of = ([total_expected] if loss_expected is None
                else [np.abs(loss_expected).sum(dtype=np.float64)])
    if dtype == np.float32 and loss_expected is not None:
        scale_of = [scale_of[0] * max(1.0, np.sqrt(len(loss_expected)))]
    assert_close(total, total_expected, dtype, scale_of=scale_of)


@st.composite
def sizes(draw, name):
    """(n, C, seed, big): element-wise losses up to 3 chunks of samples, class losses up to
    a few blocks of rows (the kernels process 256 samples / ~2048 entries at a time)."""
    if name in CLASS:
        n_classes = draw(st.sampled_from([1, 2, 3, 10, 17, 100, 700, 2100]))
        n = draw(st.integers(0, max(3, 4000 // n_classes)))
    else:
        n_classes, n = 0, draw(st.integers(0, 700))
    seed = draw(st.integers(0, 2**32 - 1))
    big = draw(st.sampled_from([1.0, 30.0, 1e3]))
    return n, n_classes, seed, big


# ---- Cython against its numpy twin ----------------------------------------------------------

@cases
@dtypes
@settings(deadline=None, max_examples=15)
@given(data=st.data())
def test_cython_matches_numpy_twin(name, opts, dtype, data):
    n, n_classes, seed, big = data.draw(sizes(name))
    args = make_inputs(name, opts, dtype, n, n_classes, seed, big)
    expected = run("numpy", name, args, dtype)
    assert_results_close(run("cython", name, args, dtype), expected, dtype)


@cases
@dtypes
@impls
def test_loss_only_path_gives_the_same_total_and_losses(impl, name, opts, dtype):
    """grad_out=None skips the gradient work, nothing else; loss_out=None changes nothing."""
    args = make_inputs(name, opts, dtype, 517, 13, seed=3)
    total, loss, grad = run(impl, name, args, dtype)
    total_no_grad, loss_no_grad, _ = run(impl, name, args, dtype, want_grad=False)
    total_bare, _, _ = run(impl, name, args, dtype, want_loss=False, want_grad=False)
    total_grad_only, _, grad_only = run(impl, name, args, dtype, want_loss=False)
    np.testing.assert_array_equal(loss_no_grad, loss)
    np.testing.assert_array_equal(grad_only, grad)
    assert total_no_grad == pytest.approx(total, rel=1e-15, nan_ok=True)
    assert total_bare == pytest.approx(total, rel=1e-15, nan_ok=True)
    assert total_grad_only == pytest.approx(total, rel=1e-15, nan_ok=True)


@cases
@dtypes
@impls
def test_read_only_inputs_and_caller_outputs(impl, name, opts, dtype):
    """Read-only inputs are accepted and left alone; every output entry is written."""
    args = make_inputs(name, opts, dtype, 300, 7, seed=4)
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    expected = run("numpy", name, copies, dtype)
    actual = run(impl, name, args, dtype, readonly=True)
    assert_results_close(actual, expected, dtype)
    for a, before in zip(args, copies):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, before)
    assert not np.any(actual[1] == 7.0) and not np.any(actual[2] == 7.0)  # no garbage left


# ---- both against torch ---------------------------------------------------------------------

@cases
@dtypes
@impls
@settings(deadline=None, max_examples=8)
@given(data=st.data())
def test_matches_torch(torch, impl, name, opts, dtype, data):
    n, n_classes, seed, big = data.draw(sizes(name))
    args = make_inputs(name, opts, dtype, n, n_classes, seed, big)
    terms = n_classes if name == "multi_margin_loss" else 1
    assert_results_close(run(impl, name, args, dtype), run_torch(torch, name, args), dtype,
                         terms)


@cases
@dtypes
@impls
def test_empty_batch(torch, impl, name, opts, dtype):
    """n = 0: total 0 and empty outputs; for a mean over the weights (nothing to average), NaN."""
    args = make_inputs(name, opts, dtype, 0, 5, seed=5)
    total, loss, grad = run(impl, name, args, dtype)
    assert loss.shape == (0,) and grad.shape == args[0].shape
    if opts.get("mean"):
        assert np.isnan(total)
    else:
        assert total == 0.0
    if name in ("cross_entropy", "nll_loss"):  # torch agrees (its multi_margin does not)
        torch_total = run_torch(torch, name, args)[0]
        assert torch_total == 0.0 or (np.isnan(torch_total) and np.isnan(total))


# ---- the kinks and the edges, against torch -------------------------------------------------

KINKS = {  # (x, y) pairs on and around each kink; the option as in CASES
    ("l1_loss", None): ([0.0, 1.0, -2.0, 0.5], [0.0, 1.0, -2.0, 0.75]),
    ("huber_loss", 1.0): ([1.0, -1.0, 0.0, 2.0, 3.0], [0.0, 0.0, 0.0, 1.0, 1.5]),
    ("smooth_l1_loss", 1.0): ([1.0, -1.0, 0.0, 2.0, 3.0], [0.0, 0.0, 0.0, 1.0, 1.5]),
    ("smooth_l1_loss", 0.0): ([1.0, -1.0, 0.0, 2.0, 3.0], [0.0, 0.0, 0.0, 1.0, 1.5]),
    ("hinge_loss", 1.0): ([1.0, -1.0, 0.5, 0.0, 2.0], [1.0, -1.0, 2.0, 1.0, -1.0]),
}


@impls
@dtypes
@pytest.mark.parametrize("name, option", list(KINKS), ids=[f"{n}-{o}" for n, o in KINKS])
def test_kinks_match_torch(torch, impl, dtype, name, option):
    x, y = (np.array(a, dtype) for a in KINKS[name, option])
    args = (x, y) if option is None else (x, y, option)
    actual = run(impl, name, args, dtype, scale=1.0)
    assert_results_close(actual, run_torch(torch, name, args, scale=1.0), dtype)


def test_kink_values_spelled_out():
    """The subgradients the kernels promise, independently of torch."""
    def grad(name, x, y, *option):
        g = np.empty(1)
        _loss.__dict__[name](np.array([x]), np.array([y]), *option, None, g, 1.0)
        return g[0]
    assert grad("l1_loss", 2.0, 2.0) == 0.0
    assert grad("huber_loss", 1.5, 0.5, 1.0) == 1.0 and grad("huber_loss", -0.5, 0.5, 1.0) == -1.0
    assert grad("smooth_l1_loss", 3.0, 3.0, 0.0) == 0.0
    assert grad("smooth_l1_loss", 1.0, 0.0, 0.0) == 1.0
    assert grad("hinge_loss", 1.0, 1.0, 1.0) == 0.0   # exactly at the margin
    assert grad("hinge_loss", 0.5, 1.0, 1.0) == -1.0  # inside it


@impls
@dtypes
@pytest.mark.parametrize("weight", [False, True])
def test_binary_cross_entropy_at_0_and_1(torch, impl, dtype, weight):
    """Clamped logs (loss <= 100 w) and the clamped gradient, as torch."""
    p = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1e-30, 1 - 1e-7], dtype)
    y = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 0.5, 1.0, 0.0], dtype)
    w = np.linspace(0.5, 2.0, len(p)).astype(dtype) if weight else None
    args = (p, y, w)
    actual = run(impl, "binary_cross_entropy", args, dtype, scale=1.0)
    assert_results_close(actual, run_torch(torch, "binary_cross_entropy", args, 1.0), dtype)
    total, loss, grad = actual
    assert np.isfinite(loss).all() and np.isfinite(grad).all()
    assert loss[1] == pytest.approx(100.0 * (w[1] if weight else 1.0))


@impls
def test_multi_margin_strictly_positive_hinge(torch, impl):
    """A term exactly at 0 adds nothing: no loss, no gradient."""
    x = np.array([[1.0, 0.0, -0.5, 3.0]])         # target 0, margin 1: h = 0, -0.5, 3
    args = (x, np.array([0]), 1, 1.0, None)
    total, loss, grad = run(impl, "multi_margin_loss", args, np.float64, scale=1.0)
    np.testing.assert_allclose(grad, [[-0.25, 0.0, 0.0, 0.25]])
    assert total == pytest.approx(3.0 / 4)
    assert_results_close((total, loss, grad),
                         run_torch(torch, "multi_margin_loss", args, 1.0), np.float64)


@impls
@dtypes
@pytest.mark.parametrize("name", ["cross_entropy", "cross_entropy_probs"])
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_huge_logits_are_finite_and_match_torch(torch, impl, dtype, name, eps):
    big = LARGE[dtype]
    x = np.array([[big, -big, 0.0], [-big, -big, -big], [big, big, 0.5], [0.0, big, -big],
                  [1.0, 2.0, 3.0]], dtype)
    target = np.array([0, 1, 2, 0, 1])
    if name == "cross_entropy":
        args = (x, target, None, IGNORE_INDEX, eps, True)
    else:
        args = (x, np.eye(3)[target].astype(dtype), None, eps)
    actual = run(impl, name, args, dtype)
    assert np.isfinite(actual[0]) and np.isfinite(actual[1]).all() and np.isfinite(actual[2]).all()
    assert_results_close(actual, run_torch(torch, name, args), dtype)


@impls
@dtypes
def test_huge_logits_binary_cross_entropy_with_logits(torch, impl, dtype):
    big = LARGE[dtype]
    x = np.array([big, -big, big, -big, big / 2, -big / 3, 0.0], dtype)
    y = np.array([0.0, 0.0, 1.0, 1.0, 0.25, 0.75, 0.5], dtype)
    pw = np.array([2.0, 0.5, 3.0, 1.0, 1.5, 0.25, 2.0], dtype)
    for args in [(x, y, None, None), (x, y, None, pw)]:
        actual = run(impl, "binary_cross_entropy_with_logits", args, dtype)
        assert np.isfinite(actual[1]).all() and np.isfinite(actual[2]).all()
        assert_results_close(actual, run_torch(torch, "binary_cross_entropy_with_logits", args),
                             dtype)


# The losses made of exp and log compute in the inputs' dtype, as torch (float32: expf, logf,
# log1pf); float32 inputs at their extremes must still give torch's numbers, NaN and inf.
FLOAT32_LOGITS = [0.0, -0.0, 1e-30, -1e-30, 1e-7, 17.0, -17.0, 88.0, -88.0, 104.0, -104.0,
                  1e4, -1e4, 1e30, -1e30, INF, -INF, NAN]  # 1e30: torch's float32 sum is finite
FLOAT32_PROBS = [0.0, 1.0, 0.5, 1e-30, 1e-7, 1 - 2**-24, 2**-24, 0.25]


@st.composite
def float32_extremes(draw, name, option):
    """The arguments of `name` with float32 inputs: ordinary values of a drawn size, and
    extremes (FLOAT32_LOGITS, FLOAT32_PROBS) in a drawn share of the entries."""
    n = draw(st.integers(1, 600))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    big = draw(st.sampled_from([1.0, 30.0, 1e4]))
    share = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))

    def mix(ordinary, extremes):
        return np.where(rng.random(n) < share, rng.choice(extremes, n), ordinary).astype(np.float32)

    if name == "binary_cross_entropy_with_logits":
        x = mix(rng.standard_normal(n) * big, FLOAT32_LOGITS)
        y = mix(rng.random(n), FLOAT32_PROBS)
        w, pw = (rng.uniform(0, 4, n).astype(np.float32) if o else None for o in option)
        return x, y, w, pw
    if name == "binary_cross_entropy":
        w = rng.uniform(0, 4, n).astype(np.float32) if option[0] else None
        return mix(rng.random(n), FLOAT32_PROBS), mix(rng.random(n), FLOAT32_PROBS), w
    log_q = [0.0, -1e-30, -17.0, -104.0, -1e4, -INF]
    x = mix(-np.abs(rng.standard_normal(n)) * big, log_q)
    t = mix(-np.abs(rng.standard_normal(n)) * big, log_q) if option[0] \
        else mix(rng.random(n), FLOAT32_PROBS)
    return x, t, option[0]


FLOAT32_CASES = [("binary_cross_entropy_with_logits", (w, pw)) for w in (False, True)
                 for pw in (False, True)] + [("binary_cross_entropy", (False,)),
                                             ("binary_cross_entropy", (True,)),
                                             ("kl_div", (False,)), ("kl_div", (True,))]


@impls
@pytest.mark.parametrize("name, option", FLOAT32_CASES, ids=[f"{n}-{o}" for n, o in FLOAT32_CASES])
@settings(deadline=None, max_examples=30)
@given(data=st.data())
def test_float32_extremes_match_torch(torch, impl, name, option, data):
    args = data.draw(float32_extremes(name, option))
    assert_results_close(run(impl, name, args, np.float32), run_torch(torch, name, args),
                         np.float32)


SPECIAL_ROWS = [
    [1.0, 2.0, 3.0],
    [NAN, 1.0, 2.0],         # any NaN: NaN loss and gradient row
    [INF, 1.0, 2.0],         # +inf: inf - inf
    [-INF, 1.0, 2.0],        # -inf: probability 0; -inf log-probability (smoothing: inf loss)
    [1.0, -INF, 2.0],
    [-INF, -INF, -INF],      # all -inf: NaN
    [-INF, -INF, 0.0],
]


@impls
@dtypes
@pytest.mark.parametrize("eps", [0.0, 0.1])
@pytest.mark.parametrize("weight", [None, [1.0, 0.0, 2.0]], ids=["no-weight", "weight"])
def test_cross_entropy_nan_and_inf_as_torch(torch, impl, dtype, eps, weight):
    x = np.array(SPECIAL_ROWS * 3, dtype)
    target = np.repeat([0, 1, 2], len(SPECIAL_ROWS))
    w = None if weight is None else np.array(weight, dtype)
    for mean in (False, True):
        args = (x, target, w, IGNORE_INDEX, eps, mean)
        assert_results_close(run(impl, "cross_entropy", args, dtype),
                             run_torch(torch, "cross_entropy", args), dtype)


ELEMENTWISE_SPECIAL = [("mse_loss", ()), ("l1_loss", ()), ("huber_loss", (1.0,)),
                       ("huber_loss", (0.5,)), ("smooth_l1_loss", (0.5,)),
                       ("smooth_l1_loss", (0.0,)),  # l1: NaN error, gradient 0 (torch.sign)
                       ("binary_cross_entropy_with_logits", (None, None)),
                       ("kl_div", (False,)), ("kl_div", (True,)), ("hinge_loss", (1.0,))]


@impls
@dtypes
@pytest.mark.parametrize("name, option", ELEMENTWISE_SPECIAL,
                         ids=[f"{n}-{o}" for n, o in ELEMENTWISE_SPECIAL])
def test_elementwise_nan_and_inf_as_torch(torch, impl, dtype, name, option):
    special = np.array([NAN, INF, -INF, 0.0, 1.0, -1.0, 0.5])
    x = np.repeat(special, len(special)).astype(dtype)
    y = np.tile(special, len(special)).astype(dtype)
    if name == "hinge_loss":
        y = np.where(np.arange(len(x)) % 2, 1.0, -1.0).astype(dtype)
    if name == "binary_cross_entropy_with_logits":
        y = np.clip(np.nan_to_num(y), 0, 1)   # targets are validated to be in [0, 1]
    args = (x, y) + option
    assert_results_close(run(impl, name, args, dtype), run_torch(torch, name, args), dtype)


@impls
@dtypes
def test_multi_margin_and_nll_nan_and_inf_as_torch(torch, impl, dtype):
    x = np.array(SPECIAL_ROWS * 3, dtype)
    target = np.repeat([0, 1, 2], len(SPECIAL_ROWS))
    for p in (1, 2):
        args = (x, target, p, 1.0, None)
        assert_results_close(run(impl, "multi_margin_loss", args, dtype),
                             run_torch(torch, "multi_margin_loss", args), dtype)
    args = (x, target, None, IGNORE_INDEX, False)
    assert_results_close(run(impl, "nll_loss", args, dtype), run_torch(torch, "nll_loss", args),
                         dtype)


# ---- normalisation of the mean ---------------------------------------------------------------

@impls
@dtypes
@pytest.mark.parametrize("name, eps", [("cross_entropy", 0.0), ("cross_entropy", 0.1),
                                       ("nll_loss", 0.0)])
def test_mean_divides_by_the_weight_sum_of_kept_rows(impl, dtype, name, eps):
    x = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]], dtype))
    target = np.array([0, IGNORE_INDEX, 2])
    w = np.array([2.0, 5.0, 3.0], dtype)
    args = ((x, target, w, IGNORE_INDEX, eps, True) if name == "cross_entropy"
            else (x, target, w, IGNORE_INDEX, True))
    total, loss, grad = run(impl, name, args, dtype)
    norm = 2.0 + 3.0                                    # row 1 is ignored
    assert total == pytest.approx(loss.sum() / norm, rel=1e-6)
    assert loss[1] == 0.0 and (grad[1] == 0.0).all()
    if eps == 0:  # x holds log-probabilities already: -w_t log p_t
        np.testing.assert_allclose(loss, [-2.0 * np.log(0.5), 0.0, -3.0 * np.log(0.6)],
                                   rtol=1e-6)


@impls
@dtypes
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("why", ["all ignored", "zero weights", "empty"])
def test_mean_over_nothing_is_nan_with_zero_gradient(torch, impl, dtype, name, why):
    """norm = 0: NaN and a zero gradient. torch agrees when every row is ignored or there is
    no row; with zero weights its gradient is NaN (cross_entropy: every entry; nll_loss: the
    target entries), where ours is 0: a deliberate difference."""
    n = 0 if why == "empty" else 4
    x = np.random.default_rng(6).standard_normal((n, 3)).astype(dtype)
    target = np.full(n, IGNORE_INDEX) if why == "all ignored" else np.arange(n) % 3
    w = np.zeros(3, dtype) if why == "zero weights" else None
    for eps in ((0.0, 0.2) if name == "cross_entropy" else (None,)):
        args = ((x, target, w, IGNORE_INDEX, eps, True) if name == "cross_entropy"
                else (x, target, w, IGNORE_INDEX, True))
        total, loss, grad = run(impl, name, args, dtype)
        assert np.isnan(total)
        assert (grad == 0).all()
        torch_total, torch_loss, torch_grad = run_torch(torch, name, args)
        assert np.isnan(torch_total)
        assert_close(loss, torch_loss, dtype)
        if why == "zero weights":
            assert np.isnan(torch_grad).any()
        else:
            np.testing.assert_array_equal(torch_grad, grad)


@impls
@dtypes
def test_cross_entropy_known_values(impl, dtype):
    """Equal logits: loss log C, gradient 1/C - onehot; smoothing eps = 1: uniform target."""
    x = np.zeros((2, 4), dtype)
    target = np.array([1, 3])
    for eps in (0.0, 0.3, 1.0):
        total, loss, grad = run(impl, "cross_entropy", (x, target, None, IGNORE_INDEX, eps, False),
                                dtype)
        np.testing.assert_allclose(loss, [np.log(4)] * 2, rtol=1e-6)
        expected = np.full((2, 4), 0.25) - (1 - eps) * np.eye(4)[target] - eps / 4
        np.testing.assert_allclose(grad, expected, atol=1e-7)


@impls
@dtypes
@pytest.mark.parametrize("eps", [0.0, 0.05, 1.0])
@pytest.mark.parametrize("weight", [None, [0.7]], ids=["no-weight", "weight"])
def test_cross_entropy_one_class_is_exactly_zero(impl, dtype, eps, weight):
    """One class: p = 1, loss 0, and a gradient that cancels exactly (torch's is exactly 0)."""
    x = np.array([[0.3], [-2.0], [1e3]], dtype)
    w = None if weight is None else np.array(weight, dtype)
    for mean in (False, True):
        total, loss, grad = run(impl, "cross_entropy", (x, np.zeros(3, np.int64), w,
                                                        IGNORE_INDEX, eps, mean), dtype)
        assert total == 0.0
        np.testing.assert_array_equal(loss, 0.0)
        np.testing.assert_array_equal(grad, 0.0)


# ---- refusals -------------------------------------------------------------------------------

@impls
@cases
def test_mismatched_shapes_are_value_errors(impl, name, opts):
    args = make_inputs(name, opts, np.float64, 6, 4, seed=7)
    loss_shape, grad_shape = shapes_of(name, args)
    extra = (1.0,) if name in SCALED else ()
    fn = getattr(IMPLS[impl], name)
    bad_loss = np.zeros(loss_shape[0] + 1)
    bad_grad = np.zeros((grad_shape[0] + 1,) + grad_shape[1:])
    with pytest.raises(ValueError, match="loss_out"):
        fn(*args, bad_loss, np.zeros(grad_shape), *extra)
    with pytest.raises(ValueError, match="grad_out"):
        fn(*args, np.zeros(loss_shape), bad_grad, *extra)
    short_target = list(args)
    short_target[1] = args[1][:-1]
    with pytest.raises(ValueError, match="target"):
        fn(*short_target, None, None, *extra)


@pytest.mark.parametrize("x, out", [
    (np.zeros(4, np.int64), np.zeros(4, np.int64)),        # not floating point
    (np.zeros(4, np.float32), np.zeros(4, np.float64)),    # mixed dtypes
    (np.zeros(8)[::2], np.zeros(4)),                       # not contiguous
    (np.zeros((2, 2)), np.zeros(4)),                       # not 1-D
], ids=["int", "mixed", "strided", "2d"])
def test_compiled_kernel_rejects_bad_arrays(x, out):
    """The wrapper validates first; the compiled kernel itself still refuses, never crashes."""
    with pytest.raises((TypeError, ValueError)):
        _loss.mse_loss(x, np.zeros(4, out.dtype), None, out, 1.0)


def test_compiled_kernel_rejects_read_only_output():
    out = np.zeros((2, 3))
    out.setflags(write=False)
    with pytest.raises(ValueError):
        _loss.cross_entropy(np.zeros((2, 3)), np.zeros(2, np.int64), None, -100, 0.0, True,
                            None, out)


def test_multi_margin_rejects_p_3():
    with pytest.raises(ValueError, match="p must be 1 or 2"):
        _loss.multi_margin_loss(np.zeros((2, 3)), np.zeros(2, np.int64), 3, 1.0, None, None,
                                None, 1.0)


# ---- choosing the backend -------------------------------------------------------------------

SHOW_LOSS_BACKEND = """
import minigrad._kernels as k
from minigrad._kernels import _loss, reference
compiled = _loss
if k.SIMD in ('avx2', 'avx512'):  # the same source built for that SIMD (tests/test_kernels_simd.py)
    import importlib
    compiled = importlib.import_module('minigrad._kernels._loss_' + k.SIMD)
impl = {compiled.cross_entropy: 'cython', reference.cross_entropy: 'numpy'}[k.cross_entropy]
module = {'cython': compiled, 'numpy': reference}[impl]
assert all(getattr(k, f) is getattr(module, f) for f in k.LOSS_KERNELS)
print(k.BACKEND, impl, len(k.LOSS_KERNELS))
"""


@pytest.mark.parametrize("value, expected", [(None, "cython"), ("numpy", "numpy")])
def test_backend_chooses_the_loss_kernels(value, expected, tmp_path):
    env = dict(os.environ)
    env.pop("MINIGRAD_BACKEND", None)
    if value is not None:
        env["MINIGRAD_BACKEND"] = value
    package_parent = os.path.dirname(os.path.dirname(os.path.dirname(minigrad._kernels.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([package_parent, env.get("PYTHONPATH", "")])
    result = subprocess.run([sys.executable, "-c", SHOW_LOSS_BACKEND], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [expected, expected, str(len(ELEMENTWISE) + len(CLASS))]
