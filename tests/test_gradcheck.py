"""gradcheck itself: it must pass correct gradients, catch wrong ones, and skip kinks out loud."""
import re
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.gradcheck import GradcheckError, KinkWarning, numeric_jacobian
from minigrad.nn import functional as F
from minigrad.ops import activation, elementwise, reduce
from minigrad.ops import loss as loss_ops


def test_passes_a_correct_gradient():
    x = mg.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    assert mg.gradcheck(lambda x: (x.tanh() * x).sum(dim=1), [x])


def test_catches_a_wrong_gradient_and_names_the_element():
    # x ** 2 with a backward 10% too large (`_wrong`, below): 2 x 1.1 = 4.4 at x = 2, against 4
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(GradcheckError, match=r"element \(1,\), output element 1: analytic 4\.4\d* vs numeric 4\.0000"):
        mg.gradcheck(lambda x: _wrong(elementwise.PowScalar).apply(x, exponent=2), [x])


def test_checks_float32_inputs_in_float64():
    x = mg.tensor([0.3, 0.7], requires_grad=True)  # float32: too coarse for eps = 1e-6
    assert mg.gradcheck(lambda x: (x * x * x).sum(), [x])


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        mg.gradcheck(lambda x: x.sum(), [mg.tensor([1.0])])


def test_passes_non_tensor_arguments_through():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert mg.gradcheck(lambda x, k: (x * k).exp().sum(), [x, 0.5])


# ---- kinks: within eps of one, the difference quotient is not a derivative --------------------
# (name, module and class of the op with the kink, fn, inputs at the kink, inputs away from it,
#  which inputs require grad, the (input, element) pairs gradcheck must skip at the kink,
#  and whether a wrong backward is still caught on the elements it does compare there).
# Every kink of docs/kinks.md is here, with the domain edges and poles gradcheck also knows.
def _targets(values):
    return mg.tensor(np.array(values, dtype=np.int64))


