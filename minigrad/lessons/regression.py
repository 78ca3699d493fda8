"""Lesson 1, regression: fit y = 2x with one weight, mean squared error and gradient descent.

The model is y_hat = w x (no bias). With MSE, L(w) = mean((w x - y)^2), so

    dL/dw = 2 mean(x (w x - y)) = 2 mean(x^2) (w - 2)          (because y = 2x)

and one step of gradient descent moves the error e = w - 2 to

    e <- (1 - 2 lr mean(x^2)) e.

For x = 1..5, mean(x^2) = 11, so the factor is 1 - 22 lr. The error shrinks only when
|1 - 22 lr| < 1, i.e. 0 < lr < 2/22 ~ 0.0909. The lesson's lr = 0.1 gives a factor of -1.2:
w overshoots further each step and the loss grows by 1.44x per epoch. lr = 1/22 would land
on w = 2 in a single step; our default 0.05 (factor -0.1) gains a digit per epoch.
"""
import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.lessons._common import (Result, check_printed, dtype_of, finish, fit, linear_model,
                                      make_optimizer, predict)
from minigrad.lessons.datasets import REGRESSION_X as X, REGRESSION_Y as Y, load_real

LESSON_LR = 0.1                    # the lesson's learning rate: it diverges (see the docstring)
DEFAULT_LR = 0.05                  # inside the stable range 0 < lr < 2/22
EPOCHS = 10
INITIAL_W = 0.5


def step_factor(lr, x=X):
    """The factor 1 - 2 lr mean(x^2) that each SGD step multiplies w - 2 by."""
    return 1.0 - 2.0 * lr * float(np.mean(np.square(x)))


def linear_regression(epochs=EPOCHS, lr=DEFAULT_LR, seed=0, dtype="float64", optimizer="sgd",
                      report_every=None, out=print):
    """Train y_hat = w x on the lesson's five points from w = 0.5 with MSE.

    Returns a Result whose `losses` holds the loss before each epoch's step and whose
    `extra["w"]` holds w after each step. Converged means |w - 2| < 1e-3.
    """
    if report_every is None:           # every 2nd epoch of the lesson's 10; about 10 lines for long runs
        report_every = 2 if epochs <= 20 else epochs // 10
    mg.manual_seed(seed)               # nothing random here; kept so every lesson takes a seed
    dt = dtype_of(dtype)
    x = mg.tensor(X, dtype=dt).reshape(-1, 1)
    y = mg.tensor(Y, dtype=dt).reshape(-1, 1)
    model = linear_model(1, 1, dt, weight=INITIAL_W)      # y_hat = w x: no bias
    opt = make_optimizer(optimizer, model.parameters(), lr)
    result = Result("regression", model, [], initial=model.state_dict())
    weights = result.extra["w"] = []
    for epoch in range(epochs):
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        result.losses.append(loss.item())
        weights.append(model.weight.item())
        if epoch % report_every == 0:
            # As in the lesson: w after this epoch's step, the loss before it.
            out(f"Epoch {epoch:3d}: w = {_short(weights[-1])}, loss = {_short(loss.item())}")
    w = weights[-1]
    out(f"Final weight: {w:.6f} (the true slope is 2.0)")
    why = ""
    if not np.isfinite(w) or result.losses[-1] > result.losses[0]:
        if optimizer == "sgd":
            factor = step_factor(lr)
            out(f"Each step multiplies (w - 2) by 1 - 2*lr*mean(x^2) = 1 - 22*{lr:g} = {factor:.3g}: "
                f"|{factor:.3g}| > 1, so w overshoots further every epoch.")
            out("Gradient descent is stable here only for lr < 2/22 = 0.0909; "
                f"try --lr {DEFAULT_LR} (1/22 = 0.0455 lands on w = 2 in one step).")
            why = f"lr {lr:g} is past the stability limit 2/22 = 0.0909, try --lr {DEFAULT_LR}"
        else:
            why = "the learning rate is too high, try a smaller --lr"
    elif abs(w - 2.0) >= 1e-3:
        why = f"w = {w:.4f} is not within 1e-3 of 2 yet: more --epochs or a larger --lr"
    else:
        why = f"w = {w:.6f}"
    return finish(result, abs(w - 2.0) < 1e-3, why, out)


def _short(value):
    """4 decimals as the lesson prints them, or 4 significant digits once training has blown up."""
    return f"{value:.4f}" if abs(value) < 1e6 else f"{value:.4g}"


