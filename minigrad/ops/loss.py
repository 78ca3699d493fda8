"""Every loss as one `Function` over a fused kernel, beside its composed form.

Each loss is written out three times here, and its math once:

    docstring  the formula of the per-sample loss and its gradient: the one place they are
               written (nn/loss.py and nn/functional.py point here);
    composed   a staticmethod with forward's parameters that computes the same loss with
               minigrad's primitive Tensor ops (+ - * / **, exp, log, abs, clamp, maximum,
               where, sum, indexing, ...), so that autograd derives the gradient: the
               formula made executable, and what a learner reads first;
    forward    the fused kernel (minigrad/_kernels/_loss.pyx), an optimisation of the
               composed form: one pass over the data returns the per-sample losses
               (`loss_out`), the total, and the gradient with respect to the first input
               (`grad_out`, already multiplied by the reduction's 1/n), with no graph of
               intermediate tensors. tests/test_ops_composed.py holds it to the composed
               form (value and gradient, float32 and float64).

So each Function is short:

    forward   call the kernel, asking for grad_out only when an input needs a gradient
              (under no_grad nothing does: the loss-only path skips all gradient work),
              keep grad_out, return the total (a 0-d array) or the per-sample losses;
    backward  multiply the kept gradient by the upstream one: one number for 'mean' and
              'sum' (skipped when it is exactly 1, as after `loss.backward()`), one per
              sample for 'none'.

The arguments arrive validated by minigrad/nn/functional.py (shapes, dtypes, label
ranges, hyperparameters): the kernels trust them, and so does this file. Class losses take
the class axis at position 1 (0 for one unbatched sample) and reshape to the kernels'
(rows, C) layout (minigrad/ops/_rows.py). Gradients with respect to the target, where
PyTorch has them, are not part of the kernels: they are computed in numpy in backward,
only when the target requires a gradient.

Non-differentiable points: each Function declares its `kink` (minigrad.autograd.Kink),
which gradcheck reads; the subgradient chosen there (= torch 2.13.0) is in docs/kinks.md.
The composed forms pick the same subgradients from the primitives' own rules (relu 0 at
0, abs 0 at 0, maximum/minimum 0.5 at a tie, where follows its branch); the one place they
cannot is binary_cross_entropy at p = 0 or 1 exactly (see BinaryCrossEntropy.composed).

The composed forms do not replace the numpy twin (minigrad/_kernels/reference.py) as the
MINIGRAD_BACKEND=numpy fallback: at a lesson's batch sizes they are 1.7 to 3.7 times slower
than it, and the twin has the kernel's signature (docs/composed.md has the measurement).
"""
import numpy as np

from minigrad import _kernels as kernels
from minigrad.autograd import Function, Kink, side
from minigrad.ops._rows import as_rows, from_rows
from minigrad.ops.elementwise import Where
from minigrad.ops.softmax import LogSoftmax
from minigrad.tensor import Tensor

NAN = float("nan")


# ---- helpers shared by the element-wise losses ------------------------------------------
def _reduction_scale(reduction, count):
    """What the summed loss is multiplied by: 1/count for 'mean' (NaN when count is 0)."""
    if reduction == "sum" or reduction == "none":
        return 1.0
    return 1.0 / count if count else NAN


def _pointwise(ctx, kernel, x, y, options, reduction, want_grad, for_target=None, scale=None):
    """Run an element-wise kernel on flat views of x and y; keep what backward needs.

    `options` are the kernel's arguments between y and loss_out (delta, weight, ...);
    `for_target` is what backward needs for the target's gradient, if any (the scale is
    added to it). `scale` multiplies the total: the reduction's by default.
    Returns the loss ('none': x's shape) or the total times `scale` as a 0-d array.
    """
    if scale is None:
        scale = _reduction_scale(reduction, x.size)
    xf, yf = x.ravel(), y.ravel()  # ravel is C-contiguous, copying only when it must
    loss = np.empty_like(xf) if reduction == "none" else None
    # The gradient is allocated in x's shape and the kernel writes it through a flat view:
    # backward can then hand on this very array, and a leaf keeps it without a copy.
    grad = np.empty(x.shape, x.dtype) if want_grad else None
    if xf.size:
        total = kernel(xf, yf, *options, loss, grad.reshape(-1) if want_grad else None, scale)
    else:  # an empty batch: sum 0, mean NaN (0 / 0); nothing for the kernel to do
        total = 0.0
    ctx.save_for_backward(grad, None if for_target is None else for_target + (scale,))  # grad has x's shape
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


