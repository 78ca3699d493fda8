/* The C the kernels share: vectorised exp and log without -ffast-math, and the CPU test.
 *
 * 1. glibc (>= 2.22, x86-64) ships libmvec: SIMD versions of exp, expf, log and logf (and
 *    log1p, log1pf since 2.35) that keep the IEEE special cases (NaN in, NaN out; exp(-inf) = 0;
 *    exp(inf) = inf; log(0) = -inf) and are accurate to a few ulp. gcc calls them from a
 *    vectorised loop only when the scalar function is declared with the simd attribute,
 *    which glibc's <math.h> does only under -ffast-math, a flag we refuse (it changes NaN/inf
 *    results). So we declare the functions we use ourselves: softmax, cross-entropy, binary
 *    cross-entropy and its logits form, kl_div are about 2x faster for it (and the float32
 *    losses twice more for their float versions).
 *
 *    Only for gcc on x86-64 with glibc: clang spells this differently, and other libcs and
 *    architectures may not have these symbols. Everywhere else (or with
 *    -DMINIGRAD_NO_SIMD_EXP) nothing is declared and the loops call the scalar functions,
 *    with the same results to rounding.
 *
 * 2. exp (and log) over a long run of numbers, as plain C loops: gcc vectorises them with the SIMD
 *    width the module is compiled for (SSE2 in the baseline build: 4 floats at a time;
 *    8 in the AVX2 build).
 *
 * 3. The CPU tests: the kernel modules are compiled three times on x86-64 (setup.py), for
 *    any x86-64, with -mavx2 -mfma, and with AVX-512 as well; minigrad/_kernels/__init__.py
 *    loads the widest build that minigrad_cpu_has_avx512() / minigrad_cpu_has_avx2_fma()
 *    say the CPU runs. That is the one SIMD mechanism.
 */
#ifndef MINIGRAD_SIMD_MATH_H
#define MINIGRAD_SIMD_MATH_H

#include <math.h> /* also defines __GLIBC__ where glibc is the C library */
#include <stddef.h>

/* A helper a module does not call is no warning (gcc, clang); MSVC has no such attribute. */
#if defined(__GNUC__)
#define MINIGRAD_UNUSED __attribute__((unused))
#else
#define MINIGRAD_UNUSED
#endif

#if defined(__GNUC__) && !defined(__clang__) && !defined(__INTEL_COMPILER) \
    && defined(__x86_64__) && defined(__GLIBC__)                           \
    && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 22))        \
    && !defined(MINIGRAD_NO_SIMD_EXP)
__attribute__((simd("notinbranch"))) double exp(double);
__attribute__((simd("notinbranch"))) float expf(float);
__attribute__((simd("notinbranch"))) double log(double);
__attribute__((simd("notinbranch"))) float logf(float);
#if __GLIBC__ > 2 || __GLIBC_MINOR__ >= 35
__attribute__((simd("notinbranch"))) double log1p(double);
__attribute__((simd("notinbranch"))) float log1pf(float);
#endif
#define MINIGRAD_SIMD_EXP 1
#else
#define MINIGRAD_SIMD_EXP 0
#endif

/* (Py_ssize_t, as Cython passes it: ptrdiff_t has its size and sign.) */
MINIGRAD_UNUSED static void minigrad_expf_inplace(float *a, ptrdiff_t n) {
    for (ptrdiff_t k = 0; k < n; k++) a[k] = expf(a[k]);
}
MINIGRAD_UNUSED static void minigrad_exp_inplace(double *a, ptrdiff_t n) {
    for (ptrdiff_t k = 0; k < n; k++) a[k] = exp(a[k]);
}
MINIGRAD_UNUSED static void minigrad_expf_shifted(const float *x, float shift, float *out,
                                                          ptrdiff_t n) {
    for (ptrdiff_t k = 0; k < n; k++) out[k] = expf(x[k] - shift);
}
MINIGRAD_UNUSED static void minigrad_exp_shifted(const double *x, double shift, double *out,
                                                         ptrdiff_t n) {
    for (ptrdiff_t k = 0; k < n; k++) out[k] = exp(x[k] - shift);
}

/* The max of a row, skipping NaN (NaN > m is false), -inf for an empty row: 8 running lanes,
 * entry k to lane k % 8, combined at the end. Written with gcc's vector types (clang has
 * them too): gcc 12 does not turn the same lanes written as an array into SIMD (8 scalar
 * maxss per step, a tenth of log_softmax at C = 100), and a max reduction only under
 * -ffast-math. Only in the AVX2 build: in the baseline one, 32-byte vectors (two SSE
 * registers) compiled to code twice as slow as the plain lanes below, which it keeps. Both
 * give the same result, the same as comparing one by one. */