# ---- the worked numbers: MSE, MAE and Huber on the lessons' small data sets -----------------
# (predicted, actual, what the lessons print for MSE / MAE / Huber(delta=1); None = not shown)
LOSS_TABLE_CASES = {
    "house prices (003)": ([290.0, 420.0, 360.0, 480.0], [300.0, 400.0, 350.0, 500.0],
                           ("350.0", "15.0", None), "003"),
    "house prices, 5 houses (003)": ([240.0, 320.0, 390.0, 360.0, 480.0], [250.0, 300.0, 400.0, 350.0, 500.0],
                                     (None, None, None), "003"),
    "exam scores (000)": ([80.0, 75.0, 88.0, 65.0], [85.0, 72.0, 90.0, 60.0], ("15.75", None, None), "000"),
    "001's set": ([2.5, 0.0, 2.0, 8.0], [3.0, -0.5, 2.0, 7.0], ("0.1875", "0.375", "0.125"), "001"),
    "001's set with the outlier 50": ([2.5, 0.0, 2.0, 50.0], [3.0, -0.5, 2.0, 7.0],
                                      ("395.1875", "10.875", "42.625"), "001"),
}


def regression_losses(predicted, actual, delta=1.0):
    """MSE = mean(e^2), MAE = mean(|e|), Huber = mean(e^2/2 if |e| <= delta else
    delta (|e| - delta/2)) with e = predicted - actual, each by minigrad's loss functions."""
    p, a = mg.tensor(predicted, dtype=mg.float64), mg.tensor(actual, dtype=mg.float64)
    F = nn.functional
    return (F.mse_loss(p, a).item(), F.l1_loss(p, a).item(), F.huber_loss(p, a, delta=delta).item())


def loss_tables(out=print):
    """Print MSE, MAE and Huber for each case beside what the lesson printed."""
    values = {}
    for name, (predicted, actual, printed, source) in LOSS_TABLE_CASES.items():
        out(f"{name}: predicted {predicted}, actual {actual}")
        values[name] = tuple(
            check_printed(label, value, shown, source, out)
            for label, value, shown in zip(("MSE", "MAE", "Huber (delta = 1)"),
                                           regression_losses(predicted, actual), printed))
    outlier, base = values["001's set with the outlier 50"], values["001's set"]
    out(f"The outlier multiplies MSE by {outlier[0] / base[0]:.0f}, MAE by {outlier[1] / base[1]:.0f} "
        f"and Huber by {outlier[2] / base[2]:.0f}: past delta, Huber grows like MAE, not like MSE.")
    return values


# ---- real data: scikit-learn's diabetes set -------------------------------------------------
def real_data(epochs=500, lr=0.05, seed=0, dtype="float64", optimizer="adam", out=print):
    """Linear regression on diabetes (10 standardised features, disease progression), trained
    with MSE through the autograd; test MSE and R^2 beside scikit-learn's LinearRegression
    (the exact least-squares solution). Converged when R^2 is within 0.02 of it."""
    from sklearn.linear_model import LinearRegression

    mg.manual_seed(seed)
    split = load_real("diabetes", seed=seed)
    # Centre and scale the target too: the weights then live on the scale of 1, not of 150.
    y_mean, y_std = split.y_train.mean(), split.y_train.std()
    model = nn.Linear(split.x_train.shape[1], 1, dtype=dtype_of(dtype))
    losses = fit(model, nn.functional.mse_loss, split.x_train, ((split.y_train - y_mean) / y_std)[:, None],
                 epochs=epochs, lr=lr, optimizer=optimizer, seed=seed, desc="diabetes", out=out)
    ours = predict(model, split.x_test).ravel() * y_std + y_mean
    theirs = LinearRegression().fit(split.x_train, split.y_train).predict(split.x_test)

    def r2(pred):
        return 1 - np.sum((split.y_test - pred) ** 2) / np.sum((split.y_test - split.y_test.mean()) ** 2)

    mse, base_mse = float(np.mean((split.y_test - ours) ** 2)), float(np.mean((split.y_test - theirs) ** 2))
    out(f"diabetes, held-out: minigrad MSE {mse:.1f}, R^2 {r2(ours):.3f}; "
        f"scikit-learn LinearRegression MSE {base_mse:.1f}, R^2 {r2(theirs):.3f}")
    result = Result("regression (diabetes)", model, losses,
                    extra=dict(test_mse=mse, test_r2=r2(ours), baseline_mse=base_mse, baseline_r2=r2(theirs)))
    return finish(result, r2(ours) >= r2(theirs) - 0.02, f"test R^2 {r2(ours):.3f} vs {r2(theirs):.3f}", out)