def _target_backward(ctx, grad, target_gradient):
    """Input gradient from the kernel; the target's, where asked, from `target_gradient`
    (a function of what forward kept for it, returning d loss_i / d y_i unscaled)."""
    local, for_target = ctx.saved_tensors
    grad_x = _times_upstream(local, grad) if ctx.needs_input_grad[0] else None
    grad_y = None
    if ctx.needs_input_grad[1]:
        *kept, scale = for_target
        g = target_gradient(*kept)
        grad_y = _times_upstream(g * scale if scale != 1.0 else g, grad)
    return grad_x, grad_y


# ---- helpers shared by the composed forms -------------------------------------------------
def _reduce(loss, reduction):
    """The reduction in Tensor ops: 'mean' (NaN over no elements), 'sum', or 'none'."""
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _array(value):
    """A constant argument (target classes, weights) as a numpy array, from a Tensor or not."""
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _constant(value, like):
    """A constant as a Tensor of `like`'s dtype (no gradient flows into it)."""
    return Tensor(_array(value), dtype=like.dtype)


def _where(condition, a, b):
    """a where the bool Tensor `condition` holds, else b; the gradient follows the choice."""
    return Where.apply(a, b, condition=condition.data)


# ---- regression losses: functions of the error z = x - y ---------------------------------
class MSELoss(Function):
    """Mean squared error.  loss_i = (x_i - y_i)^2;
    d loss_i / d x_i = 2 (x_i - y_i) = -d loss_i / d y_i."""

    @staticmethod
    def forward(ctx, x, y, reduction="mean"):
        return _pointwise(ctx, kernels.mse_loss, x, y, (), reduction, any(ctx.needs_input_grad))

    backward = staticmethod(_pointwise_backward)

    @staticmethod
    def composed(x, y, reduction="mean"):
        return _reduce((x - y) ** 2, reduction)


class L1Loss(Function):
    """Mean absolute error.  loss_i = |x_i - y_i|;
    d loss_i / d x_i = sign(x_i - y_i) = -d loss_i / d y_i, 0 at zero error (as PyTorch)."""

    kink = Kink("l1_loss at x = y", lambda x, y, **_: np.sign(x - y))

    @staticmethod
    def forward(ctx, x, y, reduction="mean"):
        return _pointwise(ctx, kernels.l1_loss, x, y, (), reduction, any(ctx.needs_input_grad))

    backward = staticmethod(_pointwise_backward)

    @staticmethod
    def composed(x, y, reduction="mean"):
        return _reduce((x - y).abs(), reduction)  # abs has gradient 0 at 0, as the kernel


class HuberLoss(Function):
    """Huber.  With z = x - y and delta > 0:
        loss = z^2 / 2                  if |z| < delta,   else delta (|z| - delta / 2);
        d loss / d x = z                if |z| < delta,   else delta sign(z)
    (+-delta at |z| = delta: the linear branch; the pieces meet there with the same value
    and slope);  d loss / d y = -d loss / d x.   huber(delta) = delta * smooth_l1(beta=delta)."""

    kink = Kink("huber_loss at |x - y| = delta", lambda x, y, delta, **_: side(np.abs(x - y), delta))

    @staticmethod
    def forward(ctx, x, y, delta=1.0, reduction="mean"):
        return _pointwise(ctx, kernels.huber_loss, x, y, (delta,), reduction, any(ctx.needs_input_grad))

    backward = staticmethod(_pointwise_backward)

    @staticmethod
    def composed(x, y, delta=1.0, reduction="mean"):
        return delta * SmoothL1Loss.composed(x, y, beta=delta, reduction=reduction)


def _smooth_l1_sides(x, y, beta, **_):
    z = x - y
    return side(np.abs(z), beta), (np.sign(z) if beta == 0 else 0.0)  # beta = 0 is L1: kink at z = 0


