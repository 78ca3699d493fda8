# cython: language_level=3, cdivision=True
# boundscheck / wraparound / initializedcheck come from setup.py, so MINIGRAD_CYTHON_DEBUG=1 can turn them on
"""Softmax and log-softmax along the last axis of a C-contiguous (n, C) array.

The math (formulas and gradients) is in the docstrings of minigrad.ops.softmax.Softmax and
LogSoftmax; this file says how the kernels compute it. Each `def` takes its inputs, marked
`# IN`, and writes into an output the caller allocated, marked `# OUT`, of the same shape
and dtype (float32 or float64). `out` must not share memory with an input. The work is done
row by row in `cdef inline ... noexcept nogil` helpers, inside `with nogil:`; the ones
shared with the loss kernels (row_max, row_sum, typed_exp, ...) live in _math.pxd. Sums are
accumulated in double, where rounding errors would pile up; the work on each entry is done
in the array's dtype, as PyTorch does, so float32 loops handle twice as many entries per
SIMD instruction.

NaN and inf come out as in PyTorch: a row holding a NaN or a +inf, or made only of -inf,
gives a row of NaN; a -inf logit among finite ones gets probability 0.
"""
from cython cimport floating
from libc.math cimport log

from minigrad._kernels._math cimport (MINIGRAD_SIMD_EXP, exp_inplace, exp_shifted,
                                      minigrad_cpu_has_avx2_fma, minigrad_cpu_has_avx512,
                                      minigrad_log_inplace, row_dot, row_max, row_sum, shift_by_max,
                                      typed_exp)

cdef enum:
    BLOCK = 2048    # entries per block of short rows (8 or 16 KiB: stays in L1)
    LONG_ROW = 128  # from this many classes on, rows go one by one

SIMD_EXP = bool(MINIGRAD_SIMD_EXP)  # True if this build calls glibc's vectorised exp


def cpu_has_avx2_fma():
    """True when this CPU has AVX2 and FMA, so it can run the *_avx2 kernel modules."""
    return bool(minigrad_cpu_has_avx2_fma())


def cpu_has_avx512():
    """True when this CPU has what the *_avx512 kernel modules are compiled for (AVX-512 F, DQ,
    VL and BW, with AVX2 and FMA)."""
    return bool(minigrad_cpu_has_avx512())


# ---- one row at a time -------------------------------------------------------------------

cdef inline double _exp_shifted(const floating[::1] x, floating shift, floating[::1] out) noexcept nogil:
    """out[k] = exp(x[k] - shift); returns sum_k out[k].

    The exps run in _math.pxd's exp_shifted: a plain C loop (_simd_math.h) that gcc
    vectorises at the width of the build. The sum is a second pass over `out`: a loop of
    exps vectorises, one that also accumulates a sum does not.
    """
    if x.shape[0] == 0:
        return 0.0
    exp_shifted(&x[0], shift, &out[0], x.shape[0])
    return row_sum(out)


cdef inline void _softmax_row(const floating[::1] x, floating[::1] out) noexcept nogil:
    """Softmax of one row. Subtracting the row max changes nothing mathematically and makes
    the largest exponent 0, so exp cannot overflow for any finite input."""
    _scale(out, <floating> (1.0 / _exp_shifted(x, <floating> row_max(x), out)))


cdef inline void _log_softmax_row(const floating[::1] x, floating[::1] out) noexcept nogil:
    """Log-softmax of one row, as (x - max) - log(sum(exp(x - max))): never log(softmax(x)),
    which gives -inf as soon as a probability underflows to 0. `out` holds the
    exponentials meanwhile."""
    cdef floating m = <floating> row_max(x)  # one of the entries: the cast is exact
    _subtract(x, m, <floating> log(_exp_shifted(x, m, out)), out)


cdef inline void _subtract(const floating[::1] x, floating m, floating log_total,
                           floating[::1] out) noexcept nogil:
    """out[k] = (x[k] - m) - log_total: the end of a log-softmax row."""
    cdef Py_ssize_t k
    for k in range(x.shape[0]):
        out[k] = (x[k] - m) - log_total


