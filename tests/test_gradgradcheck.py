"""gradgradcheck: second derivatives (backward with create_graph=True, differentiated again)
against finite differences of the gradient. It must pass correct ops, catch a wrong
backward_with_graph naming the worst element, and skip kinks out loud, as gradcheck does."""
import re
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import Function
from minigrad.gradcheck import GradcheckError, KinkWarning, gradgradcheck
from minigrad.nn import functional as F
from minigrad.ops import elementwise


def t(values, requires_grad=True):
    return mg.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


def no_kink_warning():
    """A context in which a KinkWarning is an error (nothing may be skipped)."""
    catcher = warnings.catch_warnings()
    catcher.__enter__()
    warnings.simplefilter("error", KinkWarning)
    return catcher


# ---- correct ops pass ---------------------------------------------------------------------------
RNG = np.random.default_rng(15)
CORRECT = {
    "cubic": (lambda x: (x * x * x).sum(), [RNG.normal(size=3)]),
    "tanh": (lambda x: x.tanh(), [RNG.normal(size=(2, 3))]),
    "sigmoid times exp": (lambda x: x.sigmoid() * x.exp(), [RNG.normal(size=4)]),
    "two inputs": (lambda a, b: (a * b.sin()) / (1 + b * b), [RNG.normal(size=3), RNG.normal(size=3)]),
    "matmul": (lambda a, b: (a @ b).tanh(), [RNG.normal(size=(2, 3)), RNG.normal(size=(3, 2))]),
    "softmax": (lambda x: x.softmax(dim=1), [RNG.normal(size=(2, 3))]),
    "log_softmax": (lambda x: x.log_softmax(dim=0), [RNG.normal(size=(2, 3))]),
    "mse": (lambda x, y: F.mse_loss(x, y), [RNG.normal(size=4), RNG.normal(size=4)]),
    "cross_entropy": (lambda x: F.cross_entropy(x, mg.tensor([0, 2, 1])), [RNG.normal(size=(3, 3))]),
    "bce with logits": (lambda x: F.binary_cross_entropy_with_logits(x, mg.tensor([0.0, 1.0, 1.0], dtype=mg.float64)),
                        [RNG.normal(size=3)]),
    "mlp": (lambda x, w1, w2: ((x @ w1).tanh() @ w2).sum(),
            [RNG.normal(size=(4, 3)), RNG.normal(size=(3, 5)), RNG.normal(size=(5, 2))]),
}


@pytest.mark.parametrize("name", CORRECT)
def test_passes_correct_second_derivatives(name):
    fn, arrays = CORRECT[name]
    catcher = no_kink_warning()
    try:
        assert gradgradcheck(fn, [t(a) for a in arrays])
    finally:
        catcher.__exit__(None, None, None)


def test_is_exported_as_mg_gradgradcheck():
    assert mg.gradgradcheck is gradgradcheck
    assert "gradgradcheck" in mg.__all__


def test_given_grad_outputs_and_inputs_that_do_not_require_grad():
    x, y = t([0.3, -1.2, 2.0]), t([1.0, 2.0, 3.0], requires_grad=False)
    assert gradgradcheck(lambda a, b: a.exp() * b, [x, y], grad_outputs=t([1.0, -0.5, 0.25]))
    assert gradgradcheck(lambda a, b: a.exp() * b, [x, y], grad_outputs=[np.array([1.0, -0.5, 0.25])])  # (not checked)
    assert gradgradcheck(lambda a, k: (a * k).sin().sum(), [x, 2.0])         # a non-tensor argument, passed through


def test_checks_float32_inputs_in_float64():
    x = mg.tensor([0.3, 0.7, -0.2], requires_grad=True)         # float32: too coarse for eps = 1e-6
    assert gradgradcheck(lambda a: (a * a * a).exp(), [x])


def test_a_linear_function_has_zero_second_derivatives():
    """G = J^T v depends only on v: d G / dx = 0 both ways, d G / dv = J^T."""
    x = t([1.0, 2.0])
    assert gradgradcheck(lambda a: a * 3 + 1, [x])


