"""Every loss as one `Function` over a fused kernel: forward saves the gradient, backward scales it.

A loss kernel (minigrad/_kernels/_loss.pyx, numpy twin in reference.py) returns the total
loss and, in the same pass over the data, the per-sample losses (`loss_out`) and the
gradient of the loss with respect to its first input (`grad_out`, already multiplied by
the reduction's 1/n). So each Function here is short:

    forward   call the kernel, asking for grad_out only when an input needs a gradient
              (under no_grad nothing does: the loss-only path skips all gradient work),
              keep grad_out, return the total (a 0-d array) or the per-sample losses;
    backward  multiply the kept gradient by the upstream one: one number for 'mean' and
              'sum' (skipped when it is exactly 1, as after `loss.backward()`), one per
              sample for 'none'.

The arguments arrive validated by minigrad/nn/functional.py (shapes, dtypes, label
ranges, hyperparameters): the kernels trust them, and so does this file. Class losses take
the class axis at position 1 and reshape to the kernels' (rows, C) layout here.

Gradients with respect to the target, where PyTorch has them, are not part of the kernels:
they are computed in numpy in backward, only when the target requires a gradient.
"""
import numpy as np

from minigrad import _kernels as kernels
from minigrad.autograd import Function

NAN = float("nan")


# ---- helpers shared by the element-wise losses ------------------------------------------
def _reduction_scale(reduction, count):
    """What the summed loss is multiplied by: 1/count for 'mean' (NaN when count is 0)."""
    if reduction == "sum" or reduction == "none":
        return 1.0
    return 1.0 / count if count else NAN


def _pointwise(ctx, kernel, x, y, options, reduction, scale, want_grad, for_target=None):
    """Run an element-wise kernel on flat views of x and y; keep what backward needs.

    `options` are the kernel's arguments between y and loss_out (delta, weight, ...);
    `for_target` is what backward needs for the target's gradient, if any.
    Returns the loss ('none': x's shape) or the total times `scale` as a 0-d array.
    """
    xf, yf = x.ravel(), y.ravel()  # ravel is C-contiguous, copying only when it must
    loss = np.empty_like(xf) if reduction == "none" else None
    # The gradient is allocated in x's shape and the kernel writes it through a flat view:
    # backward can then hand on this very array, and a leaf keeps it without a copy.
    grad = np.empty(x.shape, x.dtype) if want_grad else None
    if xf.size:
        total = kernel(xf, yf, *options, loss, grad.reshape(-1) if want_grad else None, scale)
    else:  # an empty batch: sum 0, mean NaN (0 / 0); nothing for the kernel to do
        total = 0.0
    ctx.save_for_backward(grad, for_target)  # grad already has x's shape
    if loss is not None:
        return loss.reshape(x.shape)
    return np.asarray(total * scale, dtype=x.dtype)


def _times_upstream(local, grad):
    """The chain rule: the saved local gradient times the upstream one (`grad`).

    After 'mean' or 'sum' `grad` is one number, usually exactly 1 (`loss.backward()`): then
    the saved array is returned as it is. After 'none' it has the local gradient's shape.
    """
    if grad.ndim == 0 and grad.item() == 1.0:
        return local
    return local * grad


def _pointwise_backward(ctx, grad):
    """Input gradient, and its negative for the target where the loss depends on x - y."""
    local, _ = ctx.saved_tensors
    g = _times_upstream(local, grad)
    return (g if ctx.needs_input_grad[0] else None), (-g if ctx.needs_input_grad[1] else None)


# ---- regression losses: functions of the error z = x - y ---------------------------------
class MSELoss(Function):
    """Mean squared error.  loss_i = (x_i - y_i)^2;
    d loss_i / d x_i = 2 (x_i - y_i) = -d loss_i / d y_i."""

    @staticmethod
    def forward(ctx, x, y, reduction="mean"):
        scale = _reduction_scale(reduction, x.size)
        return _pointwise(ctx, kernels.mse_loss, x, y, (), reduction, scale, any(ctx.needs_input_grad))

    backward = staticmethod(_pointwise_backward)


class L1Loss(Function):
    """Mean absolute error.  loss_i = |x_i - y_i|;
    d loss_i / d x_i = sign(x_i - y_i) = -d loss_i / d y_i, 0 at zero error (as PyTorch)."""

    @staticmethod
    def forward(ctx, x, y, reduction="mean"):
        scale = _reduction_scale(reduction, x.size)
        return _pointwise(ctx, kernels.l1_loss, x, y, (), reduction, scale, any(ctx.needs_input_grad))

    backward = staticmethod(_pointwise_backward)


