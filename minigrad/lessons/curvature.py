"""Curvature: the second derivative of the lessons' losses, and what it predicts about training.

The gradient says which way is down; the second derivative (the Hessian, for several
parameters) says how fast that slope changes, so how far a step may go before it overshoots.
minigrad computes it by differentiating the gradient again: `create_graph=True` records the
backward's own ops, and `mg.autograd.functional.hessian(f, x)` is that, done for every entry.

1. Regression (lesson 1). L(w) = mean((w x - y)^2) is a parabola in w, with

       H = d^2 L / dw^2 = 2 mean(x^2) = 22        for x = 1..5, at every w.

   A step of gradient descent moves the error e = w - 2 to (1 - lr H) e. It shrinks iff
   |1 - lr H| < 1, i.e. 0 < lr < 2 / H = 0.0909: the lesson's lr = 0.1 multiplies it by -1.2
   (diverges), 0.05 by -0.1 (a digit per epoch). Before any training, the factor predicts the
   number of epochs to |w - 2| < tol: the first k with |1 - lr H|^k |e_0| < tol.
2. Newton's step w <- w - g / H divides the slope by the curvature instead of guessing a
   learning rate. On a parabola it lands on the minimum, w = 2, in one step from anywhere
   (it is gradient descent with lr = 1 / H).
3. Softmax + cross-entropy, as a function of the logits z (N samples, C classes):

       H = blockdiag_i(diag(p_i) - p_i p_i^T) / N,      p_i = softmax(z_i).

   Its eigenvalues are >= 0 (the loss is convex in the logits) and one per sample is 0:
   softmax(z + c) = softmax(z), so adding the same c to every logit of a sample changes
   nothing, and H 1 = 0 (row k of diag(p) - p p^T sums to p_k - p_k sum(p) = 0).
   Label smoothing (target q = (1 - eps) one_hot + eps / C) changes only the part of the
   loss that is linear in z, -q . z, so at the same logits H is unchanged. It moves the
   minimum: with hard labels the gradient p - one_hot vanishes only as the logits go to
   infinity, where the curvature goes to 0 too (no minimum: the weights grow for ever);
   smoothed, the gradient p - q vanishes at finite logits (p = q), where the curvature
   diag(q) - q q^T is not 0.
4. The AND gate (lesson 2) by Newton's method. For logistic regression this is IRLS
   (iteratively reweighted least squares): with a column of ones for the bias,
   H = X^T diag(p (1 - p)) X / N, and each step solves H d = g, a least-squares problem
   weighted by p (1 - p). Compared with the lesson's gradient descent (lr 0.5, 100 epochs):
   the steps each needs to reach the same loss.

`curvature()` prints all four, checks each prediction against the training it predicts, and
ends with a verdict: confirmed (every prediction held) or contradicted (which did not).
"""
import math
from dataclasses import dataclass

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.lessons import binary, multiclass, regression
from minigrad.lessons._common import Result, dtype_of, quiet
from minigrad.lessons.datasets import (AND_X, AND_Y, MULTICLASS_CLASSES, MULTICLASS_X, REGRESSION_X,
                                       REGRESSION_Y)

F = nn.functional
TOL = 1e-3                       # the regression lesson's "converged": |w - 2| < 1e-3
EPOCHS = 100                     # of each gradient-descent run in the stability table
SOME_LRS = (0.01, 0.03, 0.05, 0.08, 0.09, 0.1, 0.12)   # with 1/H added once H is known
LOGITS_001 = [2.0, 1.0, 0.1]     # 001's logits, true class 0
SMOOTHING = 0.1
NEWTON_STEPS = 8
GD_EPOCHS = 10_000               # the AND gate's gradient descent, run on past the lesson's 100


def hessian(fn, x):
    """d^2 fn / dx^2 as an (n, n) numpy array, n = x.numel(): minigrad's autograd.functional."""
    return mg.autograd.functional.hessian(fn, x).data.reshape(x.numel(), x.numel())


