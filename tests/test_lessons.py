"""The lessons' trainings: they learn, and they follow torch step for step."""
import numpy as np

import minigrad as mg
from minigrad import lessons


def test_and_gate_matches_the_same_training_in_torch(torch):
    model, history = lessons.and_gate(epochs=100, lr=0.5, seed=3, out=lambda *_: None)
    # Replay in torch from the same initial weights (re-drawn with the same seed).
    mg.manual_seed(3)
    w = torch.tensor(mg.randn(1, 2).data, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([[0.0], [0.0], [0.0], [1.0]])
    optimizer = torch.optim.SGD([w, b], lr=0.5)
    expected = []
    for _ in range(100):
        loss = torch.nn.functional.binary_cross_entropy(torch.sigmoid(x @ w.T + b), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        expected.append(loss.item())
    np.testing.assert_allclose(history, expected, rtol=1e-5)
    np.testing.assert_allclose(model.weight.data, w.detach().numpy(), rtol=1e-5)


def test_and_gate_loss_falls_and_prints_progress():
    lines = []
    _, history = lessons.and_gate(epochs=100, lr=0.5, seed=0, out=lines.append)
    assert history[-1] < 0.5 * history[0]
    assert [line.split(":")[0] for line in lines[:5]] == [f"Epoch {e:4d}" for e in (0, 20, 40, 60, 80)]
    assert lines[5].startswith("Final probabilities: [")


def test_and_gate_says_so_when_the_learning_rate_makes_it_diverge():
    lines = []
    _, history = lessons.and_gate(epochs=50, lr=500.0, seed=0, out=lines.append)
    assert not (history[-1] < history[0])  # it really diverged (or went to nan) ...
    assert any("learning rate is too high" in line for line in lines)  # ... and it says so
    lines = []
    lessons.and_gate(epochs=50, lr=0.5, seed=0, out=lines.append)
    assert not any("too high" in line for line in lines)


def test_binary_cross_entropy_composite_matches_torch(torch):
    p = np.array([0.0, 0.3, 1.0, 0.9])
    y = np.array([0.0, 1.0, 0.0, 1.0])
    ours = lessons.binary_cross_entropy(mg.tensor(p), mg.tensor(y)).item()
    theirs = torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(y)).item()
    assert ours == theirs or abs(ours - theirs) <= 1e-12 * abs(theirs)
