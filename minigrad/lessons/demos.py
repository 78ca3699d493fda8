"""Lesson 5, the teaching demos of 004 (slower; not part of `minigrad train all`).

(a) gradient_table: the gradient at the logits when the prediction grows confidently wrong.
    Cross-entropy: dL/dz = p - y, so the true class's entry tends to -1 and stays there.
    MSE on softmax, L = 1/2 ||p - y||^2: dL/dz = J_softmax(z) (p - y), and the softmax
    Jacobian diag(p) - p p^T vanishes as p approaches a one-hot vector: so does the gradient.
(b) depth_table: MLPs with 1..4 hidden layers trained with each loss from the same initial
    weights; the epochs each needs to reach a set training accuracy.
(c) stability_table: log(softmax(z)) underflows to log(0) = -inf for a very negative logit,
    log_softmax(z) = z - logsumexp(z) does not.
(d) softmax_twice: cross_entropy already applies log-softmax; feeding it probabilities
    squashes the loss and the gradient, and minigrad warns.
"""
import warnings

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.lessons._common import Result, make_optimizer, progress
from minigrad.metrics import accuracy
from minigrad.warnings import SoftmaxTwiceWarning

F = nn.functional


def _softmax_mse(logits, target, n_classes):
    """1/2 ||softmax(z) - one_hot(y)||^2 per sample, averaged over the batch (004's MSE)."""
    one_hot = mg.tensor(np.eye(n_classes)[target.data], dtype=logits.dtype)
    return F.mse_loss(logits.softmax(dim=1), one_hot, reduction="sum") * (0.5 / len(logits))


# ---- (a) -------------------------------------------------------------------------------------
def gradient_table(margins=(0, 1, 2, 4, 6, 8, 10), out=print):
    """True class 0, logits z = [0, 0, m]: the wrong class 2 leads by m. Returns rows of
    (m, p_true, CE gradient at z_0, MSE gradient at z_0, gradient norms), all by autograd."""
    out("(a) Gradient at the true class's logit as the prediction grows confidently wrong")
    out("    logits [0, 0, m], true class 0; MSE = 1/2 ||softmax(z) - y||^2")
    out(f"    {'m':>4} {'p(true)':>10} {'CE dL/dz0':>12} {'MSE dL/dz0':>12} {'|CE grad|':>10} {'|MSE grad|':>11}")
    rows = []
    target = mg.tensor([0], dtype=mg.int64)
    for m in margins:
        z_ce = mg.tensor([[0.0, 0.0, float(m)]], dtype=mg.float64, requires_grad=True)
        with warnings.catch_warnings():
            # The logits [0, 0, 1] happen to look like a probability row (one-hot); they are
            # logits, so the softmax-twice heuristic's warning does not apply here.
            warnings.simplefilter("ignore", SoftmaxTwiceWarning)
            F.cross_entropy(z_ce, target).backward()
        z_mse = mg.tensor([[0.0, 0.0, float(m)]], dtype=mg.float64, requires_grad=True)
        _softmax_mse(z_mse, target, 3).backward()
        p_true = float(z_ce.detach().softmax(dim=1).data[0, 0])
        row = (m, p_true, float(z_ce.grad.data[0, 0]), float(z_mse.grad.data[0, 0]),
               float(np.linalg.norm(z_ce.grad.data)), float(np.linalg.norm(z_mse.grad.data)))
        rows.append(row)
        out(f"    {m:>4} {p_true:>10.2e} {row[2]:>12.4f} {row[3]:>12.2e} {row[4]:>10.4f} {row[5]:>11.2e}")
    out("    Cross-entropy's push stays near 1; MSE's fades as the model grows surer of the wrong class.")
    return rows


