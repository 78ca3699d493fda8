"""Second and third derivatives of the element-wise ops and activations, against torch 2.13.0.

Each op's `backward_with_graph` (its backward written with Tensor ops, create_graph=True) is
checked through Hessian-vector products: with u, v random,

    g = d sum(u * f(x)) / dx          (recorded: create_graph=True)
    h = d sum(v * g) / dx             (the Hessian of sum(u * f) times v)

computed by minigrad and by torch, float64 to 1e-10 relative and float32 to 1e-4. Each op is
checked as f(x) (its second derivative through the input or output it saves) and as f(x)^2
(the gradient arriving at f then depends on x: the derivative through `grad`). Binary ops
take broadcasting shapes drawn by hypothesis. Where torch's g carries no graph (a gradient
that is piecewise constant in x: clamp, maximum, where, sign, ...) minigrad's must carry none
either; where torch's is in the graph with a zero derivative (relu, abs, leaky_relu), the
second derivative is zeros in both.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import minigrad as mg
from minigrad.ops._broadcast import unbroadcast, unbroadcast_tensor
from minigrad.testing import difference

RTOL = {np.float64: 1e-10, np.float32: 1e-4}
DTYPES = [np.float64, np.float32]


def assert_close(mine, theirs, dtype, what):
    """Within RTOL of torch's value, with an absolute floor at the values' own size (scale 1:
    a second derivative that cancels to ~0 cannot fail on rounding alone)."""
    rtol = RTOL[np.dtype(dtype).type]
    row = difference(what, mine, theirs, atol=0.0, rtol=rtol, scale=1.0)
    assert row.ok, f"{row}  (rtol {rtol:g})"


def F(lib):
    return lib.nn.functional


def derivatives(lib, fn, arrays, u, v, dtype):
    """(y, g, h) of fn on the library's tensors: y = fn(x), g = d sum(u y)/dx recorded, h = the
    Hessian-vector product d sum(v g)/dx (None where g carries no graph or h is unused)."""
    xs = [lib.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    y = fn(lib, *xs)
    g = lib.autograd.grad((lib.tensor(u.astype(dtype)) * y).sum(), xs, create_graph=True)
    connected = [gi.requires_grad for gi in g]
    h = [None] * len(xs)
    if any(connected):
        total = sum((lib.tensor(vi.astype(dtype)) * gi).sum() for vi, gi, c in zip(v, g, connected) if c)
        h = list(lib.autograd.grad(total, xs, allow_unused=True))
    return as_array(y), [as_array(gi) for gi in g], connected, [as_array(hi) for hi in h]


def as_array(t):
    """A tensor of either library as a float64 array, or None. (torch's zeros from sign's
    backward are a ZeroTensor, which converts only with force=True.)"""
    if t is None:
        return None
    return np.array(t.detach().numpy(force=True) if hasattr(t, "is_cuda") else t.detach().numpy(), dtype=np.float64)


def compare_hvp(torch, fn, arrays, dtype, seed=0):
    """Run `derivatives` in both libraries with the same u and v; compare everything."""
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    u = rng.uniform(-1, 1, size=shape)
    v = [rng.uniform(-1, 1, size=a.shape) for a in arrays]
    with np.errstate(all="ignore"):
        y, g, connected, h = derivatives(mg, fn, arrays, u, v, dtype)
    ty, tg, tconnected, th = derivatives(torch, fn, arrays, u, v, dtype)
    assert_close(y, ty, dtype, "value")
    for i in range(len(arrays)):
        assert_close(g[i], tg[i], dtype, f"gradient of input {i}")
        assert connected[i] == tconnected[i], \
            f"input {i}: the gradient requires_grad={connected[i]} in minigrad, {tconnected[i]} in torch"
        assert (h[i] is None) == (th[i] is None), f"input {i}: second derivative {h[i]} in minigrad, {th[i]} in torch"
        if th[i] is not None:
            assert_close(h[i], th[i], dtype, f"Hessian-vector product of input {i}")
    return h


# ---- unary ops and activations ------------------------------------------------------------------
# (name, fn(lib, x), range of x)
UNARY = [
    ("neg", lambda L, x: -x, (-2, 2)),
    ("exp", lambda L, x: x.exp(), (-2, 2)),
    ("log", lambda L, x: x.log(), (0.3, 3)),
    ("sqrt", lambda L, x: x.sqrt(), (0.3, 3)),
    ("abs", lambda L, x: x.abs(), (-2, 2)),
    ("sign", lambda L, x: x.sign(), (-2, 2)),
    ("square", lambda L, x: x.square(), (-2, 2)),
    ("pow_0", lambda L, x: x ** 0, (-2, 2)),
    ("pow_1", lambda L, x: x ** 1, (-2, 2)),
    ("pow_2", lambda L, x: x ** 2, (-2, 2)),
    ("pow_3", lambda L, x: x ** 3, (-2, 2)),
    ("pow_2_5", lambda L, x: x ** 2.5, (0.3, 3)),
    ("pow_minus_1_5", lambda L, x: x ** -1.5, (0.3, 3)),
    ("number_to_the_x", lambda L, x: 1.7 ** x, (-2, 2)),  # Pow with a constant base
    ("clamp", lambda L, x: x.clamp(-1.0, 1.0), (-2, 2)),
    ("clamp_min", lambda L, x: x.clamp(min=-0.5), (-2, 2)),
    ("clamp_max", lambda L, x: x.clamp(max=0.5), (-2, 2)),
    ("log1p", lambda L, x: x.log1p(), (-0.7, 2)),
    ("expm1", lambda L, x: x.expm1(), (-2, 2)),
    ("sin", lambda L, x: x.sin(), (-3, 3)),
    ("cos", lambda L, x: x.cos(), (-3, 3)),
    ("relu", lambda L, x: x.relu(), (-2, 2)),
    ("sigmoid", lambda L, x: x.sigmoid(), (-4, 4)),
    ("tanh", lambda L, x: x.tanh(), (-3, 3)),
    ("leaky_relu", lambda L, x: F(L).leaky_relu(x, 0.2), (-2, 2)),
    ("softplus", lambda L, x: F(L).softplus(x), (-3, 3)),
    ("softplus_both_branches", lambda L, x: F(L).softplus(x, beta=2.0, threshold=2.0), (-2, 2)),
    ("gelu", lambda L, x: F(L).gelu(x), (-3, 3)),
    ("gelu_tanh", lambda L, x: F(L).gelu(x, approximate="tanh"), (-3, 3)),
    ("cast_there_and_back", lambda L, x: (x.double().sin() * x.double()).to(x.dtype), (-2, 2)),
]
FORMS = {"f": lambda f: f, "f_squared": lambda f: (lambda L, x: f(L, x) * f(L, x))}


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, fn, interval", UNARY, ids=[op[0] for op in UNARY])
def test_unary_hessian_vector_products(torch, name, fn, interval, dtype, form):
    rng = np.random.default_rng(len(name))
    for shape in [(), (5,), (2, 3)]:
        x = rng.uniform(*interval, size=shape)
        compare_hvp(torch, FORMS[form](fn), [x], dtype, seed=len(shape))


# ---- binary ops, broadcasting ------------------------------------------------------------------
# (name, fn(lib, a, b), range of a, range of b)
BINARY = [
    ("add", lambda L, a, b: a + b, (-2, 2), (-2, 2)),
    ("sub", lambda L, a, b: a - b, (-2, 2), (-2, 2)),
    ("mul", lambda L, a, b: a * b, (-2, 2), (-2, 2)),
    ("div", lambda L, a, b: a / b, (-2, 2), (0.5, 2)),
    ("pow", lambda L, a, b: a ** b, (0.3, 2), (-2, 3)),
    ("maximum", lambda L, a, b: L.maximum(a, b), (-2, 2), (-2, 2)),
    ("minimum", lambda L, a, b: L.minimum(a, b), (-2, 2), (-2, 2)),
    ("where", lambda L, a, b: L.where(a > 0.2, a, b), (-2, 2), (-2, 2)),
    ("where_of_products", lambda L, a, b: L.where(a > b, a * b, b.exp()), (-2, 2), (-2, 2)),
]
BINARY_FORMS = {"f": lambda f: f, "f_squared": lambda f: (lambda L, a, b: f(L, a, b) * f(L, a, b))}


@pytest.mark.parametrize("form", list(BINARY_FORMS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, fn, a_interval, b_interval", BINARY, ids=[op[0] for op in BINARY])
@settings(max_examples=12, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_binary_hessian_vector_products_broadcasting(torch, name, fn, a_interval, b_interval, dtype, form,
                                                    shapes, seed):
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shapes.input_shapes
    a = rng.uniform(*a_interval, size=a_shape)
    b = rng.uniform(*b_interval, size=b_shape)
    if name == "div":
        b *= rng.choice([-1.0, 1.0], size=b_shape)  # either sign, away from the pole
    compare_hvp(torch, BINARY_FORMS[form](fn), [a, b], dtype, seed=seed)


# ---- at the kinks: torch's subgradients, and torch's second derivatives there -------------------
KINKS = [
    ("relu_at_0", lambda L, x: x.relu(), [[-1.0, 0.0, -0.0, 2.0]]),
    ("relu_squared_at_0", lambda L, x: x.relu() * x.relu(), [[-1.0, 0.0, -0.0, 2.0]]),
    ("abs_at_0", lambda L, x: x.abs() * x, [[-1.0, 0.0, 2.0]]),
    ("sign_at_0", lambda L, x: x.sign() * x * x, [[-1.0, 0.0, 2.0]]),
    ("leaky_relu_at_0", lambda L, x: F(L).leaky_relu(x, 0.1) * x, [[-1.0, 0.0, 2.0]]),
    ("clamp_at_its_bounds", lambda L, x: (x * x).clamp(0.25, 1.0) * x, [[0.5, -0.5, 1.0, -1.0, 0.0, 2.0]]),
    ("maximum_at_a_tie", lambda L, a, b: L.maximum(a * a, b * b), [[1.0, -2.0, 3.0], [1.0, 2.0, 0.5]]),
    ("minimum_at_a_tie", lambda L, a, b: L.minimum(a * a, b * b), [[1.0, -2.0, 3.0], [1.0, 2.0, 0.5]]),
    ("pow_at_0", lambda L, a, b: a ** b, [[0.0, 0.0, 0.0, 0.0, 0.0, 1.5], [0.0, 1.0, 2.0, 3.0, 0.5, 2.0]]),
    ("pow_scalar_at_0", lambda L, x: x ** 3 + x ** 2 + x ** 1 + x ** 0, [[0.0, -0.0, 1.0]]),
    ("sqrt_at_0", lambda L, x: x.sqrt(), [[0.0, 1.0]]),
    ("where_with_an_infinite_branch", lambda L, x: L.where(x > 0, x.sqrt(), x), [[0.0, 1.0, -1.0]]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, fn, arrays", KINKS, ids=[k[0] for k in KINKS])
def test_second_derivatives_at_the_kinks_are_torchs(torch, name, fn, arrays, dtype):
    compare_hvp(torch, fn, [np.array(a) for a in arrays], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_second_derivative_is_zero_and_in_the_graph_as_torchs(torch, dtype):
    x = np.array([-1.5, -0.0, 0.0, 0.5, 2.0])
    for lib in (mg, torch):
        t = lib.tensor(x.astype(dtype), requires_grad=True)
        (g,) = lib.autograd.grad(t.relu().sum(), t, create_graph=True)
        assert g.requires_grad  # in the graph (torch: ThresholdBackwardBackward0) ...
        np.testing.assert_array_equal(g.detach().numpy(), [0, 0, 0, 1, 1])
        (h,) = lib.autograd.grad(g.sum(), t)
        np.testing.assert_array_equal(h.numpy(), np.zeros(5))  # ... with a zero derivative


# ---- third derivatives -------------------------------------------------------------------------

def third_derivative(lib, fn, x, dtype):
    """f'''(x) element by element for an element-wise f: three recorded gradients of sums."""
    t = lib.tensor(np.asarray(x, dtype=dtype), requires_grad=True)
    (g1,) = lib.autograd.grad(fn(lib, t).sum(), t, create_graph=True)
    (g2,) = lib.autograd.grad(g1.sum(), t, create_graph=True)
    (g3,) = lib.autograd.grad(g2.sum(), t)
    return as_array(g3)


def polynomial(L, x):
    """3 x^4 - 2 x^3 + x^2 - 5 x + 1 through PowScalar, Pow (a tensor exponent), Mul, Add, Sub."""
    four = L.tensor(np.full(x.shape, 4.0), dtype=x.dtype)
    return 3 * x ** four - 2 * x ** 3 + x * x - 5 * x + 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_third_derivative_of_a_polynomial(torch, dtype):
    x = np.array([-1.5, -0.3, 0.0, 0.7, 2.0])
    mine = third_derivative(mg, polynomial, x, dtype)
    assert_close(mine, 72 * x - 12, dtype, "p''' against the formula")  # p''' = 72 x - 12
    assert_close(mine, third_derivative(torch, polynomial, x, dtype), dtype, "p''' against torch")


