"""The softmax kernels in plain numpy: the readable spec of `_softmax.pyx`.

Same functions, same arguments, same results to rounding as the compiled kernels. The
tests use them as a second oracle, and `MINIGRAD_BACKEND=numpy` makes minigrad call them
instead of the Cython ones (to read the math, or to see what the compilation buys).

Every function works along the last axis of a 2-D array x of shape (n, C): n rows, each a
vector of C scores (logits). It writes its result into `out`, an array of the same shape
and dtype that the caller allocated, and returns nothing.

NaN and inf come out as in PyTorch: a row holding a NaN or a +inf, or made only of -inf,
gives a row of NaN (errstate silences numpy's warnings about it).
"""
import numpy as np


def _check_shape(func, name, a, reference_name, reference):
    if a.shape != reference.shape:
        raise ValueError(f"{func}: {name} has shape {a.shape} but {reference_name} has shape "
                         f"{reference.shape}")


@np.errstate(invalid="ignore", over="ignore")
def softmax_forward(x, out):
    """out = softmax(x) = exp(x - max(x)) / sum(exp(x - max(x))), row by row.

    Subtracting the row max changes nothing mathematically (it cancels between the
    numerator and the denominator) and makes the largest exponent 0, so exp cannot
    overflow for any finite input.
    """
    _check_shape("softmax_forward", "out", out, "x", x)
    row_max = x.max(axis=-1, keepdims=True, initial=-np.inf)  # -inf for an empty row
    np.exp(x - row_max, out=out)
    out /= out.sum(axis=-1, keepdims=True)


@np.errstate(invalid="ignore", over="ignore", divide="ignore")  # divide: log(0) when C == 0
def log_softmax_forward(x, out):
    """out = log_softmax(x) = (x - max(x)) - log(sum(exp(x - max(x)))), row by row.

    Computed directly, never as log(softmax(x)): a probability that underflows to 0
    would make that -inf, while x - max(x) - log(...) stays finite.
    """
    _check_shape("log_softmax_forward", "out", out, "x", x)
    shifted = x - x.max(axis=-1, keepdims=True, initial=-np.inf)
    log_sum_exp = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    np.subtract(shifted, log_sum_exp, out=out)


@np.errstate(invalid="ignore")
def softmax_backward(y, grad, out):
    """out = dL/dx = y * (grad - sum(grad * y)), row by row, where y = softmax(x), grad = dL/dy.

    The Jacobian of softmax is dy_j/dx_k = y_j * (delta_jk - y_k), so
    dL/dx_k = sum_j grad_j * y_j * (delta_jk - y_k) = y_k * (grad_k - sum_j grad_j * y_j):
    one dot product per row, the C x C Jacobian is never built.
    """
    _check_shape("softmax_backward", "grad", grad, "y", y)
    _check_shape("softmax_backward", "out", out, "y", y)
    dot = (grad * y).sum(axis=-1, keepdims=True)
    np.multiply(y, grad - dot, out=out)


@np.errstate(invalid="ignore")
def log_softmax_backward(y, grad, out):
    """out = dL/dx = grad - exp(y) * sum(grad), row by row, where y = log_softmax(x), grad = dL/dy.

    dy_j/dx_k = delta_jk - softmax(x)_k, and softmax(x) = exp(y), so
    dL/dx_k = grad_k - exp(y_k) * sum_j grad_j.
    """
    _check_shape("log_softmax_backward", "grad", grad, "y", y)
    _check_shape("log_softmax_backward", "out", out, "y", y)
    np.subtract(grad, np.exp(y) * grad.sum(axis=-1, keepdims=True), out=out)


# ==== the losses: the numpy twins of _loss.pyx ===============================================
#
# Every loss kernel computes the per-sample loss and its gradient in one pass:
#
#     total = loss_kernel(inputs..., options..., loss_out, grad_out, [scale])
#
# `total` is a Python float, the sum of the per-sample losses (the class losses with
# mean=True divide it by the sum of the target classes' weights). `loss_out` receives the
# per-sample losses, unscaled; `grad_out` the gradient of the loss with respect to the first
# input, multiplied by `scale` (or normalised like `total`). Either may be None; when
# grad_out is None no gradient is computed (the loss-only path, e.g. under no_grad).
#
# The arithmetic is done in float64 whatever the arrays' dtype (as the Cython kernels do it
# in double); the results are rounded once, when stored into loss_out and grad_out. One
# exception, as in the kernels: a difference that decides a kink (x - y, margin - y s,
# margin - x_t + x_j) is formed in the inputs' dtype, as torch forms it, so that float32
# inputs hit the kinks exactly where torch does.

