"""minigrad.nn against torch.nn: state_dicts both ways, gradients of an MLP, repr, init; then
the layers with state or modes (BatchNorm1d's trajectories and buffers, LayerNorm, Embedding,
Dropout), their errors and signatures.

The MLP tests are float64, relative tolerance 1e-12: the two frameworks compute the same
products and sums, differing only in the order BLAS accumulates them (~1e-16 relative).
The layer tests run in float32 and float64 (TOL below).
"""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from tests.torch_parity.helpers import assert_close, compare


def mlp_pair(torch, hidden_activation="relu"):
    """The same architecture in both frameworks, float64, different random weights."""
    act_m = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[hidden_activation]
    act_t = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}[hidden_activation]
    mine = nn.Sequential(nn.Linear(3, 5, dtype=mg.float64), act_m(), nn.Linear(5, 2, dtype=mg.float64))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), act_t(), torch.nn.Linear(5, 2)).double()
    return mine, theirs


def inputs(n=7, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 3))


def test_minigrad_state_dict_loads_into_torch(torch):
    mg.manual_seed(0)
    mine, theirs = mlp_pair(torch)
    sd = mine.state_dict()
    assert list(sd) == list(theirs.state_dict())  # the same names, in the same order
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})  # SPEC 5's recipe
    x = inputs()
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    assert_close(mine(mg.tensor(x)).data, expected, np.float64, "outputs after loading into torch")
    assert np.abs(expected).max() > 0.1  # not trivially zero


def test_torch_state_dict_loads_into_minigrad(torch):
    torch.manual_seed(0)
    mine, theirs = mlp_pair(torch, "tanh")
    mine.load_state_dict(theirs.state_dict())  # torch tensors, read through np.asarray
    assert all(p.dtype == np.float64 for p in mine.parameters())
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(mine.state_dict()[key], value.numpy())
    x = inputs(seed=1)
    assert_close(mine(mg.tensor(x)).data, theirs(torch.from_numpy(x)).detach().numpy(), np.float64,
                 "outputs after loading from torch")


def test_shape_mismatch_against_a_torch_checkpoint(torch):
    mine = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    with pytest.raises(ValueError, match=r"'0.weight'.*\(5, 3\).*\(4, 3\)"):
        mine.load_state_dict(theirs.state_dict())


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_mlp_mse_gradients_match_torch(torch, activation):
    torch.manual_seed(1)
    mine, theirs = mlp_pair(torch, activation)
    mine.load_state_dict(theirs.state_dict())
    x, y = inputs(seed=2), np.random.default_rng(3).normal(size=(7, 2))

    loss_m = ((mine(mg.tensor(x)) - mg.tensor(y)) ** 2).mean()  # MSE written from Tensor ops
    loss_t = ((theirs(torch.from_numpy(x)) - torch.from_numpy(y)) ** 2).mean()
    loss_m.backward()
    loss_t.backward()
    assert_close(loss_m.data, loss_t.detach().numpy(), np.float64, "loss")
    named_t = dict(theirs.named_parameters())
    assert [name for name, _ in mine.named_parameters()] == list(named_t)
    for name, p in mine.named_parameters():
        assert np.abs(named_t[name].grad.numpy()).max() > 1e-3, "a vanishing gradient would test nothing"
        assert_close(p.grad.data, named_t[name].grad.numpy(), np.float64, f"gradient of {name}")


@pytest.mark.parametrize("head", ["softmax", "log_softmax"])
def test_flatten_and_softmax_modules_match_torch(torch, head):
    # Input (5, 2, 3) -> Flatten -> (5, 6): the classifier layout of the lessons.
    def build(lib):
        last = lib.nn.Softmax(dim=1) if head == "softmax" else lib.nn.LogSoftmax(dim=1)
        return lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Linear(6, 4), lib.nn.Sigmoid(),
                                 lib.nn.Linear(4, 3), last)

    torch.manual_seed(3)
    mine, theirs = build(mg).double(), build(torch).double()
    mine.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(6).normal(size=(5, 2, 3))
    weights = np.random.default_rng(7).normal(size=(5, 3))  # a non-uniform upstream gradient
    out_m, out_t = mine(mg.tensor(x)), theirs(torch.from_numpy(x))
    assert_close(out_m.data, out_t.detach().numpy(), np.float64, "output")
    (out_m * mg.tensor(weights)).sum().backward()
    (out_t * torch.from_numpy(weights)).sum().backward()
    for (name, p), (_, t) in zip(mine.named_parameters(), theirs.named_parameters()):
        assert_close(p.grad.data, t.grad.numpy(), np.float64, f"gradient of {name}")


