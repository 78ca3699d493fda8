"""The curvature lesson (minigrad.lessons.curvature): every number it prints is a minigrad
Hessian, held here to torch.autograd.functional.hessian, to the closed forms of the module
docstring, and to the trainings it predicts."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import cli
from minigrad.lessons import binary, curvature, multiclass, regression
from minigrad.lessons._common import quiet

X = np.asarray(regression.X, dtype=np.float64)
Y = np.asarray(regression.Y, dtype=np.float64)
AND = np.c_[binary.X, np.ones(4)]


@pytest.fixture(scope="module")
def lesson():
    """The lesson run once, its printed lines kept."""
    lines = []
    result = curvature.curvature(out=lines.append)
    return result, lines


def torch_hessian(torch, fn, x):
    """torch.autograd.functional.hessian of fn at x (a numpy array), flattened to (n, n)."""
    h = torch.autograd.functional.hessian(fn, torch.tensor(np.asarray(x, dtype=np.float64)))
    return h.numpy().reshape(np.size(x), np.size(x))


def torch_regression_loss(torch):
    return lambda w: torch.nn.functional.mse_loss(torch.tensor(X) * w, torch.tensor(Y))


def torch_cross_entropy(torch, target, label_smoothing=0.0):
    return lambda z: torch.nn.functional.cross_entropy(z, torch.tensor(target), label_smoothing=label_smoothing)


def torch_and_gate_loss(torch):
    return lambda theta: torch.nn.functional.binary_cross_entropy((torch.tensor(AND) @ theta).sigmoid(),
                                                                   torch.tensor(binary.Y, dtype=torch.float64))


# ---- 1. regression --------------------------------------------------------------------------
@pytest.mark.parametrize("w", [regression.INITIAL_W, -3.0, 2.0, 10.0])
def test_the_regression_hessian_is_22_everywhere_as_torch_says(torch, w):
    theirs = torch_hessian(torch, torch_regression_loss(torch), [w])[0, 0]
    assert theirs == pytest.approx(2 * np.mean(X ** 2)) == pytest.approx(22.0)
    assert curvature.regression_hessian(w) == pytest.approx(theirs, rel=1e-14)


def test_the_hessian_is_the_gradient_differentiated_again():
    """What hessian() does, written out: grad with create_graph=True, then grad of that."""
    w = mg.tensor([regression.INITIAL_W], dtype=mg.float64, requires_grad=True)
    (g,) = mg.autograd.grad(curvature.regression_loss(w), w, create_graph=True)
    (h,) = mg.autograd.grad(g.sum(), w)
    assert g.item() == pytest.approx(2 * np.mean(X * (regression.INITIAL_W * X - Y)))    # -33
    assert h.item() == pytest.approx(curvature.regression_hessian(), rel=1e-14)


def test_each_factor_matches_the_training_it_predicts(lesson):
    result, _ = lesson
    h = result.extra["hessian"]
    rows = {round(r.lr, 6): r for r in result.extra["rows"]}
    assert set(rows) >= {0.05, 0.1, round(1 / h, 6)}
    for row in rows.values():
        run = regression.linear_regression(epochs=curvature.EPOCHS, lr=row.lr, out=quiet)
        errors = np.asarray([regression.INITIAL_W] + run.extra["w"]) - 2
        assert row.factor == pytest.approx(1 - row.lr * 22.0, abs=1e-12)
        assert errors[1] / errors[0] == pytest.approx(row.factor, abs=1e-12)
        # The loss is 11 (w - 2)^2, so each step multiplies it by the factor squared.
        losses = np.asarray(run.losses)
        if abs(row.factor) > 1e-3:
            np.testing.assert_allclose(losses[1:4] / losses[:3], row.factor ** 2, rtol=1e-9)
        assert row.holds, row
    assert rows[0.1].status == "diverged" and rows[0.1].factor == pytest.approx(-1.2)
    assert rows[0.05].status == "converged" and rows[0.05].factor == pytest.approx(-0.1)
    assert rows[0.05].predicted == rows[0.05].measured == 4
    assert rows[0.01].predicted == rows[0.01].measured == 30     # 0.78^30 * 1.5 < 1e-3 < 0.78^29 * 1.5
    assert rows[0.09].predicted == 362 and rows[0.09].measured is None and rows[0.09].status == "stalled"
    assert rows[round(1 / h, 6)].measured == 1


def test_predicted_epochs_are_the_first_k_with_factor_to_the_k_below_the_tolerance():
    assert curvature.predicted_epochs(0.5, 1.0, tol=0.1) == 4       # 0.5^3 = 0.125, 0.5^4 = 0.0625
    assert curvature.predicted_epochs(-0.5, -1.0, tol=0.1) == 4
    assert curvature.predicted_epochs(0.0, 1.5) == 1
    assert curvature.predicted_epochs(-1.0, 1.5) is None and curvature.predicted_epochs(-1.2, 1.5) is None


def test_the_stable_band_ends_at_2_over_h():
    h = curvature.regression_hessian()
    assert 2 / h == pytest.approx(0.0909090909)
    below, above = curvature.stability_row(0.99 * 2 / h, h, epochs=20), curvature.stability_row(1.01 * 2 / h, h,
                                                                                                 epochs=20)
    assert abs(below.weights[-1] - 2) < abs(below.weights[0] - 2) < abs(above.weights[-1] - 2)


def test_newton_lands_on_2_in_one_step(lesson):
    result, _ = lesson
    for w0, w1 in result.extra["newton"].items():
        assert w1 == pytest.approx(2.0, abs=1e-13), w0
    assert curvature.newton_regression(starts=(123.0,), out=quiet)[123.0] == pytest.approx(2.0, abs=1e-12)


# ---- 3. softmax + cross-entropy ---------------------------------------------------------------
def softmax_formula(z):
    """(diag(p) - p p^T) per row, / N: written here with numpy, independently of the lesson."""
    z = np.atleast_2d(z)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    n, c = p.shape
    out = np.zeros((n * c, n * c))
    for i in range(n):
        out[i * c:(i + 1) * c, i * c:(i + 1) * c] = (np.diag(p[i]) - np.outer(p[i], p[i])) / n
    return out


@pytest.mark.parametrize("label_smoothing", [0.0, curvature.SMOOTHING, 0.5])
def test_the_cross_entropy_hessian_against_torch_and_the_formula(torch, label_smoothing):
    mine = curvature.cross_entropy_hessian(curvature.LOGITS_001, [0], label_smoothing=label_smoothing)
    theirs = torch_hessian(torch, torch_cross_entropy(torch, [0], label_smoothing), [curvature.LOGITS_001])
    np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(mine, softmax_formula(curvature.LOGITS_001), rtol=1e-12, atol=1e-15)


def test_the_lesson_prints_the_hessian_its_eigenvalues_and_its_null_space(lesson, torch):
    result, lines = lesson
    softmax = result.extra["softmax"]
    theirs = torch_hessian(torch, torch_cross_entropy(torch, [0]), [curvature.LOGITS_001])
    for row in theirs:     # the printed matrix is torch's, to the 4 digits shown
        assert "    [" + ", ".join(f"{v:.4f}" for v in row) + "]" in lines
    eigenvalues = np.linalg.eigvalsh(theirs)
    np.testing.assert_allclose(softmax["eigenvalues"], eigenvalues, atol=1e-14)
    assert abs(eigenvalues[0]) < 1e-15 and eigenvalues[1] > 0.1
    np.testing.assert_allclose(theirs @ np.ones(3), 0, atol=1e-15)
    np.testing.assert_allclose(softmax["h_ones"], 0, atol=1e-15)
    assert softmax["shifted"] == pytest.approx(0, abs=1e-15)
    assert softmax["formula_gap"] < 1e-15 and softmax["smoothing_gap"] < 1e-15
    assert any("eigenvalues [0.0000, " + f"{eigenvalues[1]:.4f}, {eigenvalues[2]:.4f}]" in line for line in lines)


def test_the_four_sample_hessian_is_block_diagonal_with_one_zero_eigenvalue_each(lesson, torch):
    result, _ = lesson
    run = multiclass.softmax_regression(epochs=1, out=quiet)
    z = np.asarray(multiclass.X) @ run.initial["weight"].T + run.initial["bias"]
    theirs = torch_hessian(torch, torch_cross_entropy(torch, multiclass.CLASSES), z)
    np.testing.assert_allclose(result.extra["softmax"]["hessian4"], theirs, rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(theirs, softmax_formula(z), atol=1e-15)
    assert result.extra["softmax"]["zero_eigenvalues4"] == 4
    assert np.sum(np.abs(np.linalg.eigvalsh(theirs)) < 1e-12) == 4


def test_smoothing_keeps_a_minimum_with_curvature_hard_labels_do_not(lesson, torch):
    ray = lesson[0].extra["softmax"]["ray"]
    eps, c = curvature.SMOOTHING, 3
    q = np.array([1 - eps + eps / c, eps / c, eps / c])
    assert ray["t_star"] == pytest.approx(math.log(q[0] / q[1]))
    for row in ray["rows"]:
        z = torch.tensor([[row["t"], 0.0, 0.0]], dtype=torch.float64, requires_grad=True)
        for key, smoothing in (("hard", 0.0), ("smooth", eps)):
            loss = torch.nn.functional.cross_entropy(z, torch.tensor([0]), label_smoothing=smoothing)
            (g,) = torch.autograd.grad(loss, z)
            assert row[f"{key}_loss"] == pytest.approx(loss.item(), rel=1e-12)
            assert row[f"{key}_slope"] == pytest.approx(g[0, 0].item(), rel=1e-10, abs=1e-15)
        assert row["curvature"] == pytest.approx(torch_hessian(torch, torch_cross_entropy(torch, [0]),
                                                               [[row["t"], 0.0, 0.0]])[0, 0], rel=1e-10)
        assert row["hard_slope"] < 0                       # hard labels: always further up
    at = next(r for r in ray["rows"] if r["t"] == ray["t_star"])
    assert at["smooth_slope"] == pytest.approx(0, abs=1e-14)
    assert at["curvature"] == pytest.approx(q[0] * (1 - q[0]), rel=1e-12)     # e0^T (diag(q) - q q^T) e0
    assert ray["rows"][-1]["curvature"] < 1e-8


# ---- 4. the AND gate ----------------------------------------------------------------------------
def test_the_and_gate_hessian_is_irls_weighted_least_squares(torch):
    for theta in ([0.3, -0.2, 0.0], [0.0, 0.0, 0.0], [16.0, 16.0, -24.0]):
        mine = curvature.hessian(curvature.and_gate_loss(), mg.tensor(theta, dtype=mg.float64))
        theirs = torch_hessian(torch, torch_and_gate_loss(torch), theta)
        # torch's BCE double backward adds an eps of 1e-12 to p and 1 - p: ~1e-11 relative off
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-17)
        p = 1 / (1 + np.exp(-AND @ theta))
        np.testing.assert_allclose(mine, AND.T @ np.diag(p * (1 - p)) @ AND / 4, rtol=1e-13, atol=1e-20)
        np.testing.assert_allclose(curvature.irls_hessian(theta), mine, rtol=1e-13, atol=1e-20)


def test_newton_on_the_and_gate_replayed_in_torch(lesson, torch):
    gate = lesson[0].extra["and_gate"]
    theta = torch.tensor(gate["start"], dtype=torch.float64)
    loss_fn = torch_and_gate_loss(torch)
    for k in range(curvature.NEWTON_STEPS):
        x = theta.clone().requires_grad_()
        (g,) = torch.autograd.grad(loss_fn(x), x)
        h = torch.autograd.functional.hessian(loss_fn, theta)
        assert gate["newton_losses"][k] == pytest.approx(loss_fn(theta).item(), rel=1e-9)
        theta = theta - torch.linalg.solve(h, g)
        np.testing.assert_allclose(gate["thetas"][k + 1], theta.numpy(), rtol=1e-8)
    assert gate["newton_losses"][-1] == pytest.approx(loss_fn(theta).item(), rel=1e-8)


def test_newton_reaches_the_lessons_loss_in_far_fewer_steps(lesson):
    gate = lesson[0].extra["and_gate"]
    plain = binary.and_gate(out=quiet)                    # the lesson itself: lr 0.5, 100 epochs
    np.testing.assert_allclose(gate["gd_losses"][:binary.EPOCHS], plain.losses, rtol=1e-12)
    target = gate["target"]
    k = gate["newton_steps"]
    assert gate["newton_losses"][k] <= target < gate["newton_losses"][k - 1]
    assert k == 2
    # gradient descent's own count for each Newton loss: the first epoch at or below it
    for loss, epoch in zip(gate["newton_losses"], gate["gd_epochs"]):
        if epoch is not None:
            assert gate["gd_losses"][epoch] <= loss and (epoch == 0 or gate["gd_losses"][epoch - 1] > loss)
    assert all(np.diff(gate["newton_losses"]) < 0) and all(np.diff(gate["smallest"]) < 0)


# ---- the lesson as a whole -----------------------------------------------------------------------
def test_the_verdict_is_confirmed_and_says_why(lesson):
    result, lines = lesson
    assert result.status == "confirmed"
    assert lines[-1] == result.verdict and result.verdict.startswith("Verdict: curvature: confirmed, H = 22 ")
    assert "stable iff 0 < lr < 2/H = 0.0909" in "\n".join(lines)
    assert "in 2 steps" in result.verdict


def test_float32_reaches_the_same_conclusions():
    result = curvature.curvature(dtype="float32", out=quiet)
    assert result.status == "confirmed", result.verdict
    assert result.extra["hessian"] == pytest.approx(22.0, rel=1e-6)


def test_cli_runs_the_lesson_and_draws_it(tmp_path, capsys):
    png = tmp_path / "c.png"
    assert cli.main(["train", "curvature", "--lr", "0.07", "--epochs", "50", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("== Curvature") and "Verdict: curvature: confirmed" in out
    assert "           0.07   -0.5400" in out                        # the added lr: 1 - 0.07 * 22
    assert "(50 ep.)" in out
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20000


def test_cli_quiet_prints_only_the_verdict(capsys):
    assert cli.main(["train", "curvature", "--quiet"]) == 0
    assert capsys.readouterr().out.splitlines() == [line for line in [
        curvature.curvature(out=quiet).verdict]]


@pytest.mark.parametrize("argv", [["train", "curvature", "--data", "real"],
                                  ["train", "curvature", "--optimizer", "adam"]])
def test_cli_refuses_what_the_lesson_cannot_predict(argv):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2


def test_no_warning_is_raised(recwarn):
    curvature.curvature(out=quiet)
    assert not [w for w in recwarn if not issubclass(w.category, DeprecationWarning)]