def _check_same_shape(func, reference_name, reference, **arrays):
    """Every array given (None is skipped) must have `reference`'s shape."""
    for name, a in arrays.items():
        if a is not None and a.shape != reference.shape:
            raise ValueError(f"{func}: {name} has shape {a.shape} but {reference_name} has "
                             f"shape {reference.shape}")


def _check_class_shapes(func, x, target, weight, loss_out, grad_out):
    """x (n, C); target (n,); weight (C,) or None; loss_out (n,); grad_out (n, C)."""
    n, n_classes = x.shape
    for name, a, shape in [("target", target, (n,)), ("weight", weight, (n_classes,)),
                           ("loss_out", loss_out, (n,)), ("grad_out", grad_out, (n, n_classes))]:
        if a is not None and a.shape != shape:
            raise ValueError(f"{func}: {name} has shape {a.shape}, expected {shape} "
                             f"for x of shape {x.shape}")


def _f64(a):
    """`a` as float64 (no copy if it already is)."""
    return np.asarray(a, dtype=np.float64)


def _store_loss(loss, loss_out):
    """Write the per-sample losses into loss_out (if given); return their sum as a float."""
    if loss_out is not None:
        loss_out[...] = loss
    return float(loss.sum())


def _sign(z):
    """-1, 0 or +1; 0 for NaN, as torch.sign (np.sign would give NaN)."""
    return (z > 0).astype(np.float64) - (z < 0)


def _error(x, y):
    """z = x - y, formed in the inputs' dtype as torch does (so the kinks of the losses below,
    at z = 0 or |z| = delta, fall exactly where torch's do), then in float64."""
    return _f64(np.subtract(x, y, dtype=x.dtype))


@np.errstate(invalid="ignore", over="ignore")
def mse_loss(x, y, loss_out, grad_out, scale):
    """l = (x - y)^2;   dl/dx = 2 (x - y)."""
    _check_same_shape("mse_loss", "x", x, target=y, loss_out=loss_out, grad_out=grad_out)
    z = _error(x, y)
    if grad_out is not None:
        grad_out[...] = 2.0 * z * scale
    return _store_loss(z * z, loss_out)


@np.errstate(invalid="ignore")
def l1_loss(x, y, loss_out, grad_out, scale):
    """l = |x - y|;   dl/dx = sign(x - y), 0 where x == y (as torch).

    As in torch, a NaN error gives a NaN loss but a zero gradient (torch.sign(NaN) is 0).
    """
    _check_same_shape("l1_loss", "x", x, target=y, loss_out=loss_out, grad_out=grad_out)
    z = _error(x, y)
    if grad_out is not None:
        grad_out[...] = _sign(z) * scale
    return _store_loss(np.abs(z), loss_out)


@np.errstate(invalid="ignore", over="ignore")
def huber_loss(x, y, delta, loss_out, grad_out, scale):
    """z = x - y;  l = z^2 / 2 if |z| < delta else delta (|z| - delta / 2);
    dl/dx = z if |z| < delta else delta sign(z)   (so +-delta at |z| = delta).

    A NaN error gives NaN for both, as in torch (its gradient is z unless |z| >= delta).
    """
    _check_same_shape("huber_loss", "x", x, target=y, loss_out=loss_out, grad_out=grad_out)
    z = _error(x, y)
    inside = np.abs(z) < delta
    if grad_out is not None:
        outside = np.abs(z) >= delta                          # not ~inside: NaN is in neither
        grad_out[...] = np.where(outside, delta * _sign(z), z) * scale
    loss = np.where(inside, 0.5 * z * z, delta * (np.abs(z) - 0.5 * delta))
    return _store_loss(loss, loss_out)


