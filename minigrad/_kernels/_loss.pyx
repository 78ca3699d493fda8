# cython: language_level=3, cdivision=True
# boundscheck / wraparound / initializedcheck come from setup.py, so MINIGRAD_CYTHON_DEBUG=1 can turn them on
"""Every loss, with its gradient, in one pass over the data.

Each `def` kernel computes, for every sample, the loss and its derivative with respect to
the first input (the prediction), and returns

    total     a Python float: the sum of the per-sample losses, accumulated in double
              (cross_entropy and nll_loss with mean=True divide it by the weight sum)
    loss_out  # OUT, or None: the per-sample losses, unscaled
    grad_out  # OUT, or None: the gradient, times `scale` (or normalised like `total`)

When grad_out is None no gradient is computed: the loss-only path (under no_grad, or when
no input needs a gradient). Inputs, marked `# IN`, are C-contiguous float32 or float64
(`floating`: one dtype for every float array of a call) and may be read-only (`const`);
class indices are int64. The Python wrapper (nn/functional.py) has validated them: equal
shapes, labels in [0, C) or equal to ignore_index. The kernels run without bounds checks,
so they check the shapes once more before their loop and raise ValueError on a mismatch.

The math of one sample is a `cdef inline ... noexcept nogil` helper working in double; the
`def` kernels are loops over samples (or rows) inside `with nogil:`. Two exceptions follow
torch on purpose: a difference that decides a kink (x - y, margin - y s, margin - x_t + x_j)
is formed in the inputs' dtype, so float32 inputs hit the kinks where torch does; and the
entries of cross_entropy's rows (exp, the gradient) are computed in the array's dtype, as in
_softmax.pyx, with the sums and the loss in double. The numpy twin of each kernel, with the
same signature, is in reference.py.

Element-wise losses keep each chunk's losses in a small double array and sum it
afterwards: a loop that also adds into one running total cannot be vectorised, since
reordering the additions would change the sum.
"""
from cython cimport floating
from cython.view cimport array as cython_array
from libc.math cimport NAN, exp, fabs, log, log1p
from libc.stdint cimport int64_t

from minigrad._kernels._math cimport (exp_inplace, exp_shifted, fill_zero, row_max, row_sum,
                                      shift_by_max, sign)

cdef enum:
    CHUNK = 256     # samples per chunk of an element-wise loss (their losses: 2 KiB of doubles)
    BLOCK = 2048    # entries per block of rows in cross_entropy (8 or 16 KiB: stays in L1)
    LONG_ROW = 128  # from this many classes on, cross_entropy's exp runs row by row

cdef double BCE_EPSILON = <float> 1e-12  # floor of p (1 - p) in BCE's gradient: torch's float

ctypedef struct LossGrad:             # what a per-sample helper returns
    double loss
    double grad


# ---- shape checks (before any loop: the loops trust the shapes) ------------------------------

cdef int _check_length(str func, str name, Py_ssize_t length, Py_ssize_t n) except -1:
    if length != n:
        raise ValueError(f"{func}: {name} has length {length} but the input has length {n}")
    return 0


cdef Py_ssize_t _check_elementwise(str func, const floating[::1] x, const floating[::1] y,
                                   floating[::1] loss_out, floating[::1] grad_out) except -1:
    """x, y, loss_out and grad_out (the last two may be None) have one length; returns it."""
    cdef Py_ssize_t n = x.shape[0]
    _check_length(func, "target", y.shape[0], n)
    if loss_out is not None:
        _check_length(func, "loss_out", loss_out.shape[0], n)
    if grad_out is not None:
        _check_length(func, "grad_out", grad_out.shape[0], n)
    return n


cdef int _check_classes(str func, const floating[:, ::1] x, Py_ssize_t n_targets,
                        const floating[::1] weight, floating[::1] loss_out,
                        floating[:, ::1] grad_out) except -1:
    """x (n, C); n_targets == n; weight (C,), loss_out (n,), grad_out (n, C), or None."""
    cdef Py_ssize_t n = x.shape[0], n_classes = x.shape[1]
    _check_length(func, "target", n_targets, n)
    if weight is not None and weight.shape[0] != n_classes:
        raise ValueError(f"{func}: weight has length {weight.shape[0]} but there are "
                         f"{n_classes} classes")
    if loss_out is not None:
        _check_length(func, "loss_out", loss_out.shape[0], n)
    if grad_out is not None and (grad_out.shape[0] != n or grad_out.shape[1] != n_classes):
        raise ValueError(f"{func}: grad_out has shape ({grad_out.shape[0]}, "
                         f"{grad_out.shape[1]}) but x has shape ({n}, {n_classes})")
    return 0


cdef inline double _flush(const double* losses, Py_ssize_t m, floating[::1] loss_out,
                          Py_ssize_t start, bint want_loss) noexcept nogil:
    """Copy a chunk's m losses to loss_out[start:start + m] (if wanted); return their sum."""
    cdef Py_ssize_t k
    cdef double s0 = 0.0, s1 = 0.0
    if want_loss:
        for k in range(m):
            loss_out[start + k] = <floating> losses[k]
    for k in range(0, m - 1, 2):  # two running sums: twice as many additions in flight
        s0 += losses[k]
        s1 += losses[k + 1]
    if m % 2:
        s0 += losses[m - 1]
    return s0 + s1


