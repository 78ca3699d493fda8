"""Linear, the layer that learns, and two that only reshape or pass through."""
import math

import numpy as np

from minigrad import dtype as dtypes
from minigrad.nn import init
from minigrad.nn.module import Module, Parameter
from minigrad.ops import linear


def _check_size(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


class Linear(Module):
    """y = x @ W.T + b, for inputs of shape (..., in_features).

    weight W: (out_features, in_features), bias b: (out_features,), as in PyTorch, so
    each row of W holds the weights of one output unit.

    Initialised as PyTorch does: W ~ U(-k, k) and b ~ U(-k, k) with k = 1 / sqrt(in_features)
    (for W this is `init.kaiming_uniform_(W, a=sqrt(5))`; k = 0 when in_features = 0).
    `dtype` is float32 by default, or float64.
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        self.in_features = _check_size(in_features, "in_features")
        self.out_features = _check_size(out_features, "out_features")
        dtype = dtypes.default_float if dtype is None else dtypes.as_dtype(dtype)
        if not dtypes.is_floating(dtype):
            raise TypeError(f"dtype must be a floating-point type (float32 or float64), got {dtype}")
        if dtype == dtypes.float16:
            raise dtypes.half_error("Linear")
        # np.empty: reset_parameters writes every value right below.
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)  # `self.bias` is None, and not in state_dict
        self.reset_parameters()

    def reset_parameters(self):
        """Draw fresh initial values (from minigrad's global generator)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear expects input of shape (..., {self.in_features}), "
                             f"got {tuple(x.shape)}")
        weight, bias = self.weight, self.bias
        if x.data.dtype != weight.data.dtype:  # mixed dtypes: the operators' promotion rules
            if x.data.dtype == dtypes.float16 or weight.data.dtype == dtypes.float16:
                raise dtypes.half_error("Linear")
            out = x @ weight.T
            return out + bias if bias is not None else out
        if bias is None:
            return linear.Linear.apply(x, weight)
        return linear.Linear.apply(x, weight, bias)  # x @ W.T + b as one graph node

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """y = x. A placeholder, e.g. to switch a layer off without changing the model's code."""

    def __init__(self, *args, **kwargs):
        super().__init__()  # arguments are accepted and ignored, as in PyTorch

    def forward(self, x):
        return x


class Flatten(Module):
    """Merge the dimensions start_dim..end_dim into one: (N, 1, 28, 28) -> (N, 784).

    The default start_dim=1 keeps the batch dimension.
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