class HuberLoss(Function):
    """Huber.  With z = x - y:  loss = z^2 / 2 if |z| < delta, else delta (|z| - delta / 2);
    d loss / d x = z if |z| < delta, else delta sign(z)  (+-delta at |z| = delta);
    d loss / d y = -d loss / d x."""

    @staticmethod
    def forward(ctx, x, y, delta=1.0, reduction="mean"):
        scale = _reduction_scale(reduction, x.size)
        return _pointwise(ctx, kernels.huber_loss, x, y, (delta,), reduction, scale,
                          any(ctx.needs_input_grad))

    backward = staticmethod(_pointwise_backward)


class SmoothL1Loss(Function):
    """Smooth L1.  With z = x - y:  loss = z^2 / (2 beta) if |z| < beta, else |z| - beta / 2;
    d loss / d x = z / beta if |z| < beta, else sign(z)  (beta = 0: exactly L1);
    d loss / d y = -d loss / d x.   huber(delta) = delta * smooth_l1(beta=delta)."""

    @staticmethod
    def forward(ctx, x, y, beta=1.0, reduction="mean"):
        scale = _reduction_scale(reduction, x.size)
        return _pointwise(ctx, kernels.smooth_l1_loss, x, y, (beta,), reduction, scale,
                          any(ctx.needs_input_grad))

    backward = staticmethod(_pointwise_backward)


# ---- binary classification ----------------------------------------------------------------
class BinaryCrossEntropy(Function):
    """BCE of probabilities p against targets y in [0, 1], each log clamped at -100:
    loss = -w (y max(log p, -100) + (1 - y) max(log(1 - p), -100));
    d loss / d p = w (p - y) / max(p (1 - p), 1e-12);
    d loss / d y = w (log(1 - p) - log p)   (not clamped, as in PyTorch: +-inf at p = 0 or 1).
    `weight` w is constant (PyTorch does not differentiate it either)."""

    @staticmethod
    def forward(ctx, p, y, weight=None, reduction="mean"):
        scale = _reduction_scale(reduction, p.size)
        w = None if weight is None else weight.ravel()
        for_target = (p, weight, scale) if ctx.needs_input_grad[1] else None
        return _pointwise(ctx, kernels.binary_cross_entropy, p, y, (w,), reduction, scale,
                          ctx.needs_input_grad[0], for_target)

    @staticmethod
    def backward(ctx, grad):
        local, for_target = ctx.saved_tensors
        grad_p = _times_upstream(local, grad) if ctx.needs_input_grad[0] else None
        grad_y = None
        if ctx.needs_input_grad[1]:
            p, weight, scale = for_target
            with np.errstate(divide="ignore"):  # as in PyTorch, these logs are not clamped
                g = np.log1p(-p) - np.log(p)
            if weight is not None:
                g *= weight
            grad_y = _times_upstream(g * scale if scale != 1.0 else g, grad)
        return grad_p, grad_y


class BinaryCrossEntropyWithLogits(Function):
    """BCE of sigmoid(x), from the logit x, with c = 1 + (pw - 1) y:
    loss = w ((1 - y) x - c log_sigmoid(x));
    d loss / d x = w (c sigmoid(x) - pw y);
    d loss / d y = w (-x - (pw - 1) log_sigmoid(x)).
    log_sigmoid(x) = min(x, 0) - log(1 + exp(-|x|)) is finite for every finite x.
    `weight` w and `pos_weight` pw are constants (as in PyTorch)."""

    @staticmethod
    def forward(ctx, x, y, weight=None, pos_weight=None, reduction="mean"):
        scale = _reduction_scale(reduction, x.size)
        w = None if weight is None else weight.ravel()
        pw = None if pos_weight is None else pos_weight.ravel()
        for_target = (x, weight, pos_weight, scale) if ctx.needs_input_grad[1] else None
        return _pointwise(ctx, kernels.binary_cross_entropy_with_logits, x, y, (w, pw), reduction,
                          scale, ctx.needs_input_grad[0], for_target)

    @staticmethod
    def backward(ctx, grad):
        local, for_target = ctx.saved_tensors
        grad_x = _times_upstream(local, grad) if ctx.needs_input_grad[0] else None
        grad_y = None
        if ctx.needs_input_grad[1]:
            x, weight, pos_weight, scale = for_target
            g = -x
            if pos_weight is not None:
                log_sigmoid = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
                g = g - (pos_weight - 1) * log_sigmoid
            if weight is not None:
                g = g * weight
            grad_y = _times_upstream(g * scale if scale != 1.0 else g, grad)
        return grad_x, grad_y


