"""minigrad.nn.functional (imported as F): the stateless forms of activations, dropout,
normalization, embedding and losses.

Activations forward to the Tensor methods, or to their Function in minigrad/ops/activation.py
(leaky_relu, softplus, gelu, which torch has no Tensor method for). dropout, batch_norm and
layer_norm are composed from Tensor ops, so autograd derives their gradients. The losses validate every argument here,
before a kernel runs, then call one Function of minigrad/ops/loss.py. The math of each
(formula and gradient) is written once, on its Function in minigrad/ops/ (named in each
docstring below); this file says what it checks, and (in the comment block before the
losses) where minigrad deliberately differs from PyTorch.
"""
import math
import os
import sys
import warnings

import numpy as np

from minigrad.random import generator
from minigrad import inplace as inplace_changes
from minigrad.autograd import is_grad_enabled
from minigrad.ops import activation as activation_ops
from minigrad.ops import embedding as embedding_ops
from minigrad.ops import loss as loss_ops
from minigrad.tensor import Tensor
from minigrad.warnings import SoftmaxTwiceWarning


def _tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a minigrad.Tensor, got {type(x).__name__} "
                        "(wrap it with minigrad.tensor(...))")
    return x


def relu(input, inplace=False):
    """ReLU, element-wise. The math: minigrad.ops.activation.ReLU. With `inplace=True` the
    result is written into `input` (an in-place change, recorded as torch records it: see
    minigrad/inplace.py) and `input` is returned."""
    _tensor(input, "input")
    return inplace_changes.change(input, Tensor.relu) if inplace else input.relu()


def sigmoid(input):
    """The logistic sigmoid, element-wise. The math: minigrad.ops.activation.Sigmoid."""
    return _tensor(input, "input").sigmoid()


def tanh(input):
    """tanh, element-wise. The math: minigrad.ops.activation.Tanh."""
    return _tensor(input, "input").tanh()


def _float_input(fn, input):
    """The new activations, dropout and the normalizations take float32 or float64 (PyTorch
    also takes float16 and bfloat16, computing in float32; minigrad does not)."""
    _tensor(input, "input")
    if input.data.dtype not in (np.float32, np.float64):
        raise TypeError(f"{fn}: input must be float32 or float64, got {input.dtype}")
    return input


def _real(fn, name, value):
    """A real hyperparameter (as torch: "must be Number"), bools included as torch does not."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}(): argument '{name}' must be Number, not {type(value).__name__}")
    return float(value)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope * x; the gradient at 0 is negative_slope (torch 2.13's).
    The math: minigrad.ops.activation.LeakyReLU. `inplace=True` writes the result into
    `input`, as relu's does."""
    _float_input("leaky_relu", input)
    slope = _real("leaky_relu", "negative_slope", negative_slope)
    if inplace:
        return inplace_changes.change(input, lambda x: activation_ops.LeakyReLU.apply(x, negative_slope=slope))
    return activation_ops.LeakyReLU.apply(input, negative_slope=slope)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, and x where beta x > threshold.
    The math: minigrad.ops.activation.Softplus."""
    _float_input("softplus", input)
    return activation_ops.Softplus.apply(input, beta=_real("softplus", "beta", beta),
                                         threshold=_real("softplus", "threshold", threshold))


def gelu(input, approximate="none"):
    """x Phi(x), exactly (approximate='none') or with the tanh approximation ('tanh').
    The math: minigrad.ops.activation.GELU."""
    _float_input("gelu", input)
    if not isinstance(approximate, str):
        raise TypeError(f"gelu(): argument 'approximate' must be str, not {type(approximate).__name__}")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")  # torch's type and words
    return activation_ops.GELU.apply(input, approximate=approximate)


def _softmax_args(fn, input, dim):
    """softmax/log_softmax's checks, with messages naming the argument, expected and got."""
    _tensor(input, "input")
    if input.data.dtype.char not in "fd":  # (float16 too: the kernels take float32 and float64)
        raise TypeError(f"{fn}: input must be a floating-point tensor (float32 or float64), got "
                        f"dtype {input.dtype}; convert it first with .float()")
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{fn}: dim must be an int (the axis to normalise; it has no default), "
                        f"got {type(dim).__name__}")
    low, high = (-1, 0) if input.ndim == 0 else (-input.ndim, input.ndim - 1)
    if not low <= dim <= high:
        raise IndexError(f"{fn}: dim must be in [{low}, {high}] for an input of shape "
                         f"{input.shape}, got {dim}")
    return input


