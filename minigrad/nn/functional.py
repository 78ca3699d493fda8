"""minigrad.nn.functional (imported as F): the stateless forms of activations and losses.

Activations forward to the Tensor methods. The losses validate every argument here,
before a kernel runs, then call one Function of minigrad/ops/loss.py. The math of each
(formula and gradient) is written once, on its Function in minigrad/ops/ (named in each
docstring below); this file says what it checks, and (in the comment block before the
losses) where minigrad deliberately differs from PyTorch.
"""
import os
import sys
import warnings

import numpy as np

from minigrad.autograd import is_grad_enabled
from minigrad.ops import loss as loss_ops
from minigrad.tensor import Tensor
from minigrad.warnings import SoftmaxTwiceWarning


def _tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a minigrad.Tensor, got {type(x).__name__} "
                        "(wrap it with minigrad.tensor(...))")
    return x


def relu(input):
    """ReLU, element-wise. The math: minigrad.ops.activation.ReLU."""
    return _tensor(input, "input").relu()


def sigmoid(input):
    """The logistic sigmoid, element-wise. The math: minigrad.ops.activation.Sigmoid."""
    return _tensor(input, "input").sigmoid()


def tanh(input):
    """tanh, element-wise. The math: minigrad.ops.activation.Tanh."""
    return _tensor(input, "input").tanh()


def _softmax_args(fn, input, dim):
    """softmax/log_softmax's checks, with messages naming the argument, expected and got."""
    _tensor(input, "input")
    if input.data.dtype.kind != "f":
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
    if input.data.dtype.kind != "f":
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
