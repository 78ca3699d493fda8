# cython: language_level=3, cdivision=True
# boundscheck / wraparound / initializedcheck come from setup.py, so MINIGRAD_CYTHON_DEBUG=1 can turn them on
"""Every loss, with its gradient, in one pass over the data.

The math of each loss (formula and gradient) is in the docstring of its Function in
minigrad.ops.loss, named by each kernel; this file says what the kernels add to it: the
argument layout, the loop, and the numerical care. Each `def` kernel computes, for every
sample, the loss and its derivative with respect to the first input, and returns

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
loops run inside `with nogil:`. Three exceptions follow torch on purpose: a difference that
decides a kink (x - y, margin - y s, margin - x_t + x_j) is formed in the inputs' dtype, so
float32 inputs hit the kinks where torch does; the element-wise losses made of exp and log
(binary_cross_entropy, its logits form, kl_div) are computed in the inputs' dtype, as torch
computes them (float32: expf, logf, log1pf, twice as fast as in double); and the entries of
cross_entropy's rows (exp, the gradient) are computed in the array's dtype, as in
_softmax.pyx. Sums over samples, and the class losses' per-row losses, are in double. The
numpy twin of each kernel, with the same signature, is in reference.py.
"""
from cython cimport floating
from cython.view cimport array as cython_array
from libc.math cimport NAN, fabs, log
from libc.stdint cimport int64_t

from minigrad._kernels._math cimport (exp_inplace, exp_shifted, fill_zero, minigrad_log_inplace,
                                      row_max, row_sum, shift_by_max, sign, sum_of, typed_exp,
                                      typed_fabs, typed_log, typed_log1p)

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
                                   const floating[::1] weight, const floating[::1] pos_weight,
                                   floating[::1] loss_out, floating[::1] grad_out) except -1:
    """x and every other array given (None is skipped) have one length; returns it."""
    cdef Py_ssize_t n = x.shape[0]
    _check_length(func, "target", y.shape[0], n)
    if weight is not None:
        _check_length(func, "weight", weight.shape[0], n)
    if pos_weight is not None:
        _check_length(func, "pos_weight", pos_weight.shape[0], n)
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


# ---- element-wise losses: one sample -------------------------------------------------------
# Each returns the loss and its derivative with respect to the first input; the math is the
# Function's named in the docstring. The regression losses take the error z = x - y, which
# _element forms in the inputs' dtype, as torch does: the kinks (z = 0, |z| = delta) then fall
# exactly where torch's do, also in float32.

cdef inline LossGrad _mse(double z) noexcept nogil:
    """The math: minigrad.ops.loss.MSELoss."""
    return LossGrad(z * z, 2.0 * z)


cdef inline LossGrad _l1(double z) noexcept nogil:
    """The math: minigrad.ops.loss.L1Loss. sign(z) is 0 at 0 and for NaN, as torch.sign."""
    return LossGrad(fabs(z), sign(z))


cdef inline LossGrad _huber(double z, double delta) noexcept nogil:
    """The math: minigrad.ops.loss.HuberLoss."""
    cdef double a = fabs(z)
    cdef bint outside = a >= delta  # false for NaN: NaN flows through z
    # Both sides computed, one selected: no branch to mispredict, and a loop the compiler
    # can vectorise (the sides are a few flops; a wrong guess costs more).
    return LossGrad(delta * (a - 0.5 * delta) if outside else 0.5 * z * z,
                    delta * sign(z) if outside else z)


cdef inline LossGrad _smooth_l1(double z, double beta) noexcept nogil:
    """The math: minigrad.ops.loss.SmoothL1Loss. beta > 0: smooth_l1_loss sends beta == 0
    to _l1, as torch does, so there is no division by 0."""
    cdef double a = fabs(z)
    cdef bint outside = a >= beta  # branch-free, as _huber
    return LossGrad(a - 0.5 * beta if outside else 0.5 * z * z / beta,
                    sign(z) if outside else z / beta)