# ---- element-wise losses: one sample -------------------------------------------------------
# Each returns the loss and its derivative with respect to the prediction. The regression
# losses take the error z = x - y, which the kernels form in the inputs' dtype, as torch does:
# the kinks (z = 0, |z| = delta) then fall exactly where torch's do, also in float32.

cdef inline LossGrad _mse(double z) noexcept nogil:
    """l = z^2;  dl/dx = 2 z, z = x - y."""
    return LossGrad(z * z, 2.0 * z)


cdef inline LossGrad _l1(double z) noexcept nogil:
    """l = |z|;  dl/dx = sign(z): 0 at z == 0, and for NaN (as torch)."""
    return LossGrad(fabs(z), sign(z))


cdef inline LossGrad _huber(double z, double delta) noexcept nogil:
    """l = z^2 / 2 if |z| < delta else delta (|z| - delta / 2), z = x - y;
    dl/dx = z, or delta sign(z) where |z| >= delta (+-delta at the joint; NaN for NaN)."""
    cdef double a = fabs(z)
    cdef bint outside = a >= delta  # false for NaN: NaN flows through z
    # Both sides computed, one selected: no branch to mispredict, and a loop the compiler
    # can vectorise (the sides are a few flops; a wrong guess costs more).
    return LossGrad(delta * (a - 0.5 * delta) if outside else 0.5 * z * z,
                    delta * sign(z) if outside else z)


cdef inline LossGrad _smooth_l1(double z, double beta) noexcept nogil:
    """l = z^2 / (2 beta) if |z| < beta else |z| - beta / 2, z = x - y;
    dl/dx = z / beta, or sign(z) where |z| >= beta. The caller sends beta == 0 to _l1."""
    cdef double a = fabs(z)
    cdef bint outside = a >= beta  # branch-free, as _huber
    return LossGrad(a - 0.5 * beta if outside else 0.5 * z * z / beta,
                    sign(z) if outside else z / beta)


cdef inline LossGrad _bce(double p, double y, double w) noexcept nogil:
    """l = -w (y max(log p, -100) + (1 - y) max(log(1 - p), -100));
    dl/dp = w (p - y) / max(p (1 - p), 1e-12)."""
    cdef double log_p = log(p), log_1mp = log1p(-p), d = p * (1.0 - p)
    if log_p < -100.0:  # clamps written so that NaN passes, as torch's std::max
        log_p = -100.0
    if log_1mp < -100.0:
        log_1mp = -100.0
    if d < BCE_EPSILON:
        d = BCE_EPSILON
    return LossGrad(((y - 1.0) * log_1mp - y * log_p) * w, (p - y) / d * w)


cdef inline LossGrad _bce_logits(double x, double y, double w, double pw,
                                 bint has_pos_weight) noexcept nogil:
    """With c = 1 + (pw - 1) y:  l = w ((1 - y) x - c log_sigmoid(x));
    dl/dx = w (c sigmoid(x) - pw y).

    z = exp(-|x|) is in (0, 1] for any x: log_sigmoid(x) = min(x, 0) - log1p(z) and
    sigmoid(x) = 1 / (1 + z) (x >= 0) or z / (1 + z) (x < 0) never overflow.
    Without pos_weight c is exactly 1, as in torch: (1 - 1) y would be NaN for y = +-inf.
    """
    cdef double z = exp(-fabs(x))
    cdef double c = 1.0 + (pw - 1.0) * y if has_pos_weight else 1.0
    cdef double log_sigmoid = (x if x < 0 else 0.0) - log1p(z)
    cdef double sigmoid = (1.0 if x >= 0 else z) / (1.0 + z)
    return LossGrad(w * ((1.0 - y) * x - c * log_sigmoid), w * (c * sigmoid - pw * y))


cdef inline LossGrad _kl(double x, double t) noexcept nogil:
    """x = log q:  l = t log t - t x (0 log 0 = 0, torch.xlogy);  dl/dx = -t.
    A negative or NaN target gives NaN (t log t), as in torch."""
    cdef double t_log_t = 0.0 if t == 0 else t * log(t)
    return LossGrad(t_log_t - t * x, -t)


cdef inline LossGrad _kl_log_target(double x, double t) noexcept nogil:
    """x = log q, t = log p:  l = exp(t) (t - x);  dl/dx = -exp(t)."""
    cdef double p = exp(t)
    return LossGrad(p * (t - x), -p)


cdef inline LossGrad _hinge(double h, double y) noexcept nogil:
    """h = margin - y s (formed by the caller in the input's dtype):  l = relu(h) = max(0, h);
    dl/ds = -y where h > 0, else 0. Exactly torch.relu's rule: 0 at 0, and for NaN the
    loss is NaN and the gradient passes (-y)."""
    if h <= 0:  # false for NaN
        return LossGrad(0.0, 0.0)
    return LossGrad(h, -y)


# ---- element-wise losses: the kernels --------------------------------------------------------
# Each kernel: chunks of CHUNK samples; per chunk, one loop stores the losses in `losses`
# (and the gradient in grad_out), then _flush sums them and copies them to loss_out.

