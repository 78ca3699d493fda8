"""Declares what minigrad compiles; everything else is in pyproject.toml.

Two kinds of compiled module:
- the kernels, minigrad/_kernels/<name>.pyx: Cython (typed, nogil loops), the softmax and
  the losses;
- the engine, ENGINE below: plain Python modules (autograd.py, tensor.py, ops/, ...) that
  Cython compiles as they are, so a learner reads Python and runs C. A module compiled this
  way behaves as the interpreted one (tests/ run against both); only its speed changes.
  Where a `.pxd` sits beside a `.py`, it declares C types for that module (Cython's
  pure-Python mode).

MINIGRAD_PURE_PYTHON=1 compiles nothing: minigrad installs as plain Python, with the numpy
twins of the kernels (minigrad/_kernels/reference.py). The same happens, with a message, when
no C compiler works (for example with CC=false). `import minigrad` then warns once that it
runs uncompiled, and `minigrad.show_config()` says what is compiled.

MINIGRAD_CYTHON_DEBUG=1 builds only the kernels, with bounds, wraparound and initialisation
checks on, and writes Cython's annotated HTML next to each .pyx (yellow lines call into
Python).
"""
import os
import platform
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

KERNELS = ["_softmax", "_loss"]  # each is minigrad/_kernels/<name>.pyx
# Each is minigrad/<name>.py: the modules every op, backward and optimizer step runs through.
ENGINE = ["autograd", "tensor", "inplace", "dtype", "hooks", "function_forms", "creation",
          "ops/_broadcast", "ops/_rows", "ops/activation", "ops/copy", "ops/elementwise",
          "ops/embedding", "ops/join", "ops/linear", "ops/loss", "ops/matmul", "ops/reduce",
          "ops/shape", "ops/softmax", "nn/functional", "nn/module", "nn/linear", "nn/loss",
          "nn/activation", "optim/optimizer", "optim/sgd", "optim/adam"]

pure = os.environ.get("MINIGRAD_PURE_PYTHON") == "1"

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
# Without debug information (-g0 after Python's own -g): the wheel is 17.6 MB with it. The
# debug build keeps it, for gdb.
no_debug_info = [] if debug or sys.platform == "win32" else ["-g0"]
compile_args += no_debug_info

extensions = [
    Extension(
        f"minigrad._kernels.{name}",
        [f"minigrad/_kernels/{name}.pyx"],
        extra_compile_args=compile_args,
        libraries=libraries,
    )
    for name in KERNELS
]

# On x86-64, each kernel module is built twice more (<name>_<build>.pyx only includes
# <name>.pyx): for CPUs with AVX2 and FMA (twice the SIMD width of the baseline for the float32
# loops), and for CPUs with AVX-512 as well (twice again; softmax, log_softmax and
# cross-entropy 8-15% faster than the AVX2 build here, float32 BCE with logits 36%).
# minigrad/_kernels/__init__.py imports the widest build the CPU running it has, so the
# baseline module above stays the one for every other x86-64. -ffp-contract=off keeps FMA
# from fusing a * b + c: all builds then round every operation alike.
SIMD_BUILDS = {
    "avx2": ["-mavx2", "-mfma"],
    "avx512": ["-mavx2", "-mfma", "-mavx512f", "-mavx512dq", "-mavx512vl", "-mavx512bw",
               "-mprefer-vector-width=512"],  # (gcc's default width for AVX-512 is 256)
}
if sys.platform != "win32" and platform.machine().lower() in ("x86_64", "amd64"):
    extensions += [
        Extension(
            f"minigrad._kernels.{name}_{build}",
            [f"minigrad/_kernels/{name}_{build}.pyx"],
            extra_compile_args=compile_args + flags + ["-ffp-contract=off"],
            libraries=libraries,
        )
        for build, flags in SIMD_BUILDS.items()
        for name in KERNELS
    ]

# The engine's modules are Python: -O2 is enough (their time is in calls into the Python
# C-API, not in loops the compiler could vectorise), and keeps the build short. The debug
# build is for the kernels' bounds checks: it leaves the engine interpreted.
engine = [] if debug else [
    Extension(f"minigrad.{name.replace('/', '.')}", [f"minigrad/{name}.py"],
              extra_compile_args=["/O2"] if sys.platform == "win32" else ["-O2"] + no_debug_info)
    for name in ENGINE
]


class BuildOrFallBack(build_ext):
    """build_ext that builds on every core, and that installs plain Python when no C compiler
    works, instead of failing the install (the reference kernels and the interpreted engine
    are the same code, slower)."""

    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1

    def run(self):
        try:
            super().run()
        except Exception as error:  # the compiler's error types differ between setuptools versions
            if os.environ.get("MINIGRAD_REQUIRE_COMPILER") == "1":
                raise
            print(f"\nminigrad: the C build failed ({type(error).__name__}: {error}).\n"
                  "minigrad: installing it as plain Python instead: the same results, slower. "
                  "Install a C compiler (gcc or clang) and reinstall for the compiled build.\n",
                  file=sys.stderr)


if pure:
    ext_modules = []
else:
    from Cython.Build import cythonize

    ext_modules = cythonize(
        extensions,
        nthreads=os.cpu_count() or 1,
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
    # The engine keeps Python's semantics: x.shape[-1] counts from the end and an index out of
    # range raises (boundscheck and wraparound off would read outside a tuple and crash).
    ext_modules += cythonize(
        engine,
        nthreads=os.cpu_count() or 1,
        compiler_directives={
            "language_level": "3",
            "autotestdict": False,
            # The engine's annotations (few) are for readers: its C types are in .pxd files.
            "annotation_typing": False,
        },
    )

setup(ext_modules=ext_modules, cmdclass={"build_ext": BuildOrFallBack})
