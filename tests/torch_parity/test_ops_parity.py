"""Every op of SPEC 2: value and gradient against torch 2.13.0, in float64 and float32.

One table of ops drives the value, gradient and gradcheck tests (minitorch's way):
each entry is (name, fn(lib, *tensors), input domain).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import minigrad as mg
from tests.torch_parity.helpers import compare

DTYPES = [np.float64, np.float32]

# name, fn, (low, high) of the inputs' values
UNARY = [
    ("neg", lambda L, x: -x, (-3, 3)),
    ("exp", lambda L, x: x.exp(), (-3, 3)),
    ("log", lambda L, x: x.log(), (0.1, 4)),
    ("sqrt", lambda L, x: x.sqrt(), (0.1, 4)),
    ("abs", lambda L, x: x.abs(), (-3, 3)),
    ("relu", lambda L, x: x.relu(), (-3, 3)),
    ("sigmoid", lambda L, x: x.sigmoid(), (-6, 6)),
    ("tanh", lambda L, x: x.tanh(), (-3, 3)),
    ("clamp", lambda L, x: x.clamp(-0.5, 0.7), (-2, 2)),
    ("clamp_min", lambda L, x: x.clamp(min=0.2), (-2, 2)),
    ("clamp_max", lambda L, x: x.clamp(max=0.1), (-2, 2)),
    ("pow_int", lambda L, x: x ** 3, (-2, 2)),
    ("pow_square", lambda L, x: x ** 2, (-2, 2)),           # PowScalar's a * a path
    ("pow_float_two", lambda L, x: x ** 2.0, (-2, 2)),
    ("pow_negative", lambda L, x: x ** -1, (0.5, 2)),
    ("pow_one", lambda L, x: x ** 1, (-2, 2)),
    ("pow_half", lambda L, x: x ** 0.5, (0.1, 4)),
    ("rpow", lambda L, x: 2.5 ** x, (-2, 2)),
    ("add_scalar", lambda L, x: x + 1.5, (-2, 2)),
    ("radd_scalar", lambda L, x: 1.5 + x, (-2, 2)),
    ("rsub_scalar", lambda L, x: 2 - x, (-2, 2)),
    ("mul_scalar", lambda L, x: x * 3, (-2, 2)),
    ("div_scalar", lambda L, x: x / 4, (-2, 2)),
    ("rdiv_scalar", lambda L, x: 1.5 / x, (0.5, 3)),
    ("sum", lambda L, x: x.sum(), (-2, 2)),
    ("sum_dim", lambda L, x: x.sum(dim=-1), (-2, 2)),
    ("sum_dims_keepdim", lambda L, x: x.sum(dim=(0, 1), keepdim=True), (-2, 2)),
    ("mean", lambda L, x: x.mean(), (-2, 2)),
    ("mean_dim", lambda L, x: x.mean(dim=0), (-2, 2)),
    ("mean_keepdim", lambda L, x: x.mean(dim=1, keepdim=True), (-2, 2)),
    ("max", lambda L, x: x.max(), (-2, 2)),
    ("max_dim", lambda L, x: x.max(dim=1)[0], (-2, 2)),
    ("max_dim_keepdim", lambda L, x: x.max(dim=0, keepdim=True)[0], (-2, 2)),
    ("softmax_last", lambda L, x: x.softmax(dim=-1), (-3, 3)),
    ("softmax_first", lambda L, x: x.softmax(dim=0), (-3, 3)),
    ("log_softmax_last", lambda L, x: x.log_softmax(dim=-1), (-3, 3)),
    ("log_softmax_middle", lambda L, x: x.log_softmax(dim=1), (-3, 3)),
    ("reshape", lambda L, x: x.reshape(-1), (-2, 2)),
    ("view", lambda L, x: x.view(4, 6), (-2, 2)),
    ("transpose", lambda L, x: x.transpose(0, 2), (-2, 2)),
    ("permute", lambda L, x: x.permute(2, 0, 1), (-2, 2)),
    ("unsqueeze", lambda L, x: x.unsqueeze(1), (-2, 2)),
    ("squeeze", lambda L, x: x[:, :1].squeeze(1), (-2, 2)),
    ("flatten", lambda L, x: x.flatten(1), (-2, 2)),
    ("getitem_int", lambda L, x: x[1], (-2, 2)),
    ("getitem_slices", lambda L, x: x[:, 1:, ::2], (-2, 2)),
    ("getitem_negative_step_free", lambda L, x: x[..., -1], (-2, 2)),
    ("getitem_int_array_repeats", lambda L, x: x[L.tensor([0, 1, 0, 1])], (-2, 2)),
    ("getitem_mask", lambda L, x: x[x > 0], (-2, 2)),
    ("getitem_mixed", lambda L, x: x[L.tensor([1, 1]), :, 2], (-2, 2)),
    ("diamond", lambda L, x: (x * x + x.exp() * x).sum(dim=0), (-2, 2)),
]
SHAPE = (2, 3, 4)


def _draw(shape, domain, seed, dtype=np.float64):
    return np.random.default_rng(seed).uniform(*domain, size=shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, fn, domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_op_matches_torch(torch, name, fn, domain, dtype):
    compare(torch, fn, [_draw(SHAPE, domain, seed=1)], dtype=dtype)


@pytest.mark.parametrize("name, fn, domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_op_gradcheck(name, fn, domain):
    x = mg.tensor(_draw(SHAPE, domain, seed=2), requires_grad=True)
    assert mg.gradcheck(lambda x: fn(mg, x), [x])


BINARY = [
    ("add", lambda L, a, b: a + b, (-2, 2), (-2, 2)),
    ("sub", lambda L, a, b: a - b, (-2, 2), (-2, 2)),
    ("mul", lambda L, a, b: a * b, (-2, 2), (-2, 2)),
    ("div", lambda L, a, b: a / b, (-2, 2), (0.5, 2)),
    ("pow", lambda L, a, b: a ** b, (0.5, 2), (-2, 2)),
    ("maximum", lambda L, a, b: L.maximum(a, b), (-2, 2), (-2, 2)),
    ("minimum", lambda L, a, b: a.minimum(b), (-2, 2), (-2, 2)),
    ("where", lambda L, a, b: L.where(a > 0, a, b), (-2, 2), (-2, 2)),
    ("used_twice", lambda L, a, b: a * b + a, (-2, 2), (-2, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, fn, domain_a, domain_b", BINARY, ids=[b[0] for b in BINARY])
@settings(max_examples=15, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4),
       seed=st.integers(0, 2**16))
def test_binary_op_broadcasts_like_torch(torch, name, fn, domain_a, domain_b, dtype, shapes, seed):
    shape_a, shape_b = shapes.input_shapes
    compare(torch, fn, [_draw(shape_a, domain_a, seed), _draw(shape_b, domain_b, seed + 1)], dtype=dtype,
            grad_seed=seed)


@pytest.mark.parametrize("name, fn, domain_a, domain_b", BINARY, ids=[b[0] for b in BINARY])
def test_binary_op_gradcheck(name, fn, domain_a, domain_b):
    a = mg.tensor(_draw((3, 1), domain_a, seed=3), requires_grad=True)
    b = mg.tensor(_draw((4,), domain_b, seed=4), requires_grad=True)
    assert mg.gradcheck(lambda a, b: fn(mg, a, b), [a, b])


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
                 ((2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape_a, shape_b", MATMUL_SHAPES)
def test_matmul_matches_torch(torch, shape_a, shape_b, dtype):
    compare(torch, lambda L, a, b: a @ b, [_draw(shape_a, (-2, 2), 5), _draw(shape_b, (-2, 2), 6)], dtype=dtype)


@pytest.mark.parametrize("shape_a, shape_b", MATMUL_SHAPES)
def test_matmul_gradcheck(shape_a, shape_b):
    a = mg.tensor(_draw(shape_a, (-2, 2), 7), requires_grad=True)
    b = mg.tensor(_draw(shape_b, (-2, 2), 8), requires_grad=True)
    assert mg.gradcheck(lambda a, b: a @ b, [a, b])


# ---- the kinks of SPEC 2: subgradients exactly as in torch 2.13.0 ---------------------------
KINKS = [
    ("abs_at_0", lambda L, x: x.abs(), [[-1.0, 0.0, 2.0]]),
    ("relu_at_0", lambda L, x: x.relu(), [[-1.0, 0.0, 2.0]]),
    ("clamp_at_bounds", lambda L, x: x.clamp(-1.0, 1.0), [[-2.0, -1.0, 0.0, 1.0, 2.0]]),
    ("clamp_min_at_bound", lambda L, x: x.clamp(min=0.5), [[0.5, 0.4, 0.6]]),
    ("maximum_tie", lambda L, a, b: L.maximum(a, b), [[1.0, 2.0, 3.0], [1.0, 5.0, 3.0]]),
    ("minimum_tie", lambda L, a, b: L.minimum(a, b), [[1.0, 2.0, 3.0], [1.0, 5.0, 0.0]]),
    ("max_full_ties", lambda L, x: x.max(), [[[3.0, 1.0, 3.0], [3.0, 2.0, 0.0]]]),
    ("max_dim_ties", lambda L, x: x.max(dim=1)[0], [[[3.0, 1.0, 3.0], [2.0, 2.0, 0.0]]]),
    ("max_dim0_ties", lambda L, x: x.max(dim=0)[0], [[[3.0, 1.0, 3.0], [3.0, 1.0, 0.0]]]),
    ("pow_zero_exponent_at_0", lambda L, x: x ** 0, [[0.0, 1.0, -2.0]]),
    ("pow_zero_float_exponent_at_0", lambda L, x: x ** 0.0, [[0.0, 1.0, -2.0]]),
    ("pow_square_at_0", lambda L, x: x ** 2, [[0.0, -0.0, 3.0]]),
    ("pow_half_at_0", lambda L, x: x ** 0.5, [[0.0, 4.0]]),
    ("pow_negative_at_0", lambda L, x: x ** -2, [[0.0, 2.0]]),
    ("pow_tensor_base_0", lambda L, a, b: a ** b, [[0.0, 0.0, 2.0], [2.0, 0.0, 0.5]]),
    ("sqrt_at_0", lambda L, x: x.sqrt(), [[0.0, 4.0]]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, fn, arrays", KINKS, ids=[k[0] for k in KINKS])
def test_kink_matches_torch(torch, name, fn, arrays, dtype):
    compare(torch, fn, arrays, dtype=dtype)


def test_max_dim_returns_indices_like_torch(torch):
    x = np.array([[3.0, 1.0, 3.0], [2.0, 2.0, 0.0]])
    values, indices = mg.tensor(x).max(dim=1)
    expected = torch.tensor(x).max(dim=1)
    np.testing.assert_array_equal(values.data, expected.values.numpy())
    np.testing.assert_array_equal(indices.data, expected.indices.numpy())
    np.testing.assert_array_equal(mg.tensor(x).argmax(dim=1).data, torch.tensor(x).argmax(dim=1).numpy())
    assert mg.tensor(x).argmax().item() == torch.tensor(x).argmax().item()


@pytest.mark.parametrize("dtype, big", [(np.float32, 1e4), (np.float64, 1e30)])
@pytest.mark.parametrize("fn", [lambda L, x: x.softmax(dim=-1), lambda L, x: x.log_softmax(dim=-1),
                                lambda L, x: x.sigmoid(), lambda L, x: x.tanh()])
def test_extreme_inputs_stay_finite_and_match_torch(torch, fn, dtype, big):
    x = np.array([[big, -big, 0.0], [-big, -big, -big], [big, big, 1.0]])
    out = compare(torch, fn, [x], dtype=dtype)
    assert np.all(np.isfinite(out.data))


def test_sum_of_bool_and_int_tensors_has_torch_dtype(torch):
    x = np.array([[1, 2], [3, 4]])
    assert mg.tensor(x).sum().dtype == np.int64
    assert mg.tensor(x > 2).sum().item() == torch.tensor(x > 2).sum().item() == 2


@pytest.mark.parametrize("make", [lambda L: L.tensor([1, 2]) * 0.5, lambda L: L.tensor([1, 2]) / 2,
                                  lambda L: L.tensor([1.0], dtype=L.float32) + L.tensor([2.0], dtype=L.float64),
                                  lambda L: L.tensor([1, 2]) + L.tensor([0.5]), lambda L: L.tensor([1.5]) * 2,
                                  lambda L: L.tensor([1, 2]).exp()])
def test_type_promotion_matches_torch(torch, make):
    mine, theirs = make(mg), make(torch)
    assert str(mine.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(mine.data, theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", [lambda L, x: x.softmax(dim=0), lambda L, x: x.log_softmax(dim=-1),
                                lambda L, x: x.exp() * x, lambda L, x: x @ x.T])
def test_non_contiguous_and_read_only_inputs(torch, fn, dtype):
    base = _draw((6, 8), (-3, 3), seed=9, dtype=dtype)
    strided = base[::2, 1::3]  # a non-contiguous view
    read_only = base.T.copy()
    read_only.setflags(write=False)
    for array in (strided, np.asfortranarray(base), read_only):
        x = mg.from_numpy(array).requires_grad_()
        out = fn(mg, x)
        expected_x = torch.tensor(np.array(array), requires_grad=True)
        expected = fn(torch, expected_x)
        upstream = np.ones(out.shape, dtype=dtype)
        out.backward(mg.tensor(upstream))
        expected.backward(torch.tensor(upstream))
        tolerance = 1e-12 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=tolerance, atol=tolerance)
        np.testing.assert_allclose(x.grad.data, expected_x.grad.numpy(), rtol=tolerance, atol=tolerance)