def mse_loss(const floating[::1] x,   # IN  (n,) prediction
             const floating[::1] y,   # IN  (n,) target
             floating[::1] loss_out,  # OUT (n,) (x - y)^2, or None
             floating[::1] grad_out,  # OUT (n,) 2 (x - y) * scale, or None
             double scale):
    """Squared error: l_i = (x_i - y_i)^2;  dl_i/dx_i = 2 (x_i - y_i). Returns sum_i l_i."""
    cdef Py_ssize_t n = _check_elementwise("mse_loss", x, y, loss_out, grad_out)
    cdef bint want_loss = loss_out is not None, want_grad = grad_out is not None
    cdef Py_ssize_t chunk, start, i, m
    cdef double total = 0.0
    cdef double losses[CHUNK]
    cdef LossGrad r
    with nogil:
        for chunk in range((n + CHUNK - 1) // CHUNK):
            start = chunk * CHUNK
            m = min(<Py_ssize_t> CHUNK, n - start)
            if want_grad:
                for i in range(m):
                    r = _mse(x[start + i] - y[start + i])
                    losses[i] = r.loss
                    grad_out[start + i] = <floating> (r.grad * scale)
            else:
                for i in range(m):
                    losses[i] = _mse(x[start + i] - y[start + i]).loss
            total += _flush(losses, m, loss_out, start, want_loss)
    return total


def l1_loss(const floating[::1] x,   # IN  (n,) prediction
            const floating[::1] y,   # IN  (n,) target
            floating[::1] loss_out,  # OUT (n,) |x - y|, or None
            floating[::1] grad_out,  # OUT (n,) sign(x - y) * scale, or None
            double scale):
    """Absolute error: l_i = |x_i - y_i|;  dl_i/dx_i = sign(x_i - y_i), 0 where x_i == y_i
    (as torch; scikit-learn's is -1 there). Returns sum_i l_i."""
    cdef Py_ssize_t n = _check_elementwise("l1_loss", x, y, loss_out, grad_out)
    cdef bint want_loss = loss_out is not None, want_grad = grad_out is not None
    cdef Py_ssize_t chunk, start, i, m
    cdef double total = 0.0
    cdef double losses[CHUNK]
    cdef LossGrad r
    with nogil:
        for chunk in range((n + CHUNK - 1) // CHUNK):
            start = chunk * CHUNK
            m = min(<Py_ssize_t> CHUNK, n - start)
            if want_grad:
                for i in range(m):
                    r = _l1(x[start + i] - y[start + i])
                    losses[i] = r.loss
                    grad_out[start + i] = <floating> (r.grad * scale)
            else:
                for i in range(m):
                    losses[i] = _l1(x[start + i] - y[start + i]).loss
            total += _flush(losses, m, loss_out, start, want_loss)
    return total


def huber_loss(const floating[::1] x,   # IN  (n,) prediction
               const floating[::1] y,   # IN  (n,) target
               double delta,            # IN  > 0 (the wrapper checks)
               floating[::1] loss_out,  # OUT (n,) per-sample loss, or None
               floating[::1] grad_out,  # OUT (n,) gradient * scale, or None
               double scale):
    """Huber loss, with z = x - y:
    l = z^2 / 2 if |z| < delta else delta (|z| - delta / 2);
    dl/dx = z if |z| < delta else delta sign(z) (+-delta at |z| = delta). Returns sum_i l_i.
    huber(delta) = delta * smooth_l1(beta=delta).
    """
    cdef Py_ssize_t n = _check_elementwise("huber_loss", x, y, loss_out, grad_out)
    cdef bint want_loss = loss_out is not None, want_grad = grad_out is not None
    cdef Py_ssize_t chunk, start, i, m
    cdef double total = 0.0
    cdef double losses[CHUNK]
    cdef LossGrad r
    with nogil:
        for chunk in range((n + CHUNK - 1) // CHUNK):
            start = chunk * CHUNK
            m = min(<Py_ssize_t> CHUNK, n - start)
            if want_grad:
                for i in range(m):
                    r = _huber(x[start + i] - y[start + i], delta)
                    losses[i] = r.loss
                    grad_out[start + i] = <floating> (r.grad * scale)
            else:
                for i in range(m):
                    losses[i] = _huber(x[start + i] - y[start + i], delta).loss
            total += _flush(losses, m, loss_out, start, want_loss)
    return total


def smooth_l1_loss(const floating[::1] x,   # IN  (n,) prediction
                   const floating[::1] y,   # IN  (n,) target
                   double beta,             # IN  >= 0 (the wrapper checks)
                   floating[::1] loss_out,  # OUT (n,) per-sample loss, or None
                   floating[::1] grad_out,  # OUT (n,) gradient * scale, or None
                   double scale):
    """Smooth L1 loss, with z = x - y:
    l = z^2 / (2 beta) if |z| < beta else |z| - beta / 2;
    dl/dx = z / beta if |z| < beta else sign(z). Returns sum_i l_i.
    beta = 0 is exactly l1_loss (as torch, which calls l1_loss then): no division by 0.
    """
    if beta == 0:
        return l1_loss(x, y, loss_out, grad_out, scale)
    cdef Py_ssize_t n = _check_elementwise("smooth_l1_loss", x, y, loss_out, grad_out)
    cdef bint want_loss = loss_out is not None, want_grad = grad_out is not None
    cdef Py_ssize_t chunk, start, i, m
    cdef double total = 0.0
    cdef double losses[CHUNK]
    cdef LossGrad r
    with nogil:
        for chunk in range((n + CHUNK - 1) // CHUNK):
            start = chunk * CHUNK
            m = min(<Py_ssize_t> CHUNK, n - start)
            if want_grad:
                for i in range(m):
                    r = _smooth_l1(x[start + i] - y[start + i], beta)
                    losses[i] = r.loss
                    grad_out[start + i] = <floating> (r.grad * scale)
            else:
                for i in range(m):
                    losses[i] = _smooth_l1(x[start + i] - y[start + i], beta).loss
            total += _flush(losses, m, loss_out, start, want_loss)
    return total


def binary_cross_entropy(const floating[::1] p,       # IN  (n,) probabilities in [0, 1]
                         const floating[::1] y,       # IN  (n,) targets in [0, 1]
                         const floating[::1] weight,  # IN  (n,) or None (all 1)
                         floating[::1] loss_out,      # OUT (n,) per-sample loss, or None
                         floating[::1] grad_out,      # OUT (n,) gradient * scale, or None
                         double scale):
    """Binary cross-entropy of probabilities:
    l = -w (y max(log p, -100) + (1 - y) max(log(1 - p), -100));
    dl/dp = w (p - y) / max(p (1 - p), 1e-12). Returns sum_i l_i.

    The clamps are PyTorch's: at p = 0 or 1 the loss is at most 100 per sample and the
    gradient at most about 1e12 (torch's 1e-12 is a float32 constant, and so is ours).
    log(1 - p) is log1p(-p), as in torch.
    """
    cdef Py_ssize_t n = _check_elementwise("binary_cross_entropy", p, y, loss_out, grad_out)
    cdef bint has_weight = weight is not None
    if has_weight:
        _check_length("binary_cross_entropy", "weight", weight.shape[0], n)
    cdef bint want_loss = loss_out is not None, want_grad = grad_out is not None
    cdef Py_ssize_t chunk, start, i, m
    cdef double total = 0.0
    cdef double losses[CHUNK]
    cdef LossGrad r
    with nogil:
        for chunk in range((n + CHUNK - 1) // CHUNK):
            start = chunk * CHUNK
            m = min(<Py_ssize_t> CHUNK, n - start)
            if want_grad:
                for i in range(m):
                    r = _bce(p[start + i], y[start + i],
                             weight[start + i] if has_weight else 1.0)
                    losses[i] = r.loss
                    grad_out[start + i] = <floating> (r.grad * scale)
            else:
                for i in range(m):
                    losses[i] = _bce(p[start + i], y[start + i],
                                     weight[start + i] if has_weight else 1.0).loss
            total += _flush(losses, m, loss_out, start, want_loss)
    return total


def binary_cross_entropy_with_logits(
        const floating[::1] x,           # IN  (n,) logits
        const floating[::1] y,           # IN  (n,) targets in [0, 1]
        const floating[::1] weight,      # IN  (n,) or None (all 1)
        const floating[::1] pos_weight,  # IN  (n,) or None (all 1)
        floating[::1] loss_out,          # OUT (n,) per-sample loss, or None
        floating[::1] grad_out,          # OUT (n,) gradient * scale, or None
        double scale):
    """Binary cross-entropy of sigmoid(x), from the logit x; with c = 1 + (pw - 1) y:
    l = w ((1 - y) x - c log_sigmoid(x));  dl/dx = w (c sigmoid(x) - pw y).
    Returns sum_i l_i. Finite for every finite logit (log_sigmoid never takes exp of a
    positive number); pos_weight pw scales the loss of the positive class.
    """
    cdef Py_ssize_t n = _check_elementwise("binary_cross_entropy_with_logits", x, y,
                                           loss_out, grad_out)
    cdef bint has_weight = weight is not None, has_pos_weight = pos_weight is not None
    if has_weight:
        _check_length("binary_cross_entropy_with_logits", "weight", weight.shape[0], n)
    if has_pos_weight:
        _check_length("binary_cross_entropy_with_logits", "pos_weight", pos_weight.shape[0], n)
    cdef bint want_loss = loss_out is not None, want_grad = grad_out is not None
    cdef Py_ssize_t chunk, start, i, m
    cdef double total = 0.0
    cdef double losses[CHUNK]
    cdef LossGrad r
    with nogil:
        for chunk in range((n + CHUNK - 1) // CHUNK):
            start = chunk * CHUNK
            m = min(<Py_ssize_t> CHUNK, n - start)
            if want_grad:
                for i in range(m):
                    r = _bce_logits(x[start + i], y[start + i],
                                    weight[start + i] if has_weight else 1.0,
                                    pos_weight[start + i] if has_pos_weight else 1.0,
                                    has_pos_weight)
                    losses[i] = r.loss
                    grad_out[start + i] = <floating> (r.grad * scale)
            else:
                for i in range(m):
                    losses[i] = _bce_logits(x[start + i], y[start + i],
                                            weight[start + i] if has_weight else 1.0,
                                            pos_weight[start + i] if has_pos_weight else 1.0,
                                            has_pos_weight).loss
            total += _flush(losses, m, loss_out, start, want_loss)
    return total


def kl_div(const floating[::1] x,   # IN  (n,) log-probabilities log q
           const floating[::1] t,   # IN  (n,) target p (or log p if log_target)
           bint log_target,
           floating[::1] loss_out,  # OUT (n,) per-sample loss, or None
           floating[::1] grad_out,  # OUT (n,) gradient * scale, or None
           double scale):
    """Kullback-Leibler divergence, pointwise, with x = log q:
    log_target False:  l = t log t - t x (0 log 0 = 0, as torch.xlogy);  dl/dx = -t;
    log_target True:   l = exp(t) (t - x);                                dl/dx = -exp(t).
    Returns sum_i l_i. A negative or NaN target gives NaN (t log t), as in torch.
    """
    cdef Py_ssize_t n = _check_elementwise("kl_div", x, t, loss_out, grad_out)
    cdef bint want_loss = loss_out is not None, want_grad = grad_out is not None
    cdef Py_ssize_t chunk, start, i, m
    cdef double total = 0.0
    cdef double losses[CHUNK]
    cdef LossGrad r
    with nogil:
        for chunk in range((n + CHUNK - 1) // CHUNK):
            start = chunk * CHUNK
            m = min(<Py_ssize_t> CHUNK, n - start)
            if log_target:
                for i in range(m):
                    r = _kl_log_target(x[start + i], t[start + i])
                    losses[i] = r.loss
                    if want_grad:
                        grad_out[start + i] = <floating> (r.grad * scale)
            else:
                for i in range(m):
                    r = _kl(x[start + i], t[start + i])
                    losses[i] = r.loss
                    if want_grad:
                        grad_out[start + i] = <floating> (r.grad * scale)
            total += _flush(losses, m, loss_out, start, want_loss)
    return total


def hinge_loss(const floating[::1] s,   # IN  (n,) scores
               const floating[::1] y,   # IN  (n,) labels in {-1, +1}
               double margin,
               floating[::1] loss_out,  # OUT (n,) per-sample loss, or None
               floating[::1] grad_out,  # OUT (n,) gradient * scale, or None
               double scale):
    """Binary SVM hinge loss, h = margin - y s:  l = max(0, h);
    dl/ds = -y where h > 0, else 0 (0 exactly at the margin, as torch.relu at 0).
    Returns sum_i l_i. As torch.relu(h), a NaN score gives loss NaN and gradient -y.
    """
    cdef Py_ssize_t n = _check_elementwise("hinge_loss", s, y, loss_out, grad_out)
    cdef floating margin_ = <floating> margin
    cdef bint want_loss = loss_out is not None, want_grad = grad_out is not None
    cdef Py_ssize_t chunk, start, i, m
    cdef double total = 0.0
    cdef double losses[CHUNK]
    cdef LossGrad r
    with nogil:
        for chunk in range((n + CHUNK - 1) // CHUNK):
            start = chunk * CHUNK
            m = min(<Py_ssize_t> CHUNK, n - start)
            if want_grad:
                for i in range(m):
                    r = _hinge(margin_ - y[start + i] * s[start + i], y[start + i])
                    losses[i] = r.loss
                    grad_out[start + i] = <floating> (r.grad * scale)
            else:
                for i in range(m):
                    losses[i] = _hinge(margin_ - y[start + i] * s[start + i], y[start + i]).loss
            total += _flush(losses, m, loss_out, start, want_loss)
    return total


# ---- class losses: one row -------------------------------------------------------------------

cdef inline double _target_weight_sum(const int64_t[::1] target, const floating[::1] weight,
                                      bint has_weight, int64_t ignore_index) noexcept nogil:
    """sum over rows not ignored of w[target[i]] (their count without weights): what
    mean=True divides by."""
    cdef Py_ssize_t i
    cdef double norm = 0.0
    for i in range(target.shape[0]):
        if target[i] != ignore_index:
            norm += weight[target[i]] if has_weight else 1.0
    return norm


cdef inline double _shifted_weighted_sum(const floating[::1] x, double m,
                                         const floating[::1] weight,
                                         bint has_weight) noexcept nogil:
    """sum_c w_c (x_c - m), with w_c = 1 without weights. With m = max(x) and
    logp_c = (x_c - m) - log(sum exp), this is the smoothing term: sum_c w_c (-logp_c)
    = W log(sum exp) - sum_c w_c (x_c - m). Each x_c - m is formed first, so logits of
    1e30 lose no digits."""
    cdef Py_ssize_t c
    cdef double s = 0.0
    if has_weight:
        for c in range(x.shape[0]):
            s += weight[c] * (x[c] - m)
    else:
        for c in range(x.shape[0]):
            s += x[c] - m
    return s


cdef inline void _ce_row_grad(floating[::1] g, Py_ssize_t t, double sum_exp,
                              double per_class, double to_target, double w_t, double w_rest,
                              const floating[::1] weight, bint has_weight) noexcept nogil:
    """g holds e = exp(x - max) on entry, and the gradient of the row's loss on exit.

    The loss is l = -sum_c q_c logp_c with q_c = per_class w_c + to_target [c == t]
    (per_class = eps / C, to_target = (1 - eps) w_t, both divided by norm), and
    d(-logp_c)/dx_k = p_k - [c == k], so dl/dx_k = p_k Q - q_k with Q = sum_c q_c
    = per_class (w_t + w_rest) + to_target, p_k = e_k / sum_exp.

    Everything is rounded to the array's dtype first, so a float32 row is computed in
    float32, and Q is built from the very q_t that is subtracted at t: with one class
    (p_t = 1) the gradient is exactly 0, as torch's.
    """
    cdef Py_ssize_t c
    cdef floating per_class_ = <floating> per_class
    cdef floating q_t = per_class_ * <floating> w_t + <floating> to_target
    cdef floating a = <floating> ((per_class_ * w_rest + q_t) / sum_exp)  # Q / sum_exp
    cdef floating e_t = g[t]
    if has_weight:
        for c in range(g.shape[0]):
            g[c] = g[c] * a - per_class_ * weight[c]
    else:
        for c in range(g.shape[0]):
            g[c] = g[c] * a - per_class_
    g[t] = e_t * a - q_t


cdef inline double _log_prob_dot(const floating[::1] x, double m, double log_sum_exp,
                                 const floating[::1] target, double eps,
                                 const floating[::1] weight, bint has_weight,
                                 double* wt_sum) noexcept nogil:
    """Returns -sum_c w_c t'_c logp_c and stores sum_c w_c t'_c in wt_sum, with the smoothed
    target t'_c = t_c (1 - eps) + eps / C and logp_c = (x_c - m) - log_sum_exp."""
    cdef Py_ssize_t c, n_classes = x.shape[0]
    cdef double wt, s = 0.0, loss = 0.0
    for c in range(n_classes):
        wt = target[c] * (1.0 - eps) + eps / n_classes
        if has_weight:
            wt = wt * weight[c]
        s += wt
        loss -= wt * ((x[c] - m) - log_sum_exp)
    wt_sum[0] = s
    return loss


cdef inline double _multi_margin_row(const floating[::1] x, Py_ssize_t t, floating x_t, int p,
                                     double margin, double w_t, double scale,
                                     floating* g) noexcept nogil:
    """l = sum_{j != t, h_j > 0} w_t h_j^p / C, h_j = margin - x_t + x_j. Unless g is NULL
    (loss only), writes the gradient row g: w_t p h_j^(p-1) / C * scale at each such j (0 at
    the other j), minus their sum at t. The caller reads x_t = x[t]: there, in the kernel,
    the debug build's bounds check raises for a label out of range (in a noexcept helper
    it could only print the error and go on)."""
    cdef bint want_grad = g != NULL
    cdef Py_ssize_t j, n_classes = x.shape[0]
    cdef floating margin_ = <floating> margin
    cdef double h, loss = 0.0, g_t = 0.0, gj
    cdef double per_class = w_t / n_classes
    for j in range(n_classes):
        if j == t:
            continue
        h = (margin_ - x_t) + x[j]  # in the input's dtype, as torch: the same zeros
        gj = 0.0
        if h > 0:  # strictly: a term exactly at 0 (or NaN, as in torch) adds nothing
            if p == 1:
                loss += h
                gj = per_class * scale
            else:
                loss += h * h
                gj = 2.0 * h * per_class * scale
        if want_grad:
            g[j] = <floating> gj
            g_t -= gj
    if want_grad:
        g[t] = <floating> g_t
    return loss * per_class


# ---- class losses: the kernels ---------------------------------------------------------------

def cross_entropy(const floating[:, ::1] x,     # IN  (n, C) logits
                  const int64_t[::1] target,    # IN  (n,) class indices, or ignore_index
                  const floating[::1] weight,   # IN  (C,) class weights, or None (all 1)
                  int64_t ignore_index,
                  double label_smoothing,       # eps in [0, 1]
                  bint mean,
                  floating[::1] loss_out,       # OUT (n,) l_i, unnormalised, or None
                  floating[:, ::1] grad_out):   # OUT (n, C) dl/dx (normalised if mean), or None
    """Fused log-softmax + negative log-likelihood, with class weights, ignore_index and
    label smoothing eps. For a row i with target t != ignore_index, logp = log_softmax(x_i),
    p = softmax(x_i), w_c the class weights, W = sum_c w_c:

        l_i = (1 - eps) w_t (-logp_t) + (eps / C) sum_c w_c (-logp_c)
        dl_i/dx_i = (1 - eps) w_t (p - onehot_t) + (eps / C) (W p - w)

    -logp_c = log(sum_k exp(x_k - m)) - (x_c - m), m = max_k x_k: stable for any finite
    logit, never log(softmax). One exp per logit: exp(x - m) is kept in grad_out and gives
    both the log-sum-exp and, scaled, the gradient. An ignored row has l_i = 0 and a zero
    gradient row. Returns sum_i l_i; with mean, divided by norm = sum over rows not ignored
    of w_t, and so is the gradient; if norm == 0, NaN and a zero gradient.

    Rows are processed in blocks of about BLOCK entries: shift each row by its max, exp of
    the whole block at once (a vectorised exp needs long runs, and 10-class rows are not),
    then the sums, losses and gradients row by row. Rows of LONG_ROW classes or more are
    long enough: their shift and exp are one loop.
    """
    _check_classes("cross_entropy", x, target.shape[0], weight, loss_out, grad_out)
    cdef Py_ssize_t n = x.shape[0], n_classes = x.shape[1]
    cdef bint has_weight = weight is not None
    cdef bint want_loss = loss_out is not None, want_grad = grad_out is not None
    cdef double eps = label_smoothing
    cdef double norm = 1.0, total = 0.0
    cdef Py_ssize_t rows = max(1, BLOCK // max(n_classes, 1))  # rows per block
    cdef Py_ssize_t block, i, i0, i1, t, base
    cdef double w_t, w_sum, m, log_sum_exp, sum_exp, l
    cdef double maxes[BLOCK]
    cdef floating[:, ::1] work   # exp(x - max) of a block: grad_out's rows, or scratch
    if mean:
        with nogil:
            norm = _target_weight_sum(target, weight, has_weight, ignore_index)
        if norm == 0:  # nothing to average: the loss is NaN, the gradient 0
            if want_grad:
                with nogil:
                    for i in range(n):
                        fill_zero(grad_out[i])
            want_grad = False
    if n == 0 or n_classes == 0:  # no rows, or none that counts (targets all ignored)
        if want_loss:
            with nogil:
                fill_zero(loss_out)
        if want_grad:
            with nogil:
                for i in range(n):
                    fill_zero(grad_out[i])
        return NAN if mean else 0.0
    if want_grad:
        work = grad_out
    else:  # loss only: exponentials go to a scratch block, reused block after block
        work = _scratch(rows, n_classes, x)
    with nogil:
        w_sum = row_sum(weight) if has_weight else <double> n_classes
        for block in range((n + rows - 1) // rows):
            i0 = block * rows
            i1 = min(i0 + rows, n)
            base = 0 if want_grad else i0  # row i of x is row i - base of work
            if n_classes >= LONG_ROW:  # 1-2. exp(x - max), row by row
                for i in range(i0, i1):
                    maxes[i - i0] = row_max(x[i])
                    exp_shifted(&x[i, 0], <floating> maxes[i - i0], &work[i - base, 0],
                                n_classes)
            else:  # 1. shift each row by its max, 2. exp of the whole block
                for i in range(i0, i1):
                    maxes[i - i0] = shift_by_max(x[i], work[i - base])
                exp_inplace(&work[i0 - base, 0], (i1 - i0) * n_classes)
            for i in range(i0, i1):  # 3. per row: loss, gradient
                t = target[i]
                if t == ignore_index:
                    l = 0.0
                    if want_grad:
                        fill_zero(grad_out[i])
                else:
                    m = maxes[i - i0]
                    w_t = weight[t] if has_weight else 1.0
                    sum_exp = row_sum(work[i - base])
                    log_sum_exp = log(sum_exp)
                    l = (1.0 - eps) * w_t * (log_sum_exp - (x[i, t] - m))
                    if eps > 0:
                        l += eps / n_classes * (w_sum * log_sum_exp
                                                - _shifted_weighted_sum(x[i], m, weight,
                                                                        has_weight))
                    if want_grad:
                        _ce_row_grad(grad_out[i], t, sum_exp, eps / n_classes / norm,
                                     (1.0 - eps) * w_t / norm, w_t, w_sum - w_t,
                                     weight, has_weight)
                total += l
                if want_loss:
                    loss_out[i] = <floating> l
    if mean:
        return total / norm if norm != 0 else NAN
    return total


cdef floating[:, ::1] _scratch(Py_ssize_t rows, Py_ssize_t n_classes,
                               const floating[:, ::1] like):
    """A (rows, n_classes) work array of like's dtype, for the loss-only path."""
    if floating is float:
        return cython_array(shape=(rows, n_classes), itemsize=sizeof(float), format="f")
    else:
        return cython_array(shape=(rows, n_classes), itemsize=sizeof(double), format="d")


def cross_entropy_probs(const floating[:, ::1] x,       # IN  (n, C) logits
                        const floating[:, ::1] target,  # IN  (n, C) class probabilities
                        const floating[::1] weight,     # IN  (C,) class weights, or None
                        double label_smoothing,         # eps in [0, 1]
                        floating[::1] loss_out,         # OUT (n,) l_i, or None
                        floating[:, ::1] grad_out,      # OUT (n, C) dl/dx * scale, or None
                        double scale):
    """Cross-entropy against class probabilities (soft labels). With the smoothed target
    t'_c = t_c (1 - eps) + eps / C, logp = log_softmax(x_i), p = softmax(x_i):

        l_i = -sum_c w_c t'_c logp_c
        dl_i/dx_k = p_k sum_c w_c t'_c - w_k t'_k

    Returns sum_i l_i; the gradient is multiplied by `scale` (1/n for 'mean': with soft
    labels torch averages over the rows, not over the weights).
    """
    _check_classes("cross_entropy_probs", x, target.shape[0], weight, loss_out, grad_out)
    if target.shape[1] != x.shape[1]:
        raise ValueError(f"cross_entropy_probs: target has {target.shape[1]} columns but x "
                         f"has {x.shape[1]}")
    cdef Py_ssize_t n = x.shape[0], n_classes = x.shape[1]
    cdef bint has_weight = weight is not None
    cdef bint want_loss = loss_out is not None, want_grad = grad_out is not None
    cdef double eps = label_smoothing, total = 0.0
    cdef Py_ssize_t i, c
    cdef double m, sum_exp, log_sum_exp, wt_sum = 0.0, l, a
    cdef floating[:, ::1] work  # exp(x - max) of one row: grad_out's row, or scratch
    if n_classes == 0:
        if want_loss:
            fill_zero(loss_out)
        return total
    work = grad_out if want_grad else _scratch(1, n_classes, x)
    with nogil:
        for i in range(n):
            m = shift_by_max(x[i], work[i if want_grad else 0])
            exp_inplace(&work[i if want_grad else 0, 0], n_classes)
            sum_exp = row_sum(work[i if want_grad else 0])
            log_sum_exp = log(sum_exp)
            l = _log_prob_dot(x[i], m, log_sum_exp, target[i], eps, weight, has_weight,
                              &wt_sum)
            if want_grad:  # g_k = (p_k sum_c w_c t'_c - w_k t'_k) * scale
                a = wt_sum / sum_exp
                for c in range(n_classes):
                    grad_out[i, c] = <floating> (
                        (grad_out[i, c] * a
                         - (target[i, c] * (1.0 - eps) + eps / n_classes)
                         * (weight[c] if has_weight else 1.0)) * scale)
            total += l
            if want_loss:
                loss_out[i] = <floating> l
    return total


def nll_loss(const floating[:, ::1] logp,    # IN  (n, C) log-probabilities
             const int64_t[::1] target,      # IN  (n,) class indices, or ignore_index
             const floating[::1] weight,     # IN  (C,) class weights, or None (all 1)
             int64_t ignore_index,
             bint mean,
             floating[::1] loss_out,         # OUT (n,) l_i, unnormalised, or None
             floating[:, ::1] grad_out):     # OUT (n, C) dl/dlogp (normalised if mean), or None
    """Negative log-likelihood: for a row with target t != ignore_index,
    l_i = -w_t logp[i, t];  dl_i/dlogp_i = -w_t at column t, 0 elsewhere.
    An ignored row has l_i = 0 and a zero gradient row. Returns sum_i l_i; with mean,
    divided by norm = sum over rows not ignored of w_t, and so is the gradient; if
    norm == 0, NaN and a zero gradient.
    """
    _check_classes("nll_loss", logp, target.shape[0], weight, loss_out, grad_out)
    cdef Py_ssize_t n = logp.shape[0], i, t
    cdef bint has_weight = weight is not None
    cdef bint want_loss = loss_out is not None, want_grad = grad_out is not None
    cdef double norm = 1.0, total = 0.0, w_t, l
    with nogil:
        if mean:
            norm = _target_weight_sum(target, weight, has_weight, ignore_index)
        for i in range(n):
            t = target[i]
            l = 0.0
            if want_grad:
                fill_zero(grad_out[i])
            if t != ignore_index:
                w_t = weight[t] if has_weight else 1.0
                l = -w_t * logp[i, t]
                if want_grad and norm != 0:  # norm == 0: the gradient stays 0
                    grad_out[i, t] = <floating> (-w_t / norm)
            total += l
            if want_loss:
                loss_out[i] = <floating> l
    if mean:
        return total / norm if norm != 0 else NAN
    return total


def multi_margin_loss(const floating[:, ::1] x,   # IN  (n, C) scores
                      const int64_t[::1] target,  # IN  (n,) class indices in [0, C)
                      int p,                      # 1 or 2
                      double margin,
                      const floating[::1] weight,  # IN  (C,) class weights, or None (all 1)
                      floating[::1] loss_out,     # OUT (n,) l_i, or None
                      floating[:, ::1] grad_out,  # OUT (n, C) dl/dx * scale, or None
                      double scale):
    """Multi-class hinge (SVM) loss, p in {1, 2}. With t = target[i] and, for j != t,
    h_j = margin - x[i, t] + x[i, j]:

        l_i = sum_{j != t, h_j > 0} w_t h_j^p / C
        dl_i/dx[i, j] = w_t p h_j^(p-1) / C for j != t with h_j > 0 (0 for the others),
        and minus the sum of those at column t.

    Strictly positive hinge: a term exactly at 0 adds neither loss nor gradient, and so
    does a NaN one (as in torch). Returns sum_i l_i; the gradient is multiplied by `scale`.
    """
    _check_classes("multi_margin_loss", x, target.shape[0], weight, loss_out, grad_out)
    if p != 1 and p != 2:
        raise ValueError(f"multi_margin_loss: p must be 1 or 2, got {p}")
    cdef Py_ssize_t n = x.shape[0], i, t
    cdef bint has_weight = weight is not None
    cdef bint want_loss = loss_out is not None, want_grad = grad_out is not None
    cdef double total = 0.0, l
    with nogil:
        for i in range(n):
            t = target[i]
            l = _multi_margin_row(x[i], t, x[i, t], p, margin, weight[t] if has_weight else 1.0,
                                  scale, &grad_out[i, 0] if want_grad else NULL)
            total += l
            if want_loss:
                loss_out[i] = <floating> l
    return total
