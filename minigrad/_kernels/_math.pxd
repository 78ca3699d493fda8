# cython: language_level=3, cdivision=True
"""Small numeric helpers shared by the kernels (softmax and the losses).

Each is a `cdef inline ... noexcept nogil` function: C that Cython pastes into the loop
that calls it, with no Python object in sight. Reductions over a row return a double
whatever the array's dtype: a long sum is where rounding errors pile up.
"""
from cython cimport floating
from libc.math cimport INFINITY, exp, expf, fabs, fabsf, log, log1p, log1pf, logf

# The C side of the kernels, in one header (see it): glibc's vectorised exp, expf, log and
# log1p declared to gcc where that is safe, so that loops calling them vectorise; exp over a
# long run of numbers; and the CPU tests that pick the SIMD build of the kernel modules.
cdef extern from "_simd_math.h":
    const int MINIGRAD_SIMD_EXP  # 1 when the vectorised exp is declared, else 0
    void minigrad_expf_inplace(float* a, Py_ssize_t n) noexcept nogil
    void minigrad_exp_inplace(double* a, Py_ssize_t n) noexcept nogil
    void minigrad_expf_shifted(const float* x, float shift, float* out, Py_ssize_t n) noexcept nogil
    void minigrad_exp_shifted(const double* x, double shift, double* out,
                              Py_ssize_t n) noexcept nogil
    void minigrad_log_inplace(double* a, Py_ssize_t n) noexcept nogil
    float minigrad_max_f(const float* x, Py_ssize_t n) noexcept nogil
    double minigrad_max_d(const double* x, Py_ssize_t n) noexcept nogil
    int minigrad_cpu_has_avx2_fma() noexcept nogil
    int minigrad_cpu_has_avx512() noexcept nogil


cdef inline floating typed_exp(floating x) noexcept nogil:
    """exp(x) in the precision of x: expf for float32, exp for float64.

    exp decides the speed of softmax. A float32 result computed as expf is as accurate as
    float32 can store, and vectorised it does twice as many entries per instruction as exp.
    """
    if floating is float:
        return expf(x)
    else:
        return exp(x)


cdef inline floating typed_log(floating x) noexcept nogil:
    """log(x) in the precision of x (logf for float32), as typed_exp."""
    if floating is float:
        return logf(x)
    else:
        return log(x)


cdef inline floating typed_log1p(floating x) noexcept nogil:
    """log(1 + x) in the precision of x (log1pf for float32), as typed_exp."""
    if floating is float:
        return log1pf(x)
    else:
        return log1p(x)


cdef inline floating typed_fabs(floating x) noexcept nogil:
    """|x| in the precision of x (fabs would take a float32 through double)."""
    if floating is float:
        return fabsf(x)
    else:
        return fabs(x)


# ---- reductions over one row ---------------------------------------------------------------
# A loop that keeps one running sum (or max) is as slow as the latency of one addition per
# entry: each step waits for the previous one, and gcc may not turn it into SIMD (that would
# reorder the additions, which it only does under -ffast-math). So we keep 8 running values
# in a small array, entry k going to lane k % 8: updating the 8 lanes is the same operation
# on 8 independent numbers, which gcc compiles to SIMD instructions. The lanes are combined
# at the end. For a sum the order of the additions changes, so the result can differ from a
# one-by-one sum in the last bit; a max is exact whatever the order.

cdef inline double row_max(const floating[::1] x) noexcept nogil:
    """max_k x[k], or -inf for an empty row (nothing is read when len(x) == 0).

    NaN entries are skipped (NaN > m is false), and the max of a row of -inf is -inf.
    Callers subtract the max before exp, so both cases still end in NaN, as in torch:
    a NaN entry turns the sum of exponentials into NaN, and -inf - (-inf) is NaN.
    The lanes are in the row's own dtype: a max needs no rounding. (The loop is in
    _simd_math.h, written with gcc's vector types: gcc does not vectorise it written here.)
    """
    if x.shape[0] == 0:
        return -INFINITY
    if floating is float:
        return minigrad_max_f(&x[0], x.shape[0])
    else:
        return minigrad_max_d(&x[0], x.shape[0])


