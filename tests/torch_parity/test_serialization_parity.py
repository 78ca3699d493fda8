"""mg.save / mg.load with PyTorch: each framework reads the other's safetensors files."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

TORCH_DTYPES = ["float32", "float64", "int64", "bool"]


def mg_mlp(dtype):
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3))
    return model.double() if dtype == np.float64 else model


def torch_mlp(torch, dtype):
    tnn = torch.nn
    model = tnn.Sequential(tnn.Linear(5, 16), tnn.ReLU(), tnn.Linear(16, 16), tnn.Tanh(), tnn.Linear(16, 3))
    return model.double() if dtype == np.float64 else model


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_torch_loads_a_minigrad_model_and_gives_the_same_outputs(torch, dtype, tmp_path):
    import safetensors.torch
    mg.manual_seed(0)
    model = mg_mlp(dtype)
    x = np.random.default_rng(0).standard_normal((9, 5)).astype(dtype)
    path = tmp_path / "minigrad.safetensors"
    mg.save(model.state_dict(), path)

    state = safetensors.torch.load_file(path)
    assert list(state) and all(state[k].dtype == getattr(torch, np.dtype(dtype).name) for k in state)
    theirs = torch_mlp(torch, dtype)
    theirs.load_state_dict(state)                           # strict: every name matches torch's
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(mg.tensor(x)).data, expected, rtol={np.float32: 1e-5, np.float64: 1e-12}[dtype],
                               atol=1e-6 if dtype == np.float32 else 1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_minigrad_loads_a_torch_model_and_gives_the_same_outputs(torch, dtype, tmp_path):
    import safetensors.torch
    torch.manual_seed(0)
    theirs = torch_mlp(torch, dtype)
    x = np.random.default_rng(1).standard_normal((9, 5)).astype(dtype)
    path = tmp_path / "torch.safetensors"
    safetensors.torch.save_file(theirs.state_dict(), path)

    mg.manual_seed(5)
    model = mg_mlp(dtype)
    model.load_state_dict(mg.load(path))
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[name], value.numpy(), err_msg=name)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(mg.tensor(x)).data, expected, rtol={np.float32: 1e-5, np.float64: 1e-12}[dtype],
                               atol=1e-6 if dtype == np.float32 else 1e-14)


def _examples(torch, dtype_name):
    dtype = getattr(torch, dtype_name)
    generator = torch.Generator().manual_seed(0)
    if dtype_name == "bool":
        full = torch.rand(3, 4, generator=generator) > 0.5
    elif dtype_name == "int64":
        full = torch.randint(-2**62, 2**62, (3, 4), generator=generator)
    else:
        full = torch.randn(3, 4, generator=generator, dtype=dtype) * 1e3
        full[0, :3] = torch.tensor([float("nan"), float("inf"), -0.0], dtype=dtype)
    return {"full": full, "scalar": full[1, 1].clone(), "empty": torch.empty(0, 2, dtype=dtype),
            "transposed": full.t().contiguous()}


@pytest.mark.parametrize("dtype_name", TORCH_DTYPES)
def test_every_dtype_and_shape_crosses_both_ways_bit_for_bit(torch, dtype_name, tmp_path):
    import safetensors.torch
    tensors = _examples(torch, dtype_name)
    from_torch = tmp_path / "from_torch.safetensors"
    safetensors.torch.save_file(tensors, from_torch)
    mine = mg.load(from_torch)
    assert sorted(mine) == sorted(tensors)
    for name, value in tensors.items():
        got = mine[name].data
        assert got.dtype == np.dtype(dtype_name) and got.shape == tuple(value.shape), name
        assert got.tobytes() == value.numpy().tobytes(), name

    from_minigrad = tmp_path / "from_minigrad.safetensors"
    mg.save(mine, from_minigrad)
    back = safetensors.torch.load_file(from_minigrad)
    for name, value in tensors.items():
        assert back[name].dtype == value.dtype and back[name].shape == value.shape, name
        assert back[name].numpy().tobytes() == value.numpy().tobytes(), name


def test_a_nested_checkpoint_s_tensors_are_readable_in_torch_by_path(torch, tmp_path):
    import safetensors.torch
    mg.manual_seed(0)
    model = mg_mlp(np.float32)
    opt = mg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(mg.randn(4, 5)).sum().backward()
    opt.step()
    path = tmp_path / "checkpoint.safetensors"
    mg.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 1}, path)
    state = safetensors.torch.load_file(path)
    prefix = "model."
    weights = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    theirs = torch_mlp(torch, np.float32)
    theirs.load_state_dict(weights)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(theirs.state_dict()[name].numpy(), value)
    # the momentum buffer of the first parameter is "optimizer.state.0.momentum_buffer"
    first = next(iter(model.parameters()))
    np.testing.assert_array_equal(state["optimizer.state.0.momentum_buffer"].numpy(), first.grad.data)


def test_a_torch_optimizer_state_saved_tensor_by_tensor_loads_into_minigrad(torch, tmp_path):
    """torch's optimizer state_dict holds Python structure safetensors cannot store, so in
    torch one saves its tensors flat; minigrad's load_state_dict then takes the state."""
    import safetensors.torch
    torch.manual_seed(0)
    theirs = torch_mlp(torch, np.float64)
    opt = torch.optim.Adam(theirs.parameters(), lr=0.01)
    x = torch.randn(8, 5, dtype=torch.float64)
    for _ in range(3):
        opt.zero_grad()
        theirs(x).pow(2).mean().backward()
        opt.step()
    sd = opt.state_dict()
    flat = {f"{i}.{key}": value for i, entries in sd["state"].items() for key, value in entries.items()}
    path = tmp_path / "adam_state.safetensors"
    safetensors.torch.save_file(flat, path)

    loaded = mg.load(path)
    state = {i: {key: loaded[f"{i}.{key}"] for key in sd["state"][i]} for i in sd["state"]}
    model = mg_mlp(np.float64)
    model.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    mine = mg.optim.Adam(model.parameters(), lr=0.01)
    mine.load_state_dict({"state": state, "param_groups": [dict(g) for g in sd["param_groups"]]})
    xm = mg.tensor(x.numpy())
    for _ in range(2):
        opt.zero_grad()
        theirs(x).pow(2).mean().backward()
        opt.step()
        mine.zero_grad()
        (model(xm) ** 2).mean().backward()
        mine.step()
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[name], value.numpy(), rtol=1e-12, atol=1e-15, err_msg=name)