KINK_CASES = [
    ("abs at 0", elementwise, "Abs", lambda x: x.abs(),
     ([0.0, 0.5, -1.2],), ([0.3, 0.5, -1.2],), (True,), {(0, (0,))}, True),
    ("relu at 0", activation, "ReLU", lambda x: x.relu(),
     ([0.0, 0.5, -1.2],), ([0.3, 0.5, -1.2],), (True,), {(0, (0,))}, True),
    ("clamp at both bounds", elementwise, "Clamp", lambda x: x.clamp(-0.5, 0.75),
     ([-0.5, 0.75, 0.1, 2.0],), ([-0.4, 0.7, 0.1, 2.0],), (True,), {(0, (0,)), (0, (1,))}, True),
    ("clamp min only", elementwise, "Clamp", lambda x: x.clamp(min=0.25),
     ([0.25, 0.5],), ([0.2, 0.5],), (True,), {(0, (0,))}, True),
    ("maximum tie", elementwise, "Maximum", lambda a, b: mg.maximum(a, b),
     ([1.0, 2.0], [1.0, -1.0]), ([1.5, 2.0], [1.0, -1.0]), (True, True), {(0, (0,)), (1, (0,))}, True),
    ("minimum tie", elementwise, "Minimum", lambda a, b: mg.minimum(a, b),
     ([1.0, -2.0], [1.0, 1.0]), ([1.5, -2.0], [1.0, 1.0]), (True, True), {(0, (0,)), (1, (0,))}, True),
    # the whole gradient goes to the tied maxima, which are skipped: nothing left to catch
    ("max() ties", reduce, "Max", lambda x: x.max(),
     ([[3.0, 1.0], [3.0, -1.0]],), ([[3.0, 1.0], [2.5, -1.0]],), (True,), {(0, (0, 0)), (0, (1, 0))}, False),
    ("max(dim) ties", reduce, "MaxDim", lambda x: x.max(dim=1)[0],
     ([[2.0, 2.0, 1.0], [0.0, 3.0, 1.0]],), ([[2.5, 2.0, 1.0], [0.0, 3.0, 1.0]],), (True,),
     {(0, (0, 0)), (0, (0, 1))}, True),
    ("x ** 0.5 at 0", elementwise, "PowScalar", lambda x: x ** 0.5,
     ([0.0, 4.0],), ([1.0, 4.0],), (True,), {(0, (0,))}, True),
    ("x ** -1 at 0", elementwise, "PowScalar", lambda x: x ** -1,
     ([0.0, 4.0],), ([1.0, 4.0],), (True,), {(0, (0,))}, True),
    ("x ** tensor(0.5) at 0", elementwise, "Pow", lambda x: x ** mg.tensor(0.5, dtype=mg.float64),
     ([0.0, 4.0],), ([1.0, 4.0],), (True,), {(0, (0,))}, True),
    ("0 ** b at b = 0", elementwise, "Pow", lambda b: mg.tensor([0.0, 2.0], dtype=mg.float64) ** b,
     ([0.0, 1.5],), ([0.5, 1.5],), (True,), {(0, (0,))}, True),
    ("sqrt at 0", elementwise, "Sqrt", lambda x: x.sqrt(),
     ([0.0, 4.0],), ([0.25, 4.0],), (True,), {(0, (0,))}, True),
    ("log at 0", elementwise, "Log", lambda x: x.log(),
     ([0.0, 4.0],), ([0.25, 4.0],), (True,), {(0, (0,))}, True),
    ("a / b at b = 0", elementwise, "Div", lambda a, b: a / b,
     ([1.0, 2.0], [0.0, 4.0]), ([1.0, 2.0], [0.5, 4.0]), (False, True), {(1, (0,))}, True),
    ("where as its condition flips", elementwise, "Where", lambda x: mg.where(x > 0, x * 2, x * -1),
     ([0.0, 1.0, -1.0],), ([0.5, 1.0, -1.0],), (True,), {(0, (0,))}, True),
    ("l1_loss at zero error", loss_ops, "L1Loss", lambda x, y: F.l1_loss(x, y),
     ([0.5, 1.0], [0.5, 0.0]), ([0.75, 1.0], [0.5, 0.0]), (True, True), {(0, (0,)), (1, (0,))}, True),
    ("huber_loss at |x - y| = delta", loss_ops, "HuberLoss", lambda x, y: F.huber_loss(x, y, delta=0.5),
     ([1.5, 0.2, -2.0], [1.0, 0.0, 0.0]), ([1.25, 0.2, -2.0], [1.0, 0.0, 0.0]), (True, True),
     {(0, (0,)), (1, (0,))}, True),
    ("smooth_l1_loss at |x - y| = beta", loss_ops, "SmoothL1Loss", lambda x, y: F.smooth_l1_loss(x, y, beta=0.5),
     ([-0.5, 0.2, 2.0], [0.0, 0.0, 0.0]), ([-0.25, 0.2, 2.0], [0.0, 0.0, 0.0]), (True, True),
     {(0, (0,)), (1, (0,))}, True),
    ("smooth_l1_loss beta = 0 at zero error", loss_ops, "SmoothL1Loss",
     lambda x, y: F.smooth_l1_loss(x, y, beta=0.0),
     ([1.0, 0.3], [1.0, 0.0]), ([1.5, 0.3], [1.0, 0.0]), (True, True), {(0, (0,)), (1, (0,))}, True),
    ("hinge_loss at the margin", loss_ops, "HingeLoss", lambda s, y: F.hinge_loss(s, y),
     ([1.0, -1.0, 0.3], [1.0, -1.0, 1.0]), ([1.5, -0.5, 0.3], [1.0, -1.0, 1.0]), (True, False),
     {(0, (0,)), (0, (1,))}, True),
    ("hinge_loss margin = 2", loss_ops, "HingeLoss", lambda s, y: F.hinge_loss(s, y, margin=2.0),
     ([2.0, 0.3], [1.0, 1.0]), ([2.5, 0.3], [1.0, 1.0]), (True, False), {(0, (0,))}, True),
    ("multi_margin_loss at the margin", loss_ops, "MultiMarginLoss",
     lambda x: F.multi_margin_loss(x, _targets([0, 2])),
     ([[1.0, 0.0, -0.5], [0.2, 0.1, 0.4]],), ([[1.0, 0.25, -0.5], [0.2, 0.1, 0.4]],), (True,),
     {(0, (0, 0)), (0, (0, 1))}, True),
    ("multi_margin_loss p = 2, margin = 0.5", loss_ops, "MultiMarginLoss",
     lambda x: F.multi_margin_loss(x, _targets([0, 2]), p=2, margin=0.5),
     ([[0.5, 0.0, -0.5], [0.2, 0.1, 0.4]],), ([[0.5, 0.25, -0.5], [0.2, 0.1, 0.4]],), (True,),
     {(0, (0, 0)), (0, (0, 1))}, True),
    # F.binary_cross_entropy refuses p outside [0, 1], which p - eps is: call the op itself
    ("binary_cross_entropy at p = 0 and p = 1", loss_ops, "BinaryCrossEntropy",
     lambda p, y: loss_ops.BinaryCrossEntropy.apply(p, y),
     ([0.0, 1.0, 0.3], [0.0, 1.0, 1.0]), ([0.1, 0.9, 0.3], [0.0, 1.0, 1.0]), (True, False),
     {(0, (0,)), (0, (1,))}, True),
    ("kl_div at t = 0", loss_ops, "KLDiv", lambda x, t: F.kl_div(x, t, reduction="sum"),
     ([-1.0, -0.5], [0.0, 0.5]), ([-1.0, -0.5], [0.25, 0.5]), (True, True), {(1, (0,))}, True),
    # joining, gathering, min, var/std, norm, prod and the newer element-wise ops
    ("min() ties", reduce, "Min", lambda x: x.min(),
     ([[0.0, 1.0], [0.0, 2.0]],), ([[0.0, 1.0], [0.5, 2.0]],), (True,), {(0, (0, 0)), (0, (1, 0))}, False),
    ("min(dim) ties", reduce, "MinDim", lambda x: x.min(dim=1)[0],
     ([[1.0, 1.0, 2.0], [0.0, 3.0, 1.0]],), ([[0.5, 1.0, 2.0], [0.0, 3.0, 1.0]],), (True,),
     {(0, (0, 0)), (0, (0, 1))}, True),
    ("sign at 0", elementwise, "Sign", lambda x: x.sign() + x,
     ([0.0, 0.5, -1.2],), ([0.3, 0.5, -1.2],), (True,), {(0, (0,))}, True),
    ("log1p at -1", elementwise, "Log1p", lambda x: x.log1p(),
     ([-1.0, 3.0],), ([-0.75, 3.0],), (True,), {(0, (0,))}, True),
    ("std at zero spread", reduce, "Std", lambda x: x.std(dim=1),
     ([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]],), ([[1.0, 1.5, 1.0], [1.0, 2.0, 4.0]],), (True,),
     {(0, (0, 0)), (0, (0, 1)), (0, (0, 2))}, True),
    ("norm at 0", reduce, "Norm", lambda x: x.norm(dim=1),
     ([[0.0, 0.0], [3.0, -4.0]],), ([[0.5, 0.0], [3.0, -4.0]],), (True,), {(0, (0, 0)), (0, (0, 1))}, True),
    ("norm p = 1 at 0", reduce, "Norm", lambda x: x.norm(p=1),
     ([0.0, 2.0],), ([0.5, 2.0],), (True,), {(0, (0,))}, True),
    ("norm p = inf ties", reduce, "Norm", lambda x: x.norm(p=float("inf")),
     ([2.0, -2.0, 1.0],), ([2.5, -2.0, 1.0],), (True,), {(0, (0,)), (0, (1,))}, False),
    # the newer activations (their kinks are declared in ops/activation.py)
    ("leaky_relu at 0", activation, "LeakyReLU", lambda x: F.leaky_relu(x, 0.1),
     ([0.0, 0.5, -1.2],), ([0.3, 0.5, -1.2],), (True,), {(0, (0,))}, True),
    ("softplus at beta x = threshold", activation, "Softplus", lambda x: F.softplus(x, beta=2.0, threshold=1.0),
     ([0.5, 0.1, 2.0],), ([0.75, 0.1, 2.0],), (True,), {(0, (0,))}, True),
]
KINK_IDS = [case[0] for case in KINK_CASES]