cdef inline double sum_of(const floating* x, Py_ssize_t n) noexcept nogil:
    """sum_k x[k] over the n entries from x, in double, in 8 running lanes (entry k to lane
    k % 8, combined pairwise at the end): the same addition on 8 independent numbers, which
    gcc turns into SIMD, where one running sum waits for each addition in turn."""
    cdef Py_ssize_t k, j, n8 = n - n % 8
    cdef double lane[8]
    cdef double s = 0.0
    for j in range(8):
        lane[j] = 0.0
    for k in range(0, n8, 8):
        for j in range(8):
            lane[j] += x[k + j]
    for k in range(n8, n):
        s += x[k]
    return s + (((lane[0] + lane[1]) + (lane[2] + lane[3]))
                + ((lane[4] + lane[5]) + (lane[6] + lane[7])))


cdef inline double row_sum(const floating[::1] x) noexcept nogil:
    """sum_k x[k] in double (0 for an empty row): sum_of over the row."""
    if x.shape[0] == 0:
        return 0.0
    return sum_of(&x[0], x.shape[0])


cdef inline double row_dot(const floating[::1] x, const floating[::1] y) noexcept nogil:
    """sum_k x[k] * y[k] in double (0 for an empty row); x and y have the same length."""
    cdef Py_ssize_t k, n = x.shape[0], n4 = n - n % 4
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    for k in range(0, n4, 4):
        s0 += <double> x[k] * y[k]
        s1 += <double> x[k + 1] * y[k + 1]
        s2 += <double> x[k + 2] * y[k + 2]
        s3 += <double> x[k + 3] * y[k + 3]
    for k in range(n4, n):
        s0 += <double> x[k] * y[k]
    return (s0 + s1) + (s2 + s3)


cdef inline double log1pexp(double x) noexcept nogil:
    """log(1 + exp(x)) (softplus) without overflow for large x or lost digits for small x.

    log(1 + e^x) = x + log(1 + e^-x): take whichever form has the non-positive exponent.
    """
    if x > 0:
        return x + log1p(exp(-x))
    return log1p(exp(x))


cdef inline double sign(double x) noexcept nogil:
    """-1, 0 or +1, as torch.sign: 0 at 0, and 0 for NaN too (NaN > 0 and NaN < 0 are false)."""
    # Comparisons as numbers, not branches: the compiler can vectorise this, and a branch
    # on the sign of random data mispredicts half the time.
    return <double> (x > 0) - <double> (x < 0)


# ---- the log-sum-exp of many rows at once ---------------------------------------------------
# exp decides the speed of softmax and cross-entropy. A vectorised exp handles 4 or 8 entries
# per call, so a row of 10 classes wastes most of it on a remainder; exp over a block of many
# rows, laid end to end in memory, keeps it busy. Hence three passes over a block: shift each
# row by its max, exp of the whole block, then each row's sum.

cdef inline double shift_by_max(const floating[::1] x, floating[::1] out) noexcept nogil:
    """out[k] = x[k] - max(x); returns max(x) (-inf for an empty row, see row_max)."""
    cdef Py_ssize_t k
    cdef floating m = <floating> row_max(x)  # one of the entries (or -inf): the cast is exact
    for k in range(x.shape[0]):
        out[k] = x[k] - m
    return m


cdef inline void exp_inplace(floating* a, Py_ssize_t n) noexcept nogil:
    """a[k] = exp(a[k]) for the n entries from a, in a's precision (the loop is in _simd_math.h).

    A raw pointer, not a memoryview: the caller passes a whole block of rows of a 2-D array
    as one flat run (C-contiguous rows follow each other in memory).
    """
    if floating is float:
        minigrad_expf_inplace(a, n)
    else:
        minigrad_exp_inplace(a, n)


cdef inline void exp_shifted(const floating* x, floating shift, floating* out,
                             Py_ssize_t n) noexcept nogil:
    """out[k] = exp(x[k] - shift) for k < n, in x's precision (the loop is in _simd_math.h).

    One loop for a long row: the shift and the exp in one pass. (A short row gains more from
    shift_by_max row by row, then exp_inplace over a block of rows.) out must not overlap x.
    """
    if floating is float:
        minigrad_expf_shifted(x, shift, out, n)
    else:
        minigrad_exp_shifted(x, shift, out, n)


cdef inline void fill_zero(floating[::1] a) noexcept nogil:
    """a[:] = 0."""
    cdef Py_ssize_t k
    for k in range(a.shape[0]):
        a[k] = 0