@pytest.mark.parametrize("make_opt", [
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda lib, ps: lib.optim.Adam(ps, lr=0.01, amsgrad=True),
    lambda lib, ps: lib.optim.AdamW(ps, lr=0.01),
])
def test_training_steps_match_torch(torch, make_opt):
    # End to end: forward, MSE, backward, zero_grad and step, 20 times in both frameworks.
    torch.manual_seed(2)
    mine, theirs = mlp_pair(torch, "tanh")
    mine.load_state_dict(theirs.state_dict())
    start = mine.state_dict()
    opt_m = make_opt(mg, mine.parameters())
    opt_t = make_opt(torch, theirs.parameters())
    x, y = inputs(seed=4), np.random.default_rng(5).normal(size=(7, 2))
    for _ in range(20):
        for model, opt, as_tensor in ((mine, opt_m, mg.tensor), (theirs, opt_t, torch.from_numpy)):
            opt.zero_grad()
            ((model(as_tensor(x)) - as_tensor(y)) ** 2).mean().backward()
            opt.step()
    for key, value in theirs.state_dict().items():
        assert not np.allclose(value.numpy(), start[key], rtol=1e-3), f"{key} did not move"
        np.testing.assert_allclose(mine.state_dict()[key], value.numpy(), rtol=1e-10,
                                   atol=1e-12 * np.abs(value.numpy()).max(), err_msg=key)


def _custom_module(lib):
    class Block(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = lib.nn.Linear(4, 4)
            self.act = lib.nn.Tanh()

        def forward(self, x):
            return self.act(self.proj(x))

    return Block()


ARCHITECTURES = {
    "mlp": lambda lib: lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU(), lib.nn.Linear(3, 1)),
    "everything": lambda lib: lib.nn.Sequential(
        lib.nn.Flatten(), lib.nn.Linear(2, 3), lib.nn.ReLU(),
        lib.nn.Sequential(lib.nn.Linear(3, 1, bias=False), lib.nn.Sigmoid()),
        lib.nn.Tanh(), lib.nn.Softmax(dim=1), lib.nn.LogSoftmax(dim=0), lib.nn.Flatten(0, 1),
        lib.nn.Identity()),
    "custom": lambda lib: lib.nn.Sequential(_custom_module(lib), lib.nn.Linear(4, 2)),
    "single": lambda lib: lib.nn.Linear(5, 7, bias=False),
    "empty": lambda lib: lib.nn.Sequential(),
    "layers": lambda lib: lib.nn.Sequential(
        lib.nn.Embedding(10, 4, padding_idx=0), lib.nn.Flatten(), lib.nn.Linear(8, 6), lib.nn.BatchNorm1d(6),
        lib.nn.LeakyReLU(), lib.nn.Dropout(0.2), lib.nn.LayerNorm(6), lib.nn.GELU(), lib.nn.Linear(6, 3),
        lib.nn.Softplus()),
    "layer_options": lambda lib: lib.nn.Sequential(
        lib.nn.BatchNorm1d(3, affine=False), lib.nn.BatchNorm1d(3, momentum=None, track_running_stats=False),
        lib.nn.BatchNorm1d(3, eps=1e-3, bias=False), lib.nn.LayerNorm((2, 3), elementwise_affine=False),
        lib.nn.LayerNorm(3, eps=1e-6, bias=False), lib.nn.Embedding(5, 2, padding_idx=-1, max_norm=1.0),
        lib.nn.Embedding(5, 2, norm_type=1.0, scale_grad_by_freq=True), lib.nn.Dropout(p=0.0, inplace=True),
        lib.nn.LeakyReLU(0.2, inplace=True), lib.nn.GELU(approximate="tanh"), lib.nn.Softplus(beta=2, threshold=5)),
}


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_repr_matches_torch(torch, arch):
    assert repr(ARCHITECTURES[arch](mg)) == repr(ARCHITECTURES[arch](torch))


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_parameter_names_and_shapes_match_torch(torch, arch):
    mine, theirs = ARCHITECTURES[arch](mg), ARCHITECTURES[arch](torch)
    assert [(n, p.shape) for n, p in mine.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert [n for n, _ in mine.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [(k, v.shape) for k, v in mine.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]


def test_shared_module_names_match_torch(torch):
    def build(lib):
        shared = lib.nn.Linear(2, 2)
        return lib.nn.Sequential(shared, lib.nn.ReLU(), shared)

    mine, theirs = build(mg), build(torch)
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(mine.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in mine.named_modules()] == [n for n, _ in theirs.named_modules()]


def test_parameter_repr_matches_torch(torch):
    assert repr(nn.Parameter(mg.zeros(2))) == repr(torch.nn.Parameter(torch.zeros(2)))


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("selu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("conv2d", None),
])
def test_calculate_gain_matches_torch(torch, nonlinearity, param):
    assert nn.init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)


