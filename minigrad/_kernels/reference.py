"""The compiled kernels in plain numpy: the twin of each function of _softmax.pyx and _loss.pyx.

Same functions, same arguments, same results to rounding as the compiled kernels.
`MINIGRAD_BACKEND=numpy` makes minigrad call them instead of the Cython ones, and the
kernel tests use them as a second oracle. The math of each (formula and gradient) is in the
docstring of its Function, in minigrad.ops.softmax and minigrad.ops.loss; the compiled
kernel's docstring says what its arguments are. This file is how numpy computes it: whole
arrays at once, where the kernels loop.

Softmax: every function works along the last axis of (n, C) arrays and writes into `out`.
Losses: every one returns the sum of the per-sample losses as a float, and writes the
per-sample losses into `loss_out` and the gradient times `scale` (or normalised like the
sum) into `grad_out`, either of which may be None; without grad_out no gradient is
computed. The arithmetic is done in float64 whatever the arrays' dtype (as the kernels do
it in double) and rounded once, when stored; as in the kernels, a difference that decides a
kink (x - y, margin - y s, margin - x_t + x_j) is formed in the inputs' dtype, as torch
forms it, so that float32 inputs hit the kinks exactly where torch does. The losses made of
exp and log (binary_cross_entropy, its logits form, kl_div) are computed in the inputs'
dtype, as torch and the kernels compute them; their sum is in float64 all the same.

NaN and inf come out as in PyTorch; errstate silences numpy's warnings about them.
"""
import numpy as np


def _check_shapes(func, x_name, x, shape, **arrays):
    """Every array given (None is skipped) has `shape`."""
    for name, a in arrays.items():
        if a is not None and a.shape != shape:
            raise ValueError(f"{func}: {name} has shape {a.shape}, expected {shape} for "
                             f"{x_name} of shape {x.shape}")


# ==== softmax: the twins of _softmax.pyx =======================================================

def _row_max(x):
    """Each row's max, kept as a column (-inf for an empty row)."""
    return x.max(axis=-1, keepdims=True, initial=-np.inf)


@np.errstate(invalid="ignore", over="ignore")
def softmax_forward(x, out):
    """The twin of _softmax.softmax_forward (the max shift keeps exp from overflowing)."""
    _check_shapes("softmax_forward", "x", x, x.shape, out=out)
    np.exp(x - _row_max(x), out=out)
    out /= out.sum(axis=-1, keepdims=True)


@np.errstate(invalid="ignore", over="ignore", divide="ignore")  # divide: log(0) when C == 0
def log_softmax_forward(x, out):
    """The twin of _softmax.log_softmax_forward: (x - max) - log(sum(exp(x - max))), never
    log(softmax(x))."""
    _check_shapes("log_softmax_forward", "x", x, x.shape, out=out)
    shifted = x - _row_max(x)
    np.subtract(shifted, np.log(np.exp(shifted).sum(axis=-1, keepdims=True)), out=out)


@np.errstate(invalid="ignore")
def softmax_backward(y, grad, out):
    """The twin of _softmax.softmax_backward: one dot product per row, no Jacobian."""
    _check_shapes("softmax_backward", "y", y, y.shape, grad=grad, out=out)
    np.multiply(y, grad - (grad * y).sum(axis=-1, keepdims=True), out=out)


@np.errstate(invalid="ignore")
def log_softmax_backward(y, grad, out):
    """The twin of _softmax.log_softmax_backward."""
    _check_shapes("log_softmax_backward", "y", y, y.shape, grad=grad, out=out)
    np.subtract(grad, np.exp(y) * grad.sum(axis=-1, keepdims=True), out=out)


# ==== the losses: the twins of _loss.pyx =======================================================

def _f64(a):
    """`a` as float64 (no copy if it already is)."""
    return np.asarray(a, dtype=np.float64)


def _store(loss, loss_out):
    """Write the per-sample losses into loss_out (if given); return their sum (in float64) as a float."""
    if loss_out is not None:
        loss_out[...] = loss
    return float(loss.sum(dtype=np.float64))