class SmoothL1Loss(Function):
    """Smooth L1.  With z = x - y and beta >= 0:
        loss = z^2 / (2 beta)           if |z| < beta,    else |z| - beta / 2;
        d loss / d x = z / beta         if |z| < beta,    else sign(z)
    (+-1 at |z| = beta; beta = 0 is exactly L1);  d loss / d y = -d loss / d x."""

    kink = Kink("smooth_l1_loss at |x - y| = beta", _smooth_l1_sides)

    @staticmethod
    def forward(ctx, x, y, beta=1.0, reduction="mean"):
        return _pointwise(ctx, kernels.smooth_l1_loss, x, y, (beta,), reduction, any(ctx.needs_input_grad))

    backward = staticmethod(_pointwise_backward)

    @staticmethod
    def composed(x, y, beta=1.0, reduction="mean"):
        z = x - y
        a = z.abs()
        if beta == 0:  # L1 (and no 0 / 0 in the quadratic branch's gradient)
            return _reduce(a, reduction)
        return _reduce(_where(a < beta, 0.5 * z ** 2 / beta, a - 0.5 * beta), reduction)


# ---- binary classification ----------------------------------------------------------------
def _bce_target_gradient(p, weight):
    with np.errstate(divide="ignore"):  # as in PyTorch, these logs are not clamped
        g = np.log1p(-p) - np.log(p)
    return g if weight is None else g * weight


class BinaryCrossEntropy(Function):
    """BCE of probabilities p against targets y in [0, 1], each log clamped at -100
    (so p = 0 or 1 gives a finite loss):
        loss = -w (y max(log p, -100) + (1 - y) max(log(1 - p), -100));
        d loss / d p = w (p - y) / max(p (1 - p), 1e-12);
        d loss / d y = w (log(1 - p) - log p)   (not clamped, as in PyTorch: +-inf at p = 0 or 1).
    `weight` w is constant (PyTorch does not differentiate it either)."""

    kink = Kink("binary_cross_entropy at p = 0 or p = 1", lambda p, y, **_: (np.sign(p), side(p, 1.0)))

    @staticmethod
    def forward(ctx, p, y, weight=None, reduction="mean"):
        w = None if weight is None else weight.ravel()
        for_target = (p, weight) if ctx.needs_input_grad[1] else None
        return _pointwise(ctx, kernels.binary_cross_entropy, p, y, (w,), reduction, ctx.needs_input_grad[0],
                          for_target)

    @staticmethod
    def backward(ctx, grad):
        return _target_backward(ctx, grad, _bce_target_gradient)

    @staticmethod
    def composed(p, y, weight=None, reduction="mean"):
        """Agrees with the kernel wherever p (1 - p) >= 1e-12 and both logs are above -100.
        At p = 0 or 1 exactly the value agrees but the gradient cannot: autograd's
        0 * (1 / 0) is NaN where the kernel's clamped denominator gives w (p - y) / 1e-12.

        Its second derivative (create_graph=True) is the exact w (p^2 - 2 p y + y) / (p^2 (1 - p)^2);
        torch's double backward puts (p + 1e-12)^2 (1 - p + 1e-12)^2 in the denominator, so
        the two part by about 1e-12 / min(p, 1 - p) relative (1e-9 at p = 1e-3), and at p = 0
        or 1 torch's stays finite where this one is NaN or inf."""
        loss = -(y * p.log().clamp(min=-100) + (1 - y) * (1 - p).log().clamp(min=-100))
        return _reduce(loss if weight is None else loss * _constant(weight, p), reduction)


def _bce_logits_target_gradient(x, weight, pos_weight):
    g = -x
    if pos_weight is not None:
        log_sigmoid = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
        g = g - (pos_weight - 1) * log_sigmoid
    return g if weight is None else g * weight


def _log_sigmoid(x):
    """log sigmoid(x) = -log(1 + e^-x) for x >= 0, x - log(1 + e^x) below: each branch finite
    for every x, and each smooth where it is chosen.

    Not min(x, 0) - log(1 + e^-|x|): that is right in value and gradient, but its second
    derivative at x = 0 (logits at zero are common: a fresh model) comes out 0 instead of
    -1/4, because abs and min have zero second derivatives and abs's gradient is 0 at 0.
    Each branch's input is clamped to its side, so the branch not chosen cannot overflow
    (a 0 gradient times an inf would be NaN)."""
    above = -(-x.clamp(min=0)).exp().log1p()
    below = x - x.clamp(max=0).exp().log1p()
    return _where(x >= 0, above, below)


