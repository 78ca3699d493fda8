# cython: language_level=3, cdivision=True
"""The kernels of _softmax.pyx, compiled for CPUs with AVX-512 (setup.py).

The source is _softmax.pyx itself, included here word for word; minigrad/_kernels/__init__.py
imports this module instead of _softmax only where cpu_has_avx512() says the CPU runs it.
"""
include "_softmax.pyx"
