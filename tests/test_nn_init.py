"""nn.init: exact bounds, sample statistics, PyTorch's fans and gains, reproducibility.

The statistical checks use samples of 10^6 values drawn after a fixed manual_seed, so they
are deterministic; their tolerances are 6 standard errors wide, so a correct
implementation passes for any seed, and a wrong bound or spread (even by a few percent)
fails.
"""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import init

N = 1_000_000


def big(shape=(1000, 1000), dtype=mg.float64):
    mg.manual_seed(1234)
    return mg.zeros(*shape, dtype=dtype)


def assert_uniform(values, low, high):
    """All within [low, high]; extremes within 0.01% of the ends; mean and std of U(low, high)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    width = high - low
    assert values.min() >= low and values.max() <= high
    # With 10^6 draws, P(no draw in the top 0.01%) = (1 - 1e-4)^(10^6) ~ e^-100.
    assert values.max() > high - 1e-4 * width and values.min() < low + 1e-4 * width
    std = width / math.sqrt(12)
    assert abs(values.mean() - (low + high) / 2) < 6 * std / math.sqrt(values.size)
    # The sample std of a uniform has standard error ~ std * sqrt(0.8 / n) / 2 < std / sqrt(n).
    assert abs(values.std() - std) < 6 * std / math.sqrt(values.size)


def assert_normal(values, mean, std):
    values = np.asarray(values, dtype=np.float64).ravel()
    assert abs(values.mean() - mean) < 6 * std / math.sqrt(values.size)
    assert abs(values.std() - std) < 6 * std / math.sqrt(2 * values.size)
    # Normal, not uniform: about 4.55% of the draws lie beyond 2 std (a uniform has none).
    beyond = np.mean(np.abs(values - mean) > 2 * std)
    assert abs(beyond - 0.0455) < 0.002


def test_uniform_():
    t = big()
    assert init.uniform_(t, -2.0, 3.0) is t
    assert_uniform(t.data, -2.0, 3.0)
    assert_uniform(init.uniform_(big()).data, 0.0, 1.0)  # default U(0, 1)


def test_normal_():
    t = big()
    assert init.normal_(t, mean=1.5, std=0.5) is t
    assert_normal(t.data, 1.5, 0.5)
    assert_normal(init.normal_(big()).data, 0.0, 1.0)


def test_constant_zeros_ones_write_in_place_keeping_dtype():
    t = mg.randn(3, 4)
    array = t.data
    assert init.constant_(t, 0.25) is t
    assert t.data is array and t.dtype == np.float32
    np.testing.assert_array_equal(t.data, np.full((3, 4), 0.25, dtype=np.float32))
    np.testing.assert_array_equal(init.zeros_(t).data, np.zeros((3, 4)))
    np.testing.assert_array_equal(init.ones_(t).data, np.ones((3, 4)))


def test_init_records_no_graph_and_keeps_requires_grad():
    p = nn.Parameter(np.zeros((20, 10)))
    init.kaiming_uniform_(p)
    assert p.requires_grad and p.is_leaf and p.grad is None
    assert p.dtype == np.float64 and np.any(p.data != 0)


@pytest.mark.parametrize("nonlinearity, param, gain", [
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0),
    ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)), ("selu", None, 0.75),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
    ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)),  # what nn.Linear uses
])
def test_calculate_gain(nonlinearity, param, gain):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-15)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'gelu'"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "0.1")


@pytest.mark.parametrize("shape, fans", [((3, 5), (5, 3)), ((4, 2, 3, 3), (18, 36)), ((7, 1, 5), (5, 35))])
def test_fans(shape, fans):
    assert init._calculate_fan_in_and_fan_out(mg.zeros(*shape)) == fans


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.kaiming_uniform_(mg.zeros(5))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(mg.zeros(5))


def test_kaiming_uniform_bound_is_gain_times_sqrt_3_over_fan():
    t = big((1000, 1000))
    init.kaiming_uniform_(t, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 1000)
    assert_uniform(t.data, -bound, bound)


def test_kaiming_uniform_default_and_fan_out():
    # Default: leaky_relu with a=0, i.e. gain sqrt(2); mode fan_out uses shape[0] = 250.
    t = big((250, 4000))
    init.kaiming_uniform_(t, mode="fan_out")
    bound = math.sqrt(2) * math.sqrt(3 / 250)
    assert_uniform(t.data, -bound, bound)
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_uniform_(t, mode="fan_avg")


def test_kaiming_uniform_with_a_sqrt5_gives_linears_bound():
    t = big((2000, 500))
    init.kaiming_uniform_(t, a=math.sqrt(5))
    bound = 1 / math.sqrt(500)
    assert_uniform(t.data, -bound, bound)


def test_xavier_uniform_():
    t = big((800, 1250))
    assert init.xavier_uniform_(t, gain=2.0) is t
    bound = 2.0 * math.sqrt(6 / (800 + 1250))
    assert_uniform(t.data, -bound, bound)


def test_kaiming_normal_and_xavier_normal_():
    t = big((1000, 1000))
    init.kaiming_normal_(t, nonlinearity="relu")
    assert_normal(t.data, 0.0, math.sqrt(2 / 1000))
    init.xavier_normal_(t)
    assert_normal(t.data, 0.0, math.sqrt(2 / 2000))


def test_float32_draws_stay_float32_and_in_bounds():
    t = big(dtype=mg.float32)
    init.uniform_(t, -0.1, 0.1)
    assert t.dtype == np.float32
    assert np.all(np.abs(t.data) <= np.float32(0.1))


def test_manual_seed_makes_init_reproducible():
    def draw():
        t = mg.zeros(50, 20)
        init.kaiming_uniform_(t)
        init.normal_(u := mg.zeros(30))
        return t.data.copy(), u.data.copy()

    mg.manual_seed(7)
    first = draw()
    mg.manual_seed(7)
    second = draw()
    third = draw()
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(second[0], third[0])


def test_zero_element_tensors_are_left_alone():
    t = mg.zeros(0, 5)
    assert init.kaiming_uniform_(t) is t and init.xavier_uniform_(t) is t
    assert t.shape == (0, 5)


def test_bad_arguments():
    with pytest.raises(TypeError, match="minigrad Tensor"):
        init.uniform_(np.zeros(3))
    with pytest.raises(ValueError, match="a <= b"):
        init.uniform_(mg.zeros(3), 1.0, 0.0)
    with pytest.raises(ValueError, match="std"):
        init.normal_(mg.zeros(3), std=-1.0)