class BinaryCrossEntropyWithLogits(Function):
    """BCE of sigmoid(x), from the logit x, with pos_weight pw (default 1), c = 1 + (pw - 1) y:
        loss = w ((1 - y) x - c log_sigmoid(x))
             = -w (pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)));
        d loss / d x = w (c sigmoid(x) - pw y)        (sigmoid(x) - y without w and pw);
        d loss / d y = w (-x - (pw - 1) log_sigmoid(x)).
    log_sigmoid(x) = min(x, 0) - log(1 + exp(-|x|)) is finite for every finite x.
    `weight` w and `pos_weight` pw are constants (as in PyTorch)."""

    @staticmethod
    def forward(ctx, x, y, weight=None, pos_weight=None, reduction="mean"):
        w = None if weight is None else weight.ravel()
        pw = None if pos_weight is None else pos_weight.ravel()
        for_target = (x, weight, pos_weight) if ctx.needs_input_grad[1] else None
        return _pointwise(ctx, kernels.binary_cross_entropy_with_logits, x, y, (w, pw), reduction,
                          ctx.needs_input_grad[0], for_target)

    @staticmethod
    def backward(ctx, grad):
        return _target_backward(ctx, grad, _bce_logits_target_gradient)

    @staticmethod
    def composed(x, y, weight=None, pos_weight=None, reduction="mean"):
        log_sigmoid = _log_sigmoid(x)
        c = 1 if pos_weight is None else 1 + (_constant(pos_weight, x) - 1) * y
        loss = (1 - y) * x - c * log_sigmoid
        return _reduce(loss if weight is None else loss * _constant(weight, x), reduction)


def _kl_div_target_gradient(x, t, log_target):
    with np.errstate(divide="ignore", invalid="ignore"):
        if log_target:
            exp_t = np.exp(t)
            return exp_t * (t - x) + exp_t
        # d(t log t)/dt = log t + t / t: PyTorch's xlogy rule, NaN at t = 0
        return np.where(t != 0, np.log(t), 0.0) + t / t - x


class KLDiv(Function):
    """Kullback-Leibler divergence KL(t || q), input x = log q.
    log_target=False:  loss = t log t - t x   (0 log 0 = 0);
        d loss / d x = -t;   d loss / d t = log t + 1 - x   (NaN at t = 0, as in PyTorch).
    log_target=True (the target given as log t):   loss = exp(t) (t - x);
        d loss / d x = -exp(t);   d loss / d t = exp(t) (t - x + 1).
    The total is multiplied by `scale` (nn/functional.py turns 'mean' into 1/n elements and
    'batchmean' into 1/N, the true KL divergence per sample, and passes reduction 'sum';
    with 'none' it passes scale 1, the only scale that leaves the per-element losses
    consistent with their gradient)."""

    kink = Kink("kl_div at t = 0 (edge of t log t's domain)",
                lambda x, t, log_target, **_: 0.0 if log_target else np.sign(t))

    @staticmethod
    def forward(ctx, x, t, log_target=False, scale=1.0, reduction="mean"):
        for_target = (x, t, log_target) if ctx.needs_input_grad[1] else None
        return _pointwise(ctx, kernels.kl_div, x, t, (log_target,), reduction, ctx.needs_input_grad[0],
                          for_target, scale)

    @staticmethod
    def backward(ctx, grad):
        return _target_backward(ctx, grad, _kl_div_target_gradient)

    @staticmethod
    def composed(x, t, log_target=False, scale=1.0, reduction="mean"):
        if log_target:
            loss = t.exp() * (t - x)
        else:  # where: 0 log 0 = 0 (and, as the kernel, a NaN gradient for t at t = 0)
            loss = _where(t > 0, t * t.log(), _constant(0.0, t)) - t * x
        return loss if reduction == "none" else loss.sum() * scale


class HingeLoss(Function):
    """Binary SVM hinge with labels y in {-1, +1}.  loss = max(0, margin - y s);
    d loss / d s = -y where y s < margin, 0 at the margin and beyond (as torch.relu at 0).
    Not differentiable in y (a label); functional.hinge_loss refuses a y that requires grad."""

    kink = Kink("hinge_loss at y s = margin", lambda s, y, margin, **_: side(y * s, margin))

    @staticmethod
    def forward(ctx, s, y, margin=1.0, reduction="mean"):
        return _pointwise(ctx, kernels.hinge_loss, s, y, (margin,), reduction, ctx.needs_input_grad[0])

    @staticmethod
    def backward(ctx, grad):
        local, _ = ctx.saved_tensors
        return _times_upstream(local, grad), None

    @staticmethod
    def composed(s, y, margin=1.0, reduction="mean"):
        return _reduce((margin - y * s).relu(), reduction)  # relu: gradient 0 at the margin


