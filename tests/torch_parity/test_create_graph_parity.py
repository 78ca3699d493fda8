"""The create_graph engine against torch on the edges: double backward through a freed graph,
create_graph=True under no_grad, retain_graph's default, unused inputs, a gradient with no
graph differentiated again; and derivatives to the third order through tanh and a loss.

Each scenario is `run(lib)`, run on minigrad and on torch: the same values, or the same
exception type with the message compared as far as the two engines word it alike (where
minigrad words it differently, the test says how: the lead decides whether to align them).
"""
import subprocess
import sys
import warnings

import numpy as np
import pytest

import minigrad as mg

FREED_TORCH = ("Trying to backward through the graph a second time (or directly access saved tensors after they have "
               "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
               "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
               "if you need to access saved tensors after calling backward.")


def x_of(lib, values=(0.5, -1.0, 2.0)):
    return lib.tensor(np.array(values, dtype=np.float64), requires_grad=True)


def errors_of(torch, run):
    """run(lib) must raise in both: (minigrad's exception, torch's)."""
    caught = []
    for lib in (mg, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as error:
                run(lib)
        caught.append(error.value)
    assert type(caught[0]) is type(caught[1]), f"minigrad {caught[0]!r}, torch {caught[1]!r}"
    return caught


def results_of(torch, run):
    out = []
    for lib in (mg, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.append(run(lib))
    return out


# ---- a freed graph --------------------------------------------------------------------------------
def double_backward_of_the_gradient(lib):
    x = x_of(lib)
    (g,) = lib.autograd.grad((x ** 3).sum(), x, create_graph=True)
    g.sum().backward()       # frees g's graph (retain_graph defaults to False here)
    g.sum().backward()


def create_graph_after_a_freeing_backward(lib):
    x = x_of(lib)
    y = (x ** 3).sum()
    y.backward()             # create_graph=False: the forward's buffers are freed
    lib.autograd.grad(y, x, create_graph=True)


def grad_again_after_create_graph_without_retain(lib):
    x = x_of(lib)
    y = (x ** 3).sum()
    lib.autograd.grad(y, x, create_graph=True, retain_graph=False)
    lib.autograd.grad(y, x)


@pytest.mark.parametrize("run", [double_backward_of_the_gradient, create_graph_after_a_freeing_backward,
                                 grad_again_after_create_graph_without_retain])
def test_backward_through_a_freed_graph_raises_as_in_torch(torch, run):
    mine, theirs = errors_of(torch, run)
    assert isinstance(mine, RuntimeError)
    assert str(mine) == str(theirs) == FREED_TORCH
    assert "had saved" in mine.__notes__[0]   # minigrad's note names the op whose buffers were freed


def test_the_gradient_outlives_its_forward_graph(torch):
    """create_graph=True, retain_graph=False frees the forward's buffers, but the gradient's
    own graph still differentiates: d/dx sum(3 x^2) = 6 x, in both."""
    def run(lib):
        x = x_of(lib)
        (g,) = lib.autograd.grad((x ** 3).sum(), x, create_graph=True, retain_graph=False)
        return lib.autograd.grad(g.sum(), x)[0].tolist()
    mine, theirs = results_of(torch, run)
    assert mine == theirs == [3.0, -6.0, 12.0]


def test_retain_graph_defaults_to_create_graph(torch):
    def run(lib):
        x = x_of(lib)
        y = (x ** 3).sum()
        y.backward(create_graph=True)
        y.backward()             # the graph was kept: the gradient adds up
        return x.grad.tolist()
    mine, theirs = results_of(torch, run)
    assert mine == theirs == [1.5, 6.0, 24.0]


# ---- create_graph=True under no_grad ----------------------------------------------------------------
def test_create_graph_under_no_grad_still_records_the_backward(torch):
    """torch's engine records the backward's ops whenever create_graph=True, whatever the grad
    mode around the call; the mode is the caller's again afterwards."""
    def run(lib):
        x = x_of(lib)
        y = (x ** 3).sum()
        with lib.no_grad():
            (g,) = lib.autograd.grad(y, x, create_graph=True)
            inside = lib.is_grad_enabled()
        return g.requires_grad, inside, lib.is_grad_enabled(), lib.autograd.grad(g.sum(), x)[0].tolist()
    mine, theirs = results_of(torch, run)
    assert mine == theirs == (True, False, True, [3.0, -6.0, 12.0])


def test_backward_with_create_graph_under_no_grad_leaves_a_differentiable_grad(torch):
    def run(lib):
        x = x_of(lib)
        y = (x ** 3).sum()
        with lib.no_grad():
            y.backward(create_graph=True)
        return x.grad.requires_grad, lib.autograd.grad(x.grad.sum(), x)[0].tolist()
    mine, theirs = results_of(torch, run)
    assert mine == theirs == (True, [3.0, -6.0, 12.0])


def test_a_forward_under_no_grad_has_nothing_to_differentiate(torch):
    def with_grad(lib):
        x = x_of(lib)
        with lib.no_grad():
            lib.autograd.grad((x ** 3).sum(), x, create_graph=True)
    mine, theirs = errors_of(torch, with_grad)
    assert str(mine) == str(theirs) == "element 0 of tensors does not require grad and does not have a grad_fn"

    def with_backward(lib):
        x = x_of(lib)
        with lib.no_grad():
            (x ** 3).sum().backward(create_graph=True)
    mine, theirs = errors_of(torch, with_backward)
    assert str(mine) == str(theirs) == "element 0 of tensors does not require grad and does not have a grad_fn"


def test_backward_with_create_graph_warns_about_the_reference_cycle(torch):
    """torch's words (without its C++ source location). torch warns once per process, so its
    side runs in a fresh interpreter; minigrad warns at every such backward()."""
    code = ("import warnings, torch\n"
            "x = torch.ones(2, requires_grad=True)\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    (x ** 3).sum().backward(create_graph=True)\n"
            "print(str(caught[0].message).split(' (Triggered internally')[0])\n")
    theirs = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    for _ in range(2):
        x = x_of(mg)
        with pytest.warns(UserWarning) as caught:
            (x ** 3).sum().backward(create_graph=True)
        assert [str(w.message) for w in caught] == [theirs]
    assert theirs.startswith("Using backward() with create_graph=True will create a reference cycle")


# ---- gradients without a graph, unused inputs ---------------------------------------------------
def test_a_gradient_computed_without_create_graph_cannot_be_differentiated(torch):
    def run(lib):
        x = x_of(lib)
        (g,) = lib.autograd.grad((x ** 3).sum(), x)
        assert not g.requires_grad and g.grad_fn is None
        lib.autograd.grad(g.sum(), x)
    mine, theirs = errors_of(torch, run)
    assert str(mine) == str(theirs) == "element 0 of tensors does not require grad and does not have a grad_fn"


def test_the_gradient_of_a_linear_function_has_no_graph(torch):
    def run(lib):
        x = x_of(lib)
        (g,) = lib.autograd.grad((x * 3).sum(), x, create_graph=True)
        return g.requires_grad, g.tolist()
    mine, theirs = results_of(torch, run)
    assert mine == theirs == (False, [3.0, 3.0, 3.0])


def test_relus_gradient_has_a_graph_and_a_zero_second_derivative(torch):
    def run(lib):
        x = x_of(lib)
        (g,) = lib.autograd.grad((x.relu() * x).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        return g.requires_grad, g.tolist(), h.tolist()
    mine, theirs = results_of(torch, run)
    assert mine == theirs


def test_unused_inputs_with_create_graph(torch):
    def unused(lib):
        x, z = x_of(lib), x_of(lib)
        lib.autograd.grad((x ** 3).sum(), [x, z], create_graph=True)
    mine, theirs = errors_of(torch, unused)
    assert str(mine) == str(theirs)

    def allowed(lib):
        x, z = x_of(lib), x_of(lib)
        return lib.autograd.grad((x ** 3).sum(), [x, z], create_graph=True, allow_unused=True)[1]
    assert results_of(torch, allowed) == [None, None]


def test_a_non_scalar_output_needs_grad_outputs(torch):
    def run(lib):
        x = x_of(lib)
        lib.autograd.grad(x ** 3, x, create_graph=True)
    mine, theirs = errors_of(torch, run)
    assert str(mine) == str(theirs)


# ---- to the third order ---------------------------------------------------------------------------
def derivatives(lib, f, x, order):
    """[f'(x), f''(x), ...] element-wise sums: d^k/dx^k of sum f(x), each from the last."""
    out, current = [], f(x).sum()
    for k in range(order):
        (current,) = lib.autograd.grad(current, x, create_graph=k < order - 1)
        out.append(current.detach().numpy().copy())
        current = current.sum()
    return out


@pytest.mark.parametrize("name, f", [
    ("polynomial", lambda x: x ** 4 - 2 * x ** 3 + x),
    ("tanh", lambda x: x.tanh()),
    ("sigmoid * exp", lambda x: x.sigmoid() * x.exp()),
])
def test_third_derivatives_element_wise(torch, name, f):
    def run(lib):
        return derivatives(lib, f, x_of(lib, (0.3, -1.2, 0.8)), 3)
    mine, theirs = results_of(torch, run)
    for k, (m, t) in enumerate(zip(mine, theirs), 1):
        np.testing.assert_allclose(m, t, rtol=1e-12, atol=1e-14, err_msg=f"{name}, order {k}")


def test_third_derivatives_of_cross_entropy(torch):
    """d^3 loss / dz^3 contracted with v three times: grad, then <grad, v>, twice more."""
    rng = np.random.default_rng(3)
    logits, v = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    target = np.array([0, 2, 1, 2])

    def run(lib):
        z = lib.tensor(logits, requires_grad=True)
        direction = lib.tensor(v)
        current = lib.nn.functional.cross_entropy(z, lib.tensor(target))
        found = []
        for k in range(3):
            (current,) = lib.autograd.grad(current, z, create_graph=True)
            found.append(current.detach().numpy().copy())
            current = (current * direction).sum()
        return found
    mine, theirs = results_of(torch, run)
    for k, (m, t) in enumerate(zip(mine, theirs), 1):
        np.testing.assert_allclose(m, t, rtol=1e-10, atol=1e-15, err_msg=f"order {k}")
