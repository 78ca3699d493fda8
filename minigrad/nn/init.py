"""Initial values for parameters, with PyTorch's formulas.

Why initialisation matters: each layer computes sums of `fan_in` products. If the weights
are too large the activations (and the gradients) grow layer after layer; too small and
they shrink to nothing. The schemes below choose the spread of the weights from the
layer's fans so that the variance stays about the same from layer to layer:

    xavier (Glorot & Bengio, 2010)   Var(w) = gain^2 * 2 / (fan_in + fan_out)
    kaiming (He et al., 2015)        Var(w) = gain^2 / fan

A uniform distribution U(-b, b) has variance b^2 / 3, hence the bounds b = sqrt(3) * std.

Every function fills `tensor.data` in place (the array keeps its identity and dtype),
records no graph (an initial value has no history to differentiate), and returns the
tensor. Random draws come from `minigrad.random.generator()`, so `minigrad.manual_seed(s)`
makes a model's initial weights reproducible.
"""
import math

from minigrad.random import generator
from minigrad.tensor import Tensor


def _check_tensor(tensor):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"tensor must be a minigrad Tensor, got {type(tensor).__name__}")


def _fill(tensor, values):
    """Write `values` into the tensor's own array (cast to its dtype), and return the tensor."""
    tensor.data[...] = values
    return tensor


def calculate_gain(nonlinearity, param=None):
    """The factor by which a nonlinearity changes the standard deviation to make up for.

    =================  ======================================
    nonlinearity       gain
    =================  ======================================
    linear, sigmoid    1    (also conv1d/2d/3d, conv_transpose1d/2d/3d)
    tanh               5/3
    relu               sqrt(2)   (ReLU zeroes half of its inputs: half the variance)
    leaky_relu         sqrt(2 / (1 + negative_slope^2)), negative_slope = param or 0.01
    selu               3/4
    =================  ======================================
    """
    linear = ("linear", "conv1d", "conv2d", "conv3d",
              "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}: expected one of "
                     f"{', '.join(linear)}, tanh, relu, leaky_relu, selu")


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field.

    A Linear weight has shape (out_features, in_features): each output sums
    `in_features` inputs. For convolutions the receptive field is the product of the
    kernel's dimensions, shape[2:].
    """
    if tensor.ndim < 2:
        raise ValueError("fan in and fan out can not be computed for a tensor with fewer "
                         f"than 2 dimensions (got shape {tuple(tensor.shape)})")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with draws from the uniform distribution U(a, b)."""
    _check_tensor(tensor)
    if not a <= b:
        raise ValueError(f"uniform_ needs a <= b, got a={a}, b={b}")
    return _fill(tensor, generator().uniform(a, b, size=tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with draws from the normal distribution N(mean, std^2)."""
    _check_tensor(tensor)
    if not std >= 0:
        raise ValueError(f"std must be >= 0, got {std}")
    return _fill(tensor, generator().normal(mean, std, size=tensor.shape))


def constant_(tensor, val):
    """Fill with the value `val`."""
    _check_tensor(tensor)
    return _fill(tensor, val)


def zeros_(tensor):
    """Fill with 0."""
    return constant_(tensor, 0)


def ones_(tensor):
    """Fill with 1."""
    return constant_(tensor, 1)


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _kaiming_std(tensor, a, mode, nonlinearity):
    """He's standard deviation: gain / sqrt(fan)."""
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))


def _xavier_std(tensor, gain):
    """Glorot's standard deviation: gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def _uniform_with_std(tensor, std):
    """Fill from U(-bound, bound) with the given std: U(-b, b) has std b / sqrt(3)."""
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He initialisation: U(-bound, bound), bound = gain * sqrt(3 / fan).

    gain = calculate_gain(nonlinearity, a); `a` is the negative slope of a leaky ReLU.
    mode='fan_in' keeps the variance of the activations in the forward pass,
    'fan_out' that of the gradients in the backward pass.

    nn.Linear uses a=sqrt(5): gain = sqrt(2 / (1 + 5)) = sqrt(1/3), so
    bound = sqrt(1/3) * sqrt(3 / fan_in) = 1 / sqrt(fan_in).
    """
    _check_tensor(tensor)
    if 0 in tensor.shape:  # nothing to fill, and the fan would be 0
        return tensor
    return _uniform_with_std(tensor, _kaiming_std(tensor, a, mode, nonlinearity))


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He initialisation: N(0, std^2), std = gain / sqrt(fan) (see kaiming_uniform_)."""
    _check_tensor(tensor)
    if 0 in tensor.shape:  # nothing to fill, and the fan would be 0
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def xavier_uniform_(tensor, gain=1.0):
    """Glorot initialisation: U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out))."""
    _check_tensor(tensor)
    if 0 in tensor.shape:  # nothing to fill, and the fans could be 0
        return tensor
    return _uniform_with_std(tensor, _xavier_std(tensor, gain))


def xavier_normal_(tensor, gain=1.0):
    """Glorot initialisation: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    _check_tensor(tensor)
    if 0 in tensor.shape:  # nothing to fill, and the fans could be 0
        return tensor
    return normal_(tensor, 0.0, _xavier_std(tensor, gain))


__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_",
           "kaiming_uniform_", "kaiming_normal_", "xavier_uniform_", "xavier_normal_"]
