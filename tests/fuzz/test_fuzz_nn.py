"""Fuzz the activations and layers of minigrad.nn.functional against torch 2.13.0: leaky_relu,
softplus, gelu over any dtype, layout and special value (NaN, +-inf, +-1e30, denormals);
layer_norm and batch_norm over random shapes and finite values; one_hot over integer inputs.
Each case raises in both frameworks or gives torch's value, dtype, shape and gradients
(the comparison is tests/fuzz/test_fuzz_ops.py's)."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.fuzz._support import LAYOUTS, as_dtype, count, float_array, fuzz_settings, with_layout
from tests.fuzz.test_fuzz_ops import _check

ACTIVATIONS = {
    "leaky_relu": lambda lib, a, s: lib.nn.functional.leaky_relu(a, s),
    "softplus": lambda lib, a, s: lib.nn.functional.softplus(a, beta=1 + abs(s), threshold=20 * s),
    "gelu": lambda lib, a, s: lib.nn.functional.gelu(a),
    "gelu_tanh": lambda lib, a, s: lib.nn.functional.gelu(a, approximate="tanh"),
}


@fuzz_settings(300)
@given(data=st.data())
def test_activations(torch, data):
    count("nn")
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    dtype = data.draw(st.sampled_from(["float32", "float64", "float32", "float64", "int64"]))
    a = with_layout(as_dtype(data.draw(float_array(shape, np.float64)), dtype), data.draw(st.sampled_from(LAYOUTS)))
    name = data.draw(st.sampled_from(sorted(ACTIVATIONS)))
    s = data.draw(st.sampled_from([0.01, 0.2, -0.5, 2.0]))
    if name == "gelu" and a.dtype == np.float32:
        a = np.where(a == np.inf, np.float32(1e30), a)  # torch's float32 gelu(+inf) is NaN (see GELU's docstring)
    _check(torch, f"{name}({a.dtype}{a.shape}, {s})", lambda lib, x: ACTIVATIONS[name](lib, x, s), [a])


@fuzz_settings(200)
@given(data=st.data())
def test_normalizations(torch, data):
    count("nn")
    shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=5))
    dtype = data.draw(st.sampled_from(["float32", "float64"]))
    x = with_layout(data.draw(float_array(shape, dtype, low=-10.0, high=10.0)), data.draw(st.sampled_from(LAYOUTS)))
    eps = data.draw(st.sampled_from([1e-5, 1e-2, 1.0]))
    # Inputs whose values nearly coincide make (x - mean) a cancellation: the absolute floor of
    # the comparison (scale) is the size of x / sqrt(eps), what normalising can magnify it to.
    if data.draw(st.booleans()):
        k = data.draw(st.integers(1, len(shape)))
        fn = lambda lib, t: lib.nn.functional.layer_norm(t, shape[-k:], eps=eps)         # noqa: E731
        what = f"layer_norm({x.dtype}{x.shape}, {shape[-k:]}, eps={eps})"
    else:
        fn = lambda lib, t: lib.nn.functional.batch_norm(t, None, None, training=True, eps=eps)  # noqa: E731
        what = f"batch_norm({x.dtype}{x.shape}, training, eps={eps})"
    _check(torch, what, fn, [x], sums=int(10 / np.sqrt(eps)))


@fuzz_settings(100)
@given(data=st.data())
def test_one_hot(torch, data):
    count("nn")
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    ids = np.asarray(data.draw(hnp.arrays(np.int64, shape, elements=st.integers(-1, 6))))
    n = data.draw(st.sampled_from([-1, 0, 3, 7]))
    _check(torch, f"one_hot({ids.shape}, {n})", lambda lib, t: lib.nn.functional.one_hot(t, n), [ids])