def gradient(fn, x):
    """d fn / dx as a flat numpy array."""
    x = x.detach().requires_grad_()
    (g,) = mg.autograd.grad(fn(x), x)
    return g.data.ravel()


# ---- 1. regression: the curvature 22 and the stable learning rates ---------------------------
def regression_loss(w):
    """The lesson's L(w) = mean((w x - y)^2) for a weight of shape (1,)."""
    x, y = mg.tensor(REGRESSION_X, dtype=w.dtype), mg.tensor(REGRESSION_Y, dtype=w.dtype)
    return F.mse_loss(x * w, y)


def regression_surface(ws, dtype="float64"):
    """L(w) at each w of `ws` (for the plot)."""
    with mg.no_grad():
        return np.array([regression_loss(mg.tensor([w], dtype=dtype_of(dtype))).item() for w in ws])


def regression_hessian(w=regression.INITIAL_W, dtype="float64"):
    """d^2 L / dw^2 at w (the same at every w: L is a parabola)."""
    return float(hessian(regression_loss, mg.tensor([w], dtype=dtype_of(dtype)))[0, 0])


def predicted_epochs(factor, error, tol=TOL):
    """Steps until |e| < tol when each step multiplies e by `factor`; None if never."""
    size = abs(factor)
    if size < 1e-12:                      # lr = 1/H: one step lands on the minimum
        return 1
    if size >= 1 - 1e-12:                 # lr >= 2/H: |e| never shrinks
        return None
    return max(1, math.ceil(math.log(tol / abs(error)) / math.log(size)))


def behaviour(factor):
    """What multiplying the error by `factor` every step does, in words."""
    if abs(factor) < 1e-12:
        return "lands on w = 2 in one step"
    if abs(abs(factor) - 1) < 1e-12:
        return "bounces between two w for ever"
    if abs(factor) > 1:
        return "diverges, w on alternate sides"
    return "shrinks, from one side" if factor > 0 else "shrinks, w on alternate sides"


@dataclass
class StabilityRow:
    """One learning rate: what the curvature predicts, and what the training did."""
    lr: float
    factor: float                # 1 - lr H, predicted
    predicted: object            # epochs to |w - 2| < TOL, None = never
    measured_factor: float       # (w_1 - 2) / (w_0 - 2) from the training
    worst_gap: float             # largest |(w_k+1 - 2)/(w_k - 2) - factor| over the run
    measured: object             # first epoch with |w - 2| < TOL, None = not in the run
    status: str                  # the training's own verdict
    weights: list                # w_0, w_1, ... w_epochs
    epochs: int                  # the length of the run

    @property
    def holds(self):
        """The factor was measured at every step, and the epoch count matched (or both are
        beyond the run)."""
        beyond = self.measured is None and (self.predicted is None or self.predicted > self.epochs)
        return (self.predicted == self.measured or beyond) and self.worst_gap < 1e-4


def stability_row(lr, h, epochs=EPOCHS, dtype="float64"):
    """Predict with the curvature h, then run the regression lesson's training and measure."""
    with np.errstate(over="ignore"):      # past 2/H the loss may overflow float32: the point of the row
        run = regression.linear_regression(epochs=epochs, lr=lr, dtype=dtype, out=quiet)
    weights = [regression.INITIAL_W] + run.extra["w"]
    errors = np.asarray(weights) - 2.0
    factor = 1.0 - lr * h
    # Ratios of errors near the rounding of w say nothing: keep those of errors above 1e6 ulps.
    big = np.abs(errors[:-1]) > 1e6 * np.finfo(dtype).eps * abs(errors[0])
    big &= np.isfinite(errors[1:]) & (np.abs(errors[1:]) < 1e12)
    ratios = errors[1:][big] / errors[:-1][big]
    reached = np.flatnonzero(np.abs(errors) < TOL)
    return StabilityRow(lr=lr, factor=factor, predicted=predicted_epochs(factor, errors[0]),
                        measured_factor=float(errors[1] / errors[0]),
                        worst_gap=float(np.max(np.abs(ratios - factor))) if ratios.size else 0.0,
                        measured=int(reached[0]) if reached.size else None, status=run.status, weights=weights,
                        epochs=epochs)


