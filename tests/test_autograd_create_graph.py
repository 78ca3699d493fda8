"""create_graph=True in the engine (autograd.backward_with_graph): gradients that are Tensors
with a graph of their own, through .grad, hooks, retained gradients and grad(); the worked
values are the derivatives of polynomials written out by hand. Each op's second derivatives
against torch are in tests/torch_parity/test_double_backward_*.py.
"""
import warnings

import numpy as np
import pytest

import minigrad as mg


def cubic(x):
    return (x * x * x).sum()        # d/dx = 3 x^2, d2/dx2 = 6 x, d3/dx3 = 6


def test_backward_with_create_graph_leaves_a_grad_that_can_be_differentiated_again():
    x = mg.tensor([1.0, -2.0, 0.5], dtype=mg.float64, requires_grad=True)
    with pytest.warns(UserWarning, match="reference cycle between the parameter and its gradient"):
        cubic(x).backward(create_graph=True)
    first = x.grad
    assert first.requires_grad and first.grad_fn is not None
    np.testing.assert_allclose(first.data, 3 * x.data ** 2)
    x.grad = None
    first.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data)


def test_grad_to_the_third_order():
    x = mg.tensor([1.0, -2.0, 0.5], dtype=mg.float64, requires_grad=True)
    (g1,) = mg.autograd.grad(cubic(x), x, create_graph=True)
    (g2,) = mg.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = mg.autograd.grad(g2.sum(), x)
    np.testing.assert_allclose(g1.data, 3 * x.data ** 2)
    np.testing.assert_allclose(g2.data, 6 * x.data)
    np.testing.assert_allclose(g3.data, [6.0, 6.0, 6.0])
    assert x.grad is None and g3.grad_fn is None


def test_a_gradient_output_with_a_graph_gives_a_hessian_vector_product():
    x = mg.tensor([1.0, -2.0], dtype=mg.float64, requires_grad=True)
    v = mg.tensor([0.5, 3.0], dtype=mg.float64, requires_grad=True)
    (g,) = mg.autograd.grad(cubic(x), x, create_graph=True)     # 3 x^2
    (hv,) = mg.autograd.grad(g, x, grad_outputs=v, create_graph=True)   # H v = 6 x v
    np.testing.assert_allclose(hv.data, 6 * x.data * v.data)
    (dv,) = mg.autograd.grad(hv.sum(), v)                       # d(6 x . v)/dv = 6 x
    np.testing.assert_allclose(dv.data, 6 * x.data)


def test_hooks_and_retained_gradients_see_tensors_with_a_graph():
    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    y = x * x
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g) or g * x)   # the replacement itself depends on x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (y * 3).sum().backward(create_graph=True)
    assert seen[0].requires_grad is False and np.allclose(seen[0].data, 3)   # d(3 y)/dy: a constant
    assert y.grad.requires_grad                     # the hook's g * x
    np.testing.assert_allclose(x.grad.data, 2 * x.data * 3 * x.data)        # 6 x^2 (through the hook)
    (second,) = mg.autograd.grad(x.grad.sum(), x)
    np.testing.assert_allclose(second.data, 12 * x.data)


def test_create_graph_records_even_under_no_grad_as_torch_does():
    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    y = cubic(x)
    with mg.no_grad():
        (g,) = mg.autograd.grad(y, x, create_graph=True)
        assert not mg.is_grad_enabled()             # the mode is back as it was
    assert g.requires_grad and g.grad_fn is not None


def test_without_create_graph_the_gradients_are_constants():
    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    (g,) = mg.autograd.grad(cubic(x), x)
    assert not g.requires_grad and g.grad_fn is None
