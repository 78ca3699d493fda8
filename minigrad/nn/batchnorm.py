"""BatchNorm1d: normalise each feature over the batch, and remember the statistics for later.

In training mode each channel is normalised with the mean and variance of the current batch,
and running estimates of both are updated; in eval mode the running estimates are used, so a
single sample gets the same answer whatever batch it comes in. The math: F.batch_norm.
"""
import numpy as np

from minigrad import dtype as dtypes
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.linear import _check_size
from minigrad.nn.module import Module, Parameter
from minigrad.tensor import Tensor


def _float_dtype(dtype):
    dtype = dtypes.default_float if dtype is None else dtypes.as_dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    return dtype


class BatchNorm1d(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias per channel, for (N, C) or (N, C, L)
    input (C = num_features; the statistics are over N, and L).

    - training (the default): mean and the biased var of the batch; and, with
      track_running_stats, the buffers are updated in place:
      running_mean = (1 - momentum) running_mean + momentum mean,
      running_var = (1 - momentum) running_var + momentum var * n / (n - 1) (unbiased),
      num_batches_tracked += 1. momentum=None makes it the plain (cumulative) average of
      every batch so far: the factor is 1 / num_batches_tracked.
    - eval(): running_mean and running_var (or the batch's, when not tracked).

    weight (ones) and bias (zeros) exist when affine=True (bias only with bias=True, as in
    torch 2.13). state_dict() holds weight, bias, running_mean, running_var and
    num_batches_tracked (int64), torch's names, so it loads into torch.nn.BatchNorm1d.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=None, *, bias=True):
        super().__init__()
        self.num_features = _check_size(num_features, "num_features")
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = _float_dtype(dtype)
        if affine:
            self.weight = Parameter(np.empty(self.num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(np.empty(self.num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")  # torch's words
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.data[...] += 1
            if self.momentum is None:  # the cumulative average: batch k gets weight 1/k
                factor = 1.0 / float(self.num_batches_tracked.data)
        # Batch statistics while training, and in eval mode when there are no running ones.
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                            self.weight, self.bias, use_batch, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")