#if defined(__GNUC__) && defined(__AVX2__)
typedef float minigrad_v8f __attribute__((vector_size(32)));
typedef int minigrad_v8i __attribute__((vector_size(32)));
typedef double minigrad_v4d __attribute__((vector_size(32)));
typedef long long minigrad_v4l __attribute__((vector_size(32)));
/* lane = v > lane ? v : lane, entry by entry (gt: all ones where v > lane) */
#define MINIGRAD_MAX_STEP(lane, p, VT, VI)                                                 \
    do {                                                                                    \
        VT v;                                                                               \
        VI gt;                                                                              \
        __builtin_memcpy(&v, (p), sizeof v); /* an unaligned load */                        \
        gt = v > (lane);                                                                    \
        (lane) = (VT)(((VI)v & gt) | ((VI)(lane) & ~gt));                                   \
    } while (0)
MINIGRAD_UNUSED static float minigrad_max_f(const float *x, ptrdiff_t n) {
    minigrad_v8f lane;  /* lanes 0-7 */
    float m = -INFINITY;
    ptrdiff_t k, n8 = n - n % 8;
    for (int j = 0; j < 8; j++) lane[j] = -INFINITY;
    for (k = 0; k < n8; k += 8) MINIGRAD_MAX_STEP(lane, x + k, minigrad_v8f, minigrad_v8i);
    for (k = n8; k < n; k++) m = x[k] > m ? x[k] : m;
    for (int j = 0; j < 8; j++) m = lane[j] > m ? lane[j] : m;
    return m;
}
MINIGRAD_UNUSED static double minigrad_max_d(const double *x, ptrdiff_t n) {
    minigrad_v4d low, high;  /* lanes 0-3 and 4-7: a 64-byte vector type compiles badly */
    double m = -INFINITY;
    ptrdiff_t k, n8 = n - n % 8;
    for (int j = 0; j < 4; j++) low[j] = high[j] = -INFINITY;
    for (k = 0; k < n8; k += 8) {
        MINIGRAD_MAX_STEP(low, x + k, minigrad_v4d, minigrad_v4l);
        MINIGRAD_MAX_STEP(high, x + k + 4, minigrad_v4d, minigrad_v4l);
    }
    for (k = n8; k < n; k++) m = x[k] > m ? x[k] : m;
    for (int j = 0; j < 4; j++) m = low[j] > m ? low[j] : m;
    for (int j = 0; j < 4; j++) m = high[j] > m ? high[j] : m;
    return m;
}
#else
#define MINIGRAD_ROW_MAX(NAME, T)                                                           \
    static T NAME(const T *x, ptrdiff_t n) {                                                \
        T lane[8], m = -INFINITY;                                                           \
        ptrdiff_t k, n8 = n - n % 8;                                                        \
        for (int j = 0; j < 8; j++) lane[j] = -INFINITY;                                    \
        for (k = 0; k < n8; k += 8)                                                         \
            for (int j = 0; j < 8; j++) lane[j] = x[k + j] > lane[j] ? x[k + j] : lane[j];  \
        for (k = n8; k < n; k++) m = x[k] > m ? x[k] : m;                                   \
        for (int j = 0; j < 8; j++) m = lane[j] > m ? lane[j] : m;                          \
        return m;                                                                           \
    }
MINIGRAD_ROW_MAX(minigrad_max_f, float)
MINIGRAD_ROW_MAX(minigrad_max_d, double)
#endif

/* log of a run of doubles: the row sums of a block of softmax rows, one vectorised call for
 * the block instead of one scalar log per row (which cost a tenth of log_softmax at C = 100). */
MINIGRAD_UNUSED static void minigrad_log_inplace(double *a, ptrdiff_t n) {
    for (ptrdiff_t k = 0; k < n; k++) a[k] = log(a[k]);
}

MINIGRAD_UNUSED static int minigrad_cpu_has_avx2_fma(void) {
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

/* AVX-512 as the *_avx512 build is compiled for it (-mavx512f -mavx512dq -mavx512vl
 * -mavx512bw, with AVX2 and FMA). */
MINIGRAD_UNUSED static int minigrad_cpu_has_avx512(void) {
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    __builtin_cpu_init();
    return minigrad_cpu_has_avx2_fma() && __builtin_cpu_supports("avx512f")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512bw");
#else
    return 0;
#endif
}

#endif /* MINIGRAD_SIMD_MATH_H */