# ---- helpers shared by the class losses ---------------------------------------------------
CLASS_AXIS = 1  # of (N, C) and (N, C, d1, ...); one sample (C,) is one row (see ops/_rows.py)


def _class_dim(x):
    """The class axis of x (an array or a Tensor): 1, or 0 for one unbatched sample (C,)."""
    return 1 if x.ndim > 1 else 0


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
    return from_rows(_per_row_times_upstream(local, grad), shape, CLASS_AXIS), None


def _per_class(weight, x):
    """A (C,) constant, shaped to broadcast along x's class axis."""
    return _constant(_array(weight).reshape((-1,) + (1,) * (x.ndim - _class_dim(x) - 1)), x)


def _pick(x, t):
    """x at each row's class t (indexing, so autograd scatters the gradient back there).
    t has x's shape without the class axis (1, or 0 for one sample)."""
    index = list(np.indices(t.shape, sparse=True))  # one broadcastable arange per axis of t
    index.insert(_class_dim(x), t)
    return x[tuple(index)]


def _kept_rows(target, weight, ignore_index, like):
    """The targets with ignored rows pointed at class 0 (any class would do), the kept
    rows, and w_t per row (1 without weights), 0 where ignored: constants."""
    t = _array(target)
    kept = t != ignore_index
    t = np.where(kept, t, 0)
    w_t = kept if weight is None else np.where(kept, _array(weight)[t], 0)
    return t, kept, _constant(w_t, like)


def _weighted_reduce(loss, w_t, reduction):
    """CrossEntropy's and NLLLoss's reductions: 'mean' divides by the sum of w_t. When that
    is 0 (every row ignored, or weighted 0) the loss is NaN with a zero gradient (minigrad's
    choice, as the kernel; see nn/functional.py)."""
    if reduction != "mean":
        return _reduce(loss, reduction)
    total_weight = float(w_t.data.sum())
    if total_weight == 0:
        return loss.sum() * 0.0 + NAN
    return loss.sum() / total_weight