@pytest.mark.parametrize("shape", [(3, 5), (7, 2, 3), (4, 2, 3, 3)])
def test_fans_match_torch(torch, shape):
    assert nn.init._calculate_fan_in_and_fan_out(mg.zeros(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))


@pytest.mark.parametrize("fill, kwargs", [
    ("kaiming_uniform_", dict(a=math.sqrt(5))),
    ("kaiming_uniform_", dict(nonlinearity="relu", mode="fan_out")),
    ("xavier_uniform_", dict(gain=5 / 3)),
])
def test_uniform_init_bounds_match_torch(torch, fill, kwargs):
    # Different generators draw different numbers, but for 200,000 draws the extremes of
    # both lie within 0.01% of the bound, so equal extremes mean equal bounds.
    shape = (400, 500)
    mg.manual_seed(0)
    torch.manual_seed(0)
    mine = getattr(nn.init, fill)(mg.zeros(*shape, dtype=mg.float64), **kwargs).data
    theirs = getattr(torch.nn.init, fill)(torch.zeros(*shape, dtype=torch.float64), **kwargs).numpy()
    bound = np.abs(theirs).max()
    assert np.abs(mine).max() == pytest.approx(bound, rel=2e-4)
    assert np.abs(mine).max() <= bound * (1 + 2e-4)


@pytest.mark.parametrize("in_features, out_features", [(1, 3000), (10, 3000), (300, 20)])
def test_linear_init_matches_torch(torch, in_features, out_features):
    mg.manual_seed(0)
    torch.manual_seed(0)
    mine, theirs = nn.Linear(in_features, out_features), torch.nn.Linear(in_features, out_features)
    bound = 1 / math.sqrt(in_features)  # PyTorch's formula (kaiming_uniform_ with a=sqrt(5))
    for name in ("weight", "bias"):
        m, t = getattr(mine, name).data, getattr(theirs, name).detach().numpy()
        assert m.dtype == t.dtype == np.float32
        assert np.abs(m).max() <= bound * (1 + 1e-6) and np.abs(t).max() <= bound * (1 + 1e-6)
    # The weights are large samples: both reach the bound to within 1%.
    w_m, w_t = np.abs(mine.weight.data).max(), np.abs(theirs.weight.detach().numpy()).max()
    assert w_m == pytest.approx(w_t, rel=1e-2) and w_m == pytest.approx(bound, rel=1e-2)


