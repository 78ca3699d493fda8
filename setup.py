"""Declares minigrad's compiled kernels; everything else is in pyproject.toml.

MINIGRAD_CYTHON_DEBUG=1 builds them with bounds, wraparound and initialisation checks on
and writes Cython's annotated HTML next to each .pyx (yellow lines call into Python).
"""
import os
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