def softmax(input, dim):
    """softmax along `dim`, which is required (PyTorch's implicit choice is deprecated).
    Checks: a floating-point Tensor, an int dim in range. The math: minigrad.ops.softmax.Softmax."""
    return _softmax_args("softmax", input, dim).softmax(dim)


def log_softmax(input, dim):
    """log_softmax along `dim` (required), fused and stable; checks as softmax.
    The math: minigrad.ops.softmax.LogSoftmax."""
    return _softmax_args("log_softmax", input, dim).log_softmax(dim)


# ==== one_hot, dropout, normalization, embedding ===============================================
def one_hot(tensor, num_classes=-1):
    """Class indices (*) -> int64 rows (*, num_classes) with a 1 at each index.

    num_classes=-1 means max(tensor) + 1. As torch, `tensor` must be int64, and the errors are
    torch's RuntimeErrors: a negative class, a class >= num_classes, or an empty tensor with
    num_classes <= 0.
    """
    _tensor(tensor, "tensor")
    if isinstance(num_classes, (bool, np.bool_)) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"one_hot(): argument 'num_classes' must be int, not {type(num_classes).__name__}")
    if tensor.data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    classes = tensor.data
    if classes.size == 0 and num_classes <= 0:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if num_classes == -1:
        num_classes = int(classes.max()) + 1
    if classes.size:
        if classes.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if classes.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(classes.shape + (max(int(num_classes), 0),), dtype=np.int64)
    np.put_along_axis(out, classes[..., None], 1, axis=-1)
    return Tensor(out)