# ---- (b) -------------------------------------------------------------------------------------
def blobs(n_per_class=100, n_classes=4, n_features=8, seed=0):
    """A fixed synthetic set: Gaussian clusters around random centres (unit variance)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.5, size=(n_classes, n_features))
    x = np.concatenate([c + rng.normal(size=(n_per_class, n_features)) for c in centres])
    y = np.repeat(np.arange(n_classes), n_per_class)
    return x, y


def mlp(n_in, n_hidden_layers, width, n_out, dtype=mg.float64):
    layers, size = [], n_in
    for _ in range(n_hidden_layers):
        layers += [nn.Linear(size, width, dtype=dtype), nn.Tanh()]
        size = width
    return nn.Sequential(*layers, nn.Linear(size, n_out, dtype=dtype))


def epochs_to_reach(loss_name, depth, x, y, target_accuracy, max_epochs, lr, seed, width=16):
    """Full-batch SGD from the weights `seed` draws; the first epoch whose training accuracy
    reaches `target_accuracy` (None if it never does within max_epochs)."""
    mg.manual_seed(seed)
    n_classes = int(y.max()) + 1
    model = mlp(x.shape[1], depth, width, n_classes)
    xs, ys = mg.tensor(x, dtype=mg.float64), mg.tensor(y, dtype=mg.int64)
    opt = make_optimizer("sgd", model.parameters(), lr)
    for epoch in range(1, max_epochs + 1):
        logits = model(xs)
        loss = F.cross_entropy(logits, ys) if loss_name == "ce" else _softmax_mse(logits, ys, n_classes)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if accuracy(logits, ys) >= target_accuracy:     # the accuracy of this epoch's forward pass
            return epoch
    return None


def depth_table(depths=(1, 2, 3, 4), target_accuracy=0.9, max_epochs=1000, lr=0.1, seed=0, out=print):
    """Epochs to reach `target_accuracy` on the blobs, CE vs MSE-on-softmax, by depth."""
    x, y = blobs(seed=seed)
    out(f"(b) Epochs of full-batch SGD (lr {lr}) to reach {target_accuracy:.0%} training accuracy, "
        f"tanh MLPs of width 16, same initial weights per depth; '>' = not within {max_epochs}")
    out(f"    {'hidden layers':>13} {'cross-entropy':>14} {'MSE on softmax':>15}")
    rows = []
    for depth in progress(depths, len(depths), "depth", out):
        ce = epochs_to_reach("ce", depth, x, y, target_accuracy, max_epochs, lr, seed)
        mse = epochs_to_reach("mse", depth, x, y, target_accuracy, max_epochs, lr, seed)
        rows.append((depth, ce, mse))
        show = [f">{max_epochs}" if v is None else str(v) for v in (ce, mse)]
        out(f"    {depth:>13} {show[0]:>14} {show[1]:>15}")
    return rows


# ---- (c) -------------------------------------------------------------------------------------
def stability_table(out=print):
    """log(softmax(z)) against log_softmax(z) for logits [0, -d], in float32 and float64."""
    out("(c) log(softmax(z)) vs log_softmax(z) for z = [0, -d]: the true value of the second entry is -d "
        "- log(1 + e^-d)")
    out(f"    {'d':>6} {'dtype':>8} {'log(softmax)':>16} {'log_softmax':>16}")
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # log(0) = -inf is the point of the demo
        for d in (10.0, 50.0, 100.0, 200.0, 1000.0):
            for dtype in (mg.float32, mg.float64):
                z = mg.tensor([0.0, -d], dtype=dtype)
                naive = float(z.softmax(dim=0).log().data[1])
                fused = float(z.log_softmax(dim=0).data[1])
                rows.append((d, str(dtype), naive, fused))
                out(f"    {d:>6g} {str(dtype):>8} {naive:>16.10g} {fused:>16.10g}")
    out("    softmax(z)_2 = e^-d underflows to 0 (float32 near d = 104, float64 near d = 745), and log(0) = -inf;")
    out("    log_softmax never forms e^-d: it computes z - max(z) - log(sum(exp(z - max(z)))).")
    return rows


# ---- (d) -------------------------------------------------------------------------------------
def softmax_twice(out=print):
    """cross_entropy(softmax(z)) vs cross_entropy(z), with minigrad's warning."""
    z = mg.tensor([[4.0, 1.0, 0.0]], dtype=mg.float64, requires_grad=True)
    target = mg.tensor([1], dtype=mg.int64)
    right = F.cross_entropy(z, target)
    right.backward()
    right_grad = z.grad.data.copy()
    z.grad = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wrong = F.cross_entropy(z.softmax(dim=1), target)
    wrong.backward()
    warned = [w for w in caught if "softmax was probably applied twice" in str(w.message)]
    out("(d) Softmax applied twice: logits [4, 1, 0], true class 1")
    out(f"    cross_entropy(z)          = {right.item():.4f}, gradient {np.round(right_grad.ravel(), 4).tolist()}")
    out(f"    cross_entropy(softmax(z)) = {wrong.item():.4f}, gradient {np.round(z.grad.data.ravel(), 4).tolist()}")
    out("    The second softmax sees scores squashed into [0, 1]: with 3 classes the loss can never exceed "
        "log(e + 2) = 1.551 however wrong the model is, and the gradient shrinks.")
    out(f"    minigrad warned: {'yes' if warned else 'no'}"
        + (f" ({type(warned[0].message).__name__})" if warned else ""))
    return right.item(), wrong.item(), right_grad, z.grad.data.copy(), bool(warned)


def run_all(quick=False, out=print):
    """All four demos; quick=True uses fewer epochs in (b). Ends with a verdict line."""
    rows = gradient_table(out=out)
    out("")
    depth_rows = depth_table(max_epochs=150 if quick else 1000, out=out)
    out("")
    stability_table(out=out)
    out("")
    softmax_twice(out=out)
    out("")
    ce_faster = sum(1 for _, ce, mse in depth_rows
                    if ce is not None and (mse is None or ce < mse))
    verdict = (f"Verdict: demos: at m = {rows[-1][0]} the CE gradient is {rows[-1][2]:.3f} and MSE-on-softmax's "
               f"{rows[-1][3]:.1e}; cross-entropy reached the target first at {ce_faster} of {len(depth_rows)} depths")
    out(verdict)
    return Result("demos", None, [], status="done", verdict=verdict,
                  extra=dict(gradients=rows, depth=depth_rows))
