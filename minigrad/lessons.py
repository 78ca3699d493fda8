"""The lessons' trainings, run through minigrad's autograd (no hand-written gradients).

Each function trains one lesson's model with the lesson's own data and hyperparameters,
prints its progress the way the lesson does, and returns what it learned so that
tests can check it.
"""
import numpy as np

import minigrad as mg
from minigrad import nn


def binary_cross_entropy(p, y):
    """-mean(y log p + (1 - y) log(1 - p)), each log clamped at -100 as PyTorch does
    (so p = 0 or 1 gives a large finite loss, not inf). Composed from primitive ops."""
    log_p = p.log().clamp(min=-100.0)
    log_not_p = (1 - p).log().clamp(min=-100.0)
    return -(y * log_p + (1 - y) * log_not_p).mean()


def and_gate(epochs=100, lr=0.5, seed=0, report_every=20, out=print):
    """Logistic regression on the AND gate: sigmoid(x @ w + b), binary cross-entropy, SGD.

    The lesson's setup: 4 samples, w ~ N(0, 1), b = 0, learning rate 0.5, 100 epochs.
    """
    mg.manual_seed(seed)
    initial_weight = mg.randn(1, 2)  # the lesson's initialisation: w ~ N(0, 1), b = 0
    x = mg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = mg.tensor([[0.0], [0.0], [0.0], [1.0]])
    model = nn.Linear(2, 1)
    with mg.no_grad():
        model.weight.data[...] = initial_weight.data
        model.bias.data[...] = 0.0
    optimizer = mg.optim.SGD(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        p = model(x).sigmoid()
        loss = binary_cross_entropy(p, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
        if epoch % report_every == 0:
            out(f"Epoch {epoch:4d}: loss = {loss.item():.4f}")
    with mg.no_grad():
        p = model(x).sigmoid()
    probabilities = ", ".join(f"{v:.2f}" for v in p.data.ravel())
    targets = ", ".join(f"{v:.0f}" for v in y.data.ravel())
    out(f"Final probabilities: [{probabilities}] (targets [{targets}])")
    if not np.isfinite(history[-1]) or history[-1] > history[0]:
        out(f"Warning: training diverged (loss {history[0]:.4f} -> {history[-1]:.4f}). "
            "The learning rate is too high for this problem: try a smaller --lr.")
    elif not np.array_equal(p.data.ravel() > 0.5, y.data.ravel() > 0.5):
        out(f"Not all four cases are right yet after {epochs} epochs: train longer (--epochs) "
            "or raise --lr; the loss is still falling.")
    return model, history