# ---- wrong backward_with_graph: caught, worst element named ------------------------------------
class Cube(Function):
    """y = x^3, dy/dx = 3 x^2. The backward_with_graph of the subclasses below is wrong."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        (x,) = inputs
        return grad * 3 * x * x


class HalfCutCube(Cube):
    """The right values, but one factor x detached: d/dx of the gradient is 3 x v, not 6 x v."""

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        (x,) = inputs
        return grad * 3 * x * x.detach()


class SeedCutCube(Cube):
    """The right values, but the upstream gradient detached: d/dv of the gradient is 0, not 3 x^2."""

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        (x,) = inputs
        return grad.detach() * 3 * x * x


class WrongValueCube(Cube):
    """A wrong gradient (3 x^3): create_graph=True and backward() disagree."""

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        (x,) = inputs
        return grad * 3 * x * x * x


def test_the_correct_cube_passes():
    assert gradgradcheck(lambda a: Cube.apply(a), [t([1.0, -2.0, 0.5])])


def test_a_graph_cut_from_the_input_is_caught_at_the_worst_element():
    # d G_i / d x_i = 6 x_i v_i; cut, 3 x_i v_i. With v = 1 the worst is x = -2: -6 vs -12.
    x = t([1.0, -2.0, 0.5])
    with pytest.raises(GradcheckError, match=r"d\(gradient of input 0, element \(1,\)\) / d\(input 0, element \(1,\)\): "
                                             r"analytic -6\.0 vs numeric -1(2\.0|1\.999)"):
        gradgradcheck(lambda a: HalfCutCube.apply(a), [x], grad_outputs=mg.ones(3, dtype=mg.float64))


def test_a_graph_cut_from_the_upstream_gradient_is_caught():
    # d G_i / d v_i = 3 x_i^2; cut, 0. The worst is x = -2: 0 vs 12.
    x = t([1.0, -2.0, 0.5])
    v = t([1.0, 1.0, 1.0])
    with pytest.raises(GradcheckError, match=r"d\(gradient of input 0, element \(1,\)\) / d\(grad_outputs, element "
                                             r"\(1,\)\): analytic 0\.0 vs numeric 1(2\.0|1\.999)"):
        gradgradcheck(lambda a: SeedCutCube.apply(a), [x], grad_outputs=v)


def test_a_wrong_gradient_value_is_caught_before_the_second_derivatives():
    with pytest.raises(GradcheckError, match=r"gradient of input 0 computed with create_graph=True differs from "
                                             r"backward\(\)'s at element \(1,\): -24\.0 vs 12\.0"):
        gradgradcheck(lambda a: WrongValueCube.apply(a), [t([1.0, -2.0, 0.5])], grad_outputs=mg.ones(3, dtype=mg.float64))


def test_a_library_op_with_a_wrong_backward_with_graph_is_caught(monkeypatch):
    """exp's gradient grad * exp(x) with exp(x) detached: right values, second derivative 0."""
    monkeypatch.setattr(elementwise.Exp, "backward_with_graph",
                        staticmethod(lambda ctx, grad, inputs, output: grad * output.detach()))
    x = t([0.1, 1.5, -0.3])
    expected = re.escape(f"element (1,)) / d(input 0, element (1,)): analytic 0.0 vs numeric {np.exp(1.5):.5f}"[:-1])
    with pytest.raises(GradcheckError, match=expected):                        # d^2 exp / dx^2 = exp(1.5) = 4.4817
        gradgradcheck(lambda a: a.exp(), [x], grad_outputs=mg.ones(3, dtype=mg.float64))
    monkeypatch.undo()
    assert gradgradcheck(lambda a: a.exp(), [x])


def test_gradcheck_alone_does_not_see_a_wrong_backward_with_graph():
    """Why gradgradcheck exists: first derivatives come from backward(), which is right."""
    x = t([1.0, -2.0, 0.5])
    assert mg.gradcheck(lambda a: HalfCutCube.apply(a), [x])
    with pytest.raises(GradcheckError):
        gradgradcheck(lambda a: HalfCutCube.apply(a), [x])


# ---- kinks -------------------------------------------------------------------------------------
def test_a_jump_of_the_second_derivative_is_skipped_and_reported():
    """x relu(x): gradient 2 relu(x) is continuous, the second derivative jumps 0 -> 2 at 0."""
    x = t([0.0, 0.7, -1.1])
    with pytest.warns(KinkWarning, match=r"1 of \d+ input elements not compared.*relu at x = 0") as record:
        assert gradgradcheck(lambda a: a * a.relu(), [x])
    skipped = [w.message for w in record if isinstance(w.message, KinkWarning)][0].skipped
    assert [(s.input, s.element) for s in skipped] == [(0, (0,))]


def test_a_jump_of_the_gradient_is_skipped():
    """relu: the gradient itself jumps at 0 (the difference quotient of it is ~1 / eps there)."""
    with pytest.warns(KinkWarning, match="relu at x = 0"):
        assert gradgradcheck(lambda a: a.relu() * a.exp(), [t([0.0, 0.5])])


def test_huber_at_delta_is_a_kink_of_the_second_derivative():
    x, y = t([1.0, 0.2, -0.4]), t([0.0, 0.0, 0.0], requires_grad=False)        # |x - y| = delta = 1 at element 0
    with pytest.warns(KinkWarning, match=r"huber_loss at \|x - y\| = delta"):
        assert gradgradcheck(lambda a, b: F.huber_loss(a, b), [x, y])


def test_kinks_raise_and_check():
    x = t([0.0, 0.7])
    with pytest.raises(GradcheckError, match=r"1 element\(s\) within eps = 1e-06 of a kink.*input 0 element \(0,\) "
                                             r"\(relu at x = 0\)"):
        gradgradcheck(lambda a: a * a.relu(), [x], kinks="raise")
    with pytest.raises(GradcheckError, match=r"d\(gradient of input 0, element \(0,\)\) / d\(input 0, element \(0,\)\)"):
        gradgradcheck(lambda a: a * a.relu(), [x], kinks="check")


def test_away_from_kinks_nothing_is_skipped():
    catcher = no_kink_warning()
    try:
        assert gradgradcheck(lambda a: a * a.relu() + a.abs() * a, [t([0.3, -0.7, 1.2])])
    finally:
        catcher.__exit__(None, None, None)


# ---- bad arguments -----------------------------------------------------------------------------
def test_bad_arguments():
    x = t([1.0, 2.0])
    with pytest.raises(ValueError, match="requires_grad"):
        gradgradcheck(lambda a: a * a, [t([1.0], requires_grad=False)])
    with pytest.raises(ValueError, match="kinks must be 'skip', 'raise' or 'check'"):
        gradgradcheck(lambda a: a * a, [x], kinks="ignore")
    with pytest.raises(TypeError, match="fn must return a Tensor, got float"):
        gradgradcheck(lambda a: 1.0, [x])
    with pytest.raises(ValueError, match=re.escape("grad_outputs must have fn's output shape (2,), got (3,)")):
        gradgradcheck(lambda a: a * a, [x], grad_outputs=np.ones(3))
    with pytest.raises(ValueError, match="grad_outputs must be one tensor, got 2"):
        gradgradcheck(lambda a: a * a, [x], grad_outputs=(np.ones(2), np.ones(2)))
