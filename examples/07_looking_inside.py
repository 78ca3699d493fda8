"""
Looking inside the autograd
===========================

``python examples/07_looking_inside.py``

Everything PyTorch lets you inspect while it runs, on the regression lesson's one-weight
model (``prediction = w x``, ``y = 2x``, ``w = 0.5``):

1. The graph by hand: every tensor an op made has a ``grad_fn``; its ``next_functions`` lead
   back to the leaves (``AccumulateGrad``), as in PyTorch.
2. Intermediate gradients: ``backward()`` keeps only the leaves' ``.grad``; ``retain_grad()``
   keeps an intermediate one too, and each is checked against the chain rule written out.
3. Hooks see each gradient as it passes (and may replace it); forward hooks see activations.
4. ``autograd.grad`` returns gradients without touching any ``.grad``.
5. In-place changes: a version counter per tensor; backward refuses what changed under it.
6. Anomaly mode: where did the NaN come from?
7. The graph as a picture (Graphviz if installed, else matplotlib): ``graph.png``.
"""
import warnings

import numpy as np

import minigrad as mg
from minigrad import nn

x = mg.tensor([[1.0], [2.0], [3.0], [4.0], [5.0]], dtype=mg.float64)   # the lesson's data, y = 2x
y = 2 * x
model = nn.Linear(1, 1, bias=False, dtype=mg.float64)
with mg.no_grad():
    model.weight.fill_(0.5)

# %%
# The graph, walked by hand
# -------------------------
# Every tensor an op made has a ``grad_fn``; its ``next_functions`` lead back to the leaves,
# whose gradient an ``AccumulateGrad`` node adds up.
prediction = model(x)
error = prediction - y
loss = (error ** 2).mean()
print("== 1. the graph, walked from the loss ==")
node, depth = loss.grad_fn, 0
while node is not None:
    print("  " * depth + node.name())
    nexts = [n for n, _ in node.next_functions if n is not None]
    node, depth = (nexts[0] if nexts else None), depth + 1
print("loss.is_leaf:", loss.is_leaf, "  model.weight.is_leaf:", model.weight.is_leaf)

# %%
# Intermediate gradients, against the chain rule
# ----------------------------------------------
# ``backward()`` keeps only the leaves' ``.grad``; ``retain_grad()`` keeps an intermediate one
# too. Each is compared with the chain rule written out by hand.
print("\n== 2. intermediate gradients, against the chain rule ==")
error.retain_grad()
prediction.retain_grad()
loss.backward()
n = x.shape[0]
by_hand = {
    "dloss/derror = 2 error / n": 2 * error.data / n,
    "dloss/dprediction = the same (prediction - y)": 2 * error.data / n,
    "dloss/dw = sum(x dloss/dprediction)": (x.data * 2 * error.data / n).sum(keepdims=True),
}
engine = [error.grad.data, prediction.grad.data, model.weight.grad.data]
for (what, expected), got in zip(by_hand.items(), engine):
    assert np.allclose(expected, got)
    print(f"{what:48s} engine {got.ravel()}  by hand {expected.ravel()}")
print("dloss/dw = 2 mean(x^2) (w - 2) =", 2 * np.mean(x.data ** 2) * (0.5 - 2))

# %%
# Hooks
# -----
# A tensor hook sees the gradient as it passes and may return a replacement (here: clip it
# to [-1, 1]); a forward hook sees a module's output.
print("\n== 3. hooks ==")
seen = []
model.zero_grad()
error = model(x) - y
hook = error.register_hook(lambda g: seen.append(g.data.ravel().copy()))
clip = error.register_hook(lambda g: g.clamp(-1.0, 1.0))   # a hook may return a replacement
activations = []
forward = model.register_forward_hook(lambda module, args, out: activations.append(out.data.ravel().copy()))
(error ** 2).mean().backward()
print("the gradient at `error`, as the first hook saw it:", seen[-1])
print("w's gradient after the clipping hook:", model.weight.grad.item())
model(x)
print("the layer's output, seen by the forward hook:", activations[-1])
for h in (hook, clip, forward):
    h.remove()

# %%
# ``mg.autograd.grad``
# --------------------
# Gradients returned, no ``.grad`` touched.
print("\n== 4. mg.autograd.grad: gradients returned, no .grad touched ==")
model.zero_grad()
loss = ((model(x) - y) ** 2).mean()
(dw,) = mg.autograd.grad(loss, [model.weight])
print("dloss/dw =", dw.item(), "  model.weight.grad is still", model.weight.grad)

# %%
# In-place changes and version counters
# -------------------------------------
# Each in-place change bumps the tensor's version; backward refuses an array an op saved
# that changed afterwards, instead of computing a wrong gradient.
print("\n== 5. in-place changes and version counters ==")
w = mg.tensor([1.0, 2.0], requires_grad=True)
e = w.exp()                       # ExpBackward saves e: d(e^w)/dw = e^w
with mg.no_grad():
    e.add_(1)                     # e is now at version 1
print("e._version =", e._version)
try:
    e.sum().backward()
except RuntimeError as error_message:
    print("backward refuses:", str(error_message).split(" Hint")[0])
e = w.exp().clone()               # change a copy instead: clone() is still in the graph
e.mul_(3)                         # recorded: e's grad_fn is now MulBackward0
e.sum().backward()
print("after e = w.exp().clone(); e.mul_(3): e.grad_fn =", e.grad_fn.name(), " w.grad =", w.grad.data,
      "= 3 e^w:", np.allclose(w.grad.data, 3 * np.exp(w.data)))

# %%
# Anomaly mode
# ------------
# ``sqrt`` is fine forward at 0, but its backward multiplies by ``1/(2 sqrt(0)) = inf``:
# anomaly mode names the op that returned NaN and the line that made it.
print("\n== 6. anomaly mode: where did the NaN come from? ==")
v = mg.tensor([0.0, 4.0], requires_grad=True)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")       # (the forward traceback also comes as a warning)
    with mg.autograd.detect_anomaly():
        root = v.sqrt()                   # fine forward (0 and 2), NaN backward at 0 (0 * inf)
        try:
            (root * 0).sum().backward()
        except RuntimeError as error_message:
            print(error_message)
            print(error_message.__notes__[0].split(": ", 1)[1].strip(), "<- the line that made the op")

# %%
# The graph as a picture
# ----------------------
# ``mg.viz.draw_graph`` draws the graph of one training step after ``backward()``: one box
# per tensor, with its value and, for the weight, the gradient ``backward()`` left in it,
# ``2 mean(x^2) (w - 2) = -33``.
print("\n== 7. the graph as a picture ==")
model.zero_grad()
loss = nn.functional.mse_loss(model(x), y)
loss.backward()
try:
    drawing = mg.viz.draw_graph(loss, params=dict(model.named_parameters()))
    drawing.save("graph.png")
    print(f"Wrote graph.png: {len(drawing.nodes)} tensors")
except ImportError as missing:   # neither Graphviz nor matplotlib installed
    print("no picture:", missing)
print("\nVerdict: every gradient the engine kept equals the chain rule written out by hand.")