@pytest.mark.parametrize("dtype", DTYPES)
def test_third_derivative_of_tanh(torch, dtype):
    x = np.linspace(-3, 3, 13)
    t = np.tanh(x)
    mine = third_derivative(mg, lambda L, x: x.tanh(), x, dtype)
    assert_close(mine, -2 * (1 - t * t) * (1 - 3 * t * t), dtype, "tanh''' against the formula")
    assert_close(mine, third_derivative(torch, lambda L, x: x.tanh(), x, dtype), dtype, "tanh''' against torch")


SMOOTH = [op for op in UNARY if op[0] not in ("neg", "sign", "pow_0", "pow_1", "clamp", "clamp_min", "clamp_max")]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, fn, interval", SMOOTH, ids=[op[0] for op in SMOOTH])
def test_third_derivatives_of_every_unary_op(torch, name, fn, interval, dtype):
    """The chain closes: each op's backward_with_graph is made of ops that have one too."""
    x = np.random.default_rng(3).uniform(*interval, size=6)
    cubed = lambda L, x: fn(L, x) * fn(L, x) * fn(L, x)  # f^3: every derivative of f up to f''' takes part
    assert_close(third_derivative(mg, cubed, x, dtype), third_derivative(torch, cubed, x, dtype), dtype, "d3/dx3")


