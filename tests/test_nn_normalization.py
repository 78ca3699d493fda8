"""nn.LayerNorm without torch: the math by hand and finite differences. (Against torch:
tests/torch_parity/test_nn_parity.py.)"""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F


def by_hand(x, axes, eps):
    """(x - mean) / sqrt(var + eps) over `axes`, in numpy."""
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


@pytest.mark.parametrize("normalized_shape", [4, (3, 4)])
def test_layernorm_by_hand_and_gradcheck(normalized_shape):
    rng = np.random.default_rng(4)
    x = rng.normal(1.0, 2.0, size=(2, 3, 4))
    ln = nn.LayerNorm(normalized_shape, dtype=mg.float64)
    ln.weight.data[...] = rng.normal(size=ln.weight.shape)
    ln.bias.data[...] = rng.normal(size=ln.bias.shape)
    axes = (-1,) if normalized_shape == 4 else (-2, -1)
    np.testing.assert_allclose(ln(mg.tensor(x)).data, by_hand(x, axes, 1e-5) * ln.weight.data + ln.bias.data,
                               rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(lambda t, w, b: F.layer_norm(t, ln.normalized_shape, w, b),
                        [mg.tensor(x, requires_grad=True), ln.weight, ln.bias])


def test_a_wrong_normalisation_gradient_is_caught():
    """The gradchecks above can fail: detach the mean (a classic mistake) and they do."""
    from minigrad.gradcheck import GradcheckError
    x = mg.tensor(np.random.default_rng(5).normal(size=(3, 4)), requires_grad=True)

    def wrong(t):
        centered = t - t.mean(dim=-1, keepdim=True).detach()
        return centered / ((centered ** 2).mean(dim=-1, keepdim=True) + 1e-5).sqrt()
    with pytest.raises(GradcheckError):
        mg.gradcheck(wrong, [x])


def test_layernorm_options():
    ln = nn.LayerNorm([2, 3], elementwise_affine=False)
    assert ln.normalized_shape == (2, 3) and ln.weight is None and list(ln.state_dict()) == []
    assert list(nn.LayerNorm(3, bias=False).state_dict()) == ["weight"]
    with pytest.raises(TypeError, match="normalized_shape must be an int or a sequence of ints"):
        nn.LayerNorm(3.5)
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[3\]"):
        nn.LayerNorm(3)(mg.zeros(3, 2))