# The next four compute in `floating`, the inputs' dtype, as torch does: a float32 input runs
# expf, logf and log1pf, which do twice as many entries per SIMD instruction as their double
# versions. The constant 1 is a `floating` variable, `one`: Cython writes a literal 1 or 1.0
# as C's double 1.0, which would turn a float32 expression into a double one. Their loss and
# gradient are then widened to LossGrad's doubles, exactly, for the sums.

cdef inline LossGrad _bce(floating p, floating y, floating w) noexcept nogil:
    """The math: minigrad.ops.loss.BinaryCrossEntropy. log(1 - p) is log1p(-p), as in torch,
    so a tiny p keeps its digits."""
    cdef floating one = 1
    cdef floating log_p = typed_log(p), log_1mp = typed_log1p(-p), d = p * (one - p)
    if log_p < -100:  # clamps written so that NaN passes, as torch's std::max
        log_p = -100
    if log_1mp < -100:
        log_1mp = -100
    if d < <floating> BCE_EPSILON:
        d = <floating> BCE_EPSILON
    return LossGrad(((y - one) * log_1mp - y * log_p) * w, (p - y) / d * w)


cdef inline LossGrad _bce_logits(floating x, floating y, floating w, floating pw,
                                 bint has_pos_weight) noexcept nogil:
    """The math: minigrad.ops.loss.BinaryCrossEntropyWithLogits.

    z = exp(-|x|) is in (0, 1] for any x: log_sigmoid(x) = min(x, 0) - log1p(z) and
    sigmoid(x) = 1 / (1 + z) (x >= 0) or z / (1 + z) (x < 0) never overflow.
    The weight c of the positive term is 1 + (pw - 1) y in the loss and pw y + 1 - y in the
    gradient, each as torch writes it: the same number, except for y = +-inf, where they give
    -inf or NaN as torch's do. Without pos_weight c is exactly 1, as in torch: (1 - 1) y would
    be NaN for y = +-inf.
    """
    cdef floating one = 1, zero = 0
    cdef floating z = typed_exp(-typed_fabs(x))
    cdef floating c_loss = one + (pw - one) * y if has_pos_weight else one
    cdef floating c_grad = pw * y + one - y if has_pos_weight else one
    cdef floating log_sigmoid = (x if x < 0 else zero) - typed_log1p(z)
    cdef floating sigmoid = (one if x >= 0 else z) / (one + z)
    return LossGrad(w * ((one - y) * x - c_loss * log_sigmoid), w * (c_grad * sigmoid - pw * y))


cdef inline LossGrad _kl(floating x, floating t) noexcept nogil:
    """The math: minigrad.ops.loss.KLDiv, log_target=False. 0 log 0 = 0 (torch.xlogy); a
    negative or NaN target gives NaN."""
    cdef floating zero = 0
    cdef floating t_log_t = zero if t == 0 else t * typed_log(t)
    return LossGrad(t_log_t - t * x, -t)


cdef inline LossGrad _kl_log_target(floating x, floating t) noexcept nogil:
    """The math: minigrad.ops.loss.KLDiv, log_target=True."""
    cdef floating p = typed_exp(t)
    return LossGrad(p * (t - x), -p)


cdef inline LossGrad _hinge(double h, double y) noexcept nogil:
    """The math: minigrad.ops.loss.HingeLoss, of h = margin - y s (formed by _element in the
    input's dtype). Exactly torch.relu's rule: gradient 0 at h = 0, and for NaN the loss is
    NaN and the gradient passes (-y)."""
    if h <= 0:  # false for NaN
        return LossGrad(0.0, 0.0)
    return LossGrad(h, -y)


# ---- element-wise losses: the one loop -------------------------------------------------------

# Which loss _elementwise runs is a type, not a value: each loss has an enum type of its own
# (with one member, the name the kernels pass), and `Loss` gathers them as a fused type. So
# Cython compiles _elementwise once per loss (and dtype), the `Loss is ...` tests in _element
# are decided at compile time, and each kernel gets loops of its own loss only, as if written
# out by hand. (With `kind` a plain value and a switch in the loop, only gcc's inliner could
# fold the switch, kernel by kernel, and it stops when its size limits are reached: one
# version of this file lost the vectorised log of binary_cross_entropy that way.)
cdef enum _Mse:
    MSE