def test_optim_module_names_exist_in_torch(torch):
    for name in optim.__all__:
        assert hasattr(torch.optim, name)
    minigrad_only = {"HingeLoss"}  # SPEC 4: the binary SVM loss torch does not have
    for name in nn.__all__:
        assert hasattr(torch.nn, name) != (name in minigrad_only), name


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 5, 3), (0, 3)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linear_layer_is_torchs_linear_for_every_input_rank(torch, shape, bias, dtype):
    """nn.Linear runs as one fused op (ops/linear.py Linear): value and every gradient
    against torch's, for 1-D, 2-D, batched and empty inputs."""
    mine = nn.Linear(3, 2, bias=bias, dtype=getattr(mg, dtype))
    theirs = torch.nn.Linear(3, 2, bias=bias).to(getattr(torch, dtype))
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in mine.state_dict().items()})
    x = np.random.default_rng(3).normal(size=shape).astype(dtype)
    x_m, x_t = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_m, out_t = mine(x_m), theirs(x_t)
    upstream = np.random.default_rng(4).normal(size=out_t.shape).astype(dtype)
    out_m.backward(upstream)
    out_t.backward(torch.from_numpy(upstream))
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(out_m.data, out_t.detach().numpy(), **tol)
    np.testing.assert_allclose(x_m.grad.data, x_t.grad.numpy(), **tol)
    np.testing.assert_allclose(mine.weight.grad.data, theirs.weight.grad.numpy(), **tol)
    if bias:
        np.testing.assert_allclose(mine.bias.grad.data, theirs.bias.grad.numpy(), **tol)
    assert out_m.dtype == np.dtype(dtype) and out_m.grad_fn.name() == "LinearBackward0"  # torch: AddmmBackward0


def test_linear_layer_on_a_different_dtype_promotes_like_the_operators():
    """A float32 input into a float64 layer takes the unfused path and gives float64."""
    layer = nn.Linear(2, 1, dtype=mg.float64)
    x = mg.tensor([[1.0, 2.0]], dtype=mg.float32, requires_grad=True)
    out = layer(x)
    assert out.dtype == np.float64
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, layer.weight.data.astype(np.float32))
    assert x.grad.dtype == np.float32


# ---- BatchNorm1d, LayerNorm, Embedding, Dropout against torch --------------------------------------
DTYPES = [np.float64, np.float32]
TOL = {np.float64: dict(rtol=1e-12, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-6)}


def _pair_state(mine, theirs, torch):
    """Give both the same (random, non-trivial) parameters: torch's, loaded into minigrad."""
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(0.5, 1.5)
    mine.load_state_dict(theirs.state_dict())


def _assert_same_state(mine, theirs, dtype, when):
    sd_mine, sd_theirs = mine.state_dict(), theirs.state_dict()
    assert list(sd_mine) == list(sd_theirs), when
    for key, value in sd_theirs.items():
        assert sd_mine[key].dtype == value.numpy().dtype, f"{when}: dtype of {key}"
        np.testing.assert_allclose(sd_mine[key], value.numpy(), err_msg=f"{when}: {key}", **TOL[dtype])


BATCHNORM_OPTIONS = {
    "default": {},
    "momentum_0.3_eps_1e-3": dict(momentum=0.3, eps=1e-3),
    "cumulative_average": dict(momentum=None),
    "no_affine": dict(affine=False),
    "no_bias": dict(bias=False),
    "untracked": dict(track_running_stats=False),
    "untracked_cumulative": dict(track_running_stats=False, momentum=None),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8, 3), (5, 3, 4)], ids=["N_C", "N_C_L"])
@pytest.mark.parametrize("options", list(BATCHNORM_OPTIONS))
def test_batchnorm1d_trajectory_matches_torch(torch, options, shape, dtype):
    """Five training steps (output, every gradient, the running buffers after each), then eval
    mode (the running statistics) and back: all as torch."""
    kwargs = BATCHNORM_OPTIONS[options]
    tdtype = getattr(torch, np.dtype(dtype).name)
    mine = mg.nn.BatchNorm1d(3, dtype=dtype, **kwargs)
    theirs = torch.nn.BatchNorm1d(3, dtype=tdtype, **kwargs)
    _pair_state(mine, theirs, torch)
    rng = np.random.default_rng(0)
    for step, training in enumerate([True] * 5 + [False, False, True]):
        mine.train(training)
        theirs.train(training)
        x = (rng.normal(size=shape) * rng.uniform(0.5, 3.0, size=(1, 3) + (1,) * (len(shape) - 2)) + 2.0).astype(dtype)
        xm, xt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out_m, out_t = mine(xm), theirs(xt)
        upstream = rng.uniform(-1, 1, size=shape).astype(dtype)
        out_m.backward(mg.tensor(upstream))
        out_t.backward(torch.tensor(upstream))
        when = f"step {step} ({'train' if training else 'eval'})"
        np.testing.assert_allclose(out_m.data, out_t.detach().numpy(), err_msg=f"{when}: output", **TOL[dtype])
        np.testing.assert_allclose(xm.grad.data, xt.grad.numpy(), err_msg=f"{when}: input grad", **TOL[dtype])
        for (name, p), q in zip(mine.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.grad.data, q.grad.numpy(), err_msg=f"{when}: grad {name}", **TOL[dtype])
            p.grad, q.grad = None, None
        _assert_same_state(mine, theirs, dtype, when)
    if mine.track_running_stats:
        assert int(mine.num_batches_tracked.data) == 6
        assert not np.allclose(mine.running_mean.data, 0)  # the statistics moved


