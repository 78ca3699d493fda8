"""minigrad.save / minigrad.load: safetensors files, exact round trips, clear errors.

The PyTorch side (torch reading minigrad's files and the reverse) is in
tests/torch_parity/test_serialization_parity.py.
"""
import json
import os
import pickle
from collections import OrderedDict, namedtuple

import numpy as np
import pytest
import safetensors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
import safetensors.numpy

import minigrad as mg
from minigrad import nn

FLOATS = [0.0, -0.0, 1.5, -2.25e-38, 3.4e38, np.nan, np.inf, -np.inf, 1e-45]


def roundtrip(obj, tmp_path, name="obj.safetensors"):
    path = tmp_path / name
    mg.save(obj, path)
    return mg.load(path)


def same_bits(a, b):
    """Equal dtype, shape and bytes (so nan == nan and -0.0 != 0.0)."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def example_arrays(dtype, shape):
    size = int(np.prod(shape))
    if np.dtype(dtype).kind == "f":
        values = np.resize(np.array(FLOATS, dtype=dtype), size)
    elif np.dtype(dtype).kind == "b":
        values = np.arange(size) % 3 == 0
    else:
        values = np.resize(np.array([0, -1, 2**62, -(2**63), 2**63 - 1], dtype=dtype), size)
    return values.reshape(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (1,), (2, 3, 4), (9,)])
def test_arrays_and_tensors_round_trip_bit_for_bit(dtype, shape, tmp_path):
    array = example_arrays(dtype, shape)
    out = roundtrip({"array": array, "tensor": mg.tensor(array)}, tmp_path)
    assert set(out) == {"array", "tensor"}
    for value in out.values():
        assert type(value) is mg.Tensor
        assert same_bits(value.data, array), (value.data, array)


def test_views_are_saved_as_their_values_not_their_buffer(tmp_path):
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    views = {"transposed": base.T, "strided": base[::2, 1::3], "reversed": base[::-1], "column": base[:, 2]}
    out = roundtrip(views, tmp_path)
    for key, view in views.items():
        np.testing.assert_array_equal(out[key].data, view, err_msg=key)
        assert out[key].shape == view.shape


def test_a_checkpoint_keeps_its_structure_and_python_types(tmp_path):
    checkpoint = {
        "model": OrderedDict([("0.weight", np.ones((2, 3), np.float32)), ("0.bias", np.zeros(2, np.float32))]),
        "optimizer": {"state": {0: {"step": mg.tensor(3.0), "momentum_buffer": mg.ones(2, 3)}, 1: {}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "nesterov": False, "foreach": None,
                                        "name": "héad", "params": [0, 1]}]},
        "epoch": 3, "best": float("inf"), "worst": float("-inf"), "undefined": float("nan"), "zero": -0.0,
        "big": 2**80, "history": [1.5, 2, True, "x", [], (), {}],
        "numpy_scalars": [np.float32(0.1), np.int64(7), np.bool_(True)],
    }
    out = roundtrip(checkpoint, tmp_path)
    assert list(out) == list(checkpoint)
    assert list(out["model"]) == ["0.weight", "0.bias"]
    np.testing.assert_array_equal(out["model"]["0.weight"].data, np.ones((2, 3)))
    assert out["model"]["0.weight"].dtype == mg.float32
    assert list(out["optimizer"]["state"]) == [0, 1]             # int keys stay ints
    assert out["optimizer"]["state"][0]["step"].item() == 3.0 and out["optimizer"]["state"][1] == {}
    group = out["optimizer"]["param_groups"][0]
    assert group == checkpoint["optimizer"]["param_groups"][0]
    assert type(group["betas"]) is tuple and type(group["params"]) is list
    assert type(group["nesterov"]) is bool and group["foreach"] is None and group["name"] == "héad"
    assert out["epoch"] == 3 and type(out["epoch"]) is int
    assert out["best"] == float("inf") and out["worst"] == float("-inf") and np.isnan(out["undefined"])
    assert str(out["zero"]) == "-0.0" and out["big"] == 2**80
    assert out["history"] == [1.5, 2, True, "x", [], (), {}]
    assert [type(v) for v in out["history"][:3]] == [float, int, bool]
    assert type(out["history"][5]) is tuple
    # numpy scalars come back as the Python numbers they equal
    assert out["numpy_scalars"] == [float(np.float32(0.1)), 7, True]
    assert [type(v) for v in out["numpy_scalars"]] == [float, int, bool]


def test_a_plain_state_dict_keeps_its_names_and_nested_names_follow_the_path(tmp_path):
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    path = tmp_path / "model.safetensors"
    mg.save(model.state_dict(), path)
    assert sorted(safetensors.numpy.load_file(path)) == sorted(model.state_dict())
    mg.save({"model": model.state_dict(), "stack": [mg.ones(1), {"a.b": mg.zeros(1)}], "a": {"b": mg.ones(2)},
             "a.b": mg.zeros(3)}, path)
    assert sorted(safetensors.numpy.load_file(path)) == sorted(
        ["model.0.weight", "model.0.bias", "model.2.weight", "model.2.bias", "stack.0", "stack.1.a.b",
         "a.b", "a.b~2"])
    out = mg.load(path)   # the clash of "a.b" with ["a"]["b"] does not mix the two up
    assert out["a"]["b"].shape == (2,) and out["a.b"].shape == (3,)
    assert out["stack"][1]["a.b"].shape == (1,)


def test_a_loaded_model_gives_the_same_outputs(tmp_path):
    mg.manual_seed(1)
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
    x = mg.randn(7, 5)
    expected = model(x).data
    path = tmp_path / "model.safetensors"
    mg.save(model.state_dict(), path)

    mg.manual_seed(2)
    fresh = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
    assert not np.allclose(fresh(x).data, expected)        # a different model until it loads
    fresh.load_state_dict(mg.load(path))
    np.testing.assert_array_equal(fresh(x).data, expected)

    double = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    mg.save(double.state_dict(), path)
    assert all(t.dtype == mg.float64 for t in mg.load(path).values())


def test_a_parameter_saves_its_value_not_its_gradient(tmp_path):
    param = nn.Parameter(mg.tensor([1.0, 2.0]))
    (param * 3).sum().backward()
    out = roundtrip({"p": param}, tmp_path)["p"]
    assert type(out) is mg.Tensor and out.tolist() == [1.0, 2.0]
    assert out.grad is None and not out.requires_grad


def test_the_optimizer_state_round_trips_and_training_continues_identically(tmp_path):
    def make():
        mg.manual_seed(3)
        model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
        return model, mg.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99), amsgrad=True)

    x, y = mg.randn(16, 4), mg.randn(16, 2)

    def train(model, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            opt.step()

    model, opt = make()
    train(model, opt, 3)
    path = tmp_path / "checkpoint.safetensors"
    mg.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, path)
    train(model, opt, 4)                                   # the uninterrupted run

    resumed, resumed_opt = make()
    checkpoint = mg.load(path)
    assert checkpoint["epoch"] == 3
    saved = checkpoint["optimizer"]
    assert saved["param_groups"][0]["betas"] == (0.8, 0.99) and saved["param_groups"][0]["amsgrad"] is True
    assert sorted(saved["state"]) == [0, 1, 2, 3]
    assert saved["state"][0]["step"].item() == 3
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt.load_state_dict(saved)
    train(resumed, resumed_opt, 4)
    for (name, a), b in zip(model.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_what_cannot_be_saved_is_a_type_error_naming_the_type_and_where(tmp_path):
    path = tmp_path / "bad.safetensors"
    model = nn.Linear(2, 2)
    cases = [
        ({"a": {1, 2}}, r"obj\['a'\].*set"),
        ({"model": model}, r"obj\['model'\].*Linear.*state_dict\(\)"),
        (model, r"Linear.*state_dict\(\)"),
        (mg.optim.SGD(model.parameters(), lr=0.1), r"SGD.*state_dict\(\)"),
        ({"f": [1, lambda: 0]}, r"obj\['f'\]\[1\].*function"),
        ({"b": b"bytes"}, "bytes"),
        ({(1, 2): 3}, r"key \(1, 2\).*str or int"),
        ({True: 3}, "key True"),
        ({"c": np.ones(2, np.complex128)}, "complex128"),
        ({"o": np.array(["a", "b"])}, "<U1"),
        ({"nt": namedtuple("Point", "x y")(1, 2)}, "Point"),
    ]
    for obj, message in cases:
        with pytest.raises(TypeError, match=message):
            mg.save(obj, path)
    assert not path.exists()   # nothing is written when the check fails
    with pytest.raises(TypeError, match="path must be a str"):
        mg.save({}, 3)


def test_save_into_a_missing_directory_names_the_path(tmp_path):
    path = tmp_path / "no" / "such" / "dir" / "model.safetensors"
    with pytest.raises(FileNotFoundError, match="does not exist") as info:
        mg.save({"w": mg.ones(1)}, path)
    assert str(path) in str(info.value)


def test_missing_truncated_and_foreign_files_are_clear_errors_naming_the_path(tmp_path):
    good = tmp_path / "good.safetensors"
    mg.save({"w": mg.arange(100).double(), "n": 1}, good)
    content = good.read_bytes()
    files = {
        "missing": (None, FileNotFoundError, "no such file"),
        "truncated": (content[:-8], ValueError, "truncated or corrupt"),
        "cut_in_header": (content[:40], ValueError, "truncated"),
        "empty": (b"", ValueError, "0 bytes"),
        "text": (b"epoch,loss\n1,0.5\n2,0.25\n", ValueError, "not a safetensors file"),
        "pickle": (pickle.dumps({"w": [1.0, 2.0]}), ValueError, "pickle"),
        "zip": (b"PK\x03\x04" + bytes(60), ValueError, "pickle .*torch.save"),
    }
    for name, (data, error, message) in files.items():
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        with pytest.raises(error, match=message) as info:
            mg.load(path)
        assert str(path) in str(info.value), name
    with pytest.raises(IsADirectoryError, match="directory"):
        mg.load(tmp_path)


class _WritesAFileWhenUnpickled:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_loading_a_malicious_pickle_never_runs_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"w": _WritesAFileWhenUnpickled(str(marker))}))
    with pytest.raises(ValueError, match="never unpickles"):
        mg.load(path)
    assert not marker.exists()


def test_a_corrupt_structure_is_a_value_error_naming_the_path(tmp_path):
    arrays = {"w": np.ones(2, np.float32)}
    cases = {
        "not_json": "{'dict': ",
        "unknown_tensor": json.dumps({"dict": [["w", {"tensor": "v"}]]}),
        "unknown_entry": json.dumps({"set": [1, 2]}),
        "bad_dict": json.dumps({"dict": [["w"]]}),
    }
    for name, structure in cases.items():
        path = tmp_path / f"{name}.safetensors"
        safetensors.numpy.save_file(arrays, path, metadata={"minigrad.format": "minigrad-1",
                                                            "minigrad.structure": structure})
        with pytest.raises(ValueError, match="corrupt") as info:
            mg.load(path)
        assert str(path) in str(info.value), name
    path = tmp_path / "future.safetensors"
    safetensors.numpy.save_file(arrays, path, metadata={"minigrad.format": "minigrad-9", "minigrad.structure": "1"})
    with pytest.raises(ValueError, match="minigrad-9"):
        mg.load(path)


def test_a_safetensors_file_from_elsewhere_loads_as_a_dict_of_tensors(tmp_path):
    path = tmp_path / "other.safetensors"
    safetensors.numpy.save_file({"i32": np.array([1, -2], np.int32), "u8": np.array([255], np.uint8),
                                 "f64": np.full((2, 2), 0.5)}, path, metadata={"format": "pt"})
    out = mg.load(path)
    assert sorted(out) == ["f64", "i32", "u8"]
    assert out["i32"].dtype == mg.int64 and out["i32"].tolist() == [1, -2]   # mg.tensor's rule for int32
    assert out["u8"].dtype == mg.int64 and out["u8"].tolist() == [255]
    assert out["f64"].dtype == mg.float64 and out["f64"].tolist() == [[0.5, 0.5], [0.5, 0.5]]


def test_load_accepts_torch_load_s_usual_arguments(tmp_path):
    path = tmp_path / "w.safetensors"
    mg.save({"w": mg.ones(2)}, path)
    assert mg.load(path, map_location="cpu", weights_only=True)["w"].tolist() == [1.0, 1.0]
    assert mg.load(os.fspath(path), weights_only=False)["w"].tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="map_location"):
        mg.load(path, map_location="cuda")


def test_save_replaces_an_existing_file(tmp_path):
    path = tmp_path / "w.safetensors"
    mg.save({"w": mg.ones(1000)}, path)
    mg.save({"v": mg.zeros(2)}, path)
    out = mg.load(path)
    assert list(out) == ["v"] and out["v"].tolist() == [0.0, 0.0]
    mg.save(mg.arange(3), path)                             # a bare tensor works too
    assert mg.load(path).tolist() == [0, 1, 2]
    mg.save([1, "two"], path)                               # and a structure without tensors
    assert mg.load(path) == [1, "two"]


def test_scheduler_state_dicts_round_trip(tmp_path):
    from minigrad.optim import lr_scheduler
    opt = mg.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    plateau = lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    for loss in (1.0, 2.0, 3.0):
        plateau.step(loss)
    saved = plateau.state_dict()
    assert roundtrip(saved, tmp_path) == saved               # holds inf (mode_worse) and tuples
    fresh = lr_scheduler.ReduceLROnPlateau(mg.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1), patience=0)
    fresh.load_state_dict(mg.load(tmp_path / "obj.safetensors"))
    assert fresh.state_dict() == saved


ARRAYS = hnp.arrays(dtype=st.sampled_from([np.float32, np.float64, np.int64, np.bool_]),
                    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
LEAVES = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=5)
          | ARRAYS | ARRAYS.map(mg.Tensor))
STRUCTURES = st.recursive(LEAVES, lambda inner: (
    st.lists(inner, max_size=3) | st.lists(inner, max_size=3).map(tuple)
    | st.dictionaries(st.text(max_size=4) | st.integers(-3, 3), inner, max_size=3)), max_leaves=12)


def same_structure(a, b):
    if isinstance(a, (np.ndarray, mg.Tensor)):
        array = a.data if isinstance(a, mg.Tensor) else a
        return type(b) is mg.Tensor and same_bits(array, b.data)
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_structure(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_structure(x, y) for x, y in zip(a, b))
    return a == b and str(a) == str(b)   # str tells -0.0 from 0.0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(obj=STRUCTURES)
def test_any_savable_structure_round_trips_exactly(obj, tmp_path):
    assert same_structure(obj, roundtrip(obj, tmp_path))


def test_a_pickle_loads_whether_minigrad_runs_compiled_or_not():
    """Tensors and modules pickled by interpreted minigrad (MINIGRAD_PURE_PYTHON=1) load in
    this process, and this process's pickles load there: a Tensor pickles as its fields."""
    import subprocess
    import sys
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    x.grad = mg.tensor([3.0, 4.0])
    model = mg.nn.Linear(2, 1)
    env = dict(os.environ, MINIGRAD_PURE_PYTHON="1")
    script = ("import pickle, sys, warnings; warnings.simplefilter('ignore'); import minigrad as mg\n"
              "x, model = pickle.loads(sys.stdin.buffer.read())\n"
              "x.grad = x.grad * 2\n"
              "sys.stdout.buffer.write(pickle.dumps((x, model)))\n")
    done = subprocess.run([sys.executable, "-c", script], input=pickle.dumps((x, model)), env=env,
                          capture_output=True, check=True)
    y, back = pickle.loads(done.stdout)
    assert type(y) is mg.Tensor and y.requires_grad and y.grad.tolist() == [6.0, 8.0]
    assert type(back.weight) is mg.nn.Parameter and back.weight.requires_grad
    assert back.weight.tolist() == model.weight.tolist() and back.bias.tolist() == model.bias.tolist()
