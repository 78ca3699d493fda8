# cython: language_level=3, cdivision=True
"""The kernels of _softmax.pyx, compiled with -mavx2 -mfma for CPUs that have both (setup.py).

The source is _softmax.pyx itself, included here word for word; minigrad/_kernels/__init__.py
imports this module instead of _softmax only where cpu_has_avx2_fma() says the CPU runs it.
"""
include "_softmax.pyx"