def test_batchnorm1d_eval_is_the_running_statistics_and_one_sample_works(torch):
    bn = mg.nn.BatchNorm1d(2, dtype=mg.float64)
    bn.running_mean.data[...] = [1.0, -2.0]
    bn.running_var.data[...] = [4.0, 0.25]
    bn.eval()
    out = bn(mg.tensor([[3.0, -1.0]], dtype=mg.float64))  # a batch of one: fine in eval mode
    np.testing.assert_allclose(out.data, [[2.0 / np.sqrt(4 + 1e-5), 1.0 / np.sqrt(0.25 + 1e-5)]], rtol=1e-15)
    assert int(bn.num_batches_tracked.data) == 0  # eval does not count batches


def test_batchnorm1d_running_var_is_unbiased(torch):
    """running_var takes n / (n - 1) times the batch's variance (the one the batch is normalised with)."""
    x = np.array([[1.0], [2.0], [4.0]])
    bn = mg.nn.BatchNorm1d(1, momentum=1.0, dtype=mg.float64)
    out = bn(mg.tensor(x))
    assert bn.running_var.data[0] == pytest.approx(np.var(x, ddof=1), rel=1e-15)
    assert bn.running_mean.data[0] == pytest.approx(7 / 3, rel=1e-15)
    np.testing.assert_allclose(out.data[:, 0], (x[:, 0] - 7 / 3) / np.sqrt(np.var(x) + 1e-5), rtol=1e-14)