def stability_table(h, lrs=None, epochs=EPOCHS, dtype="float64", out=print):
    """The factor 1 - lr h for each lr, and the regression training it predicts."""
    lrs = sorted(set(SOME_LRS + (1 / h,) + tuple(lrs or ())))
    out(f"  {'lr':>13s}  {'1 - lr*H':>8s}  {'so the error w - 2':<30s}  {'measured':>13s}  "
        f"{'epochs to |w - 2| < 1e-3':>24s}  {'training':>9s}")
    out(f"  {'':13s}  {'':8s}  {'':30s}  {'(w1-2)/(w0-2)':>13s}  {'predicted':>12s}  {'measured':>10s}  "
        f"{f'({epochs} ep.)':>9s}")
    rows = []
    for lr in lrs:
        row = stability_row(lr, h, epochs, dtype)
        rows.append(row)
        name = f"{lr:.4g}" + (" = 1/H" if math.isclose(lr, 1 / h) else "")
        measured = _epochs(row.measured) if row.measured is not None or row.predicted is None else f"> {epochs}"
        out(f"  {name:>13s}  {_fixed(row.factor):>8.4f}  {behaviour(row.factor):<30s}  "
            f"{_fixed(row.measured_factor):>13.4f}  {_epochs(row.predicted):>12s}  {measured:>10s}  {row.status:>9s}"
            + ("" if row.holds else "   <- the prediction failed"))
    return rows


def _fixed(value, digits=4):
    """value rounded to the digits printed, without the sign of a rounded-away -1e-17."""
    return round(value, digits) + 0.0


def _epochs(value):
    return "never" if value is None else str(value)


def newton_regression(starts=(regression.INITIAL_W, -3.0, 10.0), dtype="float64", out=print):
    """One Newton step w - g / H from each start; returns the w each lands on."""
    landed = {}
    for w0 in starts:
        w = mg.tensor([w0], dtype=dtype_of(dtype))
        g, h = gradient(regression_loss, w)[0], hessian(regression_loss, w)[0, 0]
        landed[w0] = w1 = w0 - g / h
        loss = regression_loss(mg.tensor([w1], dtype=w.dtype)).item()
        out(f"  from w = {w0:5.1f}: g = {g:8.3f}, H = {h:g}, w - g/H = {w1:.15g}, loss there {loss:.3g}")
    return landed


# ---- 3. softmax + cross-entropy with respect to the logits -----------------------------------
def cross_entropy_of(target, label_smoothing=0.0):
    """The loss of logits z (N, C) against class indices `target`, as a function of z."""
    def loss(z):
        return F.cross_entropy(z, mg.tensor(target, dtype=mg.int64), label_smoothing=label_smoothing)
    return loss


def cross_entropy_hessian(logits, target, label_smoothing=0.0, dtype="float64"):
    """d^2 CE / dz^2 as an (N C, N C) matrix: entry ((i, k), (j, l))."""
    z = mg.tensor(np.reshape(logits, (len(target), -1)), dtype=dtype_of(dtype))
    return hessian(cross_entropy_of(target, label_smoothing), z)


def softmax_hessian_formula(logits, dtype="float64"):
    """blockdiag_i(diag(p_i) - p_i p_i^T) / N with p = softmax(z) by minigrad."""
    p = mg.tensor(np.atleast_2d(logits), dtype=dtype_of(dtype)).softmax(dim=1).data
    n, c = p.shape
    out = np.zeros((n * c, n * c), dtype=p.dtype)
    for i, row in enumerate(p):
        out[i * c:(i + 1) * c, i * c:(i + 1) * c] = (np.diag(row) - np.outer(row, row)) / n
    return out


