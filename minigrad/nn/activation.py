"""Activation layers: a nonlinearity between two Linears is what makes a network deep.

Each module only names the function; the math (and its derivative) lives with the op in
minigrad/ops/activation.py and minigrad/ops/softmax.py.
"""
from minigrad.nn.module import Module


class ReLU(Module):
    """relu(x) = max(0, x), element-wise;  derivative 1 where x > 0, else 0 (0 at x = 0)."""

    def forward(self, x):
        return x.relu()


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
