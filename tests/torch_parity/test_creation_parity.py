"""The creation functions beyond the first few (empty, eye, linspace, randint, rand_like, randn_like,
full_like), allclose / isclose, and float16 storage, against torch 2.13.0."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg

DTYPES = [("float32", np.float32), ("float64", np.float64), ("int64", np.int64)]


def _torch_dtype(torch, name):
    return getattr(torch, name)


@pytest.mark.parametrize("name, dtype", DTYPES)
@settings(max_examples=60, deadline=None)
@given(start=st.floats(-1e3, 1e3), end=st.floats(-1e3, 1e3), steps=st.integers(0, 70))
def test_linspace_matches_torch(torch, name, dtype, start, end, steps):
    mine = mg.linspace(start, end, steps, dtype=getattr(mg, name))
    theirs = torch.linspace(start, end, steps, dtype=_torch_dtype(torch, name)).numpy()
    assert mine.dtype == theirs.dtype and mine.shape == theirs.shape == (steps,)
    if steps == 0:
        return
    assert mine.data[0] == theirs[0] and mine.data[-1] == theirs[-1]   # both ends exact
    if dtype == np.int64:
        # torch's vectorised loop truncates chunk starts: a middle value may differ by 1
        assert np.max(np.abs(mine.data - theirs)) <= 1
    else:
        scale = max(abs(start), abs(end), 1.0)
        np.testing.assert_allclose(mine.data, theirs, rtol=0, atol=4 * np.finfo(dtype).eps * scale)


def test_linspace_defaults_and_requires_grad(torch):
    x = mg.linspace(0, 1, 5, requires_grad=True)
    assert x.dtype == mg.float32 and x.requires_grad and x.tolist() == torch.linspace(0, 1, 5).tolist()
    assert mg.linspace(2, 2, 1).tolist() == [2.0] and mg.linspace(3, 1, 1, dtype=mg.int64).tolist() == [3]
    assert mg.linspace(mg.tensor(0.0), mg.tensor(1.0), 3).tolist() == [0.0, 0.5, 1.0]


@pytest.mark.parametrize("n, m", [(0, None), (1, None), (3, None), (2, 4), (4, 2), (3, 0)])
@pytest.mark.parametrize("name", ["float32", "float64", "int64", "bool"])
def test_eye_matches_torch(torch, n, m, name):
    dtype = mg.bool_ if name == "bool" else getattr(mg, name)
    torch_dtype = _torch_dtype(torch, name)
    mine = mg.eye(n, m, dtype=dtype) if m is not None else mg.eye(n, dtype=dtype)
    theirs = torch.eye(n, m, dtype=torch_dtype) if m is not None else torch.eye(n, dtype=torch_dtype)
    assert mine.dtype == theirs.numpy().dtype
    np.testing.assert_array_equal(mine.data, theirs.numpy())


def test_empty_has_torch_shape_and_dtype(torch):
    for args, kwargs in [((2, 3), {}), (((2, 3),), {}), ((0,), {}), (((),), {}), ((4,), {"dtype": "float64"})]:
        mine = mg.empty(*args, **kwargs)
        theirs = torch.empty(*args, **{k: getattr(torch, v) for k, v in kwargs.items()})
        assert mine.shape == tuple(theirs.shape) and mine.dtype == theirs.numpy().dtype
    assert mg.empty(2, requires_grad=True).requires_grad


def test_randint_range_dtype_and_reproducibility(torch):
    mg.manual_seed(7)
    a = mg.randint(3, (1000,))
    b = mg.randint(-2, 5, size=(10, 20))
    assert a.dtype == mg.int64 == torch.randint(3, (2,)).numpy().dtype
    assert set(np.unique(a.data)) == {0, 1, 2} and b.shape == (10, 20)
    assert b.data.min() == -2 and b.data.max() == 4                      # [low, high): every value, 5 never
    mg.manual_seed(7)
    np.testing.assert_array_equal(mg.randint(3, (1000,)).data, a.data)
    g = mg.random.Generator().manual_seed(3)
    first = mg.randint(10, (5,), generator=g)
    np.testing.assert_array_equal(mg.randint(10, (5,), generator=mg.random.Generator().manual_seed(3)).data, first.data)
    assert mg.randint(3, (4,), dtype=mg.float32).dtype == torch.randint(3, (4,), dtype=torch.float32).numpy().dtype


@pytest.mark.parametrize("name", ["float32", "float64"])
def test_rand_like_and_randn_like_follow_their_input(torch, name):
    x = mg.zeros(300, 200, dtype=getattr(mg, name))
    u, z = mg.rand_like(x), mg.randn_like(x)
    for mine, theirs in ((u, torch.rand_like(torch.zeros(3, dtype=_torch_dtype(torch, name)))),
                         (z, torch.randn_like(torch.zeros(3, dtype=_torch_dtype(torch, name))))):
        assert mine.shape == x.shape and mine.dtype == theirs.numpy().dtype
    assert 0 <= u.data.min() and u.data.max() < 1 and abs(u.data.mean() - 0.5) < 0.01
    assert abs(z.data.mean()) < 0.01 and abs(z.data.std() - 1) < 0.01
    assert mg.randn_like(x, dtype=mg.float64).dtype == mg.float64
    assert mg.rand_like(x, requires_grad=True).requires_grad
    mg.manual_seed(5)
    first = mg.randn_like(x)
    mg.manual_seed(5)
    np.testing.assert_array_equal(mg.randn_like(x).data, first.data)
    with pytest.raises(TypeError, match="floating point"):
        mg.rand_like(mg.tensor([1, 2]))


@pytest.mark.parametrize("make", [lambda L: L.full_like(L.ones(2, 3), 2), lambda L: L.full_like(L.tensor([1, 2]), 2.7),
                                  lambda L: L.full_like(L.tensor([1.5]), 7, dtype=L.int64),
                                  lambda L: L.full_like(L.zeros(2, dtype=L.float64), -1.25),
                                  lambda L: L.full_like(L.tensor([True]), 0)])
def test_full_like_matches_torch(torch, make):
    mine, theirs = make(mg), make(torch)
    assert mine.dtype == theirs.numpy().dtype and mine.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(mine.data, theirs.numpy())


# ---- allclose and isclose ------------------------------------------------------------------
SPECIAL = [0.0, -0.0, 1.0, 1.0 + 1e-6, 1.0 + 1e-4, 1e-9, -1e-9, np.inf, -np.inf, np.nan, 1e30, 1e30 * (1 + 1e-6)]


@pytest.mark.parametrize("name", ["float32", "float64"])
@settings(max_examples=60, deadline=None)
@given(a=st.lists(st.sampled_from(SPECIAL) | st.floats(-10, 10), min_size=1, max_size=6), data=st.data())
def test_isclose_and_allclose_match_torch(torch, name, a, data):
    b = data.draw(st.lists(st.sampled_from(SPECIAL) | st.floats(-10, 10), min_size=len(a), max_size=len(a)))
    rtol = data.draw(st.sampled_from([1e-5, 0.0, 1e-3]))
    atol = data.draw(st.sampled_from([1e-8, 0.0, 1e-2]))
    equal_nan = data.draw(st.booleans())
    dtype = getattr(np, name)
    x, y = np.array(a, dtype=dtype), np.array(b, dtype=dtype)
    mine = mg.isclose(mg.tensor(x), mg.tensor(y), rtol=rtol, atol=atol, equal_nan=equal_nan)
    theirs = torch.isclose(torch.tensor(x), torch.tensor(y), rtol=rtol, atol=atol, equal_nan=equal_nan)
    assert mine.dtype == np.bool_
    np.testing.assert_array_equal(mine.data, theirs.numpy())
    assert mg.allclose(mg.tensor(x), mg.tensor(y), rtol, atol, equal_nan) is \
        torch.allclose(torch.tensor(x), torch.tensor(y), rtol, atol, equal_nan)


def test_isclose_broadcasts_and_takes_integers_like_torch(torch):
    a, b = [[1, 2, 3], [4, 5, 6]], [1, 2, 4]
    np.testing.assert_array_equal(mg.isclose(mg.tensor(a), mg.tensor(b)).data,
                                  torch.isclose(torch.tensor(a), torch.tensor(b)).numpy())
    np.testing.assert_array_equal(mg.isclose(mg.tensor(a), mg.tensor(b), atol=1).data,
                                  torch.isclose(torch.tensor(a), torch.tensor(b), atol=1).numpy())
    assert mg.allclose(mg.tensor([True, False]), mg.tensor([True, False]))


# ---- float16: storage and conversion; the ops that take it match torch bit for bit ------------
HALF_OPS = [
    ("add", lambda L, a, b: a + b), ("sub", lambda L, a, b: a - b), ("mul", lambda L, a, b: a * b),
    ("div", lambda L, a, b: a / b), ("neg", lambda L, a, b: -a), ("abs", lambda L, a, b: a.abs()),
    ("maximum", lambda L, a, b: L.maximum(a, b)), ("minimum", lambda L, a, b: L.minimum(a, b)),
    ("where", lambda L, a, b: L.where(a > b, a, b)), ("clamp", lambda L, a, b: a.clamp(-0.5, 0.5)),
    ("relu", lambda L, a, b: a.relu()), ("square", lambda L, a, b: a.square()), ("pow_2", lambda L, a, b: a ** 2),
    ("sign", lambda L, a, b: a.sign() * b), ("scalar", lambda L, a, b: a * 0.25 + 1.5 - 2 * a / 0.5),
    ("max", lambda L, a, b: a.max()), ("min_dim", lambda L, a, b: a.min(dim=1)[0]),
    ("reshape_T", lambda L, a, b: a.reshape(4, 3).T * b.t().t()), ("getitem", lambda L, a, b: a[1:, ::2] * b[0, 0]),
    ("cat", lambda L, a, b: L.cat([a, b], 1)), ("stack", lambda L, a, b: L.stack([a, b], -1)),
    ("split", lambda L, a, b: a.split(2, 1)[1] * b.chunk(2, 1)[0]),
    ("gather", lambda L, a, b: a.gather(1, L.tensor([[0, 0], [3, 1], [2, 2]]))),
    ("index_select", lambda L, a, b: b.index_select(1, L.tensor([3, 0, 3]))),
]


@pytest.mark.parametrize("name, fn", HALF_OPS, ids=[h[0] for h in HALF_OPS])
def test_float16_ops_match_torch_exactly(torch, name, fn):
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(-2, 2, (3, 4)).astype(np.float16), rng.uniform(0.5, 2, (3, 4)).astype(np.float16)]
    mine = [mg.tensor(a, dtype=mg.float16, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = fn(mg, *mine), fn(torch, *theirs)
    assert out.dtype == np.float16 and str(expected.dtype) == "torch.float16"
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    upstream = rng.uniform(-1, 1, out.shape).astype(np.float16)
    out.backward(mg.tensor(upstream, dtype=mg.float16))
    expected.backward(torch.tensor(upstream))
    for m, t in zip(mine, theirs):
        got = m.grad.data if m.grad is not None else np.zeros(m.shape, np.float16)
        want = t.grad.numpy() if t.grad is not None else np.zeros(m.shape, np.float16)
        assert got.dtype == np.float16
        np.testing.assert_array_equal(got, want)


def test_float16_storage_and_conversion_like_torch(torch):
    values = [0.1, 1 / 3, 65504.0, 1e5, 6e-8, -2.5]
    mine, theirs = mg.tensor(values, dtype=mg.float16), torch.tensor(values, dtype=torch.float16)
    np.testing.assert_array_equal(mine.data, theirs.numpy())        # the same rounding (1e5 -> inf)
    np.testing.assert_array_equal(mg.tensor(values).half().data, torch.tensor(values).half().numpy())
    np.testing.assert_array_equal(mine.float().data, theirs.float().numpy())
    np.testing.assert_array_equal(mine.to(mg.int64).data, theirs.to(torch.int64).numpy())
    assert repr(mine).endswith("dtype=minigrad.float16)")
    assert (mg.tensor([1.0], dtype=mg.float16) + mg.tensor([1.0])).dtype == mg.float32   # promotion as torch
    assert str((torch.tensor([1.0], dtype=torch.float16) + torch.tensor([1.0])).dtype) == "torch.float32"
    x = mg.tensor([0.5, 2.0], requires_grad=True)
    y = x.half()
    (y * y).float().sum().backward()                                # the gradient flows back through both casts
    assert x.grad.dtype == mg.float32 and x.grad.tolist() == [1.0, 4.0]
    for make in (mg.zeros, mg.ones, mg.empty, mg.rand, mg.randn):
        assert make(2, dtype=mg.float16).dtype == np.float16
    assert mg.full_like(mine, 3).dtype == np.float16 and mg.eye(2, dtype=mg.float16).dtype == np.float16


UNSUPPORTED_HALF = [
    ("exp", lambda x: x.exp()), ("log", lambda x: x.log()), ("sqrt", lambda x: x.sqrt()),
    ("sigmoid", lambda x: x.sigmoid()), ("tanh", lambda x: x.tanh()), ("sin", lambda x: x.sin()),
    ("cos", lambda x: x.cos()), ("log1p", lambda x: x.log1p()), ("expm1", lambda x: x.expm1()),
    ("softmax", lambda x: x.softmax(dim=0)), ("log_softmax", lambda x: x.log_softmax(dim=0)),
    ("sum", lambda x: x.sum()), ("mean", lambda x: x.mean()), ("var", lambda x: x.var()), ("std", lambda x: x.std()),
    ("norm", lambda x: x.norm()), ("prod", lambda x: x.prod()), ("matmul", lambda x: x @ x),
    ("pow", lambda x: x ** 3), ("pow", lambda x: x ** mg.tensor(2.0, dtype=mg.float16)),
]


@pytest.mark.parametrize("name, fn", UNSUPPORTED_HALF, ids=[f"{u[0]}_{i}" for i, u in enumerate(UNSUPPORTED_HALF)])
def test_other_ops_refuse_float16_naming_the_dtypes(name, fn):
    x = mg.tensor([0.5, 1.5], dtype=mg.float16)
    with pytest.raises(TypeError, match=rf"{name} supports float32 and float64 .* not float16"):
        fn(x)
    fn(x.float())   # the same op works after conversion


def test_a_number_that_is_not_a_float16_is_refused_beside_a_float16_tensor(torch):
    # torch computes half * 0.3 with 0.3 in float32 and rounds once; numpy would round 0.3 first
    x = mg.tensor([1.9951171875, 0.7], dtype=mg.float16)
    for fn in (lambda x: x * 0.3, lambda x: 0.1 + x, lambda x: x / 3.3, lambda x: 1e6 - x):
        with pytest.raises(TypeError, match="not exactly a float16"):
            fn(x)
    exact = (x.float() * 0.3).half()
    np.testing.assert_array_equal(exact.data, (torch.tensor(x.data) * 0.3).numpy())
    np.testing.assert_array_equal((x * 0.5 + 2).data, (torch.tensor(x.data) * 0.5 + 2).numpy())


def test_a_broadcast_float16_gradient_is_summed_as_torch_sums_it(torch):
    rng = np.random.default_rng(0)
    for _ in range(50):
        a, b, g = (rng.normal(size=s).astype(np.float16) for s in ((64, 3), (1, 3), (64, 3)))
        mine = [mg.tensor(v, dtype=mg.float16, requires_grad=True) for v in (a, b)]
        theirs = [torch.tensor(v, requires_grad=True) for v in (a, b)]
        (mine[0] * mine[1] + mine[1]).backward(mg.tensor(g, dtype=mg.float16))
        (theirs[0] * theirs[1] + theirs[1]).backward(torch.tensor(g))
        assert mine[1].grad.dtype == np.float16
        np.testing.assert_array_equal(mine[1].grad.data, theirs[1].grad.numpy())


def test_linear_and_the_losses_refuse_float16_naming_the_dtypes_they_take():
    with pytest.raises(TypeError, match="Linear supports float32 and float64"):
        mg.nn.Linear(2, 3, dtype=mg.float16)
    with pytest.raises(TypeError, match="Linear supports float32 and float64"):
        mg.nn.Linear(2, 3)(mg.ones(4, 2, dtype=mg.float16))
    half = mg.ones(2, 3, dtype=mg.float16)
    with pytest.raises(TypeError, match=r"mse_loss: input must be a floating-point tensor \(float32 or float64\)"):
        mg.nn.functional.mse_loss(half, half)
    with pytest.raises(TypeError, match=r"cross_entropy: input must be .*float32 or float64"):
        mg.nn.functional.cross_entropy(half, mg.tensor([0, 1]))
    with pytest.raises(TypeError, match=r"softmax: input must be .*float32 or float64"):
        mg.nn.functional.softmax(half, dim=1)