def softmax_section(dtype="float64", out=print):
    dt = dtype_of(dtype)
    z = mg.tensor([LOGITS_001], dtype=dt)
    p = z.softmax(dim=1).data[0]
    h = cross_entropy_hessian(LOGITS_001, [0], dtype=dtype)
    formula_gap = float(np.max(np.abs(h - softmax_hessian_formula(LOGITS_001, dtype))))
    eigenvalues = np.linalg.eigvalsh(h)
    rounding = 1e3 * np.finfo(dtype).eps * eigenvalues[-1]      # |eigenvalue| below it: 0 up to rounding
    out(f"  001's logits z = {LOGITS_001}, true class 0: p = softmax(z) = {_vector(p, 4)}")
    out("  H = d^2 CE / dz^2 by minigrad:")
    for row in h:
        out("    " + _vector(row, 4))
    out(f"  diag(p) - p p^T: the same to {formula_gap:.1e}")
    shown = np.where(np.abs(eigenvalues) < rounding, 0.0, eigenvalues)
    out(f"  eigenvalues {_vector(shown, 4)} (smallest {eigenvalues[0]:.1e}, rounding): none negative (CE is convex "
        "in the logits), one is 0 (H is singular)")
    ones = mg.ones(1, 3, dtype=dt)
    _, h_ones = mg.autograd.functional.hvp(cross_entropy_of([0]), z, ones)
    loss = cross_entropy_of([0])
    shifted = loss(z + 5.0).item() - loss(z).item()
    out(f"  why 0: CE(z + 5) - CE(z) = {shifted:.1e}: adding one number to every logit changes nothing, "
        f"so H 1 = 0 (by a Hessian-vector product: largest entry {np.max(np.abs(h_ones.data)):.1e}): "
        "the all-ones vector is in H's null space")

    logits4 = _lesson_logits(dtype)
    h4 = cross_entropy_hessian(logits4, MULTICLASS_CLASSES, dtype=dtype)
    gap4 = float(np.max(np.abs(h4 - softmax_hessian_formula(logits4, dtype))))
    eigenvalues4 = np.linalg.eigvalsh(h4)
    zeros = int(np.sum(np.abs(eigenvalues4) < 1e3 * np.finfo(dtype).eps * eigenvalues4[-1]))
    out(f"  lesson 3's 4 samples at its starting weights: H is {h4.shape[0]}x{h4.shape[1]}, block-diagonal, "
        f"blocks (diag(p_i) - p_i p_i^T) / 4 to {gap4:.1e}; {zeros} eigenvalues are 0, one per sample")

    smooth = cross_entropy_hessian(LOGITS_001, [0], label_smoothing=SMOOTHING, dtype=dtype)
    smooth_gap = float(np.max(np.abs(smooth - h)))
    out(f"  label smoothing eps = {SMOOTHING:g}: at the same logits H is unchanged (largest difference "
        f"{smooth_gap:.1e}): the target enters the loss only through the linear term -q . z")
    ray = smoothing_ray(dtype=dtype, out=out)
    return dict(p=p, hessian=h, formula_gap=formula_gap, eigenvalues=eigenvalues, h_ones=h_ones.data[0],
                shifted=shifted, hessian4=h4, formula_gap4=gap4, zero_eigenvalues4=zeros,
                smoothing_gap=smooth_gap, ray=ray)


def _lesson_logits(dtype):
    """Lesson 3's logits x W + b at its starting weights (its training's seed 0 draw)."""
    run = multiclass.softmax_regression(epochs=1, dtype=dtype, out=quiet)
    model = run.model
    model.load_state_dict(run.initial)            # back to the weights before that epoch's step
    with mg.no_grad():
        return model(mg.tensor(MULTICLASS_X, dtype=dtype_of(dtype))).data