@pytest.mark.parametrize("dtype", DTYPES)
def test_third_derivatives_of_binary_ops_through_broadcasting(torch, dtype):
    """d3/da3 of sum(a * b / (a - c) * exp(a b)), a (3, 1) against b (4,): Add/Sub/Mul/Div/Exp and
    the summed-back gradient, three times."""
    rng = np.random.default_rng(5)
    a, b = rng.uniform(0.5, 1, size=(3, 1)), rng.uniform(-1, 1, size=4)

    def third(lib):
        ta = lib.tensor(a.astype(dtype), requires_grad=True)
        tb = lib.tensor(b.astype(dtype))
        y = (ta * tb / (ta - 2.0) * (ta * tb).exp()).sum()
        for create in (True, True, False):
            (y,) = lib.autograd.grad(y.sum(), ta, create_graph=create)
        return as_array(y)

    assert_close(third(mg), third(torch), dtype, "d3/da3")


# ---- the ops the gradients are made of ---------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_normal_cdf_and_its_derivatives_are_torchs_ndtr(torch, dtype):
    from minigrad.ops.activation import NormalCDF
    x = np.linspace(-4, 4, 9).astype(dtype)
    mine = mg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    mine_y, their_y = NormalCDF.apply(mine), torch.special.ndtr(theirs)
    assert_close(mine_y.data, their_y.detach().numpy(), dtype, "Phi")
    for lib, t, y in ((mg, mine, mine_y), (torch, theirs, their_y)):
        (g,) = lib.autograd.grad(y.sum(), t, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), t)
        if lib is mg:
            first, second = g.data, h.data
        else:
            assert_close(first, g.detach().numpy(), dtype, "phi")
            assert_close(second, h.numpy(), dtype, "phi'")
    mine.grad = None
    NormalCDF.apply(mine).sum().backward()  # the array backward (create_graph=False)
    assert_close(mine.grad.data, first, dtype, "phi, array backward")


