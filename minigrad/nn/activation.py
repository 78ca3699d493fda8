"""Activation layers: a nonlinearity between two Linears is what makes a network deep.

Each module only names the function (and holds its hyperparameters); the math (and its
derivative) lives with the op in minigrad/ops/activation.py and minigrad/ops/softmax.py.
"""
from minigrad.nn import functional as F
from minigrad.nn.module import Module


class ReLU(Module):
    """relu(x) = max(0, x), element-wise;  derivative 1 where x > 0, else 0 (0 at x = 0).
    `inplace=True` writes the result into the input, as torch's does (see F.relu)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """sigmoid(x) = 1 / (1 + exp(-x)), element-wise; a value in (0, 1)."""

    def forward(self, x):
        return x.sigmoid()


class Tanh(Module):
    """tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)), element-wise; a value in (-1, 1)."""

    def forward(self, x):
        return x.tanh()


class Softmax(Module):
    """softmax(x)_i = exp(x_i) / sum_j exp(x_j) along `dim`: each slice sums to 1.

    `dim` is required (PyTorch allows None with a warning and guesses an axis).
    """

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return x.softmax(self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log_softmax(x)_i = x_i - log sum_j exp(x_j) along `dim` (required), computed fused.

    Feed it to NLLLoss; LogSoftmax + NLLLoss is CrossEntropyLoss.
    """

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return x.log_softmax(self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LeakyReLU(Module):
    """leaky_relu(x) = x where x > 0, else negative_slope * x; the math: ops.activation.LeakyReLU.

    A small slope for negative inputs keeps their gradient alive (a ReLU unit that is always
    negative never learns again). `inplace=True` writes into the input (see F.leaky_relu).
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """gelu(x) = x Phi(x) (Phi: the standard normal CDF), or its tanh approximation with
    approximate='tanh'; the math: ops.activation.GELU. The transformers' activation."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """softplus(x) = log(1 + exp(beta x)) / beta, a smooth relu (x itself where beta x > threshold);
    the math: ops.activation.Softplus."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"
