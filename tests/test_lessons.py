"""The lessons' trainings: at the lessons' own settings they follow torch epoch for epoch,
they reach their goals, and they say so honestly when they do not."""
import numpy as np
import pytest

from minigrad import lessons
from minigrad.lessons import binary, multiclass, regression, svm
from minigrad.lessons._common import is_diverging, quiet


def replay_in_torch(torch, result, x, forward_loss, epochs, lr):
    """Train the same model in torch from `result.initial` with plain SGD; per-epoch losses."""
    params = {k: torch.tensor(v, requires_grad=True) for k, v in result.initial.items()}
    optimizer = torch.optim.SGD(list(params.values()), lr=lr)
    x = torch.tensor(np.asarray(x, dtype=np.float64))
    losses = []
    for _ in range(epochs):
        loss = forward_loss(torch, params, x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, params


def logits(params, x):
    out = x @ params["weight"].T
    return out + params["bias"] if "bias" in params else out


# ---- 1. regression -------------------------------------------------------------------------
def test_regression_at_the_lessons_settings_matches_torch_and_diverges(torch):
    result = regression.linear_regression(epochs=10, lr=0.1, out=quiet)
    y = torch.tensor(regression.Y, dtype=torch.float64).reshape(-1, 1)
    expected, params = replay_in_torch(
        torch, result, np.reshape(regression.X, (-1, 1)),
        lambda torch, p, x: torch.nn.functional.mse_loss(logits(p, x), y), epochs=10, lr=0.1)
    np.testing.assert_allclose(result.losses, expected, rtol=1e-9)
    assert result.extra["w"][-1] == pytest.approx(params["weight"].item(), rel=1e-9)
    # Each step multiplies w - 2 by -1.2, so the loss grows by 1.44x per epoch.
    errors = np.array([0.5] + result.extra["w"]) - 2
    np.testing.assert_allclose(errors[1:] / errors[:-1], -1.2, rtol=1e-9)
    assert result.status == "diverged"


def test_regression_divergence_is_explained_with_a_rate_that_works():
    lines = []
    result = regression.linear_regression(lr=0.1, out=lines.append)
    text = "\n".join(lines)
    assert "-1.2" in text and "2/22" in text and "--lr 0.05" in text
    assert lines[-1].startswith("Verdict: regression: diverged")
    assert regression.step_factor(0.1) == pytest.approx(-1.2)
    # The suggested rate converges: w within 1e-3 of 2 in the lesson's 10 epochs.
    good = regression.linear_regression(lr=0.05, out=quiet)
    assert abs(good.extra["w"][-1] - 2.0) < 1e-3 and good.status == "converged"
    assert good.status == "converged" and result.status != "converged"


def test_regression_default_converges_and_too_small_a_rate_stalls():
    assert regression.linear_regression(out=quiet).status == "converged"
    slow = regression.linear_regression(lr=0.01, out=quiet)
    assert slow.status == "stalled" and "not within 1e-3" in slow.verdict


# ---- 2. binary -----------------------------------------------------------------------------
Y_AND = np.array([[0.0], [0.0], [0.0], [1.0]])


@pytest.mark.parametrize("with_logits", [False, True])
def test_and_gate_at_the_lessons_settings_matches_torch(torch, with_logits):
    result = binary.and_gate(seed=3, with_logits=with_logits, out=quiet)
    y = torch.tensor(Y_AND)
    expected, params = replay_in_torch(
        torch, result, binary.X,
        lambda torch, p, x: torch.nn.functional.binary_cross_entropy(torch.sigmoid(logits(p, x)), y),
        epochs=100, lr=0.5)
    np.testing.assert_allclose(result.losses, expected, rtol=1e-9)
    np.testing.assert_allclose(result.model.weight.data, params["weight"].detach().numpy(), rtol=1e-9)


def test_and_gate_learns_and_prints_progress():
    lines = []
    result = binary.and_gate(out=lines.append)
    assert result.status == "converged" and result.accuracies[-1] == 1.0
    assert result.losses[-1] < 0.5 * result.losses[0]
    assert [line.split(":")[0] for line in lines[:5]] == [f"Epoch {e:4d}" for e in (0, 20, 40, 60, 80)]
    assert lines[5].startswith("Final probabilities: [")
    assert lines[-1].startswith("Verdict: binary: converged")


def test_and_gate_says_so_when_the_learning_rate_makes_it_diverge():
    lines = []
    result = binary.and_gate(epochs=50, lr=500.0, out=lines.append)
    assert result.status in ("diverged", "stalled") and not result.losses[-1] < result.losses[0]
    assert any("too high" in line for line in lines)


# ---- 3. multiclass -------------------------------------------------------------------------
def test_softmax_regression_at_the_lessons_settings_matches_torch(torch):
    result = multiclass.softmax_regression(seed=1, out=quiet)
    target = torch.tensor(multiclass.CLASSES)
    expected, _ = replay_in_torch(
        torch, result, multiclass.X,
        lambda torch, p, x: torch.nn.functional.cross_entropy(logits(p, x), target), epochs=100, lr=0.1)
    np.testing.assert_allclose(result.losses, expected, rtol=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_softmax_regression_reaches_but_never_passes_the_75_percent_ceiling(seed):
    result = multiclass.softmax_regression(epochs=400, seed=seed, out=quiet)
    assert max(result.accuracies) == 0.75 and result.accuracies[-1] == 0.75
    assert result.status == "stalled" and "ceiling" in result.verdict


# ---- 4. svm --------------------------------------------------------------------------------
def test_svm_at_the_lessons_settings_matches_torch(torch):
    result = svm.linear_svm(epochs=100, out=quiet)
    y = torch.tensor(svm.Y, dtype=torch.float64)

    def hinge_plus_l2(torch, p, x):
        scores = logits(p, x).reshape(-1)
        return torch.clamp(1 - y * scores, min=0).mean() + 0.01 * (p["weight"] ** 2).sum()

    expected, _ = replay_in_torch(torch, result, svm.X, hinge_plus_l2, epochs=100, lr=0.01)
    np.testing.assert_allclose(result.losses, expected, rtol=1e-9)


def test_svm_is_not_separated_after_100_epochs_and_says_so():
    result = svm.linear_svm(epochs=100, out=quiet)
    assert result.accuracies[-1] < 1 and result.status == "stalled"
    assert "not separated after 100 epochs" in result.verdict


@pytest.mark.parametrize("seed", [0, 3])
def test_svm_by_default_trains_until_separated(seed):
    lines = []
    result = svm.linear_svm(seed=seed, out=lines.append)
    scores = np.asarray(svm.X) @ result.extra["w"] + result.extra["b"]
    assert np.all(np.sign(scores) == np.asarray(svm.Y)) and result.status == "converged"
    assert result.extra["support_vectors"] and result.extra["margin"] > 0
    assert any(line.startswith("Margin width") for line in lines)


# ---- shared ---------------------------------------------------------------------------------
def test_divergence_detector():
    assert is_diverging([1.0, 2.0, float("nan")])
    assert is_diverging([1.0, 1.5, 2.0, 3.0, 4.0])
    assert not is_diverging([4.0, 3.0, 2.0, 2.5])          # one bump is not divergence
    assert not is_diverging([1.0, 0.5, 0.6, 0.7, 0.8])     # rising, but still below the start


@pytest.mark.parametrize("name", list(lessons.TRAININGS))
@pytest.mark.parametrize("optimizer,dtype", [("sgd", "float32"), ("adam", "float64")])
def test_every_lesson_runs_with_each_optimizer_and_dtype(name, optimizer, dtype):
    result = lessons.TRAININGS[name](epochs=5, optimizer=optimizer, dtype=dtype, out=quiet)
    assert len(result.losses) == 5 and np.all(np.isfinite(result.losses))
    assert result.verdict.startswith(f"Verdict: {name}: ")