class KLDiv(Function):
    """Kullback-Leibler divergence, input x = log q.
    log_target=False:  loss = t log t - t x   (0 log 0 = 0);
        d loss / d x = -t;   d loss / d t = log t + 1 - x   (NaN at t = 0, as in PyTorch).
    log_target=True:   loss = exp(t) (t - x);
        d loss / d x = -exp(t);   d loss / d t = exp(t) (t - x + 1)."""

    @staticmethod
    def forward(ctx, x, t, log_target=False, scale=1.0, reduction="mean"):
        for_target = (x, t, log_target, scale) if ctx.needs_input_grad[1] else None
        return _pointwise(ctx, kernels.kl_div, x, t, (log_target,), reduction, scale,
                          ctx.needs_input_grad[0], for_target)

    @staticmethod
    def backward(ctx, grad):
        local, for_target = ctx.saved_tensors
        grad_x = _times_upstream(local, grad) if ctx.needs_input_grad[0] else None
        grad_t = None
        if ctx.needs_input_grad[1]:
            x, t, log_target, scale = for_target
            with np.errstate(divide="ignore", invalid="ignore"):
                if log_target:
                    exp_t = np.exp(t)
                    g = exp_t * (t - x) + exp_t
                else:
                    # d(t log t)/dt = log t + t / t: PyTorch's xlogy rule, NaN at t = 0
                    g = np.where(t != 0, np.log(t), 0.0) + t / t - x
            grad_t = _times_upstream(g * scale if scale != 1.0 else g, grad)
        return grad_x, grad_t


class HingeLoss(Function):
    """Binary SVM hinge with labels y in {-1, +1}.  loss = max(0, margin - y s);
    d loss / d s = -y where y s < margin, 0 at the margin and beyond (as torch.relu at 0).
    Not differentiable in y (a label); functional.hinge_loss refuses a y that requires grad."""

    @staticmethod
    def forward(ctx, s, y, margin=1.0, reduction="mean"):
        scale = _reduction_scale(reduction, s.size)
        return _pointwise(ctx, kernels.hinge_loss, s, y, (margin,), reduction, scale,
                          ctx.needs_input_grad[0])

    @staticmethod
    def backward(ctx, grad):
        local, _ = ctx.saved_tensors
        return _times_upstream(local, grad), None


# ---- helpers shared by the class losses ---------------------------------------------------
def _as_rows(x):
    """The kernels' layout: one C-contiguous row of C class scores per sample.

    (N, C) stays; (C,) (one unbatched sample) becomes (1, C); (N, C, d1, ...) moves the
    class axis last and flattens the rest: (N d1 ..., C).
    """
    if x.ndim == 2:
        return x if x.flags.c_contiguous else np.ascontiguousarray(x)
    if x.ndim == 1:
        return np.ascontiguousarray(x).reshape(1, -1)
    return np.ascontiguousarray(np.moveaxis(x, 1, -1)).reshape(-1, x.shape[1])


def _from_rows(rows, shape):
    """Undo _as_rows: a (rows, C) gradient back in the input's own shape."""
    if len(shape) == 2:
        return rows
    if len(shape) == 1:
        return rows.reshape(shape)
    return np.moveaxis(rows.reshape((shape[0],) + shape[2:] + (shape[1],)), -1, 1)


def _rows_shape(shape):
    """The shape of the per-row losses: the input's without the class axis."""
    return shape[:1] + shape[2:] if len(shape) > 1 else ()


def _per_row_times_upstream(local, grad):
    """The chain rule for a (rows, C) gradient: one upstream number per row ('none'), or
    one for all ('mean', 'sum', and a single row)."""
    if grad.size == 1:
        return local if grad.item() == 1.0 else local * grad.reshape(())
    return local * grad.reshape(-1, 1)


def _class_output(loss, total, target_shape, dtype):
    """'none': the per-row losses in the target's shape; otherwise the total, 0-d."""
    if loss is not None:
        return loss.reshape(target_shape)
    return np.asarray(total, dtype=dtype)


def _class_backward(ctx, grad):
    local, shape = ctx.saved_tensors
    return _from_rows(_per_row_times_upstream(local, grad), shape), None