cdef enum _L1:
    L1
cdef enum _Huber:
    HUBER
cdef enum _SmoothL1:
    SMOOTH_L1
cdef enum _Bce:
    BCE
cdef enum _BceLogits:
    BCE_LOGITS
cdef enum _Kl:
    KL
cdef enum _KlLogTarget:
    KL_LOG_TARGET
cdef enum _Hinge:
    HINGE

ctypedef fused Loss:
    _Mse
    _L1
    _Huber
    _SmoothL1
    _Bce
    _BceLogits
    _Kl
    _KlLogTarget
    _Hinge


cdef inline LossGrad _element(Loss kind, floating a, floating b, floating w, floating pw,
                              bint has_pos_weight, double param) noexcept nogil:
    """One sample of the loss `kind` names: a is the first input (prediction, probability,
    logit, log q or score), b the second (target or label), w and pw its weights (1
    without), param the loss's number (delta, beta or margin). The differences a - b and
    param - b a are formed here in `floating`, the inputs' dtype."""
    if Loss is _Mse:
        return _mse(a - b)
    elif Loss is _L1:
        return _l1(a - b)
    elif Loss is _Huber:
        return _huber(a - b, param)
    elif Loss is _SmoothL1:
        return _smooth_l1(a - b, param)
    elif Loss is _Bce:
        return _bce(a, b, w)
    elif Loss is _BceLogits:
        return _bce_logits(a, b, w, pw, has_pos_weight)
    elif Loss is _Kl:
        return _kl(a, b)
    elif Loss is _KlLogTarget:
        return _kl_log_target(a, b)
    else:
        return _hinge(<floating> param - b * a, b)


cdef inline double _flush(const double* losses, Py_ssize_t m, floating[::1] loss_out,
                          Py_ssize_t start, bint want_loss) noexcept nogil:
    """Copy a chunk's m losses to loss_out[start:start + m] (if wanted); return their sum
    (_math.pxd's sum_of: in 8 lanes, since one running sum cost as much as the float32 loss
    itself)."""
    cdef Py_ssize_t k
    if want_loss:
        for k in range(m):
            loss_out[start + k] = <floating> losses[k]
    return sum_of(losses, m)


cdef inline floating _scaled(Loss kind, double grad, double scale,
                             floating scale_) noexcept nogil:
    """grad * scale, stored in floating. The losses computed in the inputs' dtype (_bce,
    _bce_logits, _kl, _kl_log_target) multiply in it too, by scale_ = scale rounded to that
    dtype, as torch multiplies by its float32 1/n: in float32 8 entries per AVX2
    instruction instead of 4. The others keep one rounding, of the double product."""
    if Loss is _Bce or Loss is _BceLogits or Loss is _Kl or Loss is _KlLogTarget:
        return <floating> grad * scale_
    else:
        return <floating> (grad * scale)