def _sign(z):
    """-1, 0 or +1; 0 for NaN, as torch.sign (np.sign would give NaN)."""
    return (z > 0).astype(np.float64) - (z < 0)


def _error(x, y):
    """z = x - y, formed in the inputs' dtype (see the top), then in float64."""
    return _f64(np.subtract(x, y, dtype=x.dtype))


@np.errstate(invalid="ignore", over="ignore")
def mse_loss(x, y, loss_out, grad_out, scale):
    """The twin of _loss.mse_loss."""
    _check_shapes("mse_loss", "x", x, x.shape, target=y, loss_out=loss_out,
                  grad_out=grad_out)
    z = _error(x, y)
    if grad_out is not None:
        grad_out[...] = 2.0 * z * scale
    return _store(z * z, loss_out)


@np.errstate(invalid="ignore")
def l1_loss(x, y, loss_out, grad_out, scale):
    """The twin of _loss.l1_loss."""
    _check_shapes("l1_loss", "x", x, x.shape, target=y, loss_out=loss_out,
                  grad_out=grad_out)
    z = _error(x, y)
    if grad_out is not None:
        grad_out[...] = _sign(z) * scale
    return _store(np.abs(z), loss_out)


@np.errstate(invalid="ignore", over="ignore")
def huber_loss(x, y, delta, loss_out, grad_out, scale):
    """The twin of _loss.huber_loss."""
    _check_shapes("huber_loss", "x", x, x.shape, target=y, loss_out=loss_out,
                  grad_out=grad_out)
    z = _error(x, y)
    outside = np.abs(z) >= delta  # false for NaN: NaN flows through z, as in torch
    if grad_out is not None:
        grad_out[...] = np.where(outside, delta * _sign(z), z) * scale
    return _store(np.where(outside, delta * (np.abs(z) - 0.5 * delta), 0.5 * z * z), loss_out)


@np.errstate(invalid="ignore", over="ignore", divide="ignore")
def smooth_l1_loss(x, y, beta, loss_out, grad_out, scale):
    """The twin of _loss.smooth_l1_loss: beta = 0 runs l1_loss, as torch does."""
    _check_shapes("smooth_l1_loss", "x", x, x.shape, target=y, loss_out=loss_out,
                  grad_out=grad_out)
    if beta == 0:
        return l1_loss(x, y, loss_out, grad_out, scale)
    z = _error(x, y)
    outside = np.abs(z) >= beta  # false for NaN, as in huber_loss
    if grad_out is not None:
        grad_out[...] = np.where(outside, _sign(z), z / beta) * scale
    return _store(np.where(outside, np.abs(z) - 0.5 * beta, 0.5 * z * z / beta), loss_out)


BCE_EPSILON = float(np.float32(1e-12))  # the floor of p (1 - p) in the BCE gradient (torch's)


@np.errstate(invalid="ignore", divide="ignore")
def binary_cross_entropy(p, y, weight, loss_out, grad_out, scale):
    """The twin of _loss.binary_cross_entropy. torch's clamps; its 1e-12 is a float32
    constant (9.99999996e-13 in double), so the clamped gradient agrees with torch's to the
    last bit in float64 too; log(1 - p) is log1p(-p), as in torch."""
    _check_shapes("binary_cross_entropy", "p", p, p.shape, target=y, weight=weight,
                  loss_out=loss_out, grad_out=grad_out)
    dtype = p.dtype.type  # the arithmetic is in the inputs' dtype (see the top)
    w = dtype(1) if weight is None else weight
    if grad_out is not None:
        grad_out[...] = (p - y) / np.maximum(p * (1 - p), dtype(BCE_EPSILON)) * w * dtype(scale)
    loss = (y - 1) * np.maximum(np.log1p(-p), -100) - y * np.maximum(np.log(p), -100)
    return _store(loss * w, loss_out)


