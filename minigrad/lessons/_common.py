"""What every lesson shares: building the optimizer, and the honest one-line verdict.

A training run ends in one of three states, and the verdict says which:

    diverged   the loss became inf/nan, or grew epoch after epoch (the step is too big)
    converged  the lesson's own goal was reached (a weight close enough, every sample right)
    stalled    neither: the loss is finite but the goal was not reached in the epochs given
"""
from dataclasses import dataclass, field

import numpy as np

import minigrad as mg
from minigrad.data import DataLoader, TensorDataset

DTYPES = {"float64": mg.float64, "float32": mg.float32}


def make_optimizer(name, parameters, lr):
    """'sgd' is plain gradient descent, w <- w - lr * dL/dw, as every lesson writes by hand."""
    if name == "sgd":
        return mg.optim.SGD(parameters, lr=lr)
    if name == "adam":
        return mg.optim.Adam(parameters, lr=lr)
    raise ValueError(f"optimizer must be 'sgd' or 'adam', got {name!r}")


def linear_model(in_features, out_features, dtype, weight, bias=None):
    """nn.Linear starting from the lesson's values rather than a random draw: `weight` fills
    the (out, in) matrix, `bias` is a number, or None for a layer without bias."""
    model = mg.nn.Linear(in_features, out_features, bias=bias is not None, dtype=dtype)
    model.weight.data[...] = weight      # .data: setting a start value records no graph
    if bias is not None:
        model.bias.data[...] = bias
    return model


def dtype_of(name):
    try:
        return DTYPES[name]
    except KeyError:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {name!r}") from None


def is_diverging(losses, run=3):
    """True when the loss is not finite, or rose in each of the last `run` epochs and ended
    above where it started: the signature of a learning rate past the stability limit."""
    losses = np.asarray(losses, dtype=float)
    if not np.all(np.isfinite(losses)):
        return True
    if len(losses) <= run:
        return False
    tail = losses[-run - 1:]
    return bool(np.all(np.diff(tail) > 0) and losses[-1] > losses[0])


@dataclass
class Result:
    """What a lesson's training returns, for tests and plots to inspect."""
    name: str
    model: object
    losses: list                      # one loss per epoch, computed before that epoch's step
    accuracies: list = field(default_factory=list)   # per epoch (before its step), then the final one
    initial: dict = field(default_factory=dict)       # initial parameters, to replay in torch
    status: str = ""                  # converged / diverged / stalled
    verdict: str = ""                 # the one line printed at the end
    extra: dict = field(default_factory=dict)


def finish(result, converged, why, out):
    """Decide the status, print the one-line verdict and return the result."""
    losses = result.losses
    if is_diverging(losses):
        status = "diverged"
    else:
        status = "converged" if converged else "stalled"
    parts = [f"{result.name}: {status}", f"final loss {losses[-1]:.6g}"]
    if result.accuracies:
        parts.append(f"accuracy {result.accuracies[-1]:.0%}")
    if why:
        parts.append(why)
    result.status = status
    result.verdict = "Verdict: " + ", ".join(parts)
    out(result.verdict)
    return result


def quiet(*_):
    """An `out` that prints nothing."""


def check_printed(label, value, printed, source, out, digits=4):
    """Print `label = value`; when the lesson printed something else, say so, with where.

    `printed` is the lesson's number (None when the lesson shows none). A printed number
    counts as right when it agrees with the true value to the digits the lesson shows.
    """
    line = f"  {label:<34s} {value:>{digits + 8}.{digits}f}"
    if printed is not None:
        shown = len(str(printed).split(".")[1]) if "." in str(printed) else 0
        if round(value, shown) == round(float(printed), shown):
            line += f"   (lesson {source}: {printed}, right)"
        else:
            line += f"   (lesson {source} prints {printed}: WRONG)"
    out(line)
    return value


# ---- training on real data (`--data real`) ---------------------------------------------------
def progress(iterable, total, desc, out):
    """A tqdm progress bar (from the `data` extra) when printing, else the bare iterable."""
    if out is quiet:
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False, mininterval=0.5)


def fit(model, loss_fn, x, y, *, epochs, lr, optimizer="adam", batch_size=None, seed=0, desc="training",
        out=print):
    """Train `model` on numpy arrays x, y: mini-batches of `batch_size` (None: the full batch),
    reshuffled each epoch with `seed`. Returns the loss per epoch (mean over its batches)."""
    dtype = next(iter(model.parameters())).dtype
    xs = mg.tensor(x, dtype=dtype)
    ys = mg.tensor(y, dtype=mg.int64 if np.asarray(y).dtype.kind == "i" else dtype)
    loader = DataLoader(TensorDataset(xs, ys), batch_size=batch_size or len(xs), shuffle=batch_size is not None,
                        seed=seed)
    opt = make_optimizer(optimizer, model.parameters(), lr)
    losses = []
    for _ in progress(range(epochs), epochs, desc, out):
        total = 0.0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        losses.append(total / len(xs))
    return losses


def predict(model, x):
    """The model's outputs on a numpy array, without building a graph."""
    with mg.no_grad():
        return model(mg.tensor(x, dtype=next(iter(model.parameters())).dtype)).data


def real_verdict(result, ours, baseline, what, out, target_gap=0.02, floor=None):
    """Held-out accuracy beside scikit-learn's: converged when within `target_gap` of it (and
    at least `floor` when given)."""
    result.extra.update(test_accuracy=ours, baseline_accuracy=baseline)
    out(f"Held-out accuracy: minigrad {ours:.1%}, scikit-learn {what} {baseline:.1%}")
    ok = ours >= baseline - target_gap and (floor is None or ours >= floor)
    why = (f"held-out {ours:.1%} vs scikit-learn {baseline:.1%}" +
           (f" (target >= {floor:.0%})" if floor is not None else ""))
    result.accuracies.append(ours)
    return finish(result, ok, why, out)