def _dropout_p(p):
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"dropout probability p must be a number, got {type(p).__name__}")
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")  # torch's words
    return float(p)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1 / (1 - p), so that the
    expected value is unchanged; the identity (the same tensor) when not training or p = 0.

    y = x * m / (1 - p), m_i ~ Bernoulli(1 - p);   dy/dx = m / (1 - p), the same mask.

    The mask is drawn from minigrad's global generator, so `minigrad.manual_seed` repeats it
    (it is not torch's random stream). Written as a product with a constant, so the gradient
    is Mul's. `inplace=True` writes the result into `input` (an in-place change, recorded).
    """
    p = _dropout_p(p)
    _tensor(input, "input")
    if not training or p == 0.0 or input.data.size == 0:
        return input  # torch returns the input itself here too
    _float_input("dropout", input)
    dtype = input.data.dtype
    if p == 1.0:
        mask = Tensor(np.zeros((), dtype=dtype))  # everything dropped; the gradient is 0
    else:
        keep = generator().random(input.shape) < 1.0 - p  # Bernoulli(1 - p), as torch's bernoulli_(1 - p)
        mask = Tensor(keep.astype(dtype) / dtype.type(1.0 - p))  # scaled mask: torch's noise.div_(1 - p)
    return inplace_changes.change(input, Tensor.__mul__, mask) if inplace else input * mask


def _optional_param(fn, name, value, size):
    if value is None:
        return None
    _tensor(value, name)
    if value.data.size != size:
        raise RuntimeError(f"{name} should contain {size} elements not {value.data.size}")  # torch's words
    return value


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dimension 1) of an (N, C) or (N, C, L) input:

        y = (x - mean) / sqrt(var + eps) * weight + bias,    per channel c,

    with mean and the biased var over the batch (and L) when `training`, or `running_mean` and
    `running_var` otherwise. When training with running statistics, they are updated in place:

        running = (1 - momentum) * running + momentum * batch statistic,

    with the *unbiased* batch variance (n / (n - 1) times the biased one) for running_var, as
    torch does. Composed from Tensor ops (mean, -, **, sqrt, /, *, +), so autograd derives the
    gradient, through the batch mean and variance too.
    """
    _float_input("batch_norm", input)
    if input.ndim < 2:
        raise ValueError(f"batch_norm: input must have a channel dimension (N, C, ...), got shape {input.shape}")
    channels = input.shape[1]
    running_mean = _optional_param("batch_norm", "running_mean", running_mean, channels)
    running_var = _optional_param("batch_norm", "running_var", running_var, channels)
    weight = _optional_param("batch_norm", "weight", weight, channels)
    bias = _optional_param("batch_norm", "bias", bias, channels)
    eps = _real("batch_norm", "eps", eps)
    axes = (0,) + tuple(range(2, input.ndim))  # every dimension but the channel's
    per_channel = (channels,) + (1,) * (input.ndim - 2)  # (C,) or (C, 1): broadcasts against (N, C[, L])
    if training:
        count = input.data.size // max(channels, 1)
        if count == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
        mean = input.mean(dim=axes, keepdim=True)
        centered = input - mean
        var = (centered ** 2).mean(dim=axes, keepdim=True)  # biased: what the batch is normalised with
        if running_mean is not None or running_var is not None:
            momentum = _real("batch_norm", "momentum", momentum)
            _update_running(running_mean, running_var, mean.data.reshape(-1), var.data.reshape(-1), count, momentum)
        out = centered / (var + eps).sqrt()
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are required when training=False")
        mean, var = running_mean.detach().reshape(per_channel), running_var.detach().reshape(per_channel)
        out = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out


def _update_running(running_mean, running_var, mean, var, count, momentum):
    """The running statistics, updated in place in numpy (no graph: they are not learned), so
    that a buffer stays the same Tensor and array, as torch's running_mean does."""
    if running_mean is not None:
        data = running_mean.data
        data[...] = momentum * mean + (1.0 - momentum) * data  # torch's order of the terms
    if running_var is not None:
        data = running_var.data
        unbiased = var * (count / (count - 1))
        data[...] = momentum * unbiased + (1.0 - momentum) * data


def _normalized_shape(normalized_shape):
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else normalized_shape
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"normalized_shape must be an int or a sequence of ints, "
                        f"got {type(normalized_shape).__name__}") from None
    for n in shape:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"normalized_shape must be an int or a sequence of ints, got {normalized_shape!r}")
    return tuple(int(n) for n in shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last len(normalized_shape) dimensions of each sample:

        y = (x - mean) / sqrt(var + eps) * weight + bias,

    mean and the biased var taken over those dimensions; weight and bias have shape
    normalized_shape. Composed from Tensor ops, so autograd derives the gradient.
    """
    _float_input("layer_norm", input)
    shape = _normalized_shape(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and tuple(_tensor(value, name).shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(value.shape)} and normalized_shape = {list(shape)}")
    eps = _real("layer_norm", "eps", eps)
    axes = tuple(range(input.ndim - k, input.ndim))
    centered = input - input.mean(dim=axes, keepdim=True)
    out = centered / ((centered ** 2).mean(dim=axes, keepdim=True) + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """Rows of `weight` (num_embeddings, dim) picked by the integer `input` (*): shape (*, dim).

    padding_idx: that row gets no gradient (nn.Embedding also starts it at zero).
    max_norm: first rescale, in place, each picked row whose norm_type-norm exceeds max_norm
    to norm max_norm (torch's renorm, which divides by norm + 1e-7).
    scale_grad_by_freq: divide each row's gradient by how often it is picked in `input`.
    The math: minigrad.ops.embedding.Embedding. sparse=True is refused (minigrad has no sparse
    gradients; the dense one has the same values).
    """
    _tensor(input, "input")
    _tensor(weight, "weight")
    if input.data.dtype not in (np.int64, np.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.dtype} instead (while checking arguments for embedding)")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")  # torch's words
    if sparse:
        raise NotImplementedError("embedding: sparse=True needs sparse gradients, which minigrad does not have; "
                                  "use sparse=False (the dense gradient has the same values)")
    rows = weight.shape[0]
    if padding_idx is not None:
        if isinstance(padding_idx, (bool, np.bool_)) or not isinstance(padding_idx, (int, np.integer)):
            raise TypeError(f"padding_idx must be an int or None, got {type(padding_idx).__name__}")
        if not -rows <= padding_idx < rows:
            raise AssertionError("Padding_idx must be within num_embeddings")  # torch's type and words
        padding_idx = int(padding_idx) % rows
    indices = input.data
    if indices.size and (indices.min() < 0 or indices.max() >= rows):
        raise IndexError("index out of range in self")  # torch's words: no negative indices either
    if max_norm is not None:
        _renorm_rows(weight, indices, _real("embedding", "max_norm", max_norm),
                     _real("embedding", "norm_type", norm_type))
    return embedding_ops.Embedding.apply(weight, indices=indices.astype(np.int64, copy=False), padding_idx=padding_idx,
                                         scale_grad_by_freq=bool(scale_grad_by_freq))


def _renorm_rows(weight, indices, max_norm, norm_type):
    """torch's embedding_renorm_: each row `indices` picks, with norm > max_norm, is scaled in
    place by max_norm / (norm + 1e-7). Not part of the graph (torch runs it under no_grad)."""
    rows = np.unique(indices)
    picked = weight.data[rows]
    if norm_type == math.inf:
        norms = np.abs(picked).max(axis=1, initial=0.0)
    else:
        norms = (np.abs(picked) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    over = norms > max_norm
    weight.data[rows[over]] = picked[over] * (max_norm / (norms[over] + 1e-7))[:, None].astype(weight.data.dtype)


# ==== losses ==================================================================================
#
# Each loss function checks every argument here (types, shapes, dtypes, label ranges,
# hyperparameters), so that a mistake is a TypeError/ValueError/IndexError naming the
# argument, never a crash inside a kernel or a silently wrong number; then it calls one
# Function from minigrad/ops/loss.py, whose docstring is the one place the loss's formula and
# gradient are written (each function below names it).
#
# Choices shared by every loss (the deliberate differences from PyTorch are marked *):
# - `reduction` is 'mean' (the default), 'sum' or 'none' ('batchmean' too for kl_div).
# - input must be a floating-point Tensor; so must target be a Tensor (no lists or arrays).
# - * A floating target is cast to the input's dtype (PyTorch promotes the pair to the wider
#   dtype for some losses and refuses it for others): the loss and the gradient always have
#   the input's dtype.
# - * Element-wise losses need target.shape == input.shape (PyTorch warns, then broadcasts
#   into a wrong answer).
# - * An empty batch gives NaN for 'mean' and 0 for 'sum', in every loss.
# - * When nothing counts towards cross_entropy's or nll_loss's 'mean' (every target ignored,
#   or every target's class weight 0) the loss is NaN and the gradient 0 (PyTorch: 0 when
#   ignored, NaN = 0/0 when the weights are 0). An ignored row's gradient is 0 even where its
#   logits hold NaN or inf (PyTorch's is NaN there). See docs/errors.md, "Degenerate batches".
# - * multi_margin_loss of an empty batch: NaN for 'mean' (PyTorch returns an arbitrary number).
# - * kl_div's 'mean' divides by the element count, as PyTorch's, but without its warning that
#   this is not the KL divergence ('batchmean' is).
# - * hinge_loss is minigrad's own (the binary SVM's); PyTorch has no exact equivalent.
# - `weight` and `pos_weight` are constants: a weight that requires grad is refused, as in
#   PyTorch.
_REDUCTIONS = ("mean", "sum", "none")
_KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")
_SMALL = 32  # up to this many values, a Python loop over .tolist() is cheaper than a numpy call
_MINIGRAD_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _check_reduction(fn, reduction, allowed=_REDUCTIONS):
    if not (isinstance(reduction, str) and reduction in allowed):
        raise ValueError(f"{fn}: reduction must be one of {', '.join(map(repr, allowed))}, "
                         f"got {reduction!r}")


def _check_input(fn, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: input must be a minigrad.Tensor, got {type(input).__name__}")
    if input.data.dtype.char not in "fd":  # (float16 too: the kernels take float32 and float64)
        raise TypeError(f"{fn}: input must be a floating-point tensor (float32 or float64), "
                        f"got dtype {input.dtype}")


def _check_target(fn, target):
    if not isinstance(target, Tensor):
        raise TypeError(f"{fn}: target must be a minigrad.Tensor, got {type(target).__name__} "
                        "(wrap it with minigrad.tensor(...))")


def _number(fn, name, value):
    """A real hyperparameter as a float (TypeError for anything else, bools included)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: {name} must be a number, got {type(value).__name__}")
    return float(value)


def _values_target(fn, input, target):
    """An element-wise loss's target: a Tensor of the input's shape, cast to its dtype."""
    _check_target(fn, target)
    if target.shape != input.shape:
        raise ValueError(f"{fn}: target shape {target.shape} must equal input shape {input.shape} "
                         "(minigrad does not broadcast a loss's target; PyTorch warns and "
                         "broadcasts, which gives a wrong answer)")
    if target.data.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: target must hold numbers, got dtype {target.dtype}")
    # Cast to the input's dtype (differentiably, if target requires grad): the loss and its
    # gradient keep the input's dtype, where PyTorch would promote float32 + float64 to float64.
    return target.to(input.dtype)


def _constant(fn, name, value, dtype):
    """A weight-like argument as a numpy array of the input's dtype (or None)."""
    if value is None:
        return None
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}: {name} must be a minigrad.Tensor or None, got {type(value).__name__}")
    if value.data.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must hold numbers, got dtype {value.dtype}")
    if value.requires_grad and is_grad_enabled():
        raise ValueError(f"{fn}: the loss is not differentiable with respect to {name}, which "
                         f"requires grad; pass {name}.detach()")
    return value.data.astype(dtype, copy=False)


def _broadcast_weight(fn, name, value, input):
    """weight / pos_weight of the element-wise BCE losses, broadcast to the input's shape."""
    w = _constant(fn, name, value, input.dtype)
    if w is None:
        return None
    try:
        w = np.broadcast_to(w, input.shape)
    except ValueError:
        raise ValueError(f"{fn}: {name} of shape {w.shape} does not broadcast to the input's "
                         f"shape {input.shape}") from None
    return w if w.flags.c_contiguous else w.copy()  # (not ascontiguousarray: it makes a 0-d array 1-d)


def _check_range(fn, name, array, low, high, hint=""):
    """Every value in [low, high] (a NaN fails too)."""
    if array.size <= _SMALL:  # a few values: Python's min/max beat the call overhead of numpy's
        values = array.ravel().tolist()
        in_range = not values or (min(values) >= low and max(values) <= high)
        total = sum(values)  # a NaN, which Python's min/max can skip, makes the sum NaN
        if in_range and total == total:
            return
    if array.size and not (array.min() >= low and array.max() <= high):
        bad = array[~((array >= low) & (array <= high))].flat[0]
        raise ValueError(f"{fn}: {name} must hold values in [{low}, {high}], got {bad.item():.6g}"
                         f" (values range over [{array.min():.6g}, {array.max():.6g}]){hint}")


# ---- regression ----------------------------------------------------------------------------
def mse_loss(input, target, *, reduction="mean"):
    """Mean squared error. Checks: floating input, a target of its shape, the reduction.
    The math: minigrad.ops.loss.MSELoss; options: nn.MSELoss."""
    fn = "mse_loss"
    _check_input(fn, input)
    target = _values_target(fn, input, target)
    _check_reduction(fn, reduction)
    return loss_ops.MSELoss.apply(input, target, reduction=reduction)


def l1_loss(input, target, *, reduction="mean"):
    """Mean absolute error; checks as mse_loss. The math: minigrad.ops.loss.L1Loss."""
    fn = "l1_loss"
    _check_input(fn, input)
    target = _values_target(fn, input, target)
    _check_reduction(fn, reduction)
    return loss_ops.L1Loss.apply(input, target, reduction=reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Huber loss; checks as mse_loss, and delta a number > 0. The math: minigrad.ops.loss.HuberLoss."""
    fn = "huber_loss"
    _check_input(fn, input)
    target = _values_target(fn, input, target)
    _check_reduction(fn, reduction)
    delta = _number(fn, "delta", delta)
    if not delta > 0:
        raise ValueError(f"{fn}: delta must be > 0, got {delta}")
    return loss_ops.HuberLoss.apply(input, target, delta=delta, reduction=reduction)


def smooth_l1_loss(input, target, *, reduction="mean", beta=1.0):
    """Smooth L1 loss; checks as mse_loss, and beta a number >= 0.
    The math: minigrad.ops.loss.SmoothL1Loss."""
    fn = "smooth_l1_loss"
    _check_input(fn, input)
    target = _values_target(fn, input, target)
    _check_reduction(fn, reduction)
    beta = _number(fn, "beta", beta)
    if not beta >= 0:
        raise ValueError(f"{fn}: beta must be >= 0, got {beta}")
    return loss_ops.SmoothL1Loss.apply(input, target, beta=beta, reduction=reduction)


# ---- binary classification -------------------------------------------------------------------
def binary_cross_entropy(input, target, weight=None, *, reduction="mean"):
    """Binary cross-entropy of probabilities. Checks as mse_loss, input and target in [0, 1],
    `weight` a constant that broadcasts to the input's shape.
    The math: minigrad.ops.loss.BinaryCrossEntropy; options: nn.BCELoss."""
    fn = "binary_cross_entropy"
    _check_input(fn, input)
    target = _values_target(fn, input, target)
    _check_reduction(fn, reduction)
    weight = _broadcast_weight(fn, "weight", weight, input)
    _check_range(fn, "input", input.data, 0, 1,
                 " (probabilities: apply sigmoid first, or use binary_cross_entropy_with_logits on the logits)")
    _check_range(fn, "target", target.data, 0, 1)
    return loss_ops.BinaryCrossEntropy.apply(input, target, weight=weight, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, *, reduction="mean", pos_weight=None):
    """Binary cross-entropy from the logits. Checks as mse_loss; `weight` and `pos_weight`
    constants that broadcast to the input's shape (pos_weight, one per class, along the last
    dimension). The math: minigrad.ops.loss.BinaryCrossEntropyWithLogits."""
    fn = "binary_cross_entropy_with_logits"
    _check_input(fn, input)
    target = _values_target(fn, input, target)
    _check_reduction(fn, reduction)
    weight = _broadcast_weight(fn, "weight", weight, input)
    pos_weight = _broadcast_weight(fn, "pos_weight", pos_weight, input)
    return loss_ops.BinaryCrossEntropyWithLogits.apply(input, target, weight=weight, pos_weight=pos_weight,
                                                       reduction=reduction)


def hinge_loss(input, target, margin=1.0, *, reduction="mean"):
    """Binary SVM hinge loss. Checks as mse_loss, labels target in {-1, +1} only, and a
    target that does not require grad. The math: minigrad.ops.loss.HingeLoss."""
    fn = "hinge_loss"
    _check_input(fn, input)
    target = _values_target(fn, input, target)
    _check_reduction(fn, reduction)
    margin = _number(fn, "margin", margin)
    y = target.data
    if y.size <= _SMALL:  # a few labels: a Python check beats three numpy calls
        labels_ok = set(y.ravel().tolist()) <= {1.0, -1.0}
    else:
        labels_ok = bool(np.all(np.abs(y) == 1))
    if not labels_ok:
        bad = y[np.abs(y) != 1].flat[0]
        raise ValueError(f"{fn}: target must hold the labels -1 and +1 only, got {bad.item()!r} "
                         "(for 0/1 labels pass 2 * target - 1)")
    if target.requires_grad and is_grad_enabled():
        raise ValueError(f"{fn}: the loss is not differentiable with respect to target (labels "
                         "-1 and +1), which requires grad; pass target.detach()")
    return loss_ops.HingeLoss.apply(input, target, margin=margin, reduction=reduction)


# ---- distributions -----------------------------------------------------------------------------
def kl_div(input, target, *, reduction="mean", log_target=False):
    """KL divergence of `target` from the log-probabilities `input`. Checks as mse_loss, the
    reductions with 'batchmean', log_target a bool; turns the reduction into the Function's
    scale (1/elements for 'mean', 1/input.shape[0] for 'batchmean').
    The math: minigrad.ops.loss.KLDiv; options: nn.KLDivLoss."""
    fn = "kl_div"
    _check_input(fn, input)
    target = _values_target(fn, input, target)
    _check_reduction(fn, reduction, _KL_REDUCTIONS)
    if not isinstance(log_target, (bool, np.bool_)):
        raise TypeError(f"{fn}: log_target must be True or False, got {log_target!r}")
    if reduction == "batchmean":
        batch = input.shape[0] if input.ndim else 1
        scale = 1.0 / batch if batch else float("nan")
    else:
        scale = loss_ops._reduction_scale(reduction, input.data.size)
    return loss_ops.KLDiv.apply(input, target, log_target=bool(log_target), scale=scale,
                                reduction="none" if reduction == "none" else "sum")


# ---- multi-class: the class axis is dim 1 -----------------------------------------------------
def _n_classes(fn, input, max_ndim=None):
    """C, the size of the class axis: (C,), (N, C) or (N, C, d1, ...)."""
    if input.ndim == 0 or (max_ndim is not None and input.ndim > max_ndim):
        layouts = "(C,) or (N, C)" if max_ndim == 2 else "(C,), (N, C) or (N, C, d1, ...)"
        raise ValueError(f"{fn}: input must have shape {layouts} with the classes along dim "
                         f"{0 if input.ndim == 1 else 1}, got shape {input.shape}")
    n_classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    if n_classes == 0:
        raise ValueError(f"{fn}: input has no classes (shape {input.shape}, class axis of size 0)")
    return n_classes


def _class_target(fn, input, target, n_classes, ignore_index=None):
    """Class indices: an integer tensor of the input's shape without the class axis, every
    value in [0, C) or equal to ignore_index. Returns it as an int64 Tensor."""
    t = target.data
    if t.dtype != np.int64:
        if t.dtype.kind not in "iu":
            hint = (f" (class probabilities would need the input's shape {input.shape})"
                    if fn == "cross_entropy" and t.dtype.kind == "f" else "")
            raise TypeError(f"{fn}: target holds class indices and must be an integer tensor (int64), "
                            f"got dtype {target.dtype}{hint}")
        t = t.astype(np.int64)
        target = Tensor._wrap(t)
    expected = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if t.shape != expected:
        raise ValueError(f"{fn}: target must have shape {expected}, one class index per sample of "
                         f"the input of shape {input.shape}; got shape {t.shape}")
    # Never let a label outside [0, C) reach a kernel: it indexes memory without bounds checks.
    if t.size <= _SMALL:  # a few labels: Python's min/max beat the call overhead of numpy's
        values = t.ravel().tolist()
        in_range = not values or (min(values) >= 0 and max(values) < n_classes)
    else:  # one pass checks both ends: a negative int64 read as uint64 is >= 2**63 > C
        in_range = t.view(np.uint64).max() < n_classes
    if not in_range:
        bad = (t < 0) | (t >= n_classes)
        if ignore_index is not None:
            bad &= t != ignore_index
        if bad.any():
            also = f", or equal ignore_index={ignore_index}" if ignore_index is not None else ""
            raise IndexError(f"{fn}: target {t[bad].flat[0]} is out of range: class indices must be "
                             f"in [0, {n_classes - 1}] for an input with {n_classes} classes{also}")
    return target


def _class_weight(fn, weight, n_classes, dtype):
    w = _constant(fn, "weight", weight, dtype)
    if w is not None:
        if w.shape != (n_classes,):
            raise ValueError(f"{fn}: weight must have one entry per class, shape ({n_classes},), "
                             f"got shape {w.shape}")
        if not w.flags.c_contiguous:
            w = np.ascontiguousarray(w)
    return w


def _check_ignore_index(fn, ignore_index):
    if type(ignore_index) is int and -2**63 <= ignore_index < 2**63:  # the usual case, checked first
        return ignore_index
    if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(f"{fn}: ignore_index must be an int, got {type(ignore_index).__name__}")
    if not -2**63 <= int(ignore_index) < 2**63:  # the kernels compare it with int64 labels
        raise ValueError(f"{fn}: ignore_index must fit in int64 (a class index, or a negative "
                         f"number such as the default -100), got {int(ignore_index)}")
    return int(ignore_index)


def _class_loss_args(fn, input, target, reduction, ignore_index):
    """The checks cross_entropy and nll_loss start with; returns C and ignore_index as an int."""
    _check_input(fn, input)
    _check_target(fn, target)
    _check_reduction(fn, reduction)
    return _n_classes(fn, input), _check_ignore_index(fn, ignore_index)


def _looks_like_probabilities(x):
    """True when every row along the class axis is in [0, 1] and sums to 1 (within 1e-4).

    Cheap in the common case: logits almost never make a first row that looks like a
    distribution, so the full pass over x happens only when the first row does.
    """
    if x.size == 0:
        return False
    axis = 0 if x.ndim == 1 else 1
    n_classes = x.shape[axis]
    if n_classes < 2:
        return False
    first = x if x.ndim == 1 else x[0] if x.ndim == 2 else x[(0, slice(None)) + (0,) * (x.ndim - 2)]
    if n_classes <= _SMALL:
        row = first.tolist()
        if not (min(row) >= 0 and max(row) <= 1 and abs(sum(row) - 1.0) <= 1e-4):  # a NaN sum fails too
            return False
    elif not abs(float(first.sum()) - 1.0) <= 1e-4:
        return False
    return bool(x.min() >= 0 and x.max() <= 1 and np.all(np.abs(x.sum(axis=axis) - 1.0) <= 1e-4))


def _warn_softmax_twice():
    # Blame the first caller outside minigrad (e.g. the user's `loss_fn(...)` line), so that
    # the default filter shows the warning once per call site in the user's code.
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename.startswith(_MINIGRAD_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn("cross_entropy: every row of input is already a probability distribution "
                  "(values in [0, 1] summing to 1): softmax was probably applied twice. "
                  "cross_entropy applies log-softmax itself; pass the raw logits (the last "
                  "layer's output, without softmax). Silence this with warnings.filterwarnings("
                  "'ignore', category=minigrad.warnings.SoftmaxTwiceWarning).",
                  SoftmaxTwiceWarning, stacklevel=level)


def cross_entropy(input, target, weight=None, *, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits `input` (C,), (N, C) or (N, C, d1, ...) against class indices
    (an integer tensor (), (N,) or (N, d1, ...), each in [0, C) or ignore_index) or class
    probabilities (a floating tensor of the input's shape, with a negative ignore_index).
    Also checks weight (C,), label_smoothing in [0, 1], the reduction. Fused with
    log-softmax: pass raw logits. Warns (minigrad.warnings.SoftmaxTwiceWarning) when the
    input already looks like softmax output. The math: minigrad.ops.loss.CrossEntropy and
    minigrad.ops.loss.CrossEntropyProbs; options: nn.CrossEntropyLoss.
    """
    fn = "cross_entropy"
    n_classes, ignore_index = _class_loss_args(fn, input, target, reduction, ignore_index)
    if label_smoothing != 0.0:
        label_smoothing = _number(fn, "label_smoothing", label_smoothing)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"{fn}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if weight is not None:
        weight = _class_weight(fn, weight, n_classes, input.dtype)
    if _looks_like_probabilities(input.data):
        _warn_softmax_twice()
    if target.data.dtype.kind == "f" and target.shape == input.shape:
        # Class probabilities. PyTorch refuses a non-negative ignore_index here (a negative
        # one can never match a class, so it is accepted and has no effect).
        if ignore_index >= 0:
            raise ValueError(f"{fn}: ignore_index={ignore_index} cannot be used with class-probability "
                             "targets (a floating target of the input's shape); leave it at -100")
        target = target.to(input.dtype)
        return loss_ops.CrossEntropyProbs.apply(input, target, weight=weight, label_smoothing=float(label_smoothing),
                                                reduction=reduction)
    target = _class_target(fn, input, target, n_classes, ignore_index)
    return loss_ops.CrossEntropy.apply(input, target, weight=weight, ignore_index=ignore_index,
                                       label_smoothing=float(label_smoothing), reduction=reduction)


def nll_loss(input, target, weight=None, *, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities `input` (C,), (N, C) or (N, C, d1, ...)
    against class indices; checks as cross_entropy. The math: minigrad.ops.loss.NLLLoss."""
    fn = "nll_loss"
    n_classes, ignore_index = _class_loss_args(fn, input, target, reduction, ignore_index)
    weight = _class_weight(fn, weight, n_classes, input.dtype)
    target = _class_target(fn, input, target, n_classes, ignore_index)
    return loss_ops.NLLLoss.apply(input, target, weight=weight, ignore_index=ignore_index,
                                  reduction=reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, *, reduction="mean"):
    """Multi-class hinge (SVM) loss of scores (C,) or (N, C) against class indices. Checks
    p in {1, 2}, margin a number, weight (C,), targets in [0, C).
    The math: minigrad.ops.loss.MultiMarginLoss."""
    fn = "multi_margin_loss"
    _check_input(fn, input)
    _check_target(fn, target)
    _check_reduction(fn, reduction)
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: p must be 1 or 2, got {type(p).__name__}")
    if p not in (1, 2):
        raise ValueError(f"{fn}: p must be 1 or 2, got {p!r}")
    margin = _number(fn, "margin", margin)
    n_classes = _n_classes(fn, input, max_ndim=2)
    weight = _class_weight(fn, weight, n_classes, input.dtype)
    target = _class_target(fn, input, target, n_classes)
    return loss_ops.MultiMarginLoss.apply(input, target, p=int(p), margin=margin, weight=weight,
                                          reduction=reduction)
