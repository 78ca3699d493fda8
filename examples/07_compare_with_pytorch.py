"""Compare minigrad's values and gradients with PyTorch's, in four steps.

    pip install "minigrad[torch]"
    python examples/07_compare_with_pytorch.py

1. One function, both frameworks: minigrad spells its API like PyTorch, so a function
   that receives the framework as `lib` runs on either. compare_with_torch runs it on
   both, calls backward on both, and prints how far apart every number is.
2. A wrong gradient is caught, and the report names the input and the element.
3. A whole model: compare_model_with_torch copies an MLP into torch and compares the loss
   and every parameter's gradient by name; to_torch hands you the torch model.
4. `minigrad check` does this for every op and loss, and against finite differences.
"""
import numpy as np

import minigrad
from minigrad import nn
from minigrad.testing import compare_model_with_torch, compare_with_torch, to_torch

rng = np.random.default_rng(0)

# ---- 1. write once, run on both -------------------------------------------------------------
print("== 1. cross-entropy with label smoothing, in minigrad and in torch ==")


def smoothed_cross_entropy(lib, logits, target):
    return lib.nn.functional.cross_entropy(logits, target, label_smoothing=0.1)


logits, classes = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])
print(compare_with_torch(smoothed_cross_entropy, logits, classes))             # float64
print(compare_with_torch(smoothed_cross_entropy, logits, classes, dtype=np.float32))
# float32 keeps about 7 digits: the differences are ~1e-7, inside the float32 tolerance.

# ---- 2. a wrong backward is caught ------------------------------------------------------------
print("\n== 2. a Function whose backward forgets the 2 in d(x^2)/dx = 2x ==")


class BadSquare(minigrad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return x * grad                      # wrong: should be 2 * x * grad


def square_sum(lib, x):
    return (BadSquare.apply(x) if lib is minigrad else x * x).sum()


report = compare_with_torch(square_sum, rng.normal(size=(2, 3)))
print(report)
worst = report["grad of x"]
print(f"-> grad of x is off at {worst.index}: minigrad {worst.minigrad_value:.4f}, torch {worst.torch_value:.4f}")

# ---- 3. a model and its loss ------------------------------------------------------------------
print("\n== 3. a 2-layer MLP with cross-entropy: loss and every parameter's gradient ==")
minigrad.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
X, y = rng.normal(size=(8, 4)), rng.integers(0, 3, size=8)
print(compare_model_with_torch(model, nn.CrossEntropyLoss(), X, y))

torch_model = to_torch(model)                # the way out: the same model, weights loaded
print("\nThe same model in torch:")
print(torch_model)

# ---- 4. everything at once --------------------------------------------------------------------
print("\n== 4. every op and every loss: `minigrad check` (here just multi_margin_loss, float64) ==")
from minigrad import check  # noqa: E402

failed = check.main(name_filter="multi_margin_loss", dtype="float64")
print("Verdict: compare_with_pytorch: smoothed cross-entropy and the MLP match torch; the wrong gradient "
      f"was caught at {worst.index}; `minigrad check` {'failed' if failed else 'passed'}")
