"""Type stub for the compiled softmax kernels (_softmax.pyx); the math is in the docstrings
of minigrad.ops.softmax.Softmax and LogSoftmax.

Every function works along the last axis of C-contiguous (n, C) arrays of float32 or
float64 (all arguments of one call share the dtype and shape) and writes into `out`,
which must not share memory with the inputs.
"""
from typing import TypeVar

import numpy as np
import numpy.typing as npt

_Float = TypeVar("_Float", np.float32, np.float64)

SIMD_EXP: bool

def softmax_forward(x: npt.NDArray[_Float], out: npt.NDArray[_Float]) -> None: ...
def log_softmax_forward(x: npt.NDArray[_Float], out: npt.NDArray[_Float]) -> None: ...
def softmax_backward(
    y: npt.NDArray[_Float], grad: npt.NDArray[_Float], out: npt.NDArray[_Float]
) -> None: ...
def log_softmax_backward(
    y: npt.NDArray[_Float], grad: npt.NDArray[_Float], out: npt.NDArray[_Float]
) -> None: ...
