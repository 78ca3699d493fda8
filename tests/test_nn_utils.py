"""minigrad.nn.utils: gradient clipping and the parameters as one vector, by hand and against torch."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn.utils import (clip_grad_norm_, clip_grad_value_, get_total_norm, parameters_to_vector,
                               vector_to_parameters)

GRADS = [np.array([[3.0, -4.0], [1.0, 2.0]]), np.array([-0.5, 12.0]), np.array(7.0)]


def params_with(grads, dtype=np.float64, lib=mg):
    params = []
    for g in grads:
        p = lib.tensor(np.zeros_like(g, dtype=dtype), requires_grad=True)
        p.grad = lib.tensor(np.asarray(g, dtype=dtype))
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf"])
def test_clip_grad_norm_by_hand(norm_type):
    params = params_with(GRADS)
    grad_objects = [p.grad for p in params]
    p = float(norm_type)
    flat = np.concatenate([g.ravel() for g in GRADS])
    total = np.abs(flat).max() if p == math.inf else (np.abs(flat) ** p).sum() ** (1 / p)
    returned = clip_grad_norm_(params, max_norm=2.0, norm_type=norm_type)
    assert isinstance(returned, mg.Tensor) and returned.shape == () and returned.dtype == np.float64
    assert returned.item() == pytest.approx(total, rel=1e-12)
    for param, g, before in zip(params, GRADS, grad_objects):
        assert param.grad is before  # the same Tensor, clipped in place
        np.testing.assert_allclose(param.grad.data, g * (2.0 / (total + 1e-6)), rtol=1e-12)


def test_a_small_norm_is_left_alone_and_no_gradient_is_skipped():
    params = params_with([np.array([0.3, 0.4])])
    params.append(mg.tensor([1.0], requires_grad=True))  # no .grad: skipped
    assert clip_grad_norm_(iter(params), 1.0).item() == pytest.approx(0.5)
    np.testing.assert_array_equal(params[0].grad.data, [0.3, 0.4])
    assert params[1].grad is None
    assert clip_grad_norm_([], 1.0).item() == 0.0 and clip_grad_norm_([], 1.0).dtype == np.float32


def test_nonfinite_norm():
    params = params_with([np.array([1.0, np.inf])])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert clip_grad_norm_(params, 1.0).item() == np.inf  # scaled by the non-finite norm anyway
    assert np.isnan(params[0].grad.data[1])  # inf * (1 / inf) is 0 * inf: nan, as torch


def test_an_empty_generator_warns():
    with pytest.warns(UserWarning, match="`parameters` is an empty generator, no gradient clipping will occur"):
        clip_grad_norm_((p for p in []), 1.0)


def test_clip_grad_value():
    params = params_with(GRADS, np.float32)
    assert clip_grad_value_(params, 2.5) is None
    for param, g in zip(params, GRADS):
        np.testing.assert_array_equal(param.grad.data, np.clip(g, -2.5, 2.5).astype(np.float32))
        assert param.grad.dtype == np.float32


def test_clipping_a_model_and_a_single_tensor():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    (model(mg.randn(8, 3)) * 100).sum().backward()
    total = clip_grad_norm_(model.parameters(), 1.0)
    assert total.item() > 1.0
    assert get_total_norm([p.grad for p in model.parameters()]).item() == pytest.approx(1.0, rel=1e-5)
    single = params_with([np.array([6.0, 8.0])])[0]
    assert clip_grad_norm_(single, 5.0).item() == 10.0
    np.testing.assert_allclose(single.grad.data, [3.0, 4.0], rtol=1e-6)
    with pytest.raises(TypeError, match="parameters must be a Tensor or an iterable of Tensors, got int"):
        clip_grad_norm_(3, 1.0)
    with pytest.raises(TypeError, match=r"parameters\[0\] must be a minigrad Tensor, got ndarray"):
        clip_grad_value_([np.zeros(2)], 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type, max_norm", [(2.0, 1.0), (1.0, 0.5), (math.inf, 3.0), (0.5, 100.0), (2.0, 1e9)])
def test_clip_grad_norm_matches_torch(torch, norm_type, max_norm, dtype):
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 4)) * 5, rng.normal(size=5), rng.normal(size=(2, 2, 2))]
    mine, theirs = params_with(grads, dtype), params_with(grads, dtype, torch)
    total_m = clip_grad_norm_(mine, max_norm, norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total_m.dtype == total_t.numpy().dtype
    rtol = 1e-12 if dtype == np.float64 else 2e-6
    np.testing.assert_allclose(total_m.data, total_t.numpy(), rtol=rtol)
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m.grad.data, t.grad.numpy(), rtol=rtol, atol=1e-30)


def test_clip_grad_value_matches_torch_with_nan(torch):
    g = np.array([np.nan, -3.0, 0.5, np.inf, -np.inf])
    mine, theirs = params_with([g]), params_with([g], lib=torch)
    clip_grad_value_(mine, 1.0)
    torch.nn.utils.clip_grad_value_(theirs, 1.0)
    np.testing.assert_array_equal(mine[0].grad.data, theirs[0].grad.numpy())


def test_parameters_to_vector_and_back():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = parameters_to_vector(model.parameters())
    assert vec.shape == (11,) and vec.requires_grad
    np.testing.assert_array_equal(vec.data, np.concatenate([p.data.ravel() for p in model.parameters()]))
    (vec * mg.arange(11).float()).sum().backward()  # differentiable: each parameter gets its slice
    np.testing.assert_array_equal(model[0].weight.grad.data, np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(model[1].bias.grad.data, [10])
    new = mg.arange(20).float()
    vector_to_parameters(new, model.parameters())  # longer than needed: the rest is ignored, as torch
    np.testing.assert_array_equal(model[0].bias.data, [6, 7])
    new.data[6] = 100  # the parameters now view the vector, as in torch
    assert model[0].bias.data[0] == 100


def test_convert_parameters_errors_as_torch(torch):
    with pytest.raises(TypeError, match="expected minigrad.Tensor, but got: list"):
        vector_to_parameters([1.0], [mg.zeros(1)])
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        torch.nn.utils.vector_to_parameters([1.0], [torch.zeros(1)])
    with pytest.raises(RuntimeError, match=r"shape '\[2, 2\]' is invalid for input of size 3"):
        vector_to_parameters(mg.zeros(3), [mg.zeros(2, 2)])
    with pytest.raises(RuntimeError, match=r"shape '\[2, 2\]' is invalid for input of size 3"):
        torch.nn.utils.vector_to_parameters(torch.zeros(3), [torch.zeros(2, 2)])
    with pytest.raises(TypeError, match=r"parameters\[0\] must be a minigrad Tensor"):
        parameters_to_vector([np.zeros(2)])


def test_parameters_to_vector_matches_torch(torch):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 2)).double()
    mine = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2)).double()
    mine.load_state_dict(theirs.state_dict())
    np.testing.assert_array_equal(parameters_to_vector(mine.parameters()).data,
                                  torch.nn.utils.parameters_to_vector(theirs.parameters()).detach().numpy())
    assert mg.nn.utils.clip_grad_norm_ is clip_grad_norm_  # reachable as torch's path