def _inputs(arrays, grads):
    return [mg.tensor(np.array(a, dtype=np.float64), requires_grad=g) for a, g in zip(arrays, grads)]


@pytest.mark.parametrize("name, module, op, fn, at, away, grads, skipped, caught", KINK_CASES, ids=KINK_IDS)
def test_at_a_kink_the_element_is_skipped_and_reported(name, module, op, fn, at, away, grads, skipped, caught):
    with pytest.warns(KinkWarning, match="not compared") as record:
        assert mg.gradcheck(fn, _inputs(at, grads))
    assert len(record) == 1
    reported = record[0].message.skipped
    assert {(s.input, s.element) for s in reported} == skipped
    kink = getattr(module, op).kink.where
    assert all(s.kinks == (kink,) for s in reported)
    assert kink in str(record[0].message)
    with pytest.raises(GradcheckError, match=re.escape(kink)):
        mg.gradcheck(fn, _inputs(at, grads), kinks="raise")


@pytest.mark.parametrize("name, module, op, fn, at, away, grads, skipped, caught", KINK_CASES, ids=KINK_IDS)
def test_away_from_a_kink_every_element_is_checked(name, module, op, fn, at, away, grads, skipped, caught):
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # no KinkWarning (nor any other)
        assert mg.gradcheck(fn, _inputs(away, grads))
        assert mg.gradcheck(fn, _inputs(away, grads), kinks="raise")


