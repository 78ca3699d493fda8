# cython: language_level=3, cdivision=True
"""The kernels of _loss.pyx, compiled for CPUs with AVX-512 (setup.py).

The source is _loss.pyx itself, included here word for word; minigrad/_kernels/__init__.py
imports this module instead of _loss only where cpu_has_avx512() says the CPU runs it.
"""
include "_loss.pyx"