class CrossEntropy(Function):
    """Cross-entropy of logits x against class indices t, fused with log-softmax.

    For a row with target t (not ignore_index), C classes, weights w, smoothing eps,
    logp = log_softmax(x), p = softmax(x) = exp(logp):

        loss = (1 - eps) w_t (-logp_t) + (eps / C) sum_c w_c (-logp_c)
        d loss / d x = (1 - eps) w_t (p - onehot(t)) + (eps / C) (sum_c w_c p - w)

    which is softmax(x) - onehot(t) without weights and smoothing. An ignored row counts 0.
    'mean' divides by the sum of w_t over the rows not ignored (NaN, zero gradient, when
    that sum is 0).
    """

    @staticmethod
    def forward(ctx, x, target, weight=None, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
        rows, t = as_rows(x, CLASS_AXIS), target.ravel()
        loss = np.empty(len(t), x.dtype) if reduction == "none" else None
        grad = np.empty_like(rows) if ctx.needs_input_grad[0] else None
        total = kernels.cross_entropy(rows, t, weight, ignore_index, label_smoothing,
                                      reduction == "mean", loss, grad)
        ctx.save_for_backward(grad, x.shape)
        return _class_output(loss, total, target.shape, x.dtype)

    backward = staticmethod(_class_backward)

    @staticmethod
    def composed(x, target, weight=None, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
        dim = _class_dim(x)
        logp = LogSoftmax.composed(x, dim)
        t, kept, w_t = _kept_rows(target, weight, ignore_index, x)
        loss = -_pick(logp, t) * w_t
        if label_smoothing:
            weighted = logp if weight is None else logp * _per_class(weight, x)
            smooth = -weighted.sum(dim) * _constant(kept, x)  # sum_c w_c (-logp_c), 0 if ignored
            loss = (1 - label_smoothing) * loss + (label_smoothing / x.shape[dim]) * smooth
        return _weighted_reduce(loss, w_t, reduction)


class NLLLoss(Function):
    """Negative log-likelihood of log-probabilities logp against class indices t:
    loss = -w_t logp_t;   d loss / d logp = -w_t at column t, 0 elsewhere.
    Ignored rows count 0; 'mean' divides by the sum of w_t over the rows not ignored."""

    @staticmethod
    def forward(ctx, logp, target, weight=None, ignore_index=-100, reduction="mean"):
        rows, t = as_rows(logp, CLASS_AXIS), target.ravel()
        loss = np.empty(len(t), logp.dtype) if reduction == "none" else None
        grad = np.empty_like(rows) if ctx.needs_input_grad[0] else None
        total = kernels.nll_loss(rows, t, weight, ignore_index, reduction == "mean", loss, grad)
        ctx.save_for_backward(grad, logp.shape)
        return _class_output(loss, total, target.shape, logp.dtype)

    backward = staticmethod(_class_backward)

    @staticmethod
    def composed(logp, target, weight=None, ignore_index=-100, reduction="mean"):
        t, _, w_t = _kept_rows(target, weight, ignore_index, logp)
        return _weighted_reduce(-_pick(logp, t) * w_t, w_t, reduction)


def _ce_probs_target_gradient(rows, weight, eps):
    log_p = np.empty_like(rows)
    kernels.log_softmax_forward(rows, log_p)
    g = log_p * -(1.0 - eps)
    return g if weight is None else g * weight


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
        rows, t_rows = as_rows(x, CLASS_AXIS), as_rows(t, CLASS_AXIS)
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
            grad_x = from_rows(_per_row_times_upstream(local, grad), shape, CLASS_AXIS)
        if ctx.needs_input_grad[1]:
            *kept, scale = for_target
            g = _ce_probs_target_gradient(*kept)
            g = g * scale if scale != 1.0 else g
            grad_t = from_rows(_per_row_times_upstream(g, grad), shape, CLASS_AXIS)
        return grad_x, grad_t

    @staticmethod
    def composed(x, t, weight=None, label_smoothing=0.0, reduction="mean"):
        dim = _class_dim(x)
        if label_smoothing:
            t = (1 - label_smoothing) * t + label_smoothing / x.shape[dim]
        loss = t * LogSoftmax.composed(x, dim)
        if weight is not None:
            loss = loss * _per_class(weight, x)
        return _reduce(-loss.sum(dim), reduction)


def _multi_margin_sides(x, target, margin, **_):
    # the sign of every hinge h_j = margin - x[t] + x[j]; the class axis is 1 (0 for one sample)
    axis = _class_dim(x)
    x_t = np.take_along_axis(x, np.expand_dims(target, axis).astype(np.intp), axis=axis)
    return np.sign(margin - x_t + x)


class MultiMarginLoss(Function):
    """Multi-class hinge (SVM), p in {1, 2}. With t the target class and, for each j != t,
    h_j = margin - x_t + x_j:

        loss = sum_{j != t} w_t max(0, h_j)^p / C
        d loss / d x_j = w_t p h_j^(p-1) / C   where h_j > 0 (j != t);
        d loss / d x_t = minus the sum of those.

    Strictly positive hinge: exactly at the margin (h_j = 0) a term adds 0 to both.
    'mean' divides by the number of rows (NaN for none, where PyTorch returns garbage).
    """

    kink = Kink("multi_margin_loss at margin - x[t] + x[j] = 0", _multi_margin_sides)

    @staticmethod
    def forward(ctx, x, target, p=1, margin=1.0, weight=None, reduction="mean"):
        rows, t = as_rows(x, CLASS_AXIS), target.ravel()
        n = len(rows)
        scale = _reduction_scale(reduction, n)
        loss = np.empty(n, x.dtype) if reduction == "none" else None
        grad = np.empty_like(rows) if ctx.needs_input_grad[0] else None
        total = kernels.multi_margin_loss(rows, t, p, margin, weight, loss, grad, scale) if n else 0.0
        ctx.save_for_backward(grad, x.shape)
        return _class_output(loss, total * scale, target.shape, x.dtype)

    backward = staticmethod(_class_backward)

    @staticmethod
    def composed(x, target, p=1, margin=1.0, weight=None, reduction="mean"):
        # (also minigrad's second derivative of this loss: torch 2.13 has none, "derivative
        # for aten::multi_margin_loss_backward is not implemented")
        t = _array(target)                                    # x is (C,) or (N, C): classes last
        h = (margin - _pick(x, t).unsqueeze(-1) + x).relu()  # relu: 0 exactly at the margin
        others = _constant(np.arange(x.shape[-1]) != t[..., None], x)  # every j but t
        loss = (h ** p * others).sum(-1) / x.shape[-1]
        return _reduce(loss if weight is None else loss * _constant(_array(weight)[t], x), reduction)
