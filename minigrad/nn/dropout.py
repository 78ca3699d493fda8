"""Dropout: switch random units off while training, so that no unit can rely on another.

`model.train()` (the default) drops; `model.eval()` makes the layer the identity. The math
is F.dropout's.
"""
from minigrad.nn import functional as F
from minigrad.nn.module import Module


class Dropout(Module):
    """During training, zero each element with probability p and scale the others by
    1 / (1 - p) (so the expected output equals the input); in eval mode, y = x.

        drop = Dropout(0.5)
        drop(x)            # about half of x zeroed, the rest doubled
        drop.eval()(x)     # x itself

    The mask comes from minigrad's global generator: `minigrad.manual_seed(s)` repeats it (the
    masks differ from torch's, whose random stream is its own). p outside [0, 1] is torch's
    ValueError. `inplace=True` writes the result into the input (see F.dropout).
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p = p
        F._dropout_p(p)  # validated now, as torch does, with torch's message
        self.inplace = inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
