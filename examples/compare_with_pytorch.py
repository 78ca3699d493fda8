"""
Comparing minigrad with PyTorch, in five steps
==============================================

``pip install ".[torch]"``, then ``python examples/compare_with_pytorch.py``

1. One function, both frameworks: minigrad spells its API like PyTorch, so a function that
   receives the framework as ``lib`` runs on either. ``compare_with_torch`` runs it on both,
   calls backward on both, and prints how far apart every number is.
2. A wrong gradient is caught, and the report names the input and the element.
3. A whole model: ``compare_model_with_torch`` copies an MLP into torch and compares the loss
   and every parameter's gradient by name; ``to_torch``, or ``state_dict`` and torch's own
   ``load_state_dict``, hands the model over to PyTorch.
4. Kinks: at relu's 0 finite differences are not a derivative; gradcheck skips such elements
   and says so, instead of failing a correct op (:doc:`/kinks`).
5. ``minigrad check`` does all this for every op and loss, against torch and finite differences.
"""
import warnings

import numpy as np
import torch

import minigrad
from minigrad import check, nn
from minigrad.gradcheck import GradcheckError
from minigrad.testing import compare_model_with_torch, compare_with_torch, to_torch

rng = np.random.default_rng(0)

# %%
# Write once, run on both
# -----------------------
# Cross-entropy with label smoothing, in minigrad and in torch.
print("== 1. cross-entropy with label smoothing, in minigrad and in torch ==")


def smoothed_cross_entropy(lib, logits, target):
    return lib.nn.functional.cross_entropy(logits, target, label_smoothing=0.1)


logits, classes = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])
first = compare_with_torch(smoothed_cross_entropy, logits, classes)
print(first)
# In float32 (dtype=np.float32) the differences are ~1e-7, inside float32's tolerance.

# %%
# A wrong backward is caught
# --------------------------
# A ``Function`` whose backward forgets the 2 in ``d(x^2)/dx = 2x``.
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

# %%
# A model and its loss, and the way out
# -------------------------------------
# A 2-layer MLP with cross-entropy: the loss and every parameter's gradient, then the
# same model handed over to torch.
print("\n== 3. a 2-layer MLP with cross-entropy: loss and every parameter's gradient ==")
minigrad.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
X, y = rng.normal(size=(8, 4)), rng.integers(0, 3, size=8)
model_report = compare_model_with_torch(model, nn.CrossEntropyLoss(), X, y)
print(model_report)

torch_model = to_torch(model)                # the same architecture in torch, weights loaded
print("\nThe same model in torch:", torch_model, sep="\n")
# to_torch is a shortcut for this: state_dict() uses torch's names and numpy arrays.
by_hand = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
by_hand.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
X32 = X.astype(np.float32)                   # the model's dtype
with minigrad.no_grad():
    mine = model(minigrad.tensor(X32)).numpy()
gap = np.abs(by_hand(torch.from_numpy(X32)).detach().numpy() - mine).max()
print(f"state_dict {list(model.state_dict())} loaded into torch: outputs differ by at most {gap:.1e}")

# %%
# gradcheck at a kink
# -------------------
# relu at x = 0, where the finite difference is not a derivative.
print("\n== 4. gradcheck of relu at x = 0, where the finite difference is not a derivative ==")
x = minigrad.tensor([0.0, 1.5, -2.0], requires_grad=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    passed = minigrad.gradcheck(lambda x: x.relu(), [x])
skipped = caught[0].message.skipped
print(f"gradcheck -> {passed}, with a {type(caught[0].message).__name__}: not compared: {skipped[0]}")
try:
    minigrad.gradcheck(lambda x: x.relu(), [x], kinks="check")
except GradcheckError as error:
    print("comparing it anyway (kinks='check') fails a correct op:\n ", error)

# %%
# Everything at once: ``minigrad check``
# --------------------------------------
# Every op and every loss, with each option, against torch and finite differences; here
# just ``multi_margin_loss`` in float64.
print("\n== 5. every op and every loss: `minigrad check` (here just multi_margin_loss, float64) ==")
failed = check.main(name_filter="multi_margin_loss", dtype="float64")

print(f"\nVerdict: compare_with_pytorch: cross-entropy {'matches' if first.ok else 'DOES NOT match'} torch; "
      f"the wrong gradient was caught at {worst.index}; the MLP {'matches' if model_report.ok else 'DOES NOT match'}; "
      f"gradcheck skipped {len(skipped)} element at relu's kink and said so; "
      f"`minigrad check` {'FAILED' if failed else 'passed'}")
