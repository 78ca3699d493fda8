"""Type stub for the compiled loss kernels (_loss.pyx); the math of each loss is in the
docstring of its Function in minigrad.ops.loss.

Every kernel returns `total`, the sum of the per-sample losses as a Python float
(cross_entropy and nll_loss with mean=True: divided by the weight sum of the rows not
ignored, NaN if that is 0), writes the per-sample losses into `loss_out` and the gradient
with respect to its first argument into `grad_out` (times `scale`, or normalised like the
total); either may be None, and without grad_out no gradient is computed. All float arrays
of one call are C-contiguous and share one dtype, float32 or float64; inputs may be
read-only; outputs must not share memory with inputs. Class indices are int64.
"""
from typing import TypeVar

import numpy as np
import numpy.typing as npt

_Float = TypeVar("_Float", np.float32, np.float64)
_Array = npt.NDArray[_Float]
_Index = npt.NDArray[np.int64]

def mse_loss(
    x: _Array, y: _Array, loss_out: _Array | None, grad_out: _Array | None, scale: float
) -> float: ...
def l1_loss(
    x: _Array, y: _Array, loss_out: _Array | None, grad_out: _Array | None, scale: float
) -> float: ...
def huber_loss(
    x: _Array,
    y: _Array,
    delta: float,
    loss_out: _Array | None,
    grad_out: _Array | None,
    scale: float,
) -> float: ...
def smooth_l1_loss(
    x: _Array,
    y: _Array,
    beta: float,
    loss_out: _Array | None,
    grad_out: _Array | None,
    scale: float,
) -> float: ...
def binary_cross_entropy(
    p: _Array,
    y: _Array,
    weight: _Array | None,
    loss_out: _Array | None,
    grad_out: _Array | None,
    scale: float,
) -> float: ...
def binary_cross_entropy_with_logits(
    x: _Array,
    y: _Array,
    weight: _Array | None,
    pos_weight: _Array | None,
    loss_out: _Array | None,
    grad_out: _Array | None,
    scale: float,
) -> float: ...
def kl_div(
    x: _Array,
    t: _Array,
    log_target: bool,
    loss_out: _Array | None,
    grad_out: _Array | None,
    scale: float,
) -> float: ...
def hinge_loss(
    s: _Array,
    y: _Array,
    margin: float,
    loss_out: _Array | None,
    grad_out: _Array | None,
    scale: float,
) -> float: ...
def cross_entropy(
    x: _Array,
    target: _Index,
    weight: _Array | None,
    ignore_index: int,
    label_smoothing: float,
    mean: bool,
    loss_out: _Array | None,
    grad_out: _Array | None,
) -> float: ...
def cross_entropy_probs(
    x: _Array,
    target: _Array,
    weight: _Array | None,
    label_smoothing: float,
    loss_out: _Array | None,
    grad_out: _Array | None,
    scale: float,
) -> float: ...
def nll_loss(
    logp: _Array,
    target: _Index,
    weight: _Array | None,
    ignore_index: int,
    mean: bool,
    loss_out: _Array | None,
    grad_out: _Array | None,
) -> float: ...
def multi_margin_loss(
    x: _Array,
    target: _Index,
    p: int,
    margin: float,
    weight: _Array | None,
    loss_out: _Array | None,
    grad_out: _Array | None,
    scale: float,
) -> float: ...
