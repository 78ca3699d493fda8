"""Lesson 2, binary classification: the AND gate with a sigmoid and binary cross-entropy.

p = sigmoid(x . w + b) and L = -mean(y log p + (1 - y) log(1 - p)). Through the chain rule
the gradient at the logit z is just p - y, which is why the lesson's hand-written update is
dw = X^T (p - y) / n. Here the autograd derives it for us.
"""
import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.lessons._common import (Result, check_printed, dtype_of, finish, fit, linear_model,
                                      make_optimizer, predict, real_verdict)
from minigrad.lessons.datasets import AND_X as X, AND_Y as Y, load_real
from minigrad.metrics import accuracy

LR = 0.5
EPOCHS = 100


def and_gate(epochs=EPOCHS, lr=LR, seed=0, dtype="float64", optimizer="sgd", with_logits=False,
             report_every=20, out=print):
    """Logistic regression on the AND gate: w ~ N(0, 1) (the lesson's draw), b = 0.

    with_logits=True feeds the logits to binary_cross_entropy_with_logits instead of applying
    sigmoid first: the same loss and the same gradient, computed without log(0) risks.
    Converged means all four cases on the right side of p = 0.5.
    """
    mg.manual_seed(seed)
    dt = dtype_of(dtype)
    initial_weight = mg.randn(1, 2, dtype=dt)
    x = mg.tensor(X, dtype=dt)
    y = mg.tensor(Y, dtype=dt).reshape(-1, 1)
    model = linear_model(2, 1, dt, weight=initial_weight.data, bias=0.0)
    opt = make_optimizer(optimizer, model.parameters(), lr)
    result = Result("binary", model, [], initial=model.state_dict())
    for epoch in range(epochs):
        logits = model(x)
        if with_logits:
            loss = nn.functional.binary_cross_entropy_with_logits(logits, y)
        else:
            loss = nn.functional.binary_cross_entropy(logits.sigmoid(), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        result.losses.append(loss.item())
        result.accuracies.append(accuracy(logits.sigmoid(), y))
        if epoch % report_every == 0:
            out(f"Epoch {epoch:4d}: loss = {loss.item():.4f}")
    with mg.no_grad():
        p = model(x).sigmoid()
    final_accuracy = accuracy(p, y)
    result.accuracies.append(final_accuracy)      # after the last step
    probabilities = ", ".join(f"{v:.2f}" for v in p.data.ravel())
    out(f"Final probabilities: [{probabilities}] (targets [0, 0, 0, 1])")
    if not np.isfinite(result.losses[-1]) or result.losses[-1] > result.losses[0]:
        why = "the learning rate is too high for this problem: try a smaller --lr"
    elif final_accuracy < 1:
        why = "not all four cases are right yet: train longer (--epochs) or raise --lr"
    else:
        why = "all four cases right"
    return finish(result, final_accuracy == 1, why, out)


# ---- the worked numbers ----------------------------------------------------------------------
# BCE = -log(p) when y = 1, by the confidence p in the true class (000 and 002 print these).
CONFIDENCE_CASES = [(0.01, "4.61", "002"), (0.05, "3.00", "000"), (0.10, "2.30", "002"),
                    (0.50, "0.69", "002"), (0.90, "0.11", "002"), (0.95, "0.051", "000"),
                    (0.99, "0.01", "002")]


def bce(p, y, pos_weight=None):
    """Binary cross-entropy of one probability p against label y, via minigrad's loss on the
    logit z = log(p / (1 - p)) (so pos_weight, which multiplies the y = 1 term, can be used)."""
    z = mg.tensor([np.log(p) - np.log1p(-p)], dtype=mg.float64)
    w = None if pos_weight is None else mg.tensor([pos_weight], dtype=mg.float64)
    return nn.functional.binary_cross_entropy_with_logits(z, mg.tensor([float(y)], dtype=mg.float64),
                                                          pos_weight=w).item()


def confidence_table(out=print):
    """BCE of a true positive by the probability the model gives it."""
    out("Binary cross-entropy when y = 1, by the predicted probability p:")
    return {p: check_printed(f"p = {p:.2f}: -log(p)", bce(p, 1), printed, source, out)
            for p, printed, source in CONFIDENCE_CASES}


def medical_case(pos_weight=10.0, out=print):
    """000's exercise: a disease test (y = 1: ill). A confidently wrong answer costs the same
    either way with plain BCE: p = 0.05 for an ill patient (false negative) and p = 0.95 for a
    healthy one (false positive) both cost -log(0.05). pos_weight multiplies the y = 1 term,
    so a missed disease costs pos_weight times more. Note: the exercise's -log(1 - p) at
    p = 0.05 is the loss of a confident *correct* 'healthy' answer, not of a false positive."""
    out("000's medical case, a confidently wrong answer each way:")
    values = {
        "false negative": check_printed("false negative (y=1, p=0.05)", bce(0.05, 1), None, "000", out),
        "false positive": check_printed("false positive (y=0, p=0.95)", bce(0.95, 0), None, "000", out),
        "exercise -log(1-p) at p=0.05": check_printed("the exercise's -log(1 - 0.05)", bce(0.05, 0), None,
                                                      "000", out),
        "weighted false negative": check_printed(f"false negative, pos_weight={pos_weight:g}",
                                                 bce(0.05, 1, pos_weight), None, "000", out),
        "weighted false positive": check_printed(f"false positive, pos_weight={pos_weight:g}",
                                                 bce(0.95, 0, pos_weight), None, "000", out),
    }
    out("(-log(1 - 0.05) is the cost of a confident *correct* 'healthy' answer; a false positive "
        "at the same confidence is p = 0.95.) With pos_weight the missed disease costs "
        f"{pos_weight:g}x more; the false positive is unchanged.")
    return values


def same_gradient(seed=0, out=print):
    """sigmoid + binary_cross_entropy and binary_cross_entropy_with_logits give the same
    gradient at the logits, (sigmoid(z) - y) / n; returns the largest difference."""
    mg.manual_seed(seed)
    z1 = mg.randn(4, 1, dtype=mg.float64, requires_grad=True)
    z2 = z1.detach().requires_grad_()
    y = mg.tensor(Y, dtype=mg.float64).reshape(-1, 1)
    nn.functional.binary_cross_entropy(z1.sigmoid(), y).backward()
    nn.functional.binary_cross_entropy_with_logits(z2, y).backward()
    gap = float(np.max(np.abs(z1.grad - z2.grad)))
    expected = (1 / (1 + np.exp(-z1.data)) - y.data) / 4
    out(f"Gradient at the logits, sigmoid + BCE vs BCE with logits: largest difference {gap:.1e}; "
        f"both equal (sigmoid(z) - y)/n to {float(np.max(np.abs(z2.grad - expected))):.1e}")
    return gap


def worked_numbers(out=print):
    confidence_table(out)
    medical_case(out=out)
    same_gradient(out=out)


# ---- real data: scikit-learn's breast cancer set ---------------------------------------------
def real_data(epochs=300, lr=0.01, seed=0, dtype="float64", optimizer="adam", out=print):
    """Logistic regression on breast cancer (30 standardised features, malignant = 0 /
    benign = 1) with binary_cross_entropy_with_logits; held-out accuracy beside scikit-learn's
    LogisticRegression. Converged when within 2 points of it."""
    from sklearn.linear_model import LogisticRegression

    mg.manual_seed(seed)
    split = load_real("breast_cancer", seed=seed)
    model = nn.Linear(split.x_train.shape[1], 1, dtype=dtype_of(dtype))
    losses = fit(model, nn.functional.binary_cross_entropy_with_logits, split.x_train,
                 split.y_train[:, None].astype(np.float64), epochs=epochs, lr=lr, optimizer=optimizer,
                 seed=seed, desc="breast cancer", out=out)
    ours = accuracy(predict(model, split.x_test), split.y_test, threshold=0.0)     # logits: > 0 is benign
    baseline = LogisticRegression(max_iter=5000).fit(split.x_train, split.y_train).score(split.x_test, split.y_test)
    result = Result("binary (breast cancer)", model, losses)
    return real_verdict(result, ours, baseline, "LogisticRegression", out)
