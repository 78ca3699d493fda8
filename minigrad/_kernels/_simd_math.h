/* Let gcc vectorise the loops that call exp and expf, without -ffast-math.
 *
 * glibc (>= 2.22, x86-64) ships libmvec: SIMD versions of exp and expf that keep the IEEE
 * special cases (NaN in, NaN out; exp(-inf) = 0; exp(inf) = inf) and are accurate to a few
 * ulp. gcc calls them from a vectorised loop only when the scalar function is declared
 * with the simd attribute, which glibc's <math.h> does only under -ffast-math, a flag we
 * refuse (it changes NaN/inf results). So we declare the two functions we use ourselves.
 *
 * Only for gcc on x86-64 with glibc: clang spells this differently, and other libcs and
 * architectures may not have these symbols. Everywhere else (or with
 * -DMINIGRAD_NO_SIMD_EXP) this header declares nothing and the loops call the scalar
 * exp, with the same results to rounding.
 */
#ifndef MINIGRAD_SIMD_MATH_H
#define MINIGRAD_SIMD_MATH_H

#include <math.h> /* also defines __GLIBC__ where glibc is the C library */

#if defined(__GNUC__) && !defined(__clang__) && !defined(__INTEL_COMPILER) \
    && defined(__x86_64__) && defined(__GLIBC__)                           \
    && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 22))        \
    && !defined(MINIGRAD_NO_SIMD_EXP)
__attribute__((simd("notinbranch"))) double exp(double);
__attribute__((simd("notinbranch"))) float expf(float);
#define MINIGRAD_SIMD_EXP 1
#else
#define MINIGRAD_SIMD_EXP 0
#endif

#endif /* MINIGRAD_SIMD_MATH_H */
