"""Lesson 4, a linear SVM: hinge loss plus an L2 penalty, trained by (sub)gradient descent.

score = x . w + b and L = mean(max(0, 1 - y score)) + lambda ||w||^2 with y in {-1, +1}.
Only samples inside the margin (y score < 1) contribute -y x to the gradient: those are the
support vectors. The penalty pulls w towards 0, which widens the margin 2 / ||w||.

With the lesson's lr = 0.01 and unscaled features (up to 8), 100 epochs move w only a little
from its small random start: the run reports the accuracy it actually reaches. By default
(epochs=None) the training continues until every sample is on its correct side.
"""
import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.lessons._common import (Result, dtype_of, finish, fit, linear_model, make_optimizer, predict,
                                      real_verdict)
from minigrad.lessons.datasets import SVM_X as X, SVM_Y as Y, load_real
from minigrad.metrics import accuracy

LR = 0.01
LAMBDA = 0.01
LESSON_EPOCHS = 100
MAX_EPOCHS = 100_000      # the cap when training until separated


def svm_loss(scores, y, weight, l2=LAMBDA):
    """The lesson's objective: the mean hinge loss plus the L2 penalty l2 * ||w||^2."""
    return nn.functional.hinge_loss(scores, y) + l2 * (weight ** 2).sum()


def linear_svm(epochs=None, lr=LR, seed=0, dtype="float64", optimizer="sgd", l2=LAMBDA,
               report_every=None, out=print):
    """w ~ 0.1 N(0, 1), b = 0 (the lesson's draw). epochs=None trains until separated.

    Returns a Result; `extra` holds w, b, the margin width 2/||w|| and the support vectors.
    """
    mg.manual_seed(seed)
    dt = dtype_of(dtype)
    initial_w = (mg.randn(2, dtype=dt) * 0.1).data
    x = mg.tensor(X, dtype=dt)
    y = mg.tensor(Y, dtype=dt)
    model = linear_model(2, 1, dt, weight=initial_w, bias=0.0)
    opt = make_optimizer(optimizer, model.parameters(), lr)
    result = Result("svm", model, [], initial=model.state_dict())
    until_separated = epochs is None
    limit = MAX_EPOCHS if until_separated else epochs
    if report_every is None:
        report_every = 20 if not until_separated else 500
    epoch = 0
    for epoch in range(limit):
        scores = model(x).reshape(-1)
        loss = svm_loss(scores, y, model.weight, l2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        result.losses.append(loss.item())
        result.accuracies.append(accuracy(scores, y, threshold=0.0))
        if epoch % report_every == 0:
            out(f"Epoch {epoch:5d}: loss = {loss.item():.4f}, accuracy = {result.accuracies[-1]:.0%}")
        if until_separated:
            with mg.no_grad():                  # judge the weights we are about to return
                separated = accuracy(model(x).reshape(-1), y, threshold=0.0) == 1.0
            if separated:
                break
    with mg.no_grad():
        scores = model(x).reshape(-1).data
    w, b = model.weight.data.ravel(), float(model.bias.data[0])
    functional_margins = np.asarray(Y) * scores
    support = [X[i] for i in np.flatnonzero(functional_margins <= 1 + 1e-9)]
    width = 2.0 / np.linalg.norm(w) if np.linalg.norm(w) > 0 else float("inf")
    result.extra.update(w=w.copy(), b=b, margin=width, support_vectors=support, epochs=epoch + 1)
    final_accuracy = accuracy(scores, y, threshold=0.0)
    result.accuracies.append(final_accuracy)
    out(f"After {epoch + 1} epochs: w = {np.round(w, 3)}, b = {b:.3f}")
    out(f"Predictions: {np.sign(scores).astype(int).tolist()}  actual: {[int(v) for v in Y]}")
    out(f"Margin width 2/||w|| = {width:.3f}; support vectors (y * score <= 1): {support}")
    if final_accuracy == 1.0:
        why = f"every sample on its side after {epoch + 1} epochs"
    else:
        why = (f"not separated after {epoch + 1} epochs ({final_accuracy:.0%}): lr {lr:g} on unscaled "
               "features moves w slowly; run without --epochs to train until separated")
    return finish(result, final_accuracy == 1.0, why, out)


# ---- real data: scikit-learn's breast cancer set ---------------------------------------------
def real_data(epochs=300, lr=0.01, seed=0, dtype="float64", optimizer="adam", l2=1e-3, out=print):
    """A linear SVM (hinge + l2 ||w||^2) on breast cancer with labels -1/+1; held-out accuracy
    beside scikit-learn's LinearSVC and LogisticRegression. Converged when within 2 points
    of LinearSVC."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    mg.manual_seed(seed)
    split = load_real("breast_cancer", seed=seed)
    model = nn.Linear(split.x_train.shape[1], 1, dtype=dtype_of(dtype))
    signs = 2.0 * split.y_train - 1.0                  # 0/1 -> -1/+1

    def loss_fn(scores, y):
        return svm_loss(scores, y, model.weight, l2)

    losses = fit(model, loss_fn, split.x_train, signs[:, None], epochs=epochs, lr=lr, optimizer=optimizer,
                 seed=seed, desc="breast cancer SVM", out=out)
    ours = accuracy(predict(model, split.x_test), 2.0 * split.y_test - 1.0, threshold=0.0)
    svc = LinearSVC().fit(split.x_train, split.y_train).score(split.x_test, split.y_test)
    logistic = LogisticRegression(max_iter=5000).fit(split.x_train, split.y_train).score(split.x_test, split.y_test)
    out(f"(scikit-learn LogisticRegression: {logistic:.1%})")
    result = Result("svm (breast cancer)", model, losses)
    return real_verdict(result, ours, svc, "LinearSVC", out)
