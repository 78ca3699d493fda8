"""Second (and third) derivatives of the structural ops, the losses, softmax and log_softmax
against torch 2.13.0: reductions, shape ops, indexing, joining, matmul, linear, copies,
embedding (each op's backward_with_graph), and every loss with each of its options (their
composed forms, the default backward_with_graph of a loss).

One helper, `second_order`, runs the same fn on minigrad and torch and compares:
  g   = J^T u                  the gradient for a random upstream u, built with create_graph;
  H v = d(g . v)/dx            a Hessian-vector product for a random v (through every input);
  J v = d(g . v)/du            the gradient through the upstream u itself (the backward is
                               linear in it: this checks that the backward keeps u's graph).
A linear op (reshape, x[i], cat, ...) is wrapped in a cube so that its H v is not zero:
the second derivative then runs through the op's backward_with_graph and through its
backward's backward (ScatterAdd <-> GetItem, Sum <-> Expand).
float64 to 1e-10 relative, float32 to 1e-4 (with an absolute floor at the values' size).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as MF
from minigrad.ops.linear import Linear
from minigrad.testing import difference

# torch's warning about kl_div's reduction='mean' (tested here on purpose)
pytestmark = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")

RTOL = {np.float64: 1e-10, np.float32: 1e-4}
DTYPES = [np.float64, np.float32]


def assert_close(actual, expected, dtype, what, scale=1.0):
    rtol = RTOL[np.dtype(dtype).type]
    row = difference(what, actual, expected, atol=0.0, rtol=rtol, scale=scale)
    assert row.ok, f"{row}  (rtol {rtol:g})"


def _as_array(t, like):
    """A gradient (None where torch/minigrad found the input unused) as an array."""
    if t is None:
        return np.zeros(like.shape)
    if isinstance(t, mg.Tensor):
        return t.data
    return (t.detach() + 0).numpy()  # + 0: torch's ZeroTensor (a second derivative known to be 0) has no numpy()


def _run(lib, fn, arrays, dtype, differentiable, upstream, directions):
    make = (lambda a, r: mg.tensor(a, requires_grad=r)) if lib is mg else \
        (lambda a, r: lib.tensor(a, requires_grad=r))
    xs = [make(np.asarray(a, dtype=dtype), r) for a, r in zip(arrays, differentiable)]
    out = fn(lib, *xs)
    wanted = [x for x, r in zip(xs, differentiable) if r]
    u = make(upstream(out.shape), True)
    gs = lib.autograd.grad(out, wanted, grad_outputs=u, create_graph=True, allow_unused=True)
    dot = None
    for g, v in zip(gs, directions):
        if g is None or not g.requires_grad:
            continue
        term = (g * make(v, False)).sum()
        dot = term if dot is None else dot + term
    if dot is None:  # nothing to differentiate again (a backward that does not depend on x or u)
        seconds = [None] * (len(wanted) + 1)
    else:
        # create_graph again: the backward's own ops then run their backward_with_graph too
        # (ScatterAdd's, Expand's, ...), as a third derivative would need
        seconds = lib.autograd.grad(dot, wanted + [u], allow_unused=True, create_graph=True)
    return out, wanted + [u], gs, seconds


def second_order(torch, fn, arrays, dtype=np.float64, differentiable=None, seed=0, scale=1.0):
    """Compare fn's value, gradient, H v and J v between minigrad and torch (see the module doc)."""
    differentiable = differentiable or [True] * len(arrays)
    rng = np.random.default_rng(seed)
    cache = {}

    def upstream(shape):
        if "u" not in cache:
            cache["u"] = rng.uniform(-1, 1, size=tuple(shape)).astype(dtype)
        return cache["u"]

    directions = [rng.uniform(-1, 1, size=np.shape(a)).astype(dtype)
                  for a, r in zip(arrays, differentiable) if r]
    mine = _run(mg, fn, arrays, dtype, differentiable, upstream, directions)
    theirs = _run(torch, fn, arrays, dtype, differentiable, upstream, directions)
    (out, leaves, gs, seconds), (t_out, _, t_gs, t_seconds) = mine, theirs
    assert_close(out.data, t_out.detach().numpy(), dtype, "value", scale)
    for i, (g, t_g, leaf) in enumerate(zip(gs, t_gs, leaves)):
        assert_close(_as_array(g, leaf), _as_array(t_g, leaf), dtype, f"gradient of input {i}", scale)
    for i, (h, t_h, leaf) in enumerate(zip(seconds, t_seconds, leaves)):
        what = "J v (through the upstream gradient)" if i == len(leaves) - 1 else f"H v of input {i}"
        assert_close(_as_array(h, leaf), _as_array(t_h, leaf), dtype, what, scale)
    return mine


def cube(t):
    return t * t * t


def uniform(*shape, low=-1.0, high=1.0, seed=1):
    return np.random.default_rng(seed + len(shape)).uniform(low, high, size=shape)


def _one_zero():
    x = uniform(3, 4, low=0.5, high=1.5)
    x[1, 2] = 0.0
    return x


def _two_zeros():
    x = _one_zero()
    x[1, 0] = 0.0
    x[2, 3] = 0.0
    return x


REPEATS = np.array([2, 0, 2, 1])
GATHER_INDEX = np.array([[0, 2, 2], [1, 1, 0], [2, 0, 1]])
MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])

