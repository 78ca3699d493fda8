# cython: language_level=3, cdivision=True
"""Small numeric helpers shared by the kernels (softmax now, the losses later).

Each is a `cdef inline ... noexcept nogil` function: C that Cython pastes into the loop
that calls it, with no Python object in sight. Reductions over a row return a double
whatever the array's dtype: a long sum is where rounding errors pile up.
"""
from cython cimport floating
from libc.math cimport INFINITY, exp, expf, log1p

# Declares glibc's SIMD exp/expf to gcc where that is safe, so loops calling exp vectorise
# (see the header). Elsewhere it declares nothing.
cdef extern from "_simd_math.h":
    const int MINIGRAD_SIMD_EXP  # 1 when the vectorised exp is declared, else 0


cdef inline floating typed_exp(floating x) noexcept nogil:
    """exp(x) in the precision of x: expf for float32, exp for float64.

    exp decides the speed of softmax. A float32 result computed as expf is as accurate as
    float32 can store, and vectorised it does twice as many entries per instruction as exp.
    """
    if floating is float:
        return expf(x)
    else:
        return exp(x)


# ---- reductions over one row ---------------------------------------------------------------
# A loop that keeps one running sum (or max) is as slow as the latency of one addition per
# entry: each step waits for the previous one. Four running values, combined at the end,
# let four steps run at once (and let gcc use SIMD for the sums). The order of the
# additions changes, so the result can differ from a one-by-one sum in the last bit.

cdef inline double row_max(const floating[::1] x) noexcept nogil:
    """max_k x[k], or -inf for an empty row (nothing is read when len(x) == 0).

    NaN entries are skipped (NaN > m is false), and the max of a row of -inf is -inf.
    Callers subtract the max before exp, so both cases still end in NaN, as in torch:
    a NaN entry turns the sum of exponentials into NaN, and -inf - (-inf) is NaN.
    """
    cdef Py_ssize_t k, n = x.shape[0], n4 = n - n % 4
    cdef double m0 = -INFINITY, m1 = -INFINITY, m2 = -INFINITY, m3 = -INFINITY
    for k in range(0, n4, 4):
        if x[k] > m0:
            m0 = x[k]
        if x[k + 1] > m1:
            m1 = x[k + 1]
        if x[k + 2] > m2:
            m2 = x[k + 2]
        if x[k + 3] > m3:
            m3 = x[k + 3]
    for k in range(n4, n):  # the last n % 4 entries
        if x[k] > m0:
            m0 = x[k]
    if m1 > m0:
        m0 = m1
    if m3 > m2:
        m2 = m3
    return m2 if m2 > m0 else m0


cdef inline double row_sum(const floating[::1] x) noexcept nogil:
    """sum_k x[k] in double (0 for an empty row)."""
    cdef Py_ssize_t k, n = x.shape[0], n4 = n - n % 4
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    for k in range(0, n4, 4):
        s0 += x[k]
        s1 += x[k + 1]
        s2 += x[k + 2]
        s3 += x[k + 3]
    for k in range(n4, n):
        s0 += x[k]
    return (s0 + s1) + (s2 + s3)


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