@np.errstate(invalid="ignore", over="ignore", divide="ignore")
def smooth_l1_loss(x, y, beta, loss_out, grad_out, scale):
    """z = x - y;  l = z^2 / (2 beta) if |z| < beta else |z| - beta / 2;
    dl/dx = z / beta if |z| < beta else sign(z).

    beta = 0 is exactly l1_loss (torch calls l1_loss then), with no division by zero: a NaN
    error then has gradient 0, while for beta > 0 it has gradient NaN, as in torch.
    """
    _check_same_shape("smooth_l1_loss", "x", x, target=y, loss_out=loss_out, grad_out=grad_out)
    if beta == 0:
        return l1_loss(x, y, loss_out, grad_out, scale)
    z = _error(x, y)
    inside = np.abs(z) < beta
    if grad_out is not None:
        outside = np.abs(z) >= beta                           # NaN is in neither
        grad_out[...] = np.where(outside, _sign(z), z / beta) * scale
    loss = np.where(inside, 0.5 * z * z / beta, np.abs(z) - 0.5 * beta)
    return _store_loss(loss, loss_out)


BCE_EPSILON = float(np.float32(1e-12))  # the floor of p (1 - p) in the BCE gradient (torch's)


@np.errstate(invalid="ignore", divide="ignore")
def binary_cross_entropy(p, y, weight, loss_out, grad_out, scale):
    """l = -w (y max(log p, -100) + (1 - y) max(log(1 - p), -100));
    dl/dp = w (p - y) / max(p (1 - p), 1e-12).

    The clamps are PyTorch's: they keep the loss at p = 0 or 1 finite (100 per sample at
    most) and the gradient there finite (about +-1e12 at most). log(1 - p) is computed as
    log1p(-p), as torch does, so a tiny p keeps its digits. w = 1 without weight.

    torch's 1e-12 is a float32 constant (9.99999996e-13 in double); we use the same number,
    so the clamped gradient agrees with torch's to the last bit in float64 too.
    """
    _check_same_shape("binary_cross_entropy", "p", p, target=y, weight=weight,
                      loss_out=loss_out, grad_out=grad_out)
    p, y = _f64(p), _f64(y)
    w = 1.0 if weight is None else _f64(weight)
    if grad_out is not None:
        grad_out[...] = (p - y) / np.maximum(p * (1.0 - p), BCE_EPSILON) * w * scale
    loss = (y - 1.0) * np.maximum(np.log1p(-p), -100.0) - y * np.maximum(np.log(p), -100.0)
    return _store_loss(loss * w, loss_out)


@np.errstate(invalid="ignore", over="ignore")
def binary_cross_entropy_with_logits(x, y, weight, pos_weight, loss_out, grad_out, scale):
    """With c = 1 + (pw - 1) y:   l = w ((1 - y) x - c log_sigmoid(x));
    dl/dx = w (c sigmoid(x) - pw y).

    BCE of sigmoid(x), computed from the logit: log_sigmoid(x) = min(x, 0) - log1p(exp(-|x|))
    (exp of a non-positive number never overflows), so any finite logit gives a finite
    loss. pw (pos_weight) scales the positive term; w = pw = 1 when they are None.
    """
    _check_same_shape("binary_cross_entropy_with_logits", "x", x, target=y, weight=weight,
                      pos_weight=pos_weight, loss_out=loss_out, grad_out=grad_out)
    x, y = _f64(x), _f64(y)
    w = 1.0 if weight is None else _f64(weight)
    pw = 1.0 if pos_weight is None else _f64(pos_weight)
    c = 1.0 if pos_weight is None else 1.0 + (pw - 1.0) * y  # exactly 1: (1 - 1) inf is NaN
    z = np.exp(-np.abs(x))                                 # in (0, 1]
    if grad_out is not None:
        sigmoid = np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
        grad_out[...] = w * (c * sigmoid - pw * y) * scale
    log_sigmoid = np.minimum(x, 0.0) - np.log1p(z)
    return _store_loss(w * ((1.0 - y) * x - c * log_sigmoid), loss_out)


@np.errstate(invalid="ignore", over="ignore", divide="ignore")
def kl_div(x, t, log_target, loss_out, grad_out, scale):
    """x = log q (log-probabilities).
    log_target False:  l = t log t - t x, with 0 log 0 = 0 (torch.xlogy);  dl/dx = -t.
    log_target True:   l = exp(t) (t - x);                                 dl/dx = -exp(t).

    As in torch.xlogy, a negative target gives NaN (t log t), a NaN target gives NaN.
    """
    _check_same_shape("kl_div", "x", x, target=t, loss_out=loss_out, grad_out=grad_out)
    x, t = _f64(x), _f64(t)
    if log_target:
        exp_t = np.exp(t)
        if grad_out is not None:
            grad_out[...] = -exp_t * scale
        return _store_loss(exp_t * (t - x), loss_out)
    if grad_out is not None:
        grad_out[...] = -t * scale
    t_log_t = np.where(t == 0, 0.0, t * np.log(t))        # NaN stays NaN: NaN == 0 is False
    return _store_loss(t_log_t - t * x, loss_out)