class CrossEntropy(Function):
    """Cross-entropy of logits x against class indices t, fused with log-softmax.

    For a row with target t (not ignore_index), C classes, weights w, smoothing eps,
    logp = log_softmax(x), p = softmax(x) = exp(logp):

        loss = (1 - eps) w_t (-logp_t) + (eps / C) sum_c w_c (-logp_c)
        d loss / d x = (1 - eps) w_t (p - onehot(t)) + (eps / C) (sum_c w_c p - w)

    which is softmax(x) - onehot(t) without weights and smoothing. 'mean' divides by the
    sum of w_t over the rows not ignored (NaN, zero gradient, when that sum is 0).
    """

    @staticmethod
    def forward(ctx, x, target, weight=None, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
        rows, t = _as_rows(x), target.ravel()
        loss = np.empty(len(t), x.dtype) if reduction == "none" else None
        grad = np.empty_like(rows) if ctx.needs_input_grad[0] else None
        total = kernels.cross_entropy(rows, t, weight, ignore_index, label_smoothing,
                                      reduction == "mean", loss, grad)
        ctx.save_for_backward(grad, x.shape)
        return _class_output(loss, total, target.shape, x.dtype)

    backward = staticmethod(_class_backward)


class NLLLoss(Function):
    """Negative log-likelihood of log-probabilities logp against class indices t:
    loss = -w_t logp_t;   d loss / d logp = -w_t at column t, 0 elsewhere.
    Ignored rows count 0; 'mean' divides by the sum of w_t over the rows not ignored."""

    @staticmethod
    def forward(ctx, logp, target, weight=None, ignore_index=-100, reduction="mean"):
        rows, t = _as_rows(logp), target.ravel()
        loss = np.empty(len(t), logp.dtype) if reduction == "none" else None
        grad = np.empty_like(rows) if ctx.needs_input_grad[0] else None
        total = kernels.nll_loss(rows, t, weight, ignore_index, reduction == "mean", loss, grad)
        ctx.save_for_backward(grad, logp.shape)
        return _class_output(loss, total, target.shape, logp.dtype)

    backward = staticmethod(_class_backward)


class CrossEntropyProbs(Function):
    """Cross-entropy of logits x against class probabilities t (same shape), smoothed as
    t' = (1 - eps) t + eps / C, with logp = log_softmax(x), p = softmax(x):

        loss = -sum_c w_c t'_c logp_c
        d loss / d x_k = p_k sum_c w_c t'_c - w_k t'_k
        d loss / d t_c = -(1 - eps) w_c logp_c

    'mean' divides by the number of rows (not by the weights, as in PyTorch).
    """

    @staticmethod
    def forward(ctx, x, t, weight=None, label_smoothing=0.0, reduction="mean"):
        rows, t_rows = _as_rows(x), _as_rows(t)
        n = len(rows)
        scale = _reduction_scale(reduction, n)
        loss = np.empty(n, x.dtype) if reduction == "none" else None
        grad = np.empty_like(rows) if ctx.needs_input_grad[0] else None
        total = kernels.cross_entropy_probs(rows, t_rows, weight, label_smoothing, loss, grad,
                                            scale) if n else 0.0
        ctx.save_for_backward(grad, x.shape, (rows, weight, label_smoothing, scale)
                              if ctx.needs_input_grad[1] else None)
        return _class_output(loss, total * scale, _rows_shape(x.shape), x.dtype)

    @staticmethod
    def backward(ctx, grad):
        local, shape, for_target = ctx.saved_tensors
        grad_x = grad_t = None
        if ctx.needs_input_grad[0]:
            grad_x = _from_rows(_per_row_times_upstream(local, grad), shape)
        if ctx.needs_input_grad[1]:
            rows, weight, eps, scale = for_target
            log_p = np.empty_like(rows)
            kernels.log_softmax_forward(rows, log_p)
            g = log_p * -((1.0 - eps) * scale)
            if weight is not None:
                g *= weight
            grad_t = _from_rows(_per_row_times_upstream(g, grad), shape)
        return grad_x, grad_t


class MultiMarginLoss(Function):
    """Multi-class hinge (SVM), p in {1, 2}. With t the target class and, for each j != t,
    h_j = margin - x_t + x_j:

        loss = sum_{j != t} w_t max(0, h_j)^p / C
        d loss / d x_j = w_t p h_j^(p-1) / C   where h_j > 0 (j != t);
        d loss / d x_t = minus the sum of those.

    Strictly positive hinge: exactly at the margin (h_j = 0) a term adds 0 to both.
    'mean' divides by the number of rows (NaN for none, where PyTorch returns garbage).
    """

    @staticmethod
    def forward(ctx, x, target, p=1, margin=1.0, weight=None, reduction="mean"):
        rows, t = _as_rows(x), target.ravel()
        n = len(rows)
        scale = _reduction_scale(reduction, n)
        loss = np.empty(n, x.dtype) if reduction == "none" else None
        grad = np.empty_like(rows) if ctx.needs_input_grad[0] else None
        total = kernels.multi_margin_loss(rows, t, p, margin, weight, loss, grad, scale) if n else 0.0
        ctx.save_for_backward(grad, x.shape)
        return _class_output(loss, total * scale, target.shape, x.dtype)

    backward = staticmethod(_class_backward)