def test_batchnorm_buffers_cross_both_ways_and_eval_outputs_agree(torch, tmp_path):
    """running_mean, running_var and num_batches_tracked (a 0-d int64) travel with the weights."""
    import safetensors.torch
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))
    x = np.random.default_rng(2).standard_normal((16, 4)).astype(np.float32)
    for _ in range(3):
        model(mg.tensor(x))                                  # training mode: updates the running statistics
    model.eval()
    path = tmp_path / "bn.safetensors"
    mg.save(model.state_dict(), path)
    state = safetensors.torch.load_file(path)
    assert state["1.num_batches_tracked"].dtype == torch.int64 and state["1.num_batches_tracked"].item() == 3
    tnn = torch.nn
    theirs = tnn.Sequential(tnn.Linear(4, 6), tnn.BatchNorm1d(6), tnn.ReLU(), tnn.Linear(6, 2))
    theirs.load_state_dict(state)
    theirs.eval()
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(mg.tensor(x)).data, expected, rtol=1e-5, atol=1e-6)

    with torch.no_grad():
        theirs.train()
        theirs(torch.from_numpy(x) * 2 + 1)                  # move torch's statistics on
        theirs.eval()
        expected = theirs(torch.from_numpy(x)).numpy()
    safetensors.torch.save_file(theirs.state_dict(), path)
    model.load_state_dict(mg.load(path))
    assert model.state_dict()["1.num_batches_tracked"] == 4
    np.testing.assert_allclose(model(mg.tensor(x)).data, expected, rtol=1e-5, atol=1e-6)