@np.errstate(invalid="ignore", over="ignore")
def binary_cross_entropy_with_logits(x, y, weight, pos_weight, loss_out, grad_out, scale):
    """The twin of _loss.binary_cross_entropy_with_logits: z = exp(-|x|) is in (0, 1], so
    no exp overflows."""
    _check_shapes("binary_cross_entropy_with_logits", "x", x, x.shape, target=y,
                  weight=weight, pos_weight=pos_weight, loss_out=loss_out,
                  grad_out=grad_out)
    dtype = x.dtype.type  # the arithmetic is in the inputs' dtype (see the top)
    w = dtype(1) if weight is None else weight
    pw = dtype(1) if pos_weight is None else pos_weight
    # c: the kernel's c_loss and c_grad, as torch writes each; exactly 1 without pos_weight
    # ((1 - 1) inf is NaN)
    c_loss = dtype(1) if pos_weight is None else 1 + (pw - 1) * y
    c_grad = dtype(1) if pos_weight is None else pw * y + 1 - y
    z = np.exp(-np.abs(x))
    if grad_out is not None:
        sigmoid = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
        grad_out[...] = w * (c_grad * sigmoid - pw * y) * dtype(scale)
    log_sigmoid = np.minimum(x, 0) - np.log1p(z)
    return _store(w * ((1 - y) * x - c_loss * log_sigmoid), loss_out)


@np.errstate(invalid="ignore", over="ignore", divide="ignore")
def kl_div(x, t, log_target, loss_out, grad_out, scale):
    """The twin of _loss.kl_div: 0 log 0 = 0, as torch.xlogy."""
    _check_shapes("kl_div", "x", x, x.shape, target=t, loss_out=loss_out, grad_out=grad_out)
    dtype = x.dtype.type  # the arithmetic is in the inputs' dtype (see the top)
    if log_target:
        exp_t = np.exp(t)
        if grad_out is not None:
            grad_out[...] = -exp_t * dtype(scale)
        return _store(exp_t * (t - x), loss_out)
    if grad_out is not None:
        grad_out[...] = -t * dtype(scale)
    t_log_t = np.where(t == 0, dtype(0), t * np.log(t))  # NaN stays NaN: NaN == 0 is False
    return _store(t_log_t - t * x, loss_out)


@np.errstate(invalid="ignore")
def hinge_loss(s, y, margin, loss_out, grad_out, scale):
    """The twin of _loss.hinge_loss: torch.relu's rule, so a NaN h passes the gradient -y
    (NaN <= 0 is false) and h = 0 gives 0."""
    _check_shapes("hinge_loss", "s", s, s.shape, target=y, loss_out=loss_out,
                  grad_out=grad_out)
    h = _f64(s.dtype.type(margin) - y * s)  # in the input's dtype: the same kink as torch
    flat = h <= 0
    if grad_out is not None:
        grad_out[...] = np.where(flat, 0.0, -_f64(y)) * scale
    return _store(np.where(flat, 0.0, h), loss_out)


def _check_classes(func, x, target, weight, loss_out, grad_out):
    """x (n, C); target (n,); weight (C,); loss_out (n,); grad_out (n, C)."""
    n, n_classes = x.shape
    _check_shapes(func, "x", x, (n,), target=target, loss_out=loss_out)
    _check_shapes(func, "x", x, (n_classes,), weight=weight)
    _check_shapes(func, "x", x, x.shape, grad_out=grad_out)


def _target_weights(target, weight, ignore_index, n_classes):
    """(kept, t, w, w_t): which rows count, their target (0 where ignored), the class
    weights, and the weight of each row's target class (0 where ignored)."""
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


def _log_softmax_parts(x):
    """(x - max, exp(x - max), their row sums) in float64: the log-softmax of each row is
    shifted - log(sum_exp), its softmax exp_shifted / sum_exp."""
    shifted = _f64(x) - _row_max(_f64(x))
    exp_shifted = np.exp(shifted)
    return shifted, exp_shifted, exp_shifted.sum(axis=1, keepdims=True)


