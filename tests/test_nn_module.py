"""nn.Parameter, nn.Module and nn.Sequential: registration, names, modes, saving and loading."""
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


class MLP(nn.Module):
    """A model with a nested Sequential, to test dotted names and recursion."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 4), nn.Tanh())
        self.head = nn.Linear(4, 1)
        self.scale = nn.Parameter(np.array([2.0], dtype=np.float32))

    def forward(self, x):
        return self.head(self.body(x)) * self.scale


# ---- Parameter -------------------------------------------------------------------------

def test_parameter_requires_grad_and_shares_a_tensors_array():
    t = mg.tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert p.requires_grad and isinstance(p, mg.Tensor)
    assert p.data is t.data  # not a copy, as torch.nn.Parameter(t)
    t.data[0] = 5.0
    assert p.data[0] == 5.0
    assert not nn.Parameter(t, requires_grad=False).requires_grad


def test_parameter_from_array_like_follows_the_tensor_dtype_rules():
    assert nn.Parameter([1.0, 2.0]).dtype == np.float32
    assert nn.Parameter(np.zeros(3)).dtype == np.float64


def test_parameter_repr():
    p = nn.Parameter(mg.tensor([0.0, 0.0]))
    assert repr(p) == "Parameter containing:\ntensor([0., 0.], requires_grad=True)"


# ---- registration and names ------------------------------------------------------------

def test_named_parameters_use_dotted_paths_in_registration_order():
    model = MLP()
    names = [name for name, _ in model.named_parameters()]
    # PyTorch lists a module's own parameters first, then its children's (pre-order).
    assert names == ["scale", "body.0.weight", "body.0.bias", "head.weight", "head.bias"]
    assert [p.shape for p in model.parameters()] == [(1,), (4, 2), (4,), (1, 4), (1,)]
    assert [name for name, _ in model.named_parameters(recurse=False)] == ["scale"]
    assert [name for name, _ in model.named_children()] == ["body", "head"]
    assert [type(m).__name__ for m in model.modules()] == ["MLP", "Sequential", "Linear", "Tanh", "Linear"]
    assert [name for name, _ in model.named_modules()] == ["", "body", "body.0", "body.1", "head"]


def test_attributes_are_reachable_and_plain_tensors_are_not_registered():
    model = MLP()
    assert model.head is model._modules["head"]
    assert model.scale is model._parameters["scale"]
    model.buffer = mg.tensor([1.0])  # a plain Tensor is just an attribute, as in PyTorch
    assert "buffer" not in dict(model.named_parameters())
    with pytest.raises(AttributeError, match="'MLP' object has no attribute 'missing'"):
        model.missing


def test_reassigning_and_deleting_registered_attributes():
    model = MLP()
    with pytest.raises(TypeError, match="parameter 'scale'"):
        model.scale = mg.tensor([1.0])
    with pytest.raises(TypeError, match="child module 'head'"):
        model.head = 3
    model.scale = None
    assert model.scale is None and "scale" not in dict(model.named_parameters())
    del model.head
    assert [name for name, _ in model.named_children()] == ["body"]
    with pytest.raises(AttributeError):
        model.head
    # A name moves from one registry to the other, never living in both.
    model.head = nn.Parameter(np.ones(2))
    assert "head" in model._parameters and "head" not in model._modules


def test_assigning_before_init_is_a_clear_error():
    class Forgetful(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Forgetful()


def test_forward_must_be_defined():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="NoForward"):
        NoForward()(mg.tensor([1.0]))


def test_call_runs_forward():
    model = MLP()
    x = mg.randn(5, 2)
    expected = model.head(model.body[1](model.body[0](x))).data * 2.0
    np.testing.assert_allclose(model(x).data, expected, rtol=1e-6)


def test_a_shared_module_is_listed_once_but_saved_under_every_path():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.parameters())) == 2
    assert [name for name, _ in model.named_modules()] == ["", "0", "1"]
    assert len(list(model.children())) == 2
    # state_dict keeps every path, like PyTorch's: the same architecture without sharing loads it.
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_a_shared_parameter_is_listed_once():
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight  # tied weights
    model = nn.Sequential(a, b)
    params = list(model.parameters())
    assert len(params) == 3
    assert len({id(p) for p in params}) == 3
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.bias"]


def test_bias_false_registers_none():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert list(layer.state_dict()) == ["weight"]


# ---- training helpers ------------------------------------------------------------------

def test_train_and_eval_reach_every_submodule():
    model = MLP()
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    assert model.train() is model
    assert all(m.training for m in model.modules())
    model.body.eval()
    assert model.training and not model.body.training and not model.body[0].training
    assert model.head.training
    with pytest.raises(ValueError, match="mode"):
        model.train("no")


def test_zero_grad_sets_to_none_or_to_zeros():
    model = MLP()
    model(mg.randn(4, 2)).sum().backward()
    assert all(p.grad is not None and np.any(p.grad.data) for p in model.parameters())
    model.zero_grad(set_to_none=False)
    for p in model.parameters():
        assert p.grad.shape == p.shape and p.grad.dtype == p.dtype
        assert not np.any(p.grad.data)
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_gradients_accumulate_until_zeroed():
    layer = nn.Linear(2, 1)
    x = mg.randn(3, 2)
    layer(x).sum().backward()
    first = layer.weight.grad.data.copy()
    layer(x).sum().backward()
    np.testing.assert_allclose(layer.weight.grad.data, 2 * first, rtol=1e-6)
    layer.zero_grad()
    layer(x).sum().backward()
    np.testing.assert_allclose(layer.weight.grad.data, first, rtol=1e-6)


def test_double_and_float_convert_parameters_in_place():
    model = MLP()
    before = [p for p in model.parameters()]
    assert model.double() is model
    assert [p for p in model.parameters()] == before  # same Parameter objects
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model(mg.randn(3, 2).double()).dtype == np.float64
    assert model.float() is model
    assert all(p.dtype == np.float32 for p in model.parameters())


# ---- state_dict / load_state_dict ------------------------------------------------------

def test_state_dict_holds_copies_with_pytorch_names():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    sd = model.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert sd["0.weight"].shape == (3, 2) and sd["2.bias"].shape == (1,)
    np.testing.assert_array_equal(sd["0.weight"], model[0].weight.data)
    sd["0.weight"][...] = 99.0  # a copy: the model does not change
    assert not np.any(model[0].weight.data == 99.0)


def test_load_state_dict_copies_values_and_keeps_dtype_and_arrays():
    mg.manual_seed(0)
    source, target = MLP(), MLP()
    x = mg.randn(6, 2)
    assert not np.allclose(source(x).data, target(x).data)
    arrays = [p.data for p in target.parameters()]
    # float64 values into a float32 model: the model stays float32.
    result = target.load_state_dict({k: v.astype(np.float64) for k, v in source.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(source(x).data, target(x).data)
    assert all(p.dtype == np.float32 for p in target.parameters())
    assert all(p.data is a for p, a in zip(target.parameters(), arrays))  # written in place


def test_load_state_dict_accepts_minigrad_tensors_and_lists():
    layer = nn.Linear(2, 1)
    layer.load_state_dict({"weight": mg.tensor([[1.0, 2.0]]), "bias": [0.5]})
    np.testing.assert_array_equal(layer.weight.data, [[1.0, 2.0]])
    np.testing.assert_array_equal(layer.bias.data, [0.5])


def test_load_state_dict_missing_and_unexpected_keys():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    sd = model.state_dict()
    del sd["2.bias"]
    with pytest.raises(KeyError, match="missing key.*'2.bias'"):
        model.load_state_dict(sd)
    sd = model.state_dict()
    sd["3.weight"] = np.zeros((1, 1))
    with pytest.raises(KeyError, match="unexpected key.*'3.weight'"):
        model.load_state_dict(sd)


def test_load_state_dict_non_strict_loads_what_matches():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    old_bias = model[2].bias.data.copy()
    result = model.load_state_dict({"0.weight": np.ones((3, 2)), "extra": np.zeros(1)}, strict=False)
    assert result.missing_keys == ["0.bias", "2.weight", "2.bias"]
    assert result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(model[0].weight.data, np.ones((3, 2)))
    np.testing.assert_array_equal(model[2].bias.data, old_bias)


def test_load_state_dict_shape_mismatch_names_key_and_shapes_and_changes_nothing():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    before = model.state_dict()
    bad = {k: np.zeros_like(v) for k, v in before.items()}
    bad["2.weight"] = np.zeros((3, 1))
    with pytest.raises(ValueError, match=r"'2.weight'.*\(3, 1\).*\(1, 3\)"):
        model.load_state_dict(bad)
    for key, value in model.state_dict().items():  # checked before anything was copied
        np.testing.assert_array_equal(value, before[key])


def test_load_state_dict_rejects_non_mappings_and_non_numbers():
    layer = nn.Linear(1, 1)
    with pytest.raises(TypeError, match="mapping"):
        layer.load_state_dict([("weight", np.zeros((1, 1)))])
    with pytest.raises(TypeError, match="'bias'"):
        layer.load_state_dict({"weight": np.zeros((1, 1)), "bias": np.array(["a"])})


# ---- Sequential ------------------------------------------------------------------------

def test_sequential_indexing_length_iteration():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3
    assert list(model) == layers
    assert model[0] is layers[0] and model[-1] is layers[2] and model[np.int64(1)] is layers[1]
    head = model[1:]
    assert isinstance(head, nn.Sequential) and list(head) == layers[1:]
    assert [name for name, _ in head.named_children()] == ["1", "2"]  # names kept, as in PyTorch
    with pytest.raises(IndexError, match="index 3"):
        model[3]
    with pytest.raises(TypeError, match="integers or slices"):
        model["0"]


def test_sequential_forward_composes_in_order():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    x = mg.randn(4, 2)
    expected = model[2](model[1](model[0](x)))
    np.testing.assert_array_equal(model(x).data, expected.data)
    assert nn.Sequential()(x) is x


def test_sequential_rejects_non_modules_and_supports_append_and_names():
    with pytest.raises(TypeError, match="ReLU\\(\\) rather than ReLU"):
        nn.Sequential(nn.Linear(1, 1), nn.ReLU)
    model = nn.Sequential(nn.Linear(1, 2)).append(nn.ReLU())
    assert [name for name, _ in model.named_children()] == ["0", "1"]
    named = nn.Sequential(OrderedDict([("hidden", nn.Linear(1, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["hidden.weight", "hidden.bias"]


# ---- repr ------------------------------------------------------------------------------

def test_repr_nests_and_indents():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1, bias=False)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=3, out_features=1, bias=False)\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Module()) == "Module()"


def test_repr_with_multiline_extra_repr_and_children():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Identity()

        def extra_repr(self):
            return "a=1\nb=2"

    assert repr(Custom()) == "Custom(\n  a=1\n  b=2\n  (inner): Identity()\n)"


# ---- forward hooks -----------------------------------------------------------------------

def _hooked_run(lib, nn_):
    """Forward hooks and pre-hooks on a two-layer model, written once for minigrad and torch:
    what the hooks see, what their replacements do, and that removed hooks stop running."""
    model = nn_.Sequential(nn_.Linear(2, 3), nn_.Tanh(), nn_.Linear(3, 1)).double()
    with lib.no_grad():
        for i, p in enumerate(model.parameters()):
            p.data[...] = lib.tensor(np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape)) * (i + 1))
    x = lib.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=lib.float64)
    seen = []

    def note(module, args, output):
        seen.append(("out", type(module).__name__, len(args), np.array(output.detach().numpy())))

    def double_input(module, args):
        seen.append(("pre", type(module).__name__, np.array(args[0].detach().numpy())))
        return args[0] * 2  # not a tuple: becomes the 1-tuple (args[0] * 2,)

    def add_one(module, args, output):
        return output + 1

    handles = [model[1].register_forward_hook(note), model[0].register_forward_pre_hook(double_input),
               model[2].register_forward_hook(add_one), model[2].register_forward_hook(note),
               model.register_forward_hook(note, prepend=True)]
    first = model(x)
    for handle in handles[1:3]:
        handle.remove()
    handles[1].remove()  # twice is harmless
    second = model(x)
    for handle in handles:
        handle.remove()
    third = model(x)
    return seen, [np.array(t.detach().numpy()) for t in (first, second, third)]


def test_forward_hooks_and_pre_hooks_as_in_torch(torch):
    mine, theirs = _hooked_run(mg, nn), _hooked_run(torch, torch.nn)
    assert [s[:-1] for s in mine[0]] == [s[:-1] for s in theirs[0]]  # which hook, which module, in which order
    for m, t in zip(mine[0], theirs[0]):
        np.testing.assert_allclose(m[-1], t[-1], rtol=1e-12)
    for m, t in zip(mine[1], theirs[1]):
        np.testing.assert_allclose(m, t, rtol=1e-12)
    assert not np.allclose(mine[1][0], mine[1][2])  # the hooks did change the output


def test_a_forward_hook_keeps_activations_in_the_graph():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    activations = {}
    handle = model[1].register_forward_hook(lambda m, args, out: activations.update(relu=out))
    model(mg.tensor([[1.0, -2.0]])).sum().backward()
    assert activations["relu"].shape == (1, 3) and activations["relu"].grad_fn.name() == "ReLUBackward0"
    handle.remove()
    activations.clear()
    model(mg.tensor([[1.0, -2.0]]))
    assert activations == {}


def test_a_hook_must_be_callable():
    with pytest.raises(TypeError, match="callable"):
        nn.Linear(2, 1).register_forward_hook("not a function")


# ---- buffers -----------------------------------------------------------------------------

class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.register_buffer("count", mg.tensor(0))
        self.scale = nn.Parameter(np.ones(2, dtype=np.float32))
        self.register_buffer("stats", mg.zeros(2))
        self.register_buffer("scratch", mg.zeros(3), persistent=False)
        self.register_buffer("absent", None)


def test_buffers_are_in_state_dict_after_own_parameters_and_before_children():
    m = WithBuffers()
    assert list(m.state_dict()) == ["scale", "count", "stats", "lin.weight", "lin.bias"]  # torch's order
    assert [n for n, _ in m.named_buffers()] == ["count", "stats", "scratch"]
    assert [n for n, _ in m.named_parameters()] == ["scale", "lin.weight", "lin.bias"]  # not parameters
    assert m.stats is m._buffers["stats"] and m.absent is None
    outer = nn.Sequential(m)
    assert [n for n, _ in outer.named_buffers()] == ["0.count", "0.stats", "0.scratch"]
    assert len(list(outer.buffers())) == 3 and list(outer.buffers(recurse=False)) == []


def test_assigning_to_a_buffer_keeps_it_a_buffer_and_load_state_dict_fills_it():
    m = WithBuffers()
    m.stats = mg.tensor([1.0, 2.0])
    assert "stats" in m._buffers and m.state_dict()["stats"].tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="cannot assign 'list' as buffer 'stats'"):
        m.stats = [1.0, 2.0]
    sd = m.state_dict()
    sd["stats"] = np.array([5.0, 6.0])
    sd["count"] = np.array(3)
    held = m.stats
    m.load_state_dict(sd)
    assert held.data.tolist() == [5.0, 6.0] and m.count.data == 3 and m.count.dtype == np.int64
    del m.stats
    assert "stats" not in m.state_dict()


def test_double_and_float_convert_floating_buffers_only():
    m = WithBuffers().double()
    assert m.stats.dtype == np.float64 and m.scratch.dtype == np.float64 and m.count.dtype == np.int64
    assert m.float().stats.dtype == np.float32


@pytest.mark.parametrize("name, tensor, error, match", [
    (1, mg.zeros(1), TypeError, "buffer name should be a string. Got int"),
    ("a.b", mg.zeros(1), KeyError, "buffer name can.*t contain"),  # a KeyError's str is its repr
    ("", mg.zeros(1), KeyError, "buffer name can.*t be empty string"),
    ("lin", mg.zeros(1), KeyError, "attribute 'lin' already exists"),
    ("new", np.zeros(1), TypeError, "cannot assign 'ndarray' object to buffer 'new'"),
])
def test_register_buffer_errors_as_torch(name, tensor, error, match):
    with pytest.raises(error, match=match):
        WithBuffers().register_buffer(name, tensor)


def test_register_buffer_before_init():
    class Early(nn.Module):
        def __init__(self):
            self.register_buffer("x", mg.zeros(1))
    with pytest.raises(AttributeError, match=r"cannot assign buffer before Module.__init__\(\) call"):
        Early()


def test_buffer_api_matches_torch(torch):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 2)
            self.register_buffer("count", torch.tensor(0))
            self.scale = torch.nn.Parameter(torch.ones(2))
            self.register_buffer("stats", torch.zeros(2))
            self.register_buffer("scratch", torch.zeros(3), persistent=False)
            self.register_buffer("absent", None)
    theirs, mine = Net(), WithBuffers()
    assert list(theirs.state_dict()) == list(mine.state_dict())
    assert [n for n, _ in theirs.named_buffers()] == [n for n, _ in mine.named_buffers()]
    for name in (1, "a.b", "", "lin"):
        with pytest.raises((TypeError, KeyError)) as theirs_error:
            theirs.register_buffer(name, torch.zeros(1))
        with pytest.raises(theirs_error.type):
            mine.register_buffer(name, mg.zeros(1))
