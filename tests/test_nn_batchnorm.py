"""nn.BatchNorm1d without torch: the math by hand, finite differences, the running buffers and
the modes. (Trajectories against torch: tests/torch_parity/test_nn_parity.py.)"""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F


def by_hand(x, axes, eps):
    """(x - mean) / sqrt(var + eps) over `axes`, in numpy."""
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
def test_batchnorm_training_output_is_the_batch_normalised_input(shape):
    x = np.random.default_rng(0).normal(2.0, 3.0, size=shape)
    bn = nn.BatchNorm1d(3, dtype=mg.float64)
    bn.weight.data[...] = [1.0, 2.0, -1.0]
    bn.bias.data[...] = [0.0, 0.5, 1.0]
    out = bn(mg.tensor(x))
    axes = (0,) if len(shape) == 2 else (0, 2)
    per_channel = (3,) if len(shape) == 2 else (3, 1)
    expected = by_hand(x, axes, 1e-5) * bn.weight.data.reshape(per_channel) + bn.bias.data.reshape(per_channel)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    n = x.size // 3
    np.testing.assert_allclose(bn.running_mean.data, 0.1 * x.mean(axis=axes), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.data, 0.9 + 0.1 * x.var(axis=axes) * n / (n - 1), rtol=1e-12)
    assert bn.num_batches_tracked.data == 1 and bn.num_batches_tracked.dtype == np.int64


def test_momentum_none_is_the_plain_average_of_the_batches():
    rng = np.random.default_rng(1)
    bn = nn.BatchNorm1d(2, momentum=None, dtype=mg.float64)
    batches = [rng.normal(k, 1.0 + k, size=(5, 2)) for k in range(4)]
    for b in batches:
        bn(mg.tensor(b))
    np.testing.assert_allclose(bn.running_mean.data, np.mean([b.mean(axis=0) for b in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.data, np.mean([b.var(axis=0, ddof=1) for b in batches], axis=0),
                               rtol=1e-12)


def test_untracked_batchnorm_has_no_buffers_and_uses_the_batch_in_eval_mode():
    bn = nn.BatchNorm1d(2, track_running_stats=False, dtype=mg.float64)
    assert bn.running_mean is None and list(bn.state_dict()) == ["weight", "bias"]
    x = np.random.default_rng(2).normal(size=(4, 2))
    np.testing.assert_allclose(bn.eval()(mg.tensor(x)).data, by_hand(x, (0,), 1e-5), rtol=1e-12)


def test_eval_mode_does_not_change_the_buffers():
    bn = nn.BatchNorm1d(2)
    bn(mg.randn(8, 2))
    before = bn.state_dict()
    bn.eval()(mg.randn(8, 2))
    for key, value in bn.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (3, 3, 4)])
def test_batchnorm_gradcheck(training, shape):
    rng = np.random.default_rng(3)
    bn = nn.BatchNorm1d(3, dtype=mg.float64)
    bn.running_mean.data[...] = rng.normal(size=3)
    bn.running_var.data[...] = rng.uniform(0.5, 2, size=3)
    bn.weight.data[...] = rng.normal(size=3)
    bn.bias.data[...] = rng.normal(size=3)
    bn.train(training)
    x = mg.tensor(rng.normal(size=shape), requires_grad=True)
    w, b = bn.weight, bn.bias

    def fn(x, w, b):
        # the functional form, so the running buffers are not updated between gradcheck's evaluations
        return F.batch_norm(x, bn.running_mean, bn.running_var, w, b, training=training, momentum=0.0)
    assert mg.gradcheck(fn, [x, w, b])


def test_batchnorm_modes_dtype_and_repr():
    bn = nn.BatchNorm1d(4, eps=1e-3, momentum=None, affine=False)
    assert repr(bn) == "BatchNorm1d(4, eps=0.001, momentum=None, affine=False, bias=False, track_running_stats=True)"
    assert list(bn.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    assert bn.double().running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        nn.BatchNorm1d(3, dtype=mg.int64)
    with pytest.raises(TypeError, match="num_features must be an int"):
        nn.BatchNorm1d(3.0)