@pytest.mark.parametrize("call, torch_call, error, message", [
    (lambda nn: nn.BatchNorm1d(3)(mg.zeros(4)), lambda nn, t: nn.BatchNorm1d(3)(t.zeros(4)),
     ValueError, r"expected 2D or 3D input \(got 1D input\)"),
    (lambda nn: nn.BatchNorm1d(3)(mg.zeros(1, 3)), lambda nn, t: nn.BatchNorm1d(3)(t.zeros(1, 3)),
     ValueError, "Expected more than 1 value per channel when training"),
    (lambda nn: nn.BatchNorm1d(3)(mg.zeros(1, 3, 1)), lambda nn, t: nn.BatchNorm1d(3)(t.zeros(1, 3, 1)),
     ValueError, "Expected more than 1 value per channel when training"),
    (lambda nn: nn.BatchNorm1d(3)(mg.zeros(4, 2)), lambda nn, t: nn.BatchNorm1d(3)(t.zeros(4, 2)),
     RuntimeError, "running_mean should contain 2 elements not 3"),
    (lambda nn: nn.LayerNorm(3)(mg.zeros(2, 4)), lambda nn, t: nn.LayerNorm(3)(t.zeros(2, 4)),
     RuntimeError, r"Given normalized_shape=\[3\], expected input with shape \[\*, 3\], but got input of size\[2, 4\]"),
    (lambda nn: nn.LayerNorm([2, 3])(mg.zeros(3, 3)), lambda nn, t: nn.LayerNorm([2, 3])(t.zeros(3, 3)),
     RuntimeError, r"Given normalized_shape=\[2, 3\], expected input with shape \[\*, 2, 3\]"),
    (lambda nn: nn.Embedding(3, 2)(mg.tensor([1.0])), lambda nn, t: nn.Embedding(3, 2)(t.tensor([1.0])),
     RuntimeError, "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int"),
    (lambda nn: nn.Embedding(3, 2)(mg.tensor([3])), lambda nn, t: nn.Embedding(3, 2)(t.tensor([3])),
     IndexError, "index out of range in self"),
    (lambda nn: nn.Embedding(3, 2)(mg.tensor([-1])), lambda nn, t: nn.Embedding(3, 2)(t.tensor([-1])),
     IndexError, "index out of range in self"),
    (lambda nn: nn.Embedding(3, 2, padding_idx=3), lambda nn, t: nn.Embedding(3, 2, padding_idx=3),
     AssertionError, "Padding_idx must be within num_embeddings"),
    (lambda nn: nn.Embedding(3, 2, padding_idx=-4), lambda nn, t: nn.Embedding(3, 2, padding_idx=-4),
     AssertionError, "Padding_idx must be within num_embeddings"),
    (lambda nn: nn.Dropout(-0.1), lambda nn, t: nn.Dropout(-0.1),
     ValueError, "dropout probability has to be between 0 and 1, but got -0.1"),
    (lambda nn: nn.functional.dropout(mg.ones(3), 1.5), lambda nn, t: nn.functional.dropout(t.ones(3), 1.5),
     ValueError, "dropout probability has to be between 0 and 1, but got 1.5"),
    (lambda nn: nn.functional.one_hot(mg.tensor([1.0, 2.0])), lambda nn, t: nn.functional.one_hot(t.tensor([1.0, 2.0])),
     RuntimeError, "one_hot is only applicable to index tensor of type LongTensor"),
    (lambda nn: nn.functional.one_hot(mg.tensor([-1, 2])), lambda nn, t: nn.functional.one_hot(t.tensor([-1, 2])),
     RuntimeError, "Class values must be non-negative"),
    (lambda nn: nn.functional.one_hot(mg.tensor([1, 5]), 3), lambda nn, t: nn.functional.one_hot(t.tensor([1, 5]), 3),
     RuntimeError, "Class values must be smaller than num_classes"),
    (lambda nn: nn.functional.one_hot(mg.tensor([], dtype=mg.int64)),
     lambda nn, t: nn.functional.one_hot(t.tensor([], dtype=t.long)),
     RuntimeError, "Can not infer total number of classes from empty tensor"),
])
def test_layer_errors_are_torchs(torch, call, torch_call, error, message):
    with pytest.raises(error, match=message):
        call(mg.nn)
    with pytest.raises(error, match=message):
        torch_call(torch.nn, torch)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("normalized_shape, options", [
    (5, {}), ((4, 5), {}), ((5,), dict(eps=1e-2, bias=False)), ((4, 5), dict(elementwise_affine=False)),
])
def test_layernorm_matches_torch(torch, normalized_shape, options, dtype):
    tdtype = getattr(torch, np.dtype(dtype).name)
    mine = mg.nn.LayerNorm(normalized_shape, dtype=dtype, **options)
    theirs = torch.nn.LayerNorm(normalized_shape, dtype=tdtype, **options)
    if list(theirs.parameters()):
        _pair_state(mine, theirs, torch)
    assert repr(mine) == repr(theirs)
    x = np.random.default_rng(1).normal(loc=3.0, scale=2.0, size=(3, 4, 5)).astype(dtype)
    for training in (True, False):  # the same either way: no running statistics
        mine.train(training)
        xm, xt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out_m, out_t = mine(xm), theirs(xt)
        upstream = np.random.default_rng(2).uniform(-1, 1, size=x.shape).astype(dtype)
        out_m.backward(mg.tensor(upstream))
        out_t.backward(torch.tensor(upstream))
        np.testing.assert_allclose(out_m.data, out_t.detach().numpy(), **TOL[dtype])
        np.testing.assert_allclose(xm.grad.data, xt.grad.numpy(), **TOL[dtype])
        for (name, p), q in zip(mine.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.grad.data, q.grad.numpy(), err_msg=name, **TOL[dtype])
            p.grad, q.grad = None, None
    _assert_same_state(mine, theirs, dtype, "after")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", [
    {}, dict(padding_idx=2), dict(padding_idx=-1), dict(scale_grad_by_freq=True),
    dict(padding_idx=0, scale_grad_by_freq=True), dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0),
])
def test_embedding_matches_torch(torch, options, dtype):
    """Values, the weight's gradient (padding row: none; repeated rows: summed, or scaled by
    frequency), and max_norm's in-place renormalisation of the rows looked up."""
    tdtype = getattr(torch, np.dtype(dtype).name)
    mine = mg.nn.Embedding(6, 3, dtype=dtype, **options)
    theirs = torch.nn.Embedding(6, 3, dtype=tdtype, **options)
    mine.load_state_dict(theirs.state_dict())  # N(0, 1) rows, the padding row zero
    assert repr(mine) == repr(theirs)
    ids = np.array([[0, 2, 2, 5], [1, 2, 0, 5], [5, 5, 2, 4]])  # repeats, the padding rows, row 3 unused
    out_m, out_t = mine(mg.tensor(ids)), theirs(torch.tensor(ids))
    upstream = np.random.default_rng(3).uniform(-1, 1, size=(3, 4, 3)).astype(dtype)
    out_m.backward(mg.tensor(upstream))
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out_m.data, out_t.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(mine.weight.grad.data, theirs.weight.grad.numpy(), **TOL[dtype])
    _assert_same_state(mine, theirs, dtype, "after the lookup")
    if "padding_idx" in options:
        assert not np.any(mine.weight.grad.data[options["padding_idx"]])
        assert not np.any(mine.weight.data[options["padding_idx"]])
    assert not np.any(mine.weight.grad.data[3]) and np.any(mine.weight.grad.data[4])  # unused; used once