@np.errstate(invalid="ignore", over="ignore", divide="ignore")
def cross_entropy(x, target, weight, ignore_index, label_smoothing, mean, loss_out, grad_out):
    """The twin of _loss.cross_entropy: -logp_c = log_sum_exp - (x_c - max), never
    log(softmax(x))."""
    _check_classes("cross_entropy", x, target, weight, loss_out, grad_out)
    n, n_classes = x.shape
    eps = label_smoothing
    kept, t, w, w_t = _target_weights(target, weight, ignore_index, n_classes)
    shifted, exp_shifted, sum_exp = _log_softmax_parts(x)
    log_sum_exp = np.log(sum_exp)[:, 0]
    rows = np.arange(n)
    shifted_t = shifted[rows, t] if n_classes else np.zeros(n)
    loss = (1.0 - eps) * w_t * (log_sum_exp - shifted_t)                # w_t * -logp_t
    if eps > 0:
        smooth = w.sum() * log_sum_exp - shifted @ w                    # sum_c w_c * -logp_c
        loss = loss + (eps / n_classes) * smooth
    if grad_out is not None:
        p = exp_shifted / sum_exp
        grad = (1.0 - eps) * w_t[:, None] * p
        grad[rows, t] -= (1.0 - eps) * w_t
        if eps > 0:
            grad += (eps / n_classes) * (w.sum() * p - w)
        grad_out[...] = np.where(kept[:, None], grad, 0.0)
    return _normalise(_store(np.where(kept, loss, 0.0), loss_out), grad_out, w_t, mean)


@np.errstate(invalid="ignore", over="ignore", divide="ignore")
def cross_entropy_probs(x, target, weight, label_smoothing, loss_out, grad_out, scale):
    """The twin of _loss.cross_entropy_probs."""
    _check_shapes("cross_entropy_probs", "x", x, x.shape, target=target)
    _check_classes("cross_entropy_probs", x, None, weight, loss_out, grad_out)
    n_classes = x.shape[1]
    shifted, exp_shifted, sum_exp = _log_softmax_parts(x)
    wt = _f64(target) * (1.0 - label_smoothing) + label_smoothing / n_classes  # t'_c
    if weight is not None:
        wt = wt * weight                                                       # w_c t'_c
    loss = -(wt * (shifted - np.log(sum_exp))).sum(axis=1)
    if grad_out is not None:
        p = exp_shifted / sum_exp
        grad_out[...] = (p * wt.sum(axis=1, keepdims=True) - wt) * scale
    return _store(loss, loss_out)


@np.errstate(invalid="ignore")
def nll_loss(logp, target, weight, ignore_index, mean, loss_out, grad_out):
    """The twin of _loss.nll_loss."""
    _check_classes("nll_loss", logp, target, weight, loss_out, grad_out)
    n, n_classes = logp.shape
    kept, t, w, w_t = _target_weights(target, weight, ignore_index, n_classes)
    rows = np.arange(n)
    logp_t = _f64(logp)[rows, t] if n_classes else np.zeros(n)
    if grad_out is not None:  # written in place: all but one entry per row are 0
        grad_out[...] = 0.0
        if n_classes:
            grad_out[rows, t] = -w_t                                    # 0 for ignored rows
    total = _store(np.where(kept, -w_t * logp_t, 0.0), loss_out)
    return _normalise(total, grad_out, w_t, mean)


@np.errstate(invalid="ignore", over="ignore")
def multi_margin_loss(x, target, p, margin, weight, loss_out, grad_out, scale):
    """The twin of _loss.multi_margin_loss: h is formed in the input's dtype, as torch does,
    so the same terms are exactly 0 (and add nothing, as NaN ones)."""
    _check_classes("multi_margin_loss", x, target, weight, loss_out, grad_out)
    n, n_classes = x.shape
    rows = np.arange(n)
    w_t = np.ones(n) if weight is None else _f64(weight)[target]
    h = _f64((x.dtype.type(margin) - x[rows, target])[:, None] + x)
    active = h > 0
    active[rows, target] = False
    h = np.where(active, h, 0.0)
    if grad_out is not None:
        grad = (w_t * scale / n_classes)[:, None] * np.where(active, p * h ** (p - 1), 0.0)
        grad[rows, target] = -grad.sum(axis=1)
        grad_out[...] = grad
    return _store(w_t * (h ** p).sum(axis=1) / n_classes, loss_out)
