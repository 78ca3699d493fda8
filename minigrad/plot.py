"""Pictures of the lessons (matplotlib, from the `plot` extra: pip install "minigrad[plot]").

    training_figure(results, "run.png")   loss (and accuracy) per epoch; the decision boundary
                                          of the 2-D lessons (AND gate, SVM with its margins)
    losses_figure("losses.png")           004's diagram (hinge, cross-entropy and MSE on
                                          sigmoid(z) against the logit z) and 001's
                                          confidence bar chart
    curvature_figure(result, "c.png")     the curvature lesson: the regression's loss against
                                          w with gradient-descent and Newton steps, the factor
                                          1 - lr H with the stable-lr band, and Newton against
                                          gradient descent on the AND gate

matplotlib is imported only when a picture is drawn, so minigrad itself needs only numpy. In a
Jupyter notebook the figures are also shown (the notebooks of the documentation's gallery).
"""
import sys

import numpy as np

import minigrad as mg

TWO_D = ("binary", "svm")          # the lessons whose data can be drawn in the plane


def _in_notebook():
    return "ipykernel" in sys.modules


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError('plotting needs matplotlib, from the "plot" extra: pip install "minigrad[plot]"') from None
    if not _in_notebook():         # (a notebook keeps its own backend, which shows the figure)
        matplotlib.use("Agg")      # we only write files: no window, works without a display
    import matplotlib.pyplot as plt
    return plt


def _save(plt, fig, path):
    """Write the figure to `path`; in a Jupyter notebook also leave it open, so the cell shows it."""
    fig.savefig(path, dpi=100)
    if not _in_notebook():
        plt.close(fig)
    return path


def requested_file(default):
    """Where an example draws its plots: the FILE.png (or .svg, .pdf) on its command line; in a
    Jupyter notebook, `default`; else None (the example draws nothing)."""
    images = [arg for arg in sys.argv[1:] if arg.endswith((".png", ".svg", ".pdf"))]
    if images:
        return images[0]
    return default if _in_notebook() else None


def _loss_curve(ax, result):
    losses = np.asarray(result.losses, dtype=float)
    epochs = np.arange(len(losses))
    ax.plot(epochs, losses, color="tab:blue", label="loss")
    finite = losses[np.isfinite(losses)]
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 100:
        ax.set_yscale("log")       # a diverging or fast-converging loss spans decades
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss", color="tab:blue")
    title = f"{result.name}: {result.status}"
    if "test_accuracy" in result.extra:            # real data: one held-out number, not a curve
        title += f", held-out accuracy {result.extra['test_accuracy']:.1%}"
    ax.set_title(title, fontsize=10)
    if len(result.accuracies) > 1 and "test_accuracy" not in result.extra:
        acc_ax = ax.twinx()
        acc = np.asarray(result.accuracies) * 100   # one per epoch (before its step), then the final one
        acc_ax.plot(np.arange(len(acc)), acc, color="tab:orange", label="accuracy")
        acc_ax.set_ylabel("accuracy (%)", color="tab:orange")
        acc_ax.set_ylim(-5, 105)


def _boundary(ax, result):
    """Shade the model's decision regions and draw its boundary (and the SVM's margins)."""
    from minigrad.lessons import binary, svm
    module = binary if result.name == "binary" else svm
    x, y = np.asarray(module.X), np.asarray(module.Y)
    pad = 1.0 if result.name == "svm" else 0.5
    (x0, y0), (x1, y1) = x.min(axis=0) - pad, x.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
    grid = mg.tensor(np.c_[gx.ravel(), gy.ravel()], dtype=result.model.weight.dtype)
    with mg.no_grad():
        score = result.model(grid).data.reshape(gx.shape)   # the logit / SVM score
    ax.contourf(gx, gy, score, levels=[-np.inf, 0, np.inf], colors=["#f4cccc", "#cfe2f3"], alpha=0.8)
    ax.contour(gx, gy, score, levels=[0], colors="k", linewidths=1.5)
    if result.name == "svm":
        ax.contour(gx, gy, score, levels=[-1, 1], colors="k", linestyles="--", linewidths=1)
        support = np.asarray(result.extra.get("support_vectors", []))
        if support.size:
            ax.scatter(support[:, 0], support[:, 1], s=180, facecolors="none", edgecolors="k",
                       label="support vectors")
    positive = y > 0
    ax.scatter(x[positive, 0], x[positive, 1], c="tab:blue", marker="o", label="positive", zorder=3)
    ax.scatter(x[~positive, 0], x[~positive, 1], c="tab:red", marker="x", label="negative", zorder=3)
    ax.set_title("decision boundary" + (" and margins (dashed)" if result.name == "svm" else " (p = 0.5)"),
                 fontsize=10)
    ax.legend(fontsize=7, loc="lower right" if result.name == "svm" else "upper left")


