"""minigrad.nn against torch.nn: state_dicts both ways, gradients of an MLP, repr, init.

Float64 throughout, relative tolerance 1e-12: the two frameworks compute the same
products and sums, differing only in the order BLAS accumulates them (~1e-16 relative).
"""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from tests.torch_parity.helpers import assert_close


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