cdef inline void _scale(floating[::1] out, floating scale) noexcept nogil:
    """out[k] *= scale: the end of a softmax row."""
    cdef Py_ssize_t k
    for k in range(out.shape[0]):
        out[k] = out[k] * scale


cdef inline void _softmax_backward_row(const floating[::1] y, const floating[::1] grad,
                                       floating[::1] out) noexcept nogil:
    """Softmax's gradient for one row, from its output y: one dot product, the C x C
    Jacobian is never built."""
    cdef Py_ssize_t k
    cdef floating dot = <floating> row_dot(grad, y)
    for k in range(y.shape[0]):
        out[k] = y[k] * (grad[k] - dot)


cdef inline void _log_softmax_backward_row(const floating[::1] y, const floating[::1] grad,
                                           floating[::1] out) noexcept nogil:
    """Log-softmax's gradient for one row, from its output y (softmax = exp(y))."""
    cdef Py_ssize_t k
    cdef floating total = <floating> row_sum(grad)
    for k in range(y.shape[0]):
        out[k] = grad[k] - typed_exp(y[k]) * total


cdef inline void _log_softmax_backward_end(const floating[::1] grad,
                                           floating[::1] out) noexcept nogil:
    """_log_softmax_backward_row with exp(y) already in out."""
    cdef Py_ssize_t k
    cdef floating total = <floating> row_sum(grad)
    for k in range(out.shape[0]):
        out[k] = grad[k] - out[k] * total


cdef int _check_shapes(str func, const floating[:, ::1] a, str a_name,
                       const floating[:, ::1] b, str b_name) except -1:
    """Kernels run without bounds checks, so a shape mismatch must stop here (b may be None)."""
    if b is not None and (a.shape[0] != b.shape[0] or a.shape[1] != b.shape[1]):
        raise ValueError(f"{func}: {b_name} has shape ({b.shape[0]}, {b.shape[1]}) "
                         f"but {a_name} has shape ({a.shape[0]}, {a.shape[1]})")
    return 0


# ---- the kernels: one loop over rows -------------------------------------------------------

# What _each_row does to a row is a type, not a value, as the element-wise losses' kind in
# _loss.pyx: each op has an enum type of its own (with one member, the name the kernels
# pass), gathered in the fused type Row, so that Cython compiles _each_row once per op (and
# dtype) and the `Row is ...` tests are decided at compile time. Each kernel's loop then
# holds its own row helper only, vectorised as when each kernel had its loop written out
# (a test of a value in the loop cost log_softmax_backward its vectorised expf).
cdef enum _Softmax:
    SOFTMAX
cdef enum _LogSoftmax:
    LOG_SOFTMAX
cdef enum _SoftmaxBackward:
    SOFTMAX_BACKWARD
cdef enum _LogSoftmaxBackward:
    LOG_SOFTMAX_BACKWARD

ctypedef fused Row:
    _Softmax
    _LogSoftmax
    _SoftmaxBackward
    _LogSoftmaxBackward


# ---- short rows: a block of rows at a time ---------------------------------------------------
# A vectorised exp handles 8 entries per call (AVX2, float32): a row of 100 ends in 4 left
# over, which cost a tenth of log_softmax at (1024, 100) in a 4-wide call of their own, and
# each row's log was a scalar call. So rows shorter than LONG_ROW go in blocks of about
# BLOCK entries, as cross_entropy's in _loss.pyx: each row shifted by its max, exp of the
# whole block as one run, then the row sums (and their logs at once), then each row's end.
# Long rows keep their own loop: blocks of them were slower at (8192, 1000).