def test_embedding_from_pretrained_matches_torch(torch):
    w = np.arange(12.0).reshape(4, 3)
    mine = mg.nn.Embedding.from_pretrained(mg.tensor(w), padding_idx=1)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(w), padding_idx=1)
    assert repr(mine) == repr(theirs) and mine.weight.requires_grad is theirs.weight.requires_grad is False
    np.testing.assert_array_equal(mine(mg.tensor([[3, 1]])).data, theirs(torch.tensor([[3, 1]])).numpy())


def test_one_hot_matches_torch(torch):
    for ids, n in (([0, 2, 1], -1), ([[1, 0], [3, 3]], 5), ([], 3), (2, 4)):
        mine = mg.nn.functional.one_hot(mg.tensor(ids, dtype=mg.int64), n)
        theirs = torch.nn.functional.one_hot(torch.tensor(ids, dtype=torch.long), n)
        assert mine.dtype == np.int64 and mine.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(mine.data, theirs.numpy())


def test_dropout_eval_and_p_zero_return_the_input_as_torch(torch):
    x = mg.randn(4, 5, requires_grad=True)
    t = torch.randn(4, 5)
    for mine, theirs in ((mg.nn.Dropout(0.5).eval()(x), torch.nn.Dropout(0.5).eval()(t)),
                         (mg.nn.functional.dropout(x, 0.0), torch.nn.functional.dropout(t, 0.0)),
                         (mg.nn.functional.dropout(x, 0.9, training=False),
                          torch.nn.functional.dropout(t, 0.9, False))):
        assert mine is x and theirs is t
    assert repr(mg.nn.Dropout(0.25)) == repr(torch.nn.Dropout(0.25))


def test_dropout_p_one_zeroes_everything_with_gradient_zero_as_torch(torch):
    x = np.random.default_rng(4).normal(size=(3, 4))
    out = compare(torch, lambda lib, a: lib.nn.functional.dropout(a, 1.0), [x])
    assert not np.any(out.data)


