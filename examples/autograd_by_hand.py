"""
Autograd by hand: one expression, its graph, every gradient three ways
======================================================================

``python examples/autograd_by_hand.py``

Take ``L = tanh(a b + c)`` with ``a = 0.5``, ``b = -1.5``, ``c = 1``. Running it records a
graph: one node per operation, pointing back at its inputs. ``L.backward()`` walks that graph
from ``L`` to the leaves with the chain rule. Here we draw the graph before and after
``backward()``, work every gradient out by hand, and check it against the engine and against
PyTorch (if it is installed). The pictures are written to ``graph_before.png`` and
``graph_after.png``.
"""
import numpy as np

import minigrad as mg

# %%
# The forward pass
# ----------------
# Leaves are the tensors we want gradients for (``requires_grad=True``). Every operation on
# them makes a new tensor whose ``grad_fn`` remembers the operation and its inputs.
a = mg.tensor(0.5, requires_grad=True, dtype=mg.float64)
b = mg.tensor(-1.5, requires_grad=True, dtype=mg.float64)
c = mg.tensor(1.0, requires_grad=True, dtype=mg.float64)
d = a * b            # -0.75
e = d + c            #  0.25
L = e.tanh()         #  tanh(0.25) = 0.2449
for name, t in [("d = a b", d), ("e = d + c", e), ("L = tanh(e)", L)]:
    print(f"{name:12s} = {t.item():+.4f}   made by {t.grad_fn.name()}")

# %%
# The graph before ``backward()``
# -------------------------------
# ``mg.viz.draw_graph`` draws every tensor ``L`` depends on, titled with the operation that
# made it (or the leaf's name) and its value. No gradient yet: ``backward()`` has not run.
params = {"a": a, "b": b, "c": c}
try:
    print("wrote", mg.viz.draw_graph(L, params=params).save("graph_before.png"))
except ImportError as missing:   # neither Graphviz nor matplotlib installed
    print("no picture:", missing)

# %%
# Backward, by hand
# -----------------
# The chain rule, from the output back to the leaves. Each local derivative is the one the
# operation's ``backward`` implements:
#
# - ``dL/de = 1 - tanh(e)^2`` (tanh's derivative);
# - ``dL/dd = dL/de * 1`` and ``dL/dc = dL/de * 1`` (addition passes the gradient on);
# - ``dL/da = dL/dd * b`` and ``dL/db = dL/dd * a`` (each factor of a product gets the other).
dL_de = 1 - np.tanh(0.25) ** 2
dL_dd = dL_de
by_hand = {"a": dL_dd * -1.5, "b": dL_dd * 0.5, "c": dL_de, "d": dL_dd, "e": dL_de}

# %%
# Backward, by the engine
# -----------------------
# ``backward()`` fills ``.grad`` of the leaves. The intermediate tensors ``d`` and ``e`` keep
# theirs only if asked to, with ``retain_grad()`` (as in PyTorch).
d.retain_grad()
e.retain_grad()
L.backward()
engine = {name: t.grad.item() for name, t in [("a", a), ("b", b), ("c", c), ("d", d), ("e", e)]}

# %%
# And by PyTorch
# --------------
# The same expression in torch, if it is installed (``pip install "minigrad[torch]"``).
try:
    import torch
except ImportError:
    torch = None
    print("torch is not installed: comparing by hand and the engine only")
if torch is not None:
    ta, tb, tc = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.5, -1.5, 1.0))
    td = ta * tb
    te = td + tc
    td.retain_grad()
    te.retain_grad()
    torch.tanh(te).backward()
    pytorch = {"a": ta.grad.item(), "b": tb.grad.item(), "c": tc.grad.item(), "d": td.grad.item(), "e": te.grad.item()}

print(f"{'gradient':9s} {'by hand':>10s} {'engine':>10s} {'PyTorch':>10s}")
for name in by_hand:
    theirs = f"{pytorch[name]:+10.6f}" if torch is not None else f"{'-':>10s}"
    print(f"dL/d{name:5s} {by_hand[name]:+10.6f} {engine[name]:+10.6f} {theirs}")
    assert np.isclose(by_hand[name], engine[name], rtol=1e-12)
    assert torch is None or np.isclose(pytorch[name], engine[name], rtol=1e-12)

# %%
# The graph after ``backward()``
# ------------------------------
# The same drawing now shows the gradient ``backward()`` left in each leaf (and in ``d`` and
# ``e``, which retained theirs).
try:
    print("wrote", mg.viz.draw_graph(L, params=params).save("graph_after.png"))
except ImportError as missing:
    print("no picture:", missing)

print("\nVerdict: every gradient by hand equals the engine's"
      + (" and PyTorch's" if torch is not None else "") + " (to 1e-12).")