def smoothing_ray(ts=(0.0, 0.5, 2.0, 5.0, 10.0, 20.0), dtype="float64", out=print):
    """Along z = t (1, 0, 0) (the true class's logit raised by t): the loss, its slope and its
    curvature u^T H u, with hard and with smoothed labels; the smoothed minimum t*."""
    dt = dtype_of(dtype)
    c = len(LOGITS_001)
    q_true = 1 - SMOOTHING + SMOOTHING / c
    t_star = math.log(q_true / (SMOOTHING / c))       # p = q: p_0 / p_k = e^t = q_0 / q_k
    u = np.eye(c)[0]
    out(f"  along z = t (1, 0, 0), true class 0: the curvature u^T H u is the same for both (H does not depend on "
        f"the labels); the smoothed loss's minimum is where p = q, t* = log(q_0/q_1) = {t_star:.4f}:")
    out(f"    {'t':>11s}  {'curvature u^T H u':>17s}  {'hard: loss':>10s}  {'slope':>9s}  "
        f"{'smoothed: loss':>14s}  {'slope':>9s}")
    rows = []
    for t in sorted(set(ts + (t_star,))):
        z = mg.tensor([t * u], dtype=dt)
        bend = float(u @ cross_entropy_hessian(z.data, [0], dtype=dtype) @ u)
        hard, soft = cross_entropy_of([0]), cross_entropy_of([0], SMOOTHING)
        row = dict(t=t, curvature=bend, hard_loss=hard(z).item(), hard_slope=float(u @ gradient(hard, z)),
                   smooth_loss=soft(z).item(), smooth_slope=float(u @ gradient(soft, z)))
        rows.append(row)
        name = f"{t:.4f}" + (" = t*" if t == t_star else "")
        out(f"    {name:>11s}  {bend:>17.3e}  {row['hard_loss']:>10.3e}  {row['hard_slope']:>9.2e}  "
            f"{row['smooth_loss']:>14.4f}  {row['smooth_slope']:>9.2e}")
    at = next(r for r in rows if r["t"] == t_star)
    out(f"  Hard labels: the slope stays negative, so the logits keep growing, and the curvature dies with it "
        f"(no minimum). Smoothed: the slope is {at['smooth_slope']:.0e} at t*, where the curvature is still "
        f"{at['curvature']:.4f}: a real minimum, with curvature, where training can settle.")
    return dict(t_star=t_star, rows=rows)


# ---- 4. the AND gate: Newton's method (IRLS) against gradient descent -------------------------
def and_gate_loss(dtype="float64"):
    """The AND gate's loss as a function of theta = (w1, w2, b), as lesson 2 trains it: BCE of
    sigmoid(X theta), with a column of ones in X for the bias."""
    dt = dtype_of(dtype)
    x = mg.tensor(np.c_[AND_X, np.ones(len(AND_X))], dtype=dt)
    y = mg.tensor(AND_Y, dtype=dt)

    def loss(theta):
        return F.binary_cross_entropy((x @ theta).sigmoid(), y)
    return loss


def irls_hessian(theta, dtype="float64"):
    """X^T diag(p (1 - p)) X / N at theta, the formula the autograd's Hessian must equal."""
    x = np.c_[AND_X, np.ones(len(AND_X))]
    p = mg.tensor(x @ np.asarray(theta, dtype=float), dtype=dtype_of(dtype)).sigmoid().data
    return x.T @ np.diag(p * (1 - p)) @ x / len(x)