def training_figure(results, path):
    """One row per training run: the loss curve, and the decision boundary for 2-D data."""
    plt = _pyplot()
    results = list(results)
    has_2d = any(r.name in TWO_D for r in results)
    fig, axes = plt.subplots(len(results), 2 if has_2d else 1, squeeze=False,
                             figsize=(11 if has_2d else 6, 3.2 * len(results)))
    for row, result in zip(axes, results):
        _loss_curve(row[0], result)
        if has_2d:
            if result.name in TWO_D:
                _boundary(row[1], result)
            else:
                row[1].axis("off")
    fig.tight_layout()
    return _save(plt, fig, path)


def loss_curves(z):
    """For a positive example (y = 1) with logit z, computed by minigrad's losses:
    hinge max(0, 1 - z), cross-entropy log(1 + e^-z), and MSE on the probability (1 - sigmoid(z))^2."""
    F = mg.nn.functional
    z = mg.tensor(z, dtype=mg.float64)
    ones = mg.ones_like(z)
    return {"hinge: max(0, 1 - z)": F.hinge_loss(z, ones, reduction="none").data,
            "cross-entropy: log(1 + exp(-z))": F.binary_cross_entropy_with_logits(z, ones, reduction="none").data,
            "MSE on sigmoid: (1 - sigmoid(z))^2": F.mse_loss(z.sigmoid(), ones, reduction="none").data}


def losses_figure(path):
    """004's diagram beside 001's bar chart, with the true values (001 prints 0.04 / 1.10 / 4.56)."""
    from minigrad.lessons import multiclass
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    z = np.linspace(-4, 4, 401)
    for label, values in loss_curves(z).items():
        left.plot(z, values, label=label, linewidth=2)
    left.axvline(0, color="grey", linewidth=0.5)
    left.set_xlabel("logit z (true class y = 1)")
    left.set_ylabel("loss")
    left.set_title("A confidently wrong logit (z << 0): CE grows linearly,\n"
                   "MSE on sigmoid flattens out (its gradient vanishes)", fontsize=10)
    left.legend()
    names = list(multiclass.SCENARIOS_001)
    true = [multiclass.cross_entropy_of_logits(multiclass.SCENARIOS_001[n][0], 0) for n in names]
    printed = [float(multiclass.SCENARIOS_001[n][1]) for n in names]
    bars = right.bar([n.replace(" & ", "\n& ") for n in names], true, width=0.5,
                     color=["#2dc653", "#f4a261", "#e63946"])
    for bar, value, shown in zip(bars, true, printed):
        right.text(bar.get_x() + bar.get_width() / 2, value + 0.08, f"{value:.3f}\n(001 prints {shown:.2f})",
                   ha="center", fontsize=9)
    right.set_ylim(0, max(true) * 1.25)
    right.set_ylabel("cross-entropy loss (true class 0)")
    right.set_title("001's three confidence scenarios, true values", fontsize=10)
    fig.tight_layout()
    return _save(plt, fig, path)


