"""gradcheck itself: it must pass correct gradients and catch wrong ones."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.gradcheck import GradcheckError


def test_passes_a_correct_gradient():
    x = mg.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    assert mg.gradcheck(lambda x: (x.tanh() * x).sum(dim=1), [x])


def test_catches_a_wrong_gradient_and_names_the_element():
    class WrongSquare(mg.Function):
        """y = x^2, with a deliberately wrong derivative 3x (the true one is 2x)."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x

    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(GradcheckError, match=r"element \(1,\), output element 1: analytic 6\.0 vs numeric 4\.0000"):
        mg.gradcheck(lambda x: WrongSquare.apply(x), [x])


def test_checks_float32_inputs_in_float64():
    x = mg.tensor([0.3, 0.7], requires_grad=True)  # float32: too coarse for eps = 1e-6
    assert mg.gradcheck(lambda x: (x * x * x).sum(), [x])


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        mg.gradcheck(lambda x: x.sum(), [mg.tensor([1.0])])


def test_passes_non_tensor_arguments_through():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert mg.gradcheck(lambda x, k: (x * k).exp().sum(), [x, 0.5])