def newton_and_gate(theta, steps=NEWTON_STEPS, dtype="float64"):
    """Newton's method from theta: theta <- theta - H^{-1} g. Returns the loss before each step
    and after the last, the thetas, and the smallest eigenvalue of H at each."""
    loss_fn = and_gate_loss(dtype)
    dt = dtype_of(dtype)
    thetas, losses, smallest = [np.asarray(theta, dtype=float)], [], []
    for _ in range(steps):
        current = mg.tensor(thetas[-1], dtype=dt)
        losses.append(loss_fn(current).item())
        h = hessian(loss_fn, current)
        smallest.append(float(np.linalg.eigvalsh(h)[0]))
        thetas.append(thetas[-1] - np.linalg.solve(h, gradient(loss_fn, current)))
    losses.append(loss_fn(mg.tensor(thetas[-1], dtype=dt)).item())
    return losses, thetas, smallest


def and_gate_section(seed=0, dtype="float64", out=print):
    # The lesson's training (lr 0.5), run on past its 100 epochs to see when it reaches Newton's losses.
    gd = binary.and_gate(epochs=GD_EPOCHS, seed=seed, dtype=dtype, out=quiet)
    start = np.r_[np.ravel(gd.initial["weight"]), np.ravel(gd.initial["bias"])]
    end = mg.tensor(np.r_[gd.model.weight.data.ravel(), gd.model.bias.data.ravel()], dtype=dtype_of(dtype))
    with mg.no_grad():
        gd_losses = np.asarray(gd.losses + [and_gate_loss(dtype)(end).item()])   # after k steps, k = 0..GD_EPOCHS
    losses, thetas, smallest = newton_and_gate(start, dtype=dtype)
    h0 = hessian(and_gate_loss(dtype), mg.tensor(start, dtype=dtype_of(dtype)))
    irls_gap = float(np.max(np.abs(h0 - irls_hessian(start, dtype))))
    out(f"  start (the lesson's seed {seed} draw): w = {_vector(start[:2], 4)}, b = {start[2]:g}, "
        f"loss {losses[0]:.4f}")
    out(f"  H at the start equals X^T diag(p(1-p)) X / N (IRLS's weighted least squares) to {irls_gap:.1e}")
    out(f"    {'step':>4s}  {'gradient descent':>16s}  {'Newton (IRLS)':>13s}  {'gradient descent reaches':>24s}  "
        f"{'smallest eigenvalue':>19s}")
    out(f"    {'':4s}  {'':16s}  {'':13s}  {'that loss at epoch':>24s}  {'of H':>19s}")
    gd_epochs = []
    for k, loss in enumerate(losses):
        reached = np.flatnonzero(gd_losses <= loss)
        gd_epochs.append(int(reached[0]) if reached.size else None)
        when = f"> {len(gd_losses) - 1}" if gd_epochs[-1] is None else str(gd_epochs[-1])
        eig = f"{smallest[k]:.2e}" if k < len(smallest) else ""
        out(f"    {k:>4d}  {gd_losses[k]:>16.6f}  {loss:>13.6f}  {when:>24s}  {eig:>19s}")
    target = gd_losses[binary.EPOCHS]
    newton_steps = next((k for k, v in enumerate(losses) if v <= target), None)
    out(f"  The lesson's {binary.EPOCHS} epochs of gradient descent (lr {binary.LR}) reach loss {target:.4f}; "
        f"Newton's method gets there in {_steps(newton_steps)}; gradient descent needs "
        f"{_steps(gd_epochs[3], 'epoch', len(gd_losses) - 1)} for Newton's 3-step loss {losses[3]:.4f}.")
    out("  The AND gate is separable, so the loss has no minimum: Newton's weights grow at every step "
        f"(theta = {_vector(thetas[-1], 2)} after {len(thetas) - 1}) while p(1 - p) -> 0 flattens H (its smallest "
        "eigenvalue above). Each step solves a 3x3 system: cheap here, n^3 work for n parameters.")
    return dict(gd_losses=gd_losses, newton_losses=losses, thetas=thetas, smallest=smallest, irls_gap=irls_gap,
                start=start, target=target, newton_steps=newton_steps, gd_epochs=gd_epochs)