@np.errstate(invalid="ignore")
def hinge_loss(s, y, margin, loss_out, grad_out, scale):
    """h = margin - y s;   l = max(0, h);   dl/ds = -y where h > 0, else 0.

    This is torch.relu(h) exactly: at the margin (h = 0) the gradient is 0, and a NaN score
    gives a NaN loss and passes the gradient -y (NaN <= 0 is false). (torch.clamp(h, min=0)
    differs at both: its gradient is -y at h = 0 and 0 at NaN.)
    """
    _check_same_shape("hinge_loss", "s", s, target=y, loss_out=loss_out, grad_out=grad_out)
    h = _f64(s.dtype.type(margin) - y * s)  # in the input's dtype, as torch would: same kink
    y = _f64(y)
    flat = h <= 0
    if grad_out is not None:
        grad_out[...] = np.where(flat, 0.0, -y) * scale
    return _store_loss(np.where(flat, 0.0, h), loss_out)


def _target_weights(target, weight, ignore_index, n_classes):
    """(kept, t, w_t): which rows count, their target (0 where ignored), and the weight of
    each row's target class (0 where ignored)."""
    kept = target != ignore_index
    t = np.where(kept, target, 0) if n_classes else np.zeros_like(target)
    w = np.ones(n_classes) if weight is None else _f64(weight)
    w_t = np.where(kept, w[t], 0.0) if n_classes else np.zeros(len(target))
    return kept, t, w, w_t


def _normalise(total, grad_out, w_t, mean):
    """mean=True: divide the total and the gradient by the sum of the targets' weights;
    if that is 0 (every row ignored, or weighing 0) the total is NaN, the gradient 0."""
    if not mean:
        return total
    norm = float(w_t.sum())
    if norm == 0.0:
        if grad_out is not None:
            grad_out[...] = 0.0
        return float("nan")
    if grad_out is not None:
        grad_out /= norm
    return total / norm


@np.errstate(invalid="ignore", over="ignore", divide="ignore")
def cross_entropy(x, target, weight, ignore_index, label_smoothing, mean, loss_out, grad_out):
    """Fused log-softmax + negative log-likelihood, with class weights w, ignore_index and
    label smoothing eps. For a row i whose target t is not ignore_index, with
    logp = log_softmax(x_i), p = softmax(x_i) = exp(logp), C classes, W = sum_c w_c:

        l_i = (1 - eps) w_t (-logp_t) + (eps / C) sum_c w_c (-logp_c)
        dl_i/dx_i = (1 - eps) w_t (p - onehot(t)) + (eps / C) (W p - w)

    (d(-logp_c)/dx = p - onehot(c)). An ignored row has loss 0 and gradient 0. mean=True
    divides the total and the gradient by the sum of w_t over the rows not ignored (NaN and a
    zero gradient if that sum is 0); loss_out always gets the undivided l_i.

    -logp_c = log(sum_k exp(x_k - m)) - (x_c - m) with m = max_k x_k: stable for any finite
    logits, and never log(softmax(x)).
    """
    _check_class_shapes("cross_entropy", x, target, weight, loss_out, grad_out)
    n, n_classes = x.shape
    eps = label_smoothing
    kept, t, w, w_t = _target_weights(target, weight, ignore_index, n_classes)
    shifted = _f64(x) - _f64(x).max(axis=1, keepdims=True, initial=-np.inf)
    exp_shifted = np.exp(shifted)
    sum_exp = exp_shifted.sum(axis=1, keepdims=True)
    log_sum_exp = np.log(sum_exp)[:, 0]
    rows = np.arange(n)
    shifted_t = shifted[rows, t] if n_classes else np.zeros(n)
    loss = (1.0 - eps) * w_t * (log_sum_exp - shifted_t)                # w_t * -logp_t
    if eps > 0:
        smooth = w.sum() * log_sum_exp - shifted @ w                    # sum_c w_c * -logp_c
        loss = loss + (eps / n_classes) * smooth
    loss = np.where(kept, loss, 0.0)
    if grad_out is not None:
        p = exp_shifted / sum_exp
        grad = (1.0 - eps) * w_t[:, None] * p
        grad[rows, t] -= (1.0 - eps) * w_t
        if eps > 0:
            grad += (eps / n_classes) * (w.sum() * p - w)
        grad_out[...] = np.where(kept[:, None], grad, 0.0)
    return _normalise(_store_loss(loss, loss_out), grad_out, w_t, mean)