def test_dropout_gradient_is_the_scaled_mask(torch):
    """Whatever the mask, dy/dx is 1 / (1 - p) where kept and 0 where dropped; torch's kept
    elements are scaled by the same factor."""
    mg.manual_seed(5)
    x = mg.tensor(np.random.default_rng(5).uniform(1, 2, size=(50, 40)), requires_grad=True)
    y = mg.nn.functional.dropout(x, 0.3)
    y.sum().backward()
    kept = y.data != 0
    np.testing.assert_array_equal(x.grad.data, np.where(kept, 1 / (1 - 0.3), 0.0))
    np.testing.assert_array_equal(y.data[kept], x.data[kept] * (1 / 0.7))
    t = torch.nn.functional.dropout(torch.tensor(x.data), 0.3)
    theirs_kept = t.numpy() != 0
    np.testing.assert_array_equal(t.numpy()[theirs_kept], x.data[theirs_kept] * (1 / 0.7))


def test_a_model_with_every_layer_trains_as_torch(torch):
    """Embedding -> Flatten -> Linear -> BatchNorm1d -> LeakyReLU -> LayerNorm -> GELU -> Linear,
    trained with SGD for four steps, then evaluated: the same parameters, buffers and outputs.
    (Dropout is left out here: its masks are minigrad's own random stream.)"""
    def build(lib):
        return lib.nn.Sequential(lib.nn.Embedding(10, 4, padding_idx=0), lib.nn.Flatten(), lib.nn.Linear(8, 6),
                                 lib.nn.BatchNorm1d(6, momentum=None), lib.nn.LeakyReLU(0.1), lib.nn.LayerNorm(6),
                                 lib.nn.GELU(approximate="tanh"), lib.nn.Linear(6, 3), lib.nn.Softplus())
    mine, theirs = build(mg).double(), build(torch).double()
    mine.load_state_dict(theirs.state_dict())
    opt_m, opt_t = optim.SGD(mine.parameters(), lr=0.1), torch.optim.SGD(theirs.parameters(), lr=0.1)
    rng = np.random.default_rng(6)
    for _ in range(4):
        ids, y = rng.integers(0, 10, size=(16, 2)), rng.normal(size=(16, 3))
        for model, opt, lib in ((mine, opt_m, mg), (theirs, opt_t, torch)):
            opt.zero_grad()
            lib.nn.functional.mse_loss(model(lib.tensor(ids)), lib.tensor(y)).backward()
            opt.step()
    _assert_same_state(mine, theirs, np.float64, "after training")
    ids = rng.integers(0, 10, size=(5, 2))
    np.testing.assert_allclose(mine.eval()(mg.tensor(ids)).data, theirs.eval()(torch.tensor(ids)).detach().numpy(),
                               **TOL[np.float64])
    sd = mine.state_dict()
    assert "3.running_mean" in sd and "3.num_batches_tracked" in sd and int(sd["3.num_batches_tracked"]) == 4


@pytest.mark.parametrize("name", ["one_hot", "dropout", "softplus", "leaky_relu", "gelu", "batch_norm", "layer_norm",
                                  "embedding"])
def test_functional_signatures_are_torchs(torch, name):
    """The same parameter names, order and defaults as torch 2.13's (so keyword calls port)."""
    import inspect
    theirs_fn = getattr(torch.nn.functional, name)
    try:
        theirs = [(p.name, p.default) for p in inspect.signature(theirs_fn).parameters.values()]
    except ValueError:  # a C builtin (one_hot, softplus, gelu): its docstring's first line is the signature
        theirs = None
    mine = [(p.name, p.default) for p in inspect.signature(getattr(mg.nn.functional, name)).parameters.values()]
    if theirs is None:
        header = theirs_fn.__doc__.strip().splitlines()[0]
        assert header.startswith(f"{name}(") and all(f"{p}" in header for p, _ in mine), header
    else:
        assert mine == theirs


@pytest.mark.parametrize("name", ["Dropout", "BatchNorm1d", "LayerNorm", "Embedding", "LeakyReLU", "GELU", "Softplus",
                                  "Identity", "Flatten"])
def test_module_signatures_are_torchs(torch, name):
    """Constructor parameters as torch's (minus `device`: minigrad has one, the CPU)."""
    import inspect
    theirs = [(p.name, p.default) for p in inspect.signature(getattr(torch.nn, name).__init__).parameters.values()
              if p.name != "device"]
    mine = [(p.name, p.default) for p in inspect.signature(getattr(mg.nn, name).__init__).parameters.values()]
    assert mine == theirs