def _steps(count, what="step", beyond=None):
    if count is None:
        return f"more than {beyond} {what}s" if beyond is not None else f"no {what}s"
    return f"{count} {what}" + ("" if count == 1 else "s")


def _vector(values, digits):
    return "[" + ", ".join(f"{v:.{digits}f}" for v in np.ravel(values)) + "]"


# ---- the lesson ------------------------------------------------------------------------------
def curvature(lr=None, epochs=EPOCHS, seed=0, dtype="float64", out=print):
    """Print the four parts of the module docstring; `lr` adds a learning rate to the table,
    `epochs` is the length of each of its trainings, `seed` the AND gate's starting draw.
    Returns a Result: `extra` holds every number printed, `losses` Newton's on the AND gate."""
    out("-- 1. regression: the curvature of L(w) = mean((w x - 2x)^2) --")
    h = regression_hessian(dtype=dtype)
    same = {w: regression_hessian(w, dtype) for w in (-3.0, 2.0, 10.0)}
    out(f"  H = d^2L/dw^2 = {h:.6g} at w = {regression.INITIAL_W} (2 mean(x^2) = "
        f"{2 * np.mean(np.square(REGRESSION_X)):g}), and at w = -3, 2, 10: "
        f"{', '.join(f'{v:.6g}' for v in same.values())}: a parabola curves the same everywhere")
    out(f"  Each step multiplies w - 2 by 1 - lr*H: stable iff 0 < lr < 2/H = {2 / h:.4f}")
    rows = stability_table(h, () if lr is None else (lr,), epochs, dtype, out)
    lesson, ours = (next(r for r in rows if math.isclose(r.lr, v))
                    for v in (regression.LESSON_LR, regression.DEFAULT_LR))
    out(f"  The lesson's lr = {lesson.lr:g} multiplies the error by {lesson.factor:.3g} (past -1: it diverges, "
        f"the loss x{lesson.factor ** 2:.3g} per epoch); lr = {ours.lr:g} by {ours.factor:.3g} (it converges).")

    out("-- 2. Newton's step w <- w - g/H --")
    landed = newton_regression(dtype=dtype, out=out)
    out(f"  A parabola's minimum is one step away: Newton's step is gradient descent with lr = 1/H = {1 / h:.4f}.")

    out("-- 3. softmax + cross-entropy: the Hessian with respect to the logits --")
    softmax = softmax_section(dtype, out)

    out("-- 4. the AND gate: Newton's method (IRLS) against the lesson's gradient descent --")
    gate = and_gate_section(seed, dtype, out)

    failed = [f"lr {r.lr:.4g}" for r in rows if not r.holds]
    tol = 1e3 * np.finfo(dtype).eps               # rounding, in the dtype computed in
    if any(abs(w - 2.0) > tol * 10 for w in landed.values()):
        failed.append("Newton's step on the regression")
    if np.max(np.abs(softmax["h_ones"])) > tol or softmax["formula_gap"] > tol:
        failed.append("the softmax Hessian")
    if gate["newton_steps"] is None or gate["newton_steps"] >= binary.EPOCHS:
        failed.append("Newton on the AND gate")
    result = Result("curvature", None, gate["newton_losses"],
                    extra=dict(hessian=h, hessian_elsewhere=same, rows=rows, newton=landed, softmax=softmax,
                               and_gate=gate))
    result.status = "contradicted" if failed else "confirmed"
    why = (f"H = {h:.6g} predicted all {len(rows)} trainings (stable iff lr < {2 / h:.4f}); Newton: w = 2 in 1 step; "
           f"IRLS reaches {binary.EPOCHS} epochs of gradient descent in {_steps(gate['newton_steps'])}")
    if failed:
        why = "these did not hold: " + ", ".join(failed)
    result.verdict = f"Verdict: curvature: {result.status}, {why}"
    out(result.verdict)
    return result
