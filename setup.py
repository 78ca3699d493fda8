"""Declares minigrad's compiled kernels; everything else is in pyproject.toml.

MINIGRAD_CYTHON_DEBUG=1 builds them with bounds, wraparound and initialisation checks on
and writes Cython's annotated HTML next to each .pyx (yellow lines call into Python).
"""
import os
import platform
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

KERNELS = ["_softmax", "_loss"]  # each is minigrad/_kernels/<name>.pyx

debug = os.environ.get("MINIGRAD_CYTHON_DEBUG") == "1"

if sys.platform == "win32":  # MSVC: its own spelling of the flags below
    compile_args = ["/O2"]
    libraries = []
else:
    # No -ffast-math: it changes NaN/inf results, and gcc < 13 links crtfastmath.o, which
    # flushes subnormals to zero for the whole process. No -march=native or -mavx2: the
    # build must run on any x86-64 and arm64 machine. These two flags only tell the
    # compiler that no one reads errno or floating-point traps, so it may vectorise.
    compile_args = ["-O3", "-fno-math-errno", "-fno-trapping-math"]
    libraries = ["m"]  # the C math library (and glibc's vector math, where it is used)

extensions = [
    Extension(
        f"minigrad._kernels.{name}",
        [f"minigrad/_kernels/{name}.pyx"],
        extra_compile_args=compile_args,
        libraries=libraries,
    )
    for name in KERNELS
]

# On x86-64, each kernel module is built a second time for CPUs with AVX2 and FMA
# (<name>_avx2.pyx only includes <name>.pyx): twice the SIMD width for the float32 loops.
# minigrad/_kernels/__init__.py imports it only when the CPU running it has both, so the
# baseline module above stays the one for every other x86-64. -ffp-contract=off keeps FMA
# from fusing a * b + c: both modules then round every operation alike.
if sys.platform != "win32" and platform.machine().lower() in ("x86_64", "amd64"):
    extensions += [
        Extension(
            f"minigrad._kernels.{name}_avx2",
            [f"minigrad/_kernels/{name}_avx2.pyx"],
            extra_compile_args=compile_args + ["-mavx2", "-mfma", "-ffp-contract=off"],
            libraries=libraries,
        )
        for name in KERNELS
    ]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "language_level": "3",
            "boundscheck": debug,
            "wraparound": debug,
            "initializedcheck": debug,
            "autotestdict": False,
        },
        annotate=debug,
        # The debug build's C goes elsewhere: cythonize regenerates C only when the .pyx is
        # newer than it, so a shared .c would let one build silently reuse the other's checks.
        build_dir="build/cython-debug" if debug else None,
    )
)