# name, fn(lib, *tensors), input arrays
OPS = [
    # reductions: sum and mean are linear (cubed to have a Hessian); the others are not
    ("sum_all", lambda L, x: cube(x.sum()), [uniform(3, 4)]),
    ("sum_dim", lambda L, x: cube(x.sum(dim=1)), [uniform(3, 4)]),
    ("sum_dims_keepdim", lambda L, x: cube(x.sum(dim=(0, 2), keepdim=True)), [uniform(2, 3, 4)]),
    ("sum_of_cube", lambda L, x: cube(x).sum(dim=0), [uniform(3, 4)]),
    ("mean_all", lambda L, x: cube(x.mean()), [uniform(3, 4)]),
    ("mean_dims", lambda L, x: cube(x.mean(dim=(0, 2))), [uniform(2, 3, 4)]),
    ("mean_keepdim", lambda L, x: cube(x.mean(dim=1, keepdim=True)), [uniform(3, 4)]),
    ("max_all", lambda L, x: cube(x.max()), [uniform(3, 4)]),
    ("max_dim", lambda L, x: cube(x.max(dim=1)[0]), [uniform(3, 4)]),
    ("max_dim_keepdim", lambda L, x: cube(x.max(dim=0, keepdim=True)[0]), [uniform(3, 4)]),
    ("max_of_square", lambda L, x: (x * x).max(), [uniform(3, 4)]),
    ("min_all", lambda L, x: cube(x.min()), [uniform(3, 4)]),
    ("min_dim", lambda L, x: cube(x.min(dim=-1)[0]), [uniform(2, 3, 4)]),
    ("var_all", lambda L, x: x.var(), [uniform(3, 4)]),
    ("var_dim", lambda L, x: x.var(dim=1), [uniform(3, 4)]),
    ("var_dims_population", lambda L, x: x.var(dim=(0, 2), correction=0, keepdim=True), [uniform(2, 3, 4)]),
    ("var_cubed", lambda L, x: cube(x.var(dim=0)), [uniform(3, 4)]),
    ("std_all", lambda L, x: x.std(), [uniform(3, 4)]),
    ("std_dim", lambda L, x: x.std(dim=0), [uniform(3, 4)]),
    ("std_keepdim_population", lambda L, x: x.std(dim=(1, 2), keepdim=True, correction=0), [uniform(2, 3, 4)]),
    ("norm_2", lambda L, x: x.norm(), [uniform(3, 4)]),
    ("norm_2_dim", lambda L, x: x.norm(dim=1), [uniform(3, 4)]),
    ("norm_1_dim", lambda L, x: cube(x.norm(p=1, dim=0)), [uniform(3, 4)]),
    ("norm_3", lambda L, x: x.norm(p=3, dim=1, keepdim=True), [uniform(3, 4)]),
    ("norm_1_5", lambda L, x: x.norm(p=1.5), [uniform(3, 4)]),
    ("norm_0_5", lambda L, x: x.norm(p=0.5, dim=1), [uniform(3, 4)]),
    ("norm_inf", lambda L, x: cube(x.norm(p=float("inf"), dim=1)), [uniform(3, 4)]),
    ("norm_neg_inf", lambda L, x: cube(x.norm(p=float("-inf"))), [uniform(3, 4)]),
    ("prod_all", lambda L, x: x.prod(), [uniform(3, 4, low=0.5, high=1.5)]),
    ("prod_dim", lambda L, x: x.prod(dim=1), [uniform(3, 4, low=-1.5, high=1.5)]),
    ("prod_dim_keepdim", lambda L, x: x.prod(dim=0, keepdim=True), [uniform(3, 4, low=-1.5, high=1.5)]),
    ("prod_one_zero", lambda L, x: x.prod(dim=1), [_one_zero()]),
    ("prod_one_zero_all", lambda L, x: x.prod(), [_one_zero()]),
    ("prod_two_zeros", lambda L, x: x.prod(dim=1), [_two_zeros()]),
    ("prod_two_zeros_dim0", lambda L, x: x.prod(dim=0), [_two_zeros()]),
    # shape ops, indexing
    ("reshape", lambda L, x: cube(x.reshape(4, 3)), [uniform(3, 4)]),
    ("flatten_unsqueeze", lambda L, x: cube(x.flatten().unsqueeze(0)), [uniform(2, 3, 2)]),
    ("permute", lambda L, x: cube(x.permute(2, 0, 1)), [uniform(2, 3, 4)]),
    ("transpose", lambda L, x: cube(x.transpose(0, 1)) @ x, [uniform(3, 3)]),
    ("T", lambda L, x: cube(x.T), [uniform(3, 4)]),
    ("getitem_slice", lambda L, x: cube(x[1:, ::2]), [uniform(3, 4)]),
    ("getitem_int", lambda L, x: cube(x[1]), [uniform(3, 4)]),
    ("getitem_scalar", lambda L, x: cube(x[1, 2]), [uniform(3, 4)]),
    ("getitem_repeats", lambda L, x: cube(x[L.tensor(REPEATS)]), [uniform(3, 4)]),
    ("getitem_pairs", lambda L, x: cube(x[L.tensor(REPEATS), L.tensor([0, 3, 0, 1])]), [uniform(3, 4)]),
    ("getitem_mask", lambda L, x: cube(x[L.tensor(MASK)]), [uniform(3, 4)]),
    ("getitem_of_square", lambda L, x: (x * x)[L.tensor(REPEATS)], [uniform(3, 4)]),
    ("gather", lambda L, x: cube(x.gather(1, L.tensor(GATHER_INDEX))), [uniform(3, 4)]),
    ("gather_dim0", lambda L, x: cube(x.gather(0, L.tensor(GATHER_INDEX))), [uniform(3, 4)]),
    ("index_select", lambda L, x: cube(x.index_select(1, L.tensor(REPEATS[:3]))), [uniform(3, 4)]),
    ("index_select_dim0", lambda L, x: cube(x.index_select(0, L.tensor(REPEATS))), [uniform(3, 4)]),
    # joining and cutting
    ("cat", lambda L, a, b: cube(L.cat([a, b, a], dim=1)), [uniform(3, 2), uniform(3, 4)]),
    ("cat_dim0", lambda L, a, b: cube(L.cat([b, a], dim=0)), [uniform(4, 3), uniform(2, 3)]),
    ("cat_views", lambda L, a, b: cube(L.cat([b.T, a[:, 1:]], dim=1)), [uniform(3, 4), uniform(2, 3)]),
    ("cat_empty", lambda L, a, b: cube(L.cat([a, b[:0].reshape(0)], dim=0)), [uniform(2, 3), uniform(4)]),
    ("stack", lambda L, a, b: cube(L.stack([a, b], dim=1)), [uniform(3, 4), uniform(3, 4, seed=5)]),
    ("stack_scalars", lambda L, a, b: cube(L.stack([a.sum(), b[0, 0]])), [uniform(3, 4), uniform(3, 4, seed=5)]),
    ("split", lambda L, x: cube(x.split([1, 3], dim=1)[1]) * x.split(2, dim=1)[0].sum(), [uniform(3, 4)]),
    ("chunk", lambda L, x: cube(x.chunk(2, dim=0)[0]), [uniform(4, 3)]),
    # matmul: bilinear, so A's and B's Hessian blocks meet
    ("matmul_2d", lambda L, a, b: a @ b, [uniform(3, 4), uniform(4, 2)]),
    ("matmul_2d_cubed", lambda L, a, b: cube(a @ b), [uniform(3, 4), uniform(4, 2)]),
    ("matmul_vec_mat", lambda L, a, b: cube(a @ b), [uniform(4), uniform(4, 2)]),
    ("matmul_mat_vec", lambda L, a, b: cube(a @ b), [uniform(3, 4), uniform(4)]),
    ("matmul_dot", lambda L, a, b: cube(a @ b), [uniform(4), uniform(4, seed=3)]),
    ("matmul_batched", lambda L, a, b: cube(a @ b), [uniform(2, 3, 4), uniform(4, 5)]),
    ("matmul_broadcast_batch", lambda L, a, b: cube(a @ b), [uniform(3, 4), uniform(2, 4, 5)]),
    ("matmul_self", lambda L, a: cube(a @ a.T), [uniform(3, 4)]),
    # copies
    ("clone", lambda L, x: cube(x.clone()), [uniform(3, 4)]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, fn, arrays", OPS, ids=[case[0] for case in OPS])
def test_second_derivatives_of_an_op_match_torch(torch, name, fn, arrays, dtype):
    second_order(torch, fn, arrays, dtype)


ROWS_WITH_TIES = np.array([[1.0, 3.0, 3.0], [0.0, 3.0, -1.0]])
ROWS_WITH_ZEROS = np.array([[0.0, 0.0, 0.0], [0.0, 3.0, -1.0]])

# At the kinks and edges the second derivatives follow torch's choices too
EDGES = [
    ("max_tie", lambda L, x: cube(x.max()), [ROWS_WITH_TIES]),                 # split evenly
    ("max_dim_tie", lambda L, x: cube(x.max(dim=1)[0]), [ROWS_WITH_TIES]),     # all to the first
    ("min_dim_tie", lambda L, x: cube(x.min(dim=0)[0]), [-ROWS_WITH_TIES]),
    ("norm_inf_tie", lambda L, x: cube(x.norm(p=float("inf"), dim=1)),
     [np.array([[1.0, -3.0, 3.0], [0.5, 3.0, -1.0]])]),
    ("std_zero_spread", lambda L, x: x.std(dim=1), [np.array([[1.0, 1.0, 1.0], [0.0, 3.0, -1.0]])]),
    ("var_zero_spread", lambda L, x: x.var(dim=1) ** 2, [np.array([[1.0, 1.0, 1.0], [0.0, 3.0, -1.0]])]),
    ("norm_2_zero_row", lambda L, x: x.norm(dim=1), [ROWS_WITH_ZEROS]),
    ("norm_1_zero_row", lambda L, x: cube(x.norm(p=1, dim=1)), [ROWS_WITH_ZEROS]),
    ("norm_3_zero_row", lambda L, x: x.norm(p=3, dim=1), [ROWS_WITH_ZEROS]),
    ("norm_half_with_a_zero", lambda L, x: x.norm(p=0.5, dim=1), [np.array([[1.0, 0.0, 2.0], [0.5, 3.0, -1.0]])]),
    ("prod_zero_row", lambda L, x: x.prod(dim=1), [ROWS_WITH_ZEROS]),
    ("prod_0d_zero", lambda L, x: cube(x.prod()), [np.array(0.0)]),
    ("sum_empty", lambda L, x: cube(x.sum(dim=1)), [np.zeros((0, 3))]),
    ("mean_empty", lambda L, x: cube(x.mean(dim=0)), [np.zeros((0, 3))]),   # 0 / 0: nan, as torch
    ("softmax_huge_logits", lambda L, x: x.softmax(dim=1), [np.array([[1000.0, 0.0, -1000.0]])]),
]


@pytest.mark.parametrize("name, fn, arrays", EDGES, ids=[case[0] for case in EDGES])
def test_second_derivatives_at_kinks_and_edges_match_torch(torch, name, fn, arrays):
    with np.errstate(all="ignore"):
        second_order(torch, fn, arrays)


def _linear(L, x, w, b=None):
    if L is mg:
        return Linear.apply(x, w, b) if b is not None else Linear.apply(x, w)
    return L.nn.functional.linear(x, w, b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape", [(5, 3), (3,), (2, 4, 3)], ids=["batch", "one", "leading"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
def test_linear(torch, x_shape, bias, dtype):
    arrays = [uniform(*x_shape), uniform(4, 3, seed=7)] + ([uniform(4, seed=9)] if bias else [])
    second_order(torch, lambda L, *t: cube(_linear(L, *t)).tanh(), arrays, dtype)


def test_linear_with_only_the_weight_differentiable(torch):
    second_order(torch, lambda L, x, w, b: cube(_linear(L, x, w, b)), [uniform(5, 3), uniform(4, 3), uniform(4)],
                 differentiable=[False, True, False])


@pytest.mark.parametrize("dtype", DTYPES)
def test_copy_into_a_tensor_of_the_graph(torch, dtype):
    def fn(L, x, s):
        y = x * 2
        y.copy_(cube(s))  # broadcast (4,) -> (3, 4): its gradient sums back
        return cube(y) + x
    second_order(torch, fn, [uniform(3, 4), uniform(4)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_copy_and_fill_through_a_view_record_copy_slices(torch, dtype):
    def fn(L, x, s, v):
        y = cube(x)
        y[1].copy_(cube(s))
        y[:, 2:].mul_(v)          # an in-place change of a view: CopySlices on y
        y.T[0].fill_(v.sum())     # fill through a view of a view (a 0-d tensor value)
        return cube(y)
    second_order(torch, fn, [uniform(3, 4), uniform(4), uniform(3, 2)], dtype)


EMBEDDING_INDEX = np.array([[0, 2, 2], [1, 4, 2]])


def _embedding(options):
    def fn(L, w):
        F = MF if L is mg else L.nn.functional
        return cube(F.embedding(L.tensor(EMBEDDING_INDEX), w, **options))
    return fn


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", [{}, {"padding_idx": 1}, {"padding_idx": -1}],
                         ids=["plain", "padding", "padding_negative"])
def test_embedding(torch, options, dtype):
    second_order(torch, _embedding(options), [uniform(5, 3)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("padding_idx", [None, 0])
def test_embedding_scale_grad_by_freq_differentiates_its_own_backward(torch, padding_idx, dtype):
    """With scale_grad_by_freq, minigrad's backward (each row's gradient divided by how often
    the row is picked) is differentiated as it is. torch's double backward of embedding
    (embedding_dense_double_backward) leaves the division out, so torch's own second
    derivatives disagree with its first; the oracle here is that backward written out in torch
    ops, dW = index_add(0, idx, dy / count[idx]) with padding_idx's row kept at 0, after torch's
    own forward (whose backward, scaled, is the way back for H v)."""
    idx = EMBEDDING_INDEX.reshape(-1)
    counts = np.bincount(idx, minlength=5)[idx][:, None]
    keep = (idx != padding_idx)[:, None] if padding_idx is not None else np.ones((len(idx), 1), bool)
    w0 = uniform(5, 3).astype(dtype)
    rng = np.random.default_rng(0)
    u, v = rng.uniform(-1, 1, (2, 3, 3)).astype(dtype), rng.uniform(-1, 1, (5, 3)).astype(dtype)

    w = mg.tensor(w0, requires_grad=True)
    mu = mg.tensor(u, requires_grad=True)
    y = _embedding({"padding_idx": padding_idx, "scale_grad_by_freq": True})(mg, w)
    (g,) = mg.autograd.grad(y, w, grad_outputs=mu, create_graph=True)
    seconds = mg.autograd.grad((g * mg.tensor(v)).sum(), [w, mu])

    tw, tu = torch.tensor(w0, requires_grad=True), torch.tensor(u, requires_grad=True)
    # the forward through torch's embedding, so that H v's way back through it is scaled too
    ty = torch.nn.functional.embedding(torch.tensor(EMBEDDING_INDEX), tw, padding_idx=padding_idx,
                                       scale_grad_by_freq=True)
    dy = (3 * tu * ty ** 2).reshape(-1, 3)
    dy = dy / torch.tensor(counts, dtype=tw.dtype) * torch.tensor(keep, dtype=tw.dtype)
    t_g = torch.zeros_like(tw).index_add(0, torch.tensor(idx), dy)
    t_seconds = torch.autograd.grad((t_g * torch.tensor(v)).sum(), [tw, tu])
    assert_close(g.data, t_g.detach().numpy(), dtype, "gradient")
    for mine, theirs, what in zip(seconds, t_seconds, ["H v", "J v"]):
        assert_close(mine.data, theirs.numpy(), dtype, what)

    # torch's own double backward: the same gradient, but J v without the 1 / count
    tw, tu = torch.tensor(w0, requires_grad=True), torch.tensor(u, requires_grad=True)
    y = _embedding({"padding_idx": padding_idx, "scale_grad_by_freq": True})(torch, tw)
    (t_g,) = torch.autograd.grad(y, tw, grad_outputs=tu, create_graph=True)
    assert_close(g.data, t_g.detach().numpy(), dtype, "gradient")
    (t_jv,) = torch.autograd.grad((t_g * torch.tensor(v)).sum(), tu)
    assert not np.allclose(seconds[1].data, t_jv.numpy())


# ---- softmax and log_softmax -----------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape, dim", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), 1)])
def test_softmax_and_log_softmax(torch, which, shape, dim, dtype):
    second_order(torch, lambda L, x: getattr(x, which)(dim=dim), [uniform(*shape, low=-3, high=3)], dtype)
    second_order(torch, lambda L, x: cube(getattr(x, which)(dim=dim)), [uniform(*shape, low=-3, high=3)], dtype)


# ---- every loss with each option ---------------------------------------------------------------
def F(L):
    return MF if L is mg else L.nn.functional


X = uniform(4, 3, low=-2, high=2)
Y = uniform(4, 3, low=-2, high=2, seed=11)
P = uniform(4, 3, low=0.05, high=0.95)
T01 = uniform(4, 3, low=0.0, high=1.0, seed=13)
LOGITS = uniform(5, 4, low=-3, high=3)
CLASSES = np.array([3, 0, 1, 3, 2])
CLASS_WEIGHT = np.array([0.5, 2.0, 1.0, 1.5])
PROBS = np.random.default_rng(17).dirichlet(np.ones(4), size=5)
LOGITS_SPATIAL = uniform(2, 4, 3, low=-3, high=3)
CLASSES_SPATIAL = np.array([[0, 3, 1], [2, 2, 0]])


def _w(L, array, like):
    """A constant (weights) of `like`'s dtype."""
    return L.tensor(array, dtype=like.dtype)


REDUCTIONS = ["mean", "sum", "none"]

# name, fn(lib, *tensors), arrays, which arrays are differentiable
LOSSES = [
    *[(f"mse_{r}", lambda L, x, y, r=r: F(L).mse_loss(x, y, reduction=r), [X, Y], None) for r in REDUCTIONS],
    *[(f"l1_{r}", lambda L, x, y, r=r: F(L).l1_loss(x, y, reduction=r), [X, Y], None) for r in REDUCTIONS],
    *[(f"huber_{r}_{d}", lambda L, x, y, r=r, d=d: F(L).huber_loss(x, y, reduction=r, delta=d), [X, Y], None)
      for r in REDUCTIONS for d in (1.0, 0.5)],
    *[(f"smooth_l1_{r}_{b}", lambda L, x, y, r=r, b=b: F(L).smooth_l1_loss(x, y, reduction=r, beta=b), [X, Y], None)
      for r in REDUCTIONS for b in (1.0, 0.3, 0.0)],
    *[(f"bce_{r}", lambda L, p, y, r=r: F(L).binary_cross_entropy(p, y, reduction=r), [P, T01], None)
      for r in REDUCTIONS],
    ("bce_weight", lambda L, p, y: F(L).binary_cross_entropy(p, y, weight=_w(L, uniform(3, low=0.5, high=2), p)),
     [P, T01], None),
    *[(f"bce_logits_{r}", lambda L, x, y, r=r: F(L).binary_cross_entropy_with_logits(x, y, reduction=r),
       [X, T01], None) for r in REDUCTIONS],
    ("bce_logits_weight_pos_weight", lambda L, x, y: F(L).binary_cross_entropy_with_logits(
        x, y, weight=_w(L, uniform(4, 1, low=0.5, high=2), x), pos_weight=_w(L, np.array([0.5, 1.0, 3.0]), x)),
     [X, T01], None),
    ("bce_logits_pos_weight_sum", lambda L, x, y: F(L).binary_cross_entropy_with_logits(
        x, y, pos_weight=_w(L, np.array([2.0, 1.0, 0.25]), x), reduction="sum"), [X, T01], None),
    ("bce_logits_at_zero", lambda L, x, y: F(L).binary_cross_entropy_with_logits(x, y),
     [np.zeros((2, 3)), T01[:2]], None),
    ("bce_logits_large", lambda L, x, y: F(L).binary_cross_entropy_with_logits(x, y, reduction="sum"),
     [np.array([[-30.0, -15.0, 25.0], [40.0, -8.0, 12.0]]), T01[:2]], None),
    ("bce_logits_huge", lambda L, x, y: F(L).binary_cross_entropy_with_logits(x, y, reduction="sum"),
     [np.array([[-800.0, 800.0, 90.0], [-90.0, 0.0, 1e-3]]), T01[:2]], None),   # no overflow in either branch
    ("smooth_l1_at_beta", lambda L, x, y: F(L).smooth_l1_loss(x, y, beta=0.5),
     [np.array([0.5, -0.5, 0.2, 0.0]), np.zeros(4)], None),
    ("huber_at_delta", lambda L, x, y: F(L).huber_loss(x, y, delta=0.5), [np.array([0.5, -0.5, 0.2, 0.0]), np.zeros(4)],
     None),
    *[(f"kl_div_{r}", lambda L, x, t, r=r: F(L).kl_div(x, t, reduction=r), [X, P], None)
      for r in ("mean", "sum", "none", "batchmean")],
    *[(f"kl_div_log_target_{r}", lambda L, x, t, r=r: F(L).kl_div(x, t, reduction=r, log_target=True),
       [X, Y], None) for r in ("mean", "sum", "none", "batchmean")],
    *[(f"cross_entropy_{r}", lambda L, x, r=r: F(L).cross_entropy(x, L.tensor(CLASSES), reduction=r),
       [LOGITS], None) for r in REDUCTIONS],
    ("cross_entropy_weight", lambda L, x: F(L).cross_entropy(x, L.tensor(CLASSES), weight=_w(L, CLASS_WEIGHT, x)),
     [LOGITS], None),
    ("cross_entropy_ignore_index", lambda L, x: F(L).cross_entropy(x, L.tensor(CLASSES), ignore_index=3),
     [LOGITS], None),
    ("cross_entropy_smoothing", lambda L, x: F(L).cross_entropy(x, L.tensor(CLASSES), label_smoothing=0.2),
     [LOGITS], None),
    ("cross_entropy_everything", lambda L, x: F(L).cross_entropy(
        x, L.tensor(CLASSES), weight=_w(L, CLASS_WEIGHT, x), ignore_index=0, label_smoothing=0.1, reduction="mean"),
     [LOGITS], None),
    ("cross_entropy_everything_none", lambda L, x: F(L).cross_entropy(
        x, L.tensor(CLASSES), weight=_w(L, CLASS_WEIGHT, x), ignore_index=0, label_smoothing=0.1, reduction="none"),
     [LOGITS], None),
    ("cross_entropy_one_sample", lambda L, x: F(L).cross_entropy(x, L.tensor(2)), [LOGITS[0]], None),
    ("cross_entropy_spatial", lambda L, x: F(L).cross_entropy(x, L.tensor(CLASSES_SPATIAL), label_smoothing=0.3,
                                                              weight=_w(L, CLASS_WEIGHT, x)),
     [LOGITS_SPATIAL], None),
    *[(f"cross_entropy_probs_{r}", lambda L, x, t, r=r: F(L).cross_entropy(x, t, reduction=r), [LOGITS, PROBS], None)
      for r in REDUCTIONS],
    ("cross_entropy_probs_weight_smoothing", lambda L, x, t: F(L).cross_entropy(
        x, t, weight=_w(L, CLASS_WEIGHT, x), label_smoothing=0.25), [LOGITS, PROBS], None),
    *[(f"nll_{r}", lambda L, x, r=r: F(L).nll_loss(cube(x), L.tensor(CLASSES), reduction=r), [LOGITS], None)
      for r in REDUCTIONS],
    ("nll_weight_ignore", lambda L, x: F(L).nll_loss(cube(x), L.tensor(CLASSES), weight=_w(L, CLASS_WEIGHT, x),
                                                     ignore_index=1), [LOGITS], None),
    ("nll_of_log_softmax", lambda L, x: F(L).nll_loss(x.log_softmax(dim=1), L.tensor(CLASSES)), [LOGITS], None),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, fn, arrays, differentiable", LOSSES, ids=[case[0] for case in LOSSES])
def test_second_derivatives_of_a_loss_match_torch(torch, name, fn, arrays, differentiable, dtype):
    second_order(torch, fn, arrays, dtype, differentiable)


def test_hinge_loss_has_a_zero_second_derivative(torch):
    """hinge_loss is not in torch: it is relu(margin - y s), so its Hessian is 0 (relu's)."""
    s = mg.tensor(uniform(6, low=-2, high=2), dtype=mg.float64, requires_grad=True)
    y = mg.tensor(np.array([1.0, -1, 1, 1, -1, -1]), dtype=mg.float64)
    (g,) = mg.autograd.grad(MF.hinge_loss(s, y), s, create_graph=True)
    t_s = torch.tensor(s.data, requires_grad=True)
    t_g = torch.autograd.grad((1 - torch.tensor(y.data) * t_s).relu().mean(), t_s)[0]
    np.testing.assert_allclose(g.data, t_g.numpy(), rtol=1e-12)
    (h,) = mg.autograd.grad(g.sum(), s, allow_unused=True)
    assert h is None or not np.any(h.data)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss_against_its_formula_in_torch(torch, p, weighted, dtype):
    """torch has no double backward for multi_margin_loss ("derivative for
    aten::multi_margin_loss_backward is not implemented"): the oracle is its formula written
    with torch ops, sum_{j != t} w_t max(0, margin - x_t + x_j)^p / C, differentiated by torch."""
    weight = CLASS_WEIGHT if weighted else None

    def fn(L, x):
        if L is mg:
            return MF.multi_margin_loss(x, mg.tensor(CLASSES), p=p, margin=0.7,
                                        weight=None if weight is None else mg.tensor(weight))
        t = L.tensor(CLASSES)
        h = (0.7 - x.gather(1, t[:, None]) + x).relu() ** p
        h = h * (L.arange(4)[None, :] != t[:, None])
        loss = h.sum(1) / 4
        return (loss * L.tensor(weight)[t] if weight is not None else loss).mean()
    second_order(torch, fn, [LOGITS], dtype)


def test_torch_still_lacks_the_double_backward_of_multi_margin_loss(torch):
    x = torch.tensor(LOGITS, requires_grad=True)
    (g,) = torch.autograd.grad(torch.nn.functional.multi_margin_loss(x, torch.tensor(CLASSES), p=2), x,
                               create_graph=True)
    with pytest.raises(RuntimeError, match="not implemented"):
        torch.autograd.grad(g.sum(), x)


# ---- BCE at p = 0 or 1: where the composed form and torch part -------------------------------------
def test_bce_second_derivative_away_from_the_edges_is_torchs_with_its_epsilon(torch):
    """torch's double backward of binary_cross_entropy is (p^2 - 2 p y + y) / ((p + eps)^2 (1 - p + eps)^2)
    with eps = 1e-12; the composed form differentiates the exact formula (eps = 0). Near the edges
    they part by about eps / p: at p = 1e-3 that is 1e-9 relative, at p = 0.05 far below 1e-10."""
    p = np.array([1e-3, 0.05, 0.5, 0.999])
    y = np.array([0.3, 1.0, 0.0, 0.6])
    x = mg.tensor(p, dtype=mg.float64, requires_grad=True)
    (g,) = mg.autograd.grad(MF.binary_cross_entropy(x, mg.tensor(y, dtype=mg.float64), reduction="sum"), x,
                            create_graph=True)
    (h,) = mg.autograd.grad(g.sum(), x)
    exact = (p * p - 2 * p * y + y) / (p ** 2 * (1 - p) ** 2)
    np.testing.assert_allclose(h.data, exact, rtol=1e-12)
    t = torch.tensor(p, requires_grad=True)
    (t_g,) = torch.autograd.grad(torch.nn.functional.binary_cross_entropy(t, torch.tensor(y), reduction="sum"), t,
                                 create_graph=True)
    (t_h,) = torch.autograd.grad(t_g.sum(), t)
    np.testing.assert_allclose(h.data, t_h.numpy(), rtol=3e-9)


def test_bce_at_p_exactly_0_or_1_differs_from_torch_as_documented(torch):
    """At p = 0 or 1 torch's clamped formulas stay finite; autograd through the composed form's
    log(0) gives a NaN gradient and second derivative (BinaryCrossEntropy.composed's docstring)."""
    p, y = np.array([0.0, 1.0]), np.array([0.0, 1.0])
    x = mg.tensor(p, dtype=mg.float64, requires_grad=True)
    (g,) = mg.autograd.grad(MF.binary_cross_entropy(x, mg.tensor(y, dtype=mg.float64)), x, create_graph=True)
    t = torch.tensor(p, requires_grad=True)
    (t_g,) = torch.autograd.grad(torch.nn.functional.binary_cross_entropy(t, torch.tensor(y)), t, create_graph=True)
    (t_h,) = torch.autograd.grad(t_g.sum(), t)
    assert np.all(np.isfinite(t_h.numpy()))
    (h,) = mg.autograd.grad(g.sum(), x)
    assert not np.all(np.isfinite(h.data))


# ---- third derivatives --------------------------------------------------------------------------
def _third(lib, fn, array, v, w):
    """d/dx [ d/dx [ d f/dx . v ] . w ]: the third derivative contracted with v and w."""
    x = lib.tensor(array, requires_grad=True)
    (g,) = lib.autograd.grad(fn(lib, x), x, create_graph=True)
    (h,) = lib.autograd.grad((g * lib.tensor(v)).sum(), x, create_graph=True)
    (t,) = lib.autograd.grad((h * lib.tensor(w)).sum(), x)
    return g, h, t


THIRD = [
    ("cross_entropy", lambda L, x: F(L).cross_entropy(x, L.tensor(CLASSES)), LOGITS),
    ("cross_entropy_smoothing_weight", lambda L, x: F(L).cross_entropy(
        x, L.tensor(CLASSES), weight=_w(L, CLASS_WEIGHT, x), label_smoothing=0.1), LOGITS),
    ("mse", lambda L, x: F(L).mse_loss(cube(x), L.tensor(Y)), X),
    ("bce_with_logits", lambda L, x: F(L).binary_cross_entropy_with_logits(x, L.tensor(T01)), X),
    ("log_softmax", lambda L, x: (x.log_softmax(dim=1) * L.tensor(LOGITS)).sum(), LOGITS),
    ("std_then_prod", lambda L, x: x.std(dim=1).prod(), X),
    # the third derivative of a linear op runs through its backward's backward's backward:
    # GetItem -> ScatterAdd -> GetItem -> ScatterAdd, Sum -> Expand -> Sum -> Expand
    ("getitem_repeats", lambda L, x: (cube(x[L.tensor(REPEATS)]) * x[L.tensor(REPEATS)]).sum(), X),
    ("gather_index_select", lambda L, x: (cube(x.gather(1, L.tensor(GATHER_INDEX[:, :2]).T)) ** 2).sum()
     + (cube(x.index_select(0, L.tensor(REPEATS[:3]))) ** 2).sum(), X),
    ("split_stack", lambda L, x: (L.stack(x.split(1, dim=1), dim=0) ** 4).sum(), X),
    ("sum_mean_max", lambda L, x: (x.sum(dim=1) ** 4).sum() + (x.mean(dim=0) ** 4).sum() + x.max(dim=1)[0].prod(), X),
    ("matmul", lambda L, x: ((x @ x.T) ** 2).sum(), X),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, fn, array", THIRD, ids=[case[0] for case in THIRD])
def test_third_derivatives_match_torch(torch, name, fn, array, dtype):
    rng = np.random.default_rng(3)
    array = array.astype(dtype)
    v, w = rng.uniform(-1, 1, size=array.shape).astype(dtype), rng.uniform(-1, 1, size=array.shape).astype(dtype)
    for mine, theirs, what in zip(_third(mg, fn, array, v, w), _third(torch, fn, array, v, w),
                                  ["first", "second", "third"]):
        assert_close(mine.data, theirs.detach().numpy(), dtype, f"{what} derivative")


# ---- the Hessian of softmax + cross-entropy ----------------------------------------------------------
def _hessian(fn, x):
    """The full Hessian of a scalar fn at x, one Hessian-vector product per coordinate."""
    x = mg.tensor(x, requires_grad=True)
    (g,) = mg.autograd.grad(fn(x), x, create_graph=True)
    flat = g.reshape(-1)
    rows = []
    for i in range(flat.shape[0]):
        (row,) = mg.autograd.grad(flat[i], x, retain_graph=True, allow_unused=True)
        rows.append(np.zeros(x.shape) if row is None else row.data)
    return np.stack([r.reshape(-1) for r in rows])


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("n, c", [(1, 3), (5, 4)])
def test_hessian_of_cross_entropy_is_diag_p_minus_ppT_over_n(torch, n, c, smoothing):
    """Per row, the Hessian of -log softmax(x)_k is diag(p) - p p^T whatever k is; label
    smoothing mixes such terms with weights that add up to 1, so it leaves the Hessian as it
    is (it moves the minimum, not the curvature)."""
    logits = uniform(n, c, low=-3, high=3)
    classes = np.arange(n) % c
    H = _hessian(lambda x: MF.cross_entropy(x, mg.tensor(classes), label_smoothing=smoothing), logits)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    expected = np.zeros((n * c, n * c))
    for i in range(n):  # block diagonal: rows do not interact
        expected[i * c:(i + 1) * c, i * c:(i + 1) * c] = (np.diag(p[i]) - np.outer(p[i], p[i])) / n
    np.testing.assert_allclose(H, expected, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(H.sum(axis=1), 0.0, atol=1e-15)  # a constant added to a row's logits changes nothing
    t_H = torch.autograd.functional.hessian(
        lambda t: torch.nn.functional.cross_entropy(t, torch.tensor(classes), label_smoothing=smoothing),
        torch.tensor(logits))
    np.testing.assert_allclose(H, t_H.reshape(n * c, n * c).numpy(), rtol=1e-10, atol=1e-15)


# ---- shapes drawn by hypothesis -------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_reductions_and_permutations_on_drawn_shapes(torch, shape, data):
    ndim = len(shape)
    dims = tuple(sorted(data.draw(st.sets(st.integers(0, ndim - 1), min_size=1), label="dims")))
    keepdim = data.draw(st.booleans(), label="keepdim")
    order = data.draw(st.permutations(range(ndim)), label="order")
    x = uniform(*shape, seed=len(dims))
    second_order(torch, lambda L, t: cube(t.sum(dim=dims, keepdim=keepdim)), [x])
    second_order(torch, lambda L, t: cube(t.mean(dim=dims, keepdim=keepdim)), [x])
    second_order(torch, lambda L, t: cube(t.permute(*order)), [x])
    if x.size > 1:
        second_order(torch, lambda L, t: t.var(dim=dims, keepdim=keepdim, correction=0) ** 2, [x])
        second_order(torch, lambda L, t: t.norm(p=2.0, dim=dims, keepdim=keepdim), [x])  # torch's 'fro' takes <= 2 dims


@settings(max_examples=20, deadline=None)
@given(batch=st.lists(st.integers(1, 3), max_size=2), data=st.data(), n=st.integers(1, 4), m=st.integers(1, 3),
       p=st.integers(1, 3), one_d=st.sampled_from(["", "a", "b"]))
def test_matmul_on_drawn_shapes(torch, batch, data, n, m, p, one_d):
    # b's batch axes: a suffix of a's, each kept or stretched from 1 (so that they broadcast)
    suffix = batch[len(batch) - data.draw(st.integers(0, len(batch)), label="kept"):]
    batch_b = [k if data.draw(st.booleans(), label="stretched") else 1 for k in suffix]
    a_shape = (n,) if one_d == "a" else (*batch, m, n)
    b_shape = (n,) if one_d == "b" else (*batch_b, n, p)
    second_order(torch, lambda L, a, b: cube(a @ b), [uniform(*a_shape), uniform(*b_shape, seed=4)])


# ---- the two ops that exist for create_graph=True: Expand and ScatterAdd ------------------------------
def test_expand_and_scatter_add_pass_gradcheck_and_gradgradcheck():
    from minigrad.ops.reduce import Expand
    from minigrad.ops.shape import ScatterAdd
    x = mg.tensor(uniform(3, 1), requires_grad=True)
    assert mg.gradcheck(lambda t: cube(Expand.apply(t, shape=(2, 3, 4))), x)
    assert mg.gradgradcheck(lambda t: cube(Expand.apply(t, shape=(2, 3, 4))), x)
    y = mg.tensor(uniform(4, 2), requires_grad=True)
    scatter = (lambda t: cube(ScatterAdd.apply(t, index=mg.tensor(REPEATS).data, shape=(3, 2))))
    assert mg.gradcheck(scatter, y)
    assert mg.gradgradcheck(scatter, y)


def test_scatter_add_is_torchs_index_put_with_accumulate(torch):
    from minigrad.ops.shape import ScatterAdd
    rows, cols = np.array([2, 0, 2, 1, 2]), np.array([1, 1, 1, 0, 3])

    def fn(L, t):
        if L is mg:
            return cube(ScatterAdd.apply(t, index=(rows, cols), shape=(3, 4)))
        return cube(torch.zeros(3, 4, dtype=t.dtype).index_put((torch.tensor(rows), torch.tensor(cols)), t,
                                                                accumulate=True))
    for dtype in DTYPES:
        second_order(torch, fn, [uniform(5)], dtype)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(2, 5), spatial=st.integers(0, 2), data=st.data(),
       reduction=st.sampled_from(REDUCTIONS), smoothing=st.sampled_from([0.0, 0.15]), weighted=st.booleans())
def test_cross_entropy_and_log_softmax_on_drawn_shapes(torch, n, c, spatial, data, reduction, smoothing, weighted):
    rng = np.random.default_rng(n * 100 + c * 10 + spatial)
    extra = (3,) * spatial
    logits = rng.uniform(-3, 3, size=(n, c) + extra)
    classes = rng.integers(0, c, size=(n,) + extra)
    weight = rng.uniform(0.5, 2.0, size=c) if weighted else None
    ignore = data.draw(st.sampled_from([-100, 0]), label="ignore_index")

    def fn(L, x):
        w = None if weight is None else L.tensor(weight, dtype=x.dtype)
        return F(L).cross_entropy(x, L.tensor(classes), weight=w, ignore_index=ignore, label_smoothing=smoothing,
                                  reduction=reduction)
    if reduction == "mean" and ignore == 0 and not np.any(classes != 0):
        # every row ignored: a NaN loss with a zero gradient (minigrad's choice, _weighted_reduce);
        # torch's derivative of that gradient with respect to the upstream one is NaN instead
        return
    second_order(torch, fn, [logits])
    second_order(torch, lambda L, x: cube(x.log_softmax(dim=1)), [logits])