def curvature_figure(result, path):
    """The curvature lesson (minigrad.lessons.curvature), from the Result it returns."""
    from minigrad.lessons import curvature, regression
    plt = _pyplot()
    h, rows, gate = result.extra["hessian"], result.extra["rows"], result.extra["and_gate"]
    fig, (surface, band, gate_ax) = plt.subplots(1, 3, figsize=(16, 4.8))

    # Left: L(w), a parabola of curvature H, and the first steps from the lesson's w = 0.5.
    ws = np.linspace(-1.0, 5.0, 301)
    surface.plot(ws, curvature.regression_surface(ws), color="k", linewidth=1.5, label="L(w) = mean((wx - 2x)^2)")
    paths = [(regression.DEFAULT_LR, "tab:green", 6), (regression.LESSON_LR, "tab:red", 4)]
    for lr, color, steps in paths:
        row = next(r for r in rows if np.isclose(r.lr, lr))
        w = np.asarray(row.weights[:steps])
        surface.plot(w, curvature.regression_surface(w), "o-", color=color, markersize=4, linewidth=1,
                     label=f"gradient descent, lr {lr:g} (x{row.factor:.2g} per step)")
    w0 = regression.INITIAL_W
    newton = [w0, result.extra["newton"][w0]]
    surface.plot(newton, curvature.regression_surface(newton), "s--", color="tab:blue", markersize=5,
                 label="Newton: w - g/H, one step")
    surface.axvline(2.0, color="grey", linewidth=0.5, label="the minimum, w = 2")
    surface.set_ylim(-5, 150)
    surface.set_xlabel("w")
    surface.set_ylabel("loss")
    surface.set_title(f"Regression: the loss is a parabola of curvature H = {h:.4g}", fontsize=10)
    surface.legend(fontsize=7, loc="upper center")

    # Middle: the factor each step multiplies w - 2 by, with the band of stable learning rates.
    lrs = np.linspace(0.0, 0.13, 200)
    band.axvspan(0, 2 / h, color="tab:green", alpha=0.12, label=f"stable: 0 < lr < 2/H = {2 / h:.4f}")
    band.axhspan(-1, 1, color="grey", alpha=0.08)
    band.plot(lrs, 1 - lrs * h, color="k", linewidth=1.5, label="predicted: 1 - lr H")
    band.scatter([r.lr for r in rows], [r.measured_factor for r in rows], color="tab:orange", zorder=3,
                 label="measured in training: (w1 - 2) / (w0 - 2)")
    for lr, what in ((regression.LESSON_LR, "the lesson's lr"), (regression.DEFAULT_LR, "lr 0.05")):
        band.annotate(f"{what}: {1 - lr * h:.2g}", (lr, 1 - lr * h), textcoords="offset points", xytext=(-95, -4),
                      fontsize=8, arrowprops=dict(arrowstyle="->", linewidth=0.6))
    for level in (-1, 1):
        band.axhline(level, color="grey", linestyle="--", linewidth=0.8)
    band.axvline(2 / h, color="tab:green", linestyle=":", linewidth=1)
    band.annotate("1/H: lands in one step", (1 / h, 0.0), textcoords="offset points", xytext=(10, 25), fontsize=8,
                  arrowprops=dict(arrowstyle="->", linewidth=0.6))
    band.set_xlim(0, 0.13)
    band.set_ylim(-2, 1.3)
    band.set_xlabel("learning rate")
    band.set_ylabel("factor on w - 2 per step")
    band.set_title("Gradient descent shrinks the error iff |1 - lr H| < 1", fontsize=10)
    band.legend(fontsize=7, loc="lower left")

    # Right: the AND gate's loss, gradient descent by epoch and Newton (IRLS) by step.
    gd = np.asarray(gate["gd_losses"])
    gate_ax.plot(np.arange(len(gd)), gd, color="tab:red", label="gradient descent, lr 0.5 (per epoch)")
    newton_losses = np.asarray(gate["newton_losses"])
    gate_ax.plot(np.arange(len(newton_losses)), newton_losses, "s-", color="tab:blue", markersize=4,
                 label="Newton's method / IRLS (per step)")
    gate_ax.axhline(gate["target"], color="grey", linestyle=":", linewidth=1,
                    label=f"the lesson's 100 epochs: loss {gate['target']:.3f}")
    gate_ax.set_xscale("symlog", linthresh=1)      # linear from 0 to 1, then logarithmic
    gate_ax.set_xlim(0, len(gd))
    gate_ax.set_yscale("log")
    gate_ax.set_xlabel("epoch / Newton step")
    gate_ax.set_ylabel("loss")
    gate_ax.set_title(f"AND gate: Newton reaches 100 epochs' loss in {gate['newton_steps']} steps", fontsize=10)
    gate_ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return _save(plt, fig, path)