def _wrong(cls):
    """A test-only subclass of `cls` whose backward is 10% too large (it keeps cls's kink);
    where the true gradient is 0 everywhere (sign), 0.1 instead."""
    def backward(ctx, grad):
        grads = cls.backward(ctx, grad)
        grads = grads if isinstance(grads, tuple) else (grads,)
        return tuple(None if g is None else g * 1.1 if np.any(g) else g + 0.1 for g in grads)
    return type(f"Wrong{cls.__name__}", (cls,), {"backward": staticmethod(backward)})


@pytest.mark.parametrize("name, module, op, fn, at, away, grads, skipped, caught", KINK_CASES, ids=KINK_IDS)
def test_a_wrong_gradient_is_still_caught(monkeypatch, name, module, op, fn, at, away, grads, skipped, caught):
    monkeypatch.setattr(module, op, _wrong(getattr(module, op)))   # fn now reaches the wrong op
    with pytest.raises(GradcheckError, match="analytic"):
        mg.gradcheck(fn, _inputs(away, grads))
    # At the kink, the elements that are not skipped are still compared.
    if caught:
        with pytest.raises(GradcheckError, match="Not compared, within eps of a kink") as error:
            mg.gradcheck(fn, _inputs(at, grads))
        named = re.search(r"input (\d+) \(shape \([^)]*\)\), element (\([^)]*\))", str(error.value))
        assert (int(named[1]), eval(named[2])) not in skipped
    else:   # every element with a gradient is skipped: the warning is all there is to see
        with pytest.warns(KinkWarning):
            assert mg.gradcheck(fn, _inputs(at, grads))


def test_within_eps_of_a_kink_counts_as_at_it():
    near = mg.tensor([4e-7, -9e-7, 2e-6, -3e-6], dtype=mg.float64, requires_grad=True)
    with pytest.warns(KinkWarning) as record:
        assert mg.gradcheck(lambda x: x.relu(), [near], eps=1e-6)
    assert [s.element for s in record[0].message.skipped] == [(0,), (1,)]   # 2e-6 and -3e-6 are further than eps


def test_without_skipping_a_kink_makes_a_correct_op_fail():
    # relu's subgradient 0 at 0 against the quotient's average of the two sides, (eps - 0) / 2 eps
    with pytest.raises(GradcheckError, match=r"element \(0,\).*analytic 0\.0 vs numeric 0\.5"):
        mg.gradcheck(lambda x: x.relu(), [mg.tensor([0.0, 1.0], requires_grad=True)], kinks="check")
    # max(dim): the whole gradient to the first of two tied maxima, none to the second, against half each
    with pytest.raises(GradcheckError, match=r"element \(1,\).*analytic 0\.0 vs numeric 0\.5"):
        mg.gradcheck(lambda x: x.max(dim=0)[0], [mg.tensor([2.0, 2.0], requires_grad=True)], kinks="check")


def test_a_kink_crossed_deep_in_the_graph_is_found():
    # relu(w x - 1) has its kink at x = 0.5 when w = 2: the perturbation of x travels through Mul and Sub
    x = mg.tensor([0.5, 0.2], requires_grad=True)
    w = mg.tensor([2.0, 2.0], requires_grad=True)
    with pytest.warns(KinkWarning) as record:
        assert mg.gradcheck(lambda x, w: (x * w - 1).relu().sum(), [x, w])
    assert {(s.input, s.element) for s in record[0].message.skipped} == {(0, (0,)), (1, (0,))}