@settings(max_examples=40, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_unbroadcast_tensor_is_unbroadcast_and_is_recorded(shapes, seed):
    """The Tensor version sums what the array version sums; its own gradient (the adjoint of
    the adjoint) broadcasts back, and is recorded too."""
    shape = shapes.input_shapes[0]
    big = shapes.result_shape
    rng = np.random.default_rng(seed)
    grad = mg.tensor(rng.normal(size=big), requires_grad=True)
    summed = unbroadcast_tensor(grad, shape)
    assert summed.shape == shape
    np.testing.assert_allclose(summed.data, unbroadcast(grad.data, shape), rtol=1e-12, atol=1e-12)
    w = rng.normal(size=shape)
    (back,) = mg.autograd.grad((summed * mg.tensor(w)).sum(), grad, create_graph=True)
    np.testing.assert_allclose(back.data, np.broadcast_to(w, big), rtol=0, atol=0)


@settings(max_examples=10, deadline=None)
@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=4), seed=st.integers(0, 2 ** 16))
def test_create_graph_gives_the_same_first_gradient_as_backward(shape, seed):
    """The recorded gradient (backward_with_graph) and the array one (backward) are the same
    formulas, so create_graph=True changes nothing about the first derivative (to the last bit
    or two: softplus's sigmoid is 1 / (1 + e^-x) there, z / (z + 1) in backward)."""
    x0 = np.random.default_rng(seed).uniform(-2, 2, size=shape)

    def f(x):
        return (x.sigmoid() * x.tanh() + x.relu() * x.abs() + mg.maximum(x, x.sin()) + x.exp() / (1 + x * x)
                + mg.nn.functional.gelu(x) + mg.nn.functional.softplus(x) + x.clamp(-1, 1) ** 3)

    x = mg.tensor(x0, requires_grad=True)
    (recorded,) = mg.autograd.grad(f(x).sum(), x, create_graph=True)
    (plain,) = mg.autograd.grad(f(x).sum(), x)
    np.testing.assert_allclose(recorded.data, plain.data, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_slope_and_normal_cdf_pass_gradcheck(dtype):
    from minigrad.ops.activation import NormalCDF, Slope
    rng = np.random.default_rng(7)
    x = mg.tensor(rng.uniform(-2, 2, size=(3, 4)).astype(dtype), requires_grad=True)
    grad = mg.tensor(rng.uniform(-1, 1, size=(3, 4)).astype(dtype), requires_grad=True)
    slope = np.where(x.data > 0, 1.0, 0.3).astype(dtype)
    assert mg.gradcheck(lambda g, x: Slope.apply(g, x, slope=slope), (grad, x))
    assert mg.gradcheck(lambda x: NormalCDF.apply(x), (x,))


@pytest.mark.parametrize("name, fn, interval", UNARY, ids=[op[0] for op in UNARY])
def test_unary_second_derivatives_against_finite_differences(name, fn, interval):
    """A second oracle beside torch: gradgradcheck's central differences of the gradient."""
    from minigrad.gradcheck import gradgradcheck
    x = mg.tensor(np.random.default_rng(11).uniform(*interval, size=(2, 3)), requires_grad=True)
    assert gradgradcheck(lambda x: fn(mg, x) * fn(mg, x), (x,))


@pytest.mark.parametrize("name, fn, a_interval, b_interval", BINARY, ids=[op[0] for op in BINARY])
def test_binary_second_derivatives_against_finite_differences(name, fn, a_interval, b_interval):
    from minigrad.gradcheck import gradgradcheck
    rng = np.random.default_rng(12)
    a = mg.tensor(rng.uniform(*a_interval, size=(2, 1, 3)), requires_grad=True)
    b = mg.tensor(rng.uniform(*b_interval, size=(4, 1)), requires_grad=True)
    assert gradgradcheck(lambda a, b: fn(mg, a, b) * fn(mg, a, b), (a, b))


@pytest.mark.parametrize("dtype", DTYPES)
def test_second_derivatives_through_in_place_ops(torch, dtype):
    """mul_/add_/clamp_/div_ record the same Functions: their backward_with_graph sees the
    inputs as they were when each op ran."""
    def fn(L, x):
        y = x * 1.5
        y.mul_(x)
        y.add_(x.sin(), alpha=2.0)
        y.clamp_(-1.0, 3.0)
        y.div_(x + 3)
        return y * y * x

    compare_hvp(torch, fn, [np.array([0.5, -1.2, 2.0, 0.1, 1.1])], dtype)