cdef void _blocks(Row op, const floating[:, ::1] a, floating[:, ::1] out,
                  const floating[:, ::1] grad) noexcept nogil:
    """`op` (softmax, log_softmax or log_softmax_backward) on the rows of a (1 <= C < LONG_ROW)."""
    cdef Py_ssize_t block, i, i0, i1, n = a.shape[0], n_classes = a.shape[1]
    cdef Py_ssize_t rows = BLOCK // n_classes  # rows per block
    cdef double maxes[BLOCK]
    cdef double sums[BLOCK]
    for block in range((n + rows - 1) // rows):
        i0 = block * rows
        i1 = min(i0 + rows, n)
        if Row is _LogSoftmaxBackward:  # exp(y) of the block into out, then each row
            exp_shifted(&a[i0, 0], <floating> 0, &out[i0, 0], (i1 - i0) * n_classes)
            for i in range(i0, i1):
                _log_softmax_backward_end(grad[i], out[i])
        else:
            for i in range(i0, i1):
                maxes[i - i0] = shift_by_max(a[i], out[i])
            exp_inplace(&out[i0, 0], (i1 - i0) * n_classes)
            for i in range(i0, i1):
                sums[i - i0] = row_sum(out[i])
            if Row is _Softmax:
                for i in range(i0, i1):
                    _scale(out[i], <floating> (1.0 / sums[i - i0]))
            else:
                minigrad_log_inplace(sums, i1 - i0)
                for i in range(i0, i1):  # the max is one of the entries: its cast is exact
                    _subtract(a[i], <floating> maxes[i - i0], <floating> sums[i - i0], out[i])


cdef int _each_row(Row op, str func, str a_name, const floating[:, ::1] a,
                   floating[:, ::1] out, const floating[:, ::1] grad=None) except -1:
    """The loop of every kernel: checks the shapes, then runs `op` on each row of a (and of
    grad, for the backward ops) into the same row of out, without the GIL. (grad is an
    optional argument, not a None passed by the forward kernels: that would build a None
    memoryview at every call.)"""
    _check_shapes(func, a, a_name, grad, "grad")
    _check_shapes(func, a, a_name, out, "out")
    cdef Py_ssize_t i
    cdef bint short_rows = 0 < a.shape[1] < LONG_ROW
    with nogil:
        if short_rows and Row is not _SoftmaxBackward:  # see _blocks
            _blocks(op, a, out, grad)
        else:
            for i in range(a.shape[0]):
                if Row is _Softmax:
                    _softmax_row(a[i], out[i])
                elif Row is _LogSoftmax:
                    _log_softmax_row(a[i], out[i])
                elif Row is _SoftmaxBackward:
                    _softmax_backward_row(a[i], grad[i], out[i])
                else:
                    _log_softmax_backward_row(a[i], grad[i], out[i])
    return 0


def softmax_forward(const floating[:, ::1] x,  # IN  (n, C) logits
                    floating[:, ::1] out):     # OUT (n, C) probabilities
    """The math: minigrad.ops.softmax.Softmax, along the last axis. See _softmax_row."""
    _each_row(SOFTMAX, "softmax_forward", "x", x, out)


def log_softmax_forward(const floating[:, ::1] x,  # IN  (n, C) logits
                        floating[:, ::1] out):     # OUT (n, C) log-probabilities
    """The math: minigrad.ops.softmax.LogSoftmax, along the last axis. See _log_softmax_row."""
    _each_row(LOG_SOFTMAX, "log_softmax_forward", "x", x, out)


def softmax_backward(const floating[:, ::1] y,     # IN  (n, C) softmax output
                     const floating[:, ::1] grad,  # IN  (n, C) dL/dy
                     floating[:, ::1] out):        # OUT (n, C) dL/dx
    """The gradient of minigrad.ops.softmax.Softmax, row by row, from its output y."""
    _each_row(SOFTMAX_BACKWARD, "softmax_backward", "y", y, out, grad)


def log_softmax_backward(const floating[:, ::1] y,     # IN  (n, C) log_softmax output
                         const floating[:, ::1] grad,  # IN  (n, C) dL/dy
                         floating[:, ::1] out):        # OUT (n, C) dL/dx
    """The gradient of minigrad.ops.softmax.LogSoftmax, row by row, from its output y."""
    _each_row(LOG_SOFTMAX_BACKWARD, "log_softmax_backward", "y", y, out, grad)