cdef double _elementwise(Loss kind, str func, const floating[::1] a, const floating[::1] b,
                         floating[::1] loss_out, floating[::1] grad_out, double scale,
                         double param=0.0, const floating[::1] weight=None,
                         const floating[::1] pos_weight=None) except? -1:
    """The loop of every element-wise kernel, compiled once per loss `kind` (see Loss):
    checks the lengths, then in chunks of CHUNK samples stores the losses in `losses` (and
    the gradient times scale in grad_out), and _flush sums each chunk and copies it to
    loss_out. Returns the sum of the losses. a, b, param, weight and pos_weight are
    _element's; only the kernels that have weights pass them (a None memoryview built at
    each call would cost more than a small loss).

    Each chunk's losses wait in a small double array to be summed afterwards: a loop that
    also added into one running total could not be vectorised, since reordering the
    additions would change the sum. The flags tested in the loops (has_weight, ...) are
    loop-invariant, and gcc unswitches them: gcc 12 vectorises every loop here, for each
    loss and dtype (-fopt-info-vec, and the same SIMD code as eight loops written out).
    """
    cdef Py_ssize_t n = _check_elementwise(func, a, b, weight, pos_weight, loss_out, grad_out)
    cdef bint want_loss = loss_out is not None, want_grad = grad_out is not None
    cdef bint has_weight = weight is not None, has_pos_weight = pos_weight is not None
    cdef Py_ssize_t chunk, start, i, m
    cdef double total = 0.0
    cdef floating scale_ = <floating> scale
    cdef double losses[CHUNK]
    cdef LossGrad r
    with nogil:
        for chunk in range((n + CHUNK - 1) // CHUNK):
            start = chunk * CHUNK
            m = min(<Py_ssize_t> CHUNK, n - start)
            # Two loops, with and without the gradient, rather than one `if want_grad` in
            # the loop: gcc would have to unswitch it, and did not for smooth_l1's body.
            if want_grad:
                for i in range(m):
                    r = _element(kind, a[start + i], b[start + i],
                                 weight[start + i] if has_weight else 1,
                                 pos_weight[start + i] if has_pos_weight else 1,
                                 has_pos_weight, param)
                    losses[i] = r.loss
                    grad_out[start + i] = _scaled(kind, r.grad, scale, scale_)
            else:
                for i in range(m):
                    losses[i] = _element(kind, a[start + i], b[start + i],
                                         weight[start + i] if has_weight else 1,
                                         pos_weight[start + i] if has_pos_weight else 1,
                                         has_pos_weight, param).loss
            total += _flush(losses, m, loss_out, start, want_loss)
    return total


# ---- element-wise losses: the kernels --------------------------------------------------------
# Each names its loss and passes its arrays and number on to _elementwise.

def mse_loss(const floating[::1] x,   # IN  (n,) prediction
             const floating[::1] y,   # IN  (n,) target
             floating[::1] loss_out,  # OUT (n,) per-sample loss, or None
             floating[::1] grad_out,  # OUT (n,) gradient * scale, or None
             double scale):
    """The math: minigrad.ops.loss.MSELoss. Returns the sum of the losses."""
    return _elementwise(MSE, "mse_loss", x, y, loss_out, grad_out, scale)


def l1_loss(const floating[::1] x,   # IN  (n,) prediction
            const floating[::1] y,   # IN  (n,) target
            floating[::1] loss_out,  # OUT (n,) per-sample loss, or None
            floating[::1] grad_out,  # OUT (n,) gradient * scale, or None
            double scale):
    """The math: minigrad.ops.loss.L1Loss. Returns the sum of the losses."""
    return _elementwise(L1, "l1_loss", x, y, loss_out, grad_out, scale)


def huber_loss(const floating[::1] x,   # IN  (n,) prediction
               const floating[::1] y,   # IN  (n,) target
               double delta,            # IN  > 0 (the wrapper checks)
               floating[::1] loss_out,  # OUT (n,) per-sample loss, or None
               floating[::1] grad_out,  # OUT (n,) gradient * scale, or None
               double scale):
    """The math: minigrad.ops.loss.HuberLoss. Returns the sum of the losses."""
    return _elementwise(HUBER, "huber_loss", x, y, loss_out, grad_out, scale, delta)


def smooth_l1_loss(const floating[::1] x,   # IN  (n,) prediction
                   const floating[::1] y,   # IN  (n,) target
                   double beta,             # IN  >= 0 (the wrapper checks)
                   floating[::1] loss_out,  # OUT (n,) per-sample loss, or None
                   floating[::1] grad_out,  # OUT (n,) gradient * scale, or None
                   double scale):
    """The math: minigrad.ops.loss.SmoothL1Loss. Returns the sum of the losses.
    beta = 0 runs l1_loss (as torch does): no division by 0."""
    if beta == 0:
        return l1_loss(x, y, loss_out, grad_out, scale)
    return _elementwise(SMOOTH_L1, "smooth_l1_loss", x, y, loss_out, grad_out, scale, beta)


def binary_cross_entropy(const floating[::1] p,       # IN  (n,) probabilities in [0, 1]
                         const floating[::1] y,       # IN  (n,) targets in [0, 1]
                         const floating[::1] weight,  # IN  (n,) or None (all 1)
                         floating[::1] loss_out,      # OUT (n,) per-sample loss, or None
                         floating[::1] grad_out,      # OUT (n,) gradient * scale, or None
                         double scale):
    """The math: minigrad.ops.loss.BinaryCrossEntropy. Returns the sum of the losses.
    The clamps are PyTorch's, 1e-12 its float32 constant (see _bce)."""
    return _elementwise(BCE, "binary_cross_entropy", p, y, loss_out, grad_out, scale, 0.0,
                        weight)


def binary_cross_entropy_with_logits(
        const floating[::1] x,           # IN  (n,) logits
        const floating[::1] y,           # IN  (n,) targets in [0, 1]
        const floating[::1] weight,      # IN  (n,) or None (all 1)
        const floating[::1] pos_weight,  # IN  (n,) or None (all 1)
        floating[::1] loss_out,          # OUT (n,) per-sample loss, or None
        floating[::1] grad_out,          # OUT (n,) gradient * scale, or None
        double scale):
    """The math: minigrad.ops.loss.BinaryCrossEntropyWithLogits. Returns the sum of the
    losses, finite for every finite logit (exp(-|x|), see _bce_logits)."""
    return _elementwise(BCE_LOGITS, "binary_cross_entropy_with_logits", x, y, loss_out,
                        grad_out, scale, 0.0, weight, pos_weight)


def kl_div(const floating[::1] x,   # IN  (n,) log-probabilities log q
           const floating[::1] t,   # IN  (n,) target p (or log p if log_target)
           bint log_target,
           floating[::1] loss_out,  # OUT (n,) per-sample loss, or None
           floating[::1] grad_out,  # OUT (n,) gradient * scale, or None
           double scale):
    """The math: minigrad.ops.loss.KLDiv. Returns the sum of the losses."""
    if log_target:
        return _elementwise(KL_LOG_TARGET, "kl_div", x, t, loss_out, grad_out, scale)
    return _elementwise(KL, "kl_div", x, t, loss_out, grad_out, scale)


def hinge_loss(const floating[::1] s,   # IN  (n,) scores
               const floating[::1] y,   # IN  (n,) labels in {-1, +1}
               double margin,
               floating[::1] loss_out,  # OUT (n,) per-sample loss, or None
               floating[::1] grad_out,  # OUT (n,) gradient * scale, or None
               double scale):
    """The math: minigrad.ops.loss.HingeLoss. Returns the sum of the losses."""
    return _elementwise(HINGE, "hinge_loss", s, y, loss_out, grad_out, scale, margin)


# ---- class losses: one row -------------------------------------------------------------------

cdef double _normalised(double total, double norm, bint mean) noexcept:
    """What cross_entropy and nll_loss return: the total, or with mean, the total divided by
    norm = the sum of w_t over the rows not ignored (as their gradient is); NaN if norm == 0
    (their gradient is then 0)."""
    if not mean:
        return total
    return total / norm if norm != 0 else NAN


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
    """sum_c w_c (x_c - m), with w_c = 1 without weights: the part of the smoothing term
    sum_c w_c (-logp_c) = W log(sum exp) - sum_c w_c (x_c - m) that is not the log-sum-exp.
    Each x_c - m is formed first, so logits of 1e30 lose no digits."""
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

    CrossEntropy's gradient (minigrad.ops.loss), written as dl/dx_k = p_k Q - q_k: the row's
    loss is -sum_c q_c logp_c with q_c = per_class w_c + to_target [c == t] (per_class =
    eps / C, to_target = (1 - eps) w_t, both divided by norm), Q = sum_c q_c
    = per_class (w_t + w_rest) + to_target, and p_k = e_k / sum_exp.

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
    """The loss of one row of CrossEntropyProbs (minigrad.ops.loss), with
    logp_c = (x_c - m) - log_sum_exp; stores sum_c w_c t'_c (t' the smoothed target) in
    wt_sum, for the gradient."""
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
    """The loss of one row of MultiMarginLoss (minigrad.ops.loss); unless g is NULL (loss
    only), writes the row's gradient times scale into g. The caller reads x_t = x[t]: there,
    in the kernel, the debug build's bounds check raises for a label out of range (in a
    noexcept helper it could only print the error and go on)."""
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
    """The math: minigrad.ops.loss.CrossEntropy (log-softmax fused with the negative
    log-likelihood). Returns the sum of the losses, or with mean their weighted mean (see
    _normalised).

    -logp_c = log(sum_k exp(x_k - m)) - (x_c - m), m = max_k x_k: stable for any finite
    logit, never log(softmax). One exp per logit: exp(x - m) is kept in grad_out and gives
    both the log-sum-exp and, scaled, the gradient. An ignored row has l_i = 0 and a zero
    gradient row.

    Rows are processed in blocks of about BLOCK entries: shift each row by its max, exp of
    the whole block at once (a vectorised exp needs long runs, and 10-class rows are not),
    the row sums and their logs (one vectorised log for the block: a scalar log per row
    cost a tenth of the kernel at C = 100), then the losses and gradients row by row. Rows
    of LONG_ROW classes or more are long enough: their shift and exp are one loop.
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
    cdef double maxes[BLOCK]     # per row of a block: the max, the sum of exps and its log
    cdef double sums[BLOCK]
    cdef double log_sums[BLOCK]
    cdef floating[:, ::1] work   # exp(x - max) of a block: grad_out's rows, or scratch
    if mean:
        with nogil:
            norm = _target_weight_sum(target, weight, has_weight, ignore_index)
    if want_grad and (norm == 0 or n_classes == 0):  # nothing to average, or no classes
        with nogil:
            for i in range(n):
                fill_zero(grad_out[i])
        want_grad = False
    if n == 0 or n_classes == 0:  # no rows, or none that counts (targets all ignored)
        if want_loss:
            with nogil:
                fill_zero(loss_out)
        return _normalised(0.0, norm, mean)
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
            for i in range(i0, i1):  # 3. the row sums, and their logs in one vectorised call
                sums[i - i0] = row_sum(work[i - base])
                log_sums[i - i0] = sums[i - i0]
            minigrad_log_inplace(log_sums, i1 - i0)
            for i in range(i0, i1):  # 4. per row: loss, gradient
                t = target[i]
                if t == ignore_index:
                    l = 0.0
                    if want_grad:
                        fill_zero(grad_out[i])
                else:
                    m = maxes[i - i0]
                    w_t = weight[t] if has_weight else 1.0
                    sum_exp = sums[i - i0]
                    log_sum_exp = log_sums[i - i0]
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
    return _normalised(total, norm, mean)


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
    """The math: minigrad.ops.loss.CrossEntropyProbs (soft labels). Returns the sum of the
    losses; the gradient is multiplied by `scale` (1/n for 'mean': with soft labels torch
    averages over the rows, not over the weights). Row by row: exp(x - max) is kept in
    grad_out's row (or one scratch row) and gives the log-sum-exp and the gradient.
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
            if want_grad:  # p_k = work[k] / sum_exp
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
    """The math: minigrad.ops.loss.NLLLoss. Returns the sum of the losses, or with mean
    their weighted mean (see _normalised). An ignored row has l_i = 0 and a zero gradient
    row."""
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
    return _normalised(total, norm, mean)


def multi_margin_loss(const floating[:, ::1] x,   # IN  (n, C) scores
                      const int64_t[::1] target,  # IN  (n,) class indices in [0, C)
                      int p,                      # 1 or 2
                      double margin,
                      const floating[::1] weight,  # IN  (C,) class weights, or None (all 1)
                      floating[::1] loss_out,     # OUT (n,) l_i, or None
                      floating[:, ::1] grad_out,  # OUT (n, C) dl/dx * scale, or None
                      double scale):
    """The math: minigrad.ops.loss.MultiMarginLoss. Returns the sum of the losses; the
    gradient is multiplied by `scale`. h_j = margin - x_t + x_j is formed in the input's
    dtype, as torch does: the same terms are exactly 0 (and add nothing, as NaN ones)."""
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