@np.errstate(invalid="ignore", over="ignore", divide="ignore")
def cross_entropy_probs(x, target, weight, label_smoothing, loss_out, grad_out, scale):
    """Cross-entropy against class probabilities: target (n, C), each row a distribution.
    Smoothed target t' = t (1 - eps) + eps / C; with logp = log_softmax(x_i), p = exp(logp):

        l_i = -sum_c w_c t'_c logp_c
        dl_i/dx_k = p_k sum_c w_c t'_c - w_k t'_k

    The gradient is multiplied by `scale` (1/n for 'mean': the weights do not normalise).
    """
    _check_same_shape("cross_entropy_probs", "x", x, target=target, grad_out=grad_out)
    _check_class_shapes("cross_entropy_probs", x, None, weight, loss_out, None)
    n_classes = x.shape[1]
    eps = label_smoothing
    shifted = _f64(x) - _f64(x).max(axis=1, keepdims=True, initial=-np.inf)
    exp_shifted = np.exp(shifted)
    sum_exp = exp_shifted.sum(axis=1, keepdims=True)
    log_p = shifted - np.log(sum_exp)
    wt = _f64(target) * (1.0 - eps) + eps / n_classes                   # w_c t'_c
    if weight is not None:
        wt = wt * weight
    if grad_out is not None:
        p = exp_shifted / sum_exp
        grad_out[...] = (p * wt.sum(axis=1, keepdims=True) - wt) * scale
    return _store_loss(-(wt * log_p).sum(axis=1), loss_out)


@np.errstate(invalid="ignore")
def nll_loss(logp, target, weight, ignore_index, mean, loss_out, grad_out):
    """Negative log-likelihood of log-probabilities logp (n, C): for a row not ignored,
    l_i = -w_t logp[i, t];  dl_i/dlogp_i = -w_t at column t, 0 elsewhere.
    mean=True normalises by the weight sum as cross_entropy does."""
    _check_class_shapes("nll_loss", logp, target, weight, loss_out, grad_out)
    n, n_classes = logp.shape
    kept, t, w, w_t = _target_weights(target, weight, ignore_index, n_classes)
    rows = np.arange(n)
    logp_t = _f64(logp)[rows, t] if n_classes else np.zeros(n)
    loss = np.where(kept, -w_t * logp_t, 0.0)
    if grad_out is not None:
        grad_out[...] = 0.0
        if n_classes:
            grad_out[rows, t] = -w_t                                    # 0 for ignored rows
    return _normalise(_store_loss(loss, loss_out), grad_out, w_t, mean)


@np.errstate(invalid="ignore", over="ignore")
def multi_margin_loss(x, target, p, margin, weight, loss_out, grad_out, scale):
    """Multi-class hinge (SVM) loss, p in {1, 2}. With t = target[i], for each j != t,
    h_j = margin - x[i, t] + x[i, j]:

        l_i = sum_{j != t, h_j > 0} w_t h_j^p / C
        dl_i/dx[i, j] = w_t p h_j^(p-1) / C  for j != t with h_j > 0;  minus their sum at t.

    Strictly positive hinge: a term exactly at 0 (or NaN, as in torch) adds nothing. h is
    formed in the input's dtype, as torch does, so the terms exactly at 0 are the same.
    """
    _check_class_shapes("multi_margin_loss", x, target, weight, loss_out, grad_out)
    n, n_classes = x.shape
    rows = np.arange(n)
    w_t = np.ones(n) if weight is None else _f64(weight)[target]
    # h in the input's dtype, as torch computes it: the same terms are exactly 0
    h = _f64((x.dtype.type(margin) - x[rows, target])[:, None] + x)
    active = h > 0
    active[rows, target] = False
    h = np.where(active, h, 0.0)
    loss = w_t * (h ** p).sum(axis=1) / n_classes
    if grad_out is not None:
        grad = (w_t * scale / n_classes)[:, None] * np.where(active, p * h ** (p - 1), 0.0)
        grad[rows, target] = -grad.sum(axis=1)
        grad_out[...] = grad
    return _store_loss(loss, loss_out)