def test_smooth_at_a_kink_free_point_means_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mg.gradcheck(lambda x: x ** 2 + x.abs() * 0, [mg.tensor([0.0 + 1e-3, 1.0], requires_grad=True)])
        assert mg.gradcheck(lambda x: x ** 2, [mg.tensor([0.0, 1.0], requires_grad=True)])   # smooth at 0


def test_a_branch_in_fn_is_reported():
    def fn(x):
        return x.relu().sum() if x.data[0] > 0 else x.abs().sum()

    with pytest.warns(KinkWarning, match="a branch in fn") as record:
        assert mg.gradcheck(fn, [mg.tensor([0.0, 1.0], requires_grad=True)])
    assert [s.element for s in record[0].message.skipped] == [(0,)]


def test_kinks_must_be_skip_raise_or_check():
    with pytest.raises(ValueError, match="kinks must be"):
        mg.gradcheck(lambda x: x.sum(), [mg.tensor([1.0], requires_grad=True)], kinks="ignore")


def test_every_op_with_a_kink_has_a_case():
    # docs/kinks.md is checked against the same declarations by tests/test_kinks_doc.py
    from tests.test_kinks_doc import declared_kinks
    covered = {getattr(module, op) for _, module, op, *_ in KINK_CASES}
    assert covered == set(declared_kinks())


# ---- a Function of your own declares its kink the same way -----------------------------------
class Step(mg.Function):
    """y = x + 1 where x > 0, else x: a jump at 0 (derivative 1 on both sides, the value jumps).
    Its own kink declaration is all gradcheck needs to skip the jump instead of failing there."""

    kink = mg.autograd.Kink("step at x = 0", lambda x, **_: mg.autograd.side(x, 0))

    @staticmethod
    def forward(ctx, x):
        return x + (x > 0)

    @staticmethod
    def backward(ctx, grad):
        return grad


class UndeclaredStep(Step):
    kink = None      # the same jump, undeclared


def test_a_users_own_function_declares_its_kink():
    at = [0.0, 0.5, -1.0]
    with pytest.warns(KinkWarning, match=r"input 0 element \(0,\) \(step at x = 0\)") as record:
        assert mg.gradcheck(lambda x: Step.apply(x), _inputs([at], [True]))
    assert [(s.element, s.kinks) for s in record[0].message.skipped] == [((0,), ("step at x = 0",))]
    with pytest.raises(GradcheckError, match="step at x = 0"):
        mg.gradcheck(lambda x: Step.apply(x), _inputs([at], [True]), kinks="raise")
    # undeclared, the quotient across the jump, (1 + eps - (-eps)) / 2 eps ~ 5e5, is compared and fails
    with pytest.raises(GradcheckError, match=r"element \(0,\).*analytic 1\.0 vs numeric 50000"):
        mg.gradcheck(lambda x: UndeclaredStep.apply(x), _inputs([at], [True]))
    # away from it, no warning, and a wrong backward in a subclass keeps the kink and is caught
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mg.gradcheck(lambda x: Step.apply(x), _inputs([[0.25, 0.5, -1.0]], [True]))
    with pytest.raises(GradcheckError, match="analytic"):
        mg.gradcheck(lambda x: _wrong(Step).apply(x), _inputs([[0.25, 0.5, -1.0]], [True]))


# ---- the one finite-difference routine -------------------------------------------------------------
def test_numeric_jacobian_is_the_jacobian():
    # y = a b + a^2 (a of 2 elements, b a number): J_a = diag(b + 2 a), J_b = a as a column
    a = mg.tensor([0.5, -2.0], requires_grad=True)             # float32: differentiated in float64
    b = mg.tensor(3.0, dtype=mg.float64, requires_grad=True)
    jacobians = numeric_jacobian(lambda a, b, c: a * b + a ** c, [a, b, 2])
    assert set(jacobians) == {0, 1}
    np.testing.assert_allclose(jacobians[0], [[4.0, 0.0], [0.0, -1.0]], rtol=1e-9)
    np.testing.assert_allclose(jacobians[1], [[0.5], [-2.0]], rtol=1e-9)
    assert a.dtype == mg.float32 and a.data.tolist() == [0.5, -2.0]   # the caller's tensors are left alone
    # an output that does not move has derivative 0, even at inf (log 0 - log 0 would be nan)
    x = mg.tensor([0.0, 1.0], dtype=mg.float64, requires_grad=True)
    np.testing.assert_array_equal(numeric_jacobian(lambda x, z: (x * z).log(), [x, 0.0])[0], np.zeros((2, 2)))
