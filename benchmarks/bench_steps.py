"""How long does one training step of each lesson take? minigrad vs torch vs micrograd vs numpy.

One step is what every lesson's loop does per epoch: forward, loss, zero_grad, backward,
optimizer step (plain SGD), on the lesson's own data, initial weights and learning rate,
taken from minigrad/lessons/{regression,binary,multiclass,svm}.py. Each lesson is timed in
two dtypes (the dtype column):

  float64, the lessons' code (they train in float64, every tensor and layer given the dtype):

    regression  y = 2x on 5 points, Linear(1, 1, bias=False), mse_loss, lr 0.05
    binary      the AND gate, Linear(2, 1), sigmoid + binary_cross_entropy, lr 0.5
    multiclass  4 points, 3 classes, Linear(3, 3), cross_entropy, lr 0.1
    svm         6 points, Linear(2, 1), hinge_loss + 0.01 * (w ** 2).sum(), lr 0.01

  float32, the same steps as a user writes them: the data as Python lists, layers and
  tensors in the default dtype (float32, in minigrad as in torch), no dtype argument
  anywhere; the same models and losses as above, except the SVM, written with plain
  tensors w (2,) and b (0-d) and optimized by SGD([w, b]):

    svm         (1 - y * (X @ w + b)).relu().mean() + 0.01 * (w * w).sum(), lr 0.01

Columns (median time per step, interleaved rounds after a warm-up):

    minigrad   minigrad's autograd and minigrad.optim.SGD
    torch-1t   torch eager, torch.optim.SGD, torch.set_num_threads(1), the same code
               spelled with torch (the float32 SVM: the same formula, character for character)
    micrograd  Karpathy's micrograd (PyPI `micrograd`): one scalar Value per number, with
               exp and log added below in micrograd's own style; float64 rows only (a Value
               holds a Python float, so it has no float32 step: "-" in the float32 rows)
    numpy      the same step with gradients written by hand, in the row's dtype (the floor:
               no graph at all)

Ratios from the same run: torch/minigrad and micrograd/minigrad (> 1: minigrad is faster),
minigrad/numpy (how far minigrad is above the floor). Before anything is timed, every
framework takes two steps from the same weights and must give the same loss as minigrad at
both (the second loss depends on the first step's gradient and update), so the table
cannot compare different work: to 1e-9 relative in float64, 1e-5 in float32 (one float32
rounding is 6e-8 relative; sums taken in another order differ by a few of those).

Then two end-to-end figures: a lesson script (build the data, model and optimizer, then
2,000 steps each calling loss.item(), as the lessons record their loss; the float64
lessons' code) in minigrad and in torch, in this process after the imports; and the time
of `import minigrad` (and numpy, torch, micrograd for scale) in fresh interpreters.

    python benchmarks/bench_steps.py            # about a minute
    python benchmarks/bench_steps.py --quick    # a few seconds, for CI
    MINIGRAD_PURE_PYTHON=1 python benchmarks/bench_steps.py --steps-only   # the uncompiled minigrad
"""
import argparse
import math
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass

import _common  # noqa: F401  (first: pins BLAS/OpenMP to one thread before numpy loads)
from _common import NOT_INSTALLED, Table, fmt, median_times, optional_import, print_machine, ratio

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
from minigrad import nn  # noqa: E402
from minigrad.lessons import binary, multiclass, regression, svm  # noqa: E402
from minigrad.lessons._common import quiet  # noqa: E402

LESSONS = ["regression", "binary", "multiclass", "svm"]


# ---- the lessons' settings ------------------------------------------------------------------
@dataclass
class Lesson:
    name: str
    x: np.ndarray          # (n, features), float64
    y: np.ndarray          # (n, 1) float64 targets, (n,) int64 classes, or (n,) -1/+1 labels
    weight: np.ndarray     # (out, in): the lesson's initial weight
    bias: np.ndarray       # (out,), or None when the model has no bias
    lr: float
    l2: float = 0.0


def lesson(name):
    """The lesson's data, learning rate and initial weights. The weights come from running
    the lesson itself for one epoch (Result.initial holds them as drawn, before any step)."""
    if name == "regression":
        initial = regression.linear_regression(epochs=1, out=quiet).initial
        return Lesson(name, np.array(regression.X)[:, None], np.array(regression.Y)[:, None],
                      initial["weight"], None, regression.DEFAULT_LR)
    if name == "binary":
        initial = binary.and_gate(epochs=1, out=quiet).initial
        return Lesson(name, np.array(binary.X), np.array(binary.Y)[:, None], initial["weight"],
                      initial["bias"], binary.LR)
    if name == "multiclass":
        initial = multiclass.softmax_regression(epochs=1, out=quiet).initial
        return Lesson(name, np.array(multiclass.X), np.array(multiclass.CLASSES, dtype=np.int64),
                      initial["weight"], initial["bias"], multiclass.LR)
    if name == "svm":
        initial = svm.linear_svm(epochs=1, out=quiet).initial
        return Lesson(name, np.array(svm.X), np.array(svm.Y), initial["weight"], initial["bias"],
                      svm.LR, svm.LAMBDA)
    raise ValueError(name)


# ---- minigrad: the lessons' own code --------------------------------------------------------
def sgd_step(loss_of, opt):
    """step() -> loss: what each lesson's loop does per epoch, in either framework."""
    def step():
        loss = loss_of()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def minigrad_step(s):
    """Build the lesson's model and optimizer; return step() -> loss (a Tensor)."""
    F = nn.functional
    x = mg.tensor(s.x, dtype=mg.float64)
    y = mg.tensor(s.y, dtype=mg.int64 if s.y.dtype.kind == "i" else mg.float64)
    out_features, in_features = s.weight.shape
    model = nn.Linear(in_features, out_features, bias=s.bias is not None, dtype=mg.float64)
    with mg.no_grad():
        model.weight.data[...] = s.weight
        if s.bias is not None:
            model.bias.data[...] = s.bias
    opt = mg.optim.SGD(model.parameters(), lr=s.lr)
    loss_of = {
        "regression": lambda: F.mse_loss(model(x), y),
        "binary": lambda: F.binary_cross_entropy(model(x).sigmoid(), y),
        "multiclass": lambda: F.cross_entropy(model(x), y),
        "svm": lambda: F.hinge_loss(model(x).reshape(-1), y) + s.l2 * (model.weight ** 2).sum(),
    }[s.name]

    return sgd_step(loss_of, opt)


# ---- torch eager: the same code, spelled with torch -----------------------------------------
def torch_step(s, torch):
    F = torch.nn.functional
    x = torch.tensor(s.x, dtype=torch.float64)
    y = torch.tensor(s.y, dtype=torch.int64 if s.y.dtype.kind == "i" else torch.float64)
    out_features, in_features = s.weight.shape
    model = torch.nn.Linear(in_features, out_features, bias=s.bias is not None, dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(torch.from_numpy(s.weight))
        if s.bias is not None:
            model.bias.copy_(torch.from_numpy(s.bias))
    opt = torch.optim.SGD(model.parameters(), lr=s.lr)
    loss_of = {
        "regression": lambda: F.mse_loss(model(x), y),
        "binary": lambda: F.binary_cross_entropy(torch.sigmoid(model(x)), y),
        "multiclass": lambda: F.cross_entropy(model(x), y),
        # torch has no hinge loss; relu has minigrad's subgradient 0 at the margin
        "svm": lambda: torch.relu(1 - y * model(x).reshape(-1)).mean() + s.l2 * (model.weight ** 2).sum(),
    }[s.name]

    return sgd_step(loss_of, opt)


# ---- float32: the steps as a user writes them, one code for minigrad and torch ----------------
def user_step(s, lib):
    """The float32 step as a user writes it, with lib = minigrad or lib = torch (the same
    lines for both): the data as Python lists, every tensor and layer in the default dtype
    (float32), no dtype argument; the SVM with plain tensors w (2,) and b (0-d) and the
    formula of the module docstring. Only the starting weights are the lesson's (rounded to
    float32). Returns step() -> loss (a tensor)."""
    F = lib.nn.functional
    x = lib.tensor(s.x.tolist())
    y = lib.tensor(s.y.tolist())                 # float32 targets, or int64 classes
    if s.name == "svm":
        w = lib.tensor(s.weight[0].tolist(), requires_grad=True)
        b = lib.tensor(float(s.bias[0]), requires_grad=True)
        opt = lib.optim.SGD([w, b], lr=s.lr)
        assert s.l2 == 0.01, "the float32 SVM is written with the lesson's lambda, 0.01"

        def loss_of():
            return (1 - y * (x @ w + b)).relu().mean() + 0.01 * (w * w).sum()
    else:
        out_features, in_features = s.weight.shape
        model = lib.nn.Linear(in_features, out_features, bias=s.bias is not None)
        with lib.no_grad():
            model.weight.copy_(lib.tensor(s.weight.tolist()))
            if s.bias is not None:
                model.bias.copy_(lib.tensor(s.bias.tolist()))
        opt = lib.optim.SGD(model.parameters(), lr=s.lr)
        loss_of = {
            "regression": lambda: F.mse_loss(model(x), y),
            "binary": lambda: F.binary_cross_entropy(model(x).sigmoid(), y),
            "multiclass": lambda: F.cross_entropy(model(x), y),
        }[s.name]

    return sgd_step(loss_of, opt)


# ---- micrograd: scalar Values, with the exp and log it lacks ---------------------------------
def mg_exp(v):
    """exp for a micrograd Value, written the way micrograd writes its ops: d exp(v) = exp(v)."""
    from micrograd.engine import Value
    out = Value(math.exp(v.data), (v,), "exp")

    def _backward():
        v.grad += out.data * out.grad
    out._backward = _backward
    return out


def mg_log(v):
    """log for a micrograd Value: d log(v) = 1 / v."""
    from micrograd.engine import Value
    out = Value(math.log(v.data), (v,), "log")

    def _backward():
        v.grad += out.grad / v.data
    out._backward = _backward
    return out


def mg_sigmoid(z):
    return 1 / (1 + mg_exp(-z))


def micrograd_step(s, engine):
    """The same step with one micrograd Value per weight; returns step() -> loss (a Value)."""
    Value = engine.Value
    weight = [[Value(float(w)) for w in row] for row in s.weight]
    bias = [Value(float(b)) for b in s.bias] if s.bias is not None else None
    params = [w for row in weight for w in row] + (bias or [])
    xs, ys, n = s.x.tolist(), s.y.tolist(), len(s.x)

    def linear(row):
        outs = []
        for k, w_k in enumerate(weight):
            z = sum((w * xi for w, xi in zip(w_k, row)), bias[k] if bias else 0)
            outs.append(z)
        return outs

    def mse():
        return sum((linear(row)[0] - t[0]) ** 2 for row, t in zip(xs, ys)) / n

    def bce():
        total = 0
        for row, t in zip(xs, ys):
            p = mg_sigmoid(linear(row)[0])
            total = total + t[0] * mg_log(p) + (1 - t[0]) * mg_log(1 - p)
        return -total / n

    def cross_entropy():
        total = 0
        for row, t in zip(xs, ys):
            z = linear(row)
            top = max(v.data for v in z)                   # a constant: log-sum-exp without overflow
            lse = mg_log(sum(mg_exp(v - top) for v in z)) + top
            total = total + lse - z[t]
        return total / n

    def hinge_l2():
        hinge = sum((1 - t * linear(row)[0]).relu() for row, t in zip(xs, ys)) / n
        return hinge + s.l2 * sum(w ** 2 for w in weight[0])

    loss_of = {"regression": mse, "binary": bce, "multiclass": cross_entropy, "svm": hinge_l2}[s.name]

    def step():
        loss = loss_of()
        for p in params:
            p.grad = 0
        loss.backward()
        for p in params:
            p.data -= s.lr * p.grad
        return loss
    return step


# ---- numpy: the gradients by hand ------------------------------------------------------------
def numpy_step(s, dtype="float64"):
    """The step as the lessons write it by hand: forward, loss, the gradient formula, update,
    every array in `dtype` (class labels stay int64; numpy 2 keeps float32 float32 when a Python
    number enters the arithmetic)."""
    x, lr, n = s.x.astype(dtype), s.lr, len(s.x)
    y = s.y.astype(dtype) if s.y.dtype.kind == "f" else s.y.copy()
    w = s.weight.astype(dtype)
    b = s.bias.astype(dtype) if s.bias is not None else None
    rows = np.arange(n)

    def regression_step():
        error = x @ w.T - y
        loss = np.mean(error * error)
        w[...] -= lr * (2.0 / n) * (error.T @ x)          # dL/dw = 2 mean(e x)
        return loss

    def binary_step():
        p = 1.0 / (1.0 + np.exp(-(x @ w.T + b)))
        loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        dz = (p - y) / n                                   # dL/dz = (p - y) / n
        w[...] -= lr * (dz.T @ x)
        b[...] -= lr * dz.sum(axis=0)
        return loss

    def multiclass_step():
        z = x @ w.T + b
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) - z[rows, y])
        dz = e / total                                     # dL/dz = (softmax - one_hot) / n
        dz[rows, y] -= 1.0
        dz /= n
        w[...] -= lr * (dz.T @ x)
        b[...] -= lr * dz.sum(axis=0)
        return loss

    def svm_step():
        margin = 1.0 - y * (x @ w.T + b)[:, 0]
        loss = np.mean(np.maximum(margin, 0.0)) + s.l2 * np.sum(w * w)
        ds = np.where(margin > 0, -y, 0.0) / n             # only samples inside the margin count
        w[...] -= lr * (ds @ x + 2.0 * s.l2 * w)
        b[...] -= lr * ds.sum()
        return loss

    return {"regression": regression_step, "binary": binary_step, "multiclass": multiclass_step,
            "svm": svm_step}[s.name]


# ---- building, checking, timing --------------------------------------------------------------
def as_float(loss):
    if hasattr(loss, "item"):           # minigrad and torch tensors, numpy scalars
        return float(loss.item())
    return float(loss.data)             # a micrograd Value


DTYPES = ["float64", "float32"]
# check_same_work's tolerance (rtol, atol) per dtype: float32 rounds at 6e-8 relative, and
# minigrad, torch and numpy may sum in different orders.
SAME_WORK_TOLERANCE = {"float64": (1e-9, 1e-12), "float32": (1e-5, 1e-7)}


def build(s, torch, micrograd, dtype="float64"):
    """name -> step callable, None for a framework that is not installed or (micrograd in
    float32) has no such step."""
    if dtype == "float32":
        return {
            "minigrad": user_step(s, mg),
            "torch": user_step(s, torch) if torch else None,
            "micrograd": None,
            "numpy": numpy_step(s, "float32"),
        }
    return {
        "minigrad": minigrad_step(s),
        "torch": torch_step(s, torch) if torch else None,
        "micrograd": micrograd_step(s, micrograd) if micrograd else None,
        "numpy": numpy_step(s),
    }


def check_same_work(name, steps, dtype="float64"):
    """Two steps in each framework must give minigrad's two losses (the second one depends
    on the first step's gradients and update), to SAME_WORK_TOLERANCE[dtype]; every loss
    must have the dtype. Raises AssertionError otherwise."""
    rtol, atol = SAME_WORK_TOLERANCE[dtype]
    losses = {}
    for key, step in steps.items():
        if step is None:
            continue
        first = step()
        # a micrograd Value holds a Python float: float64
        loss_dtype = str(getattr(first, "dtype", "float64")).replace("torch.", "")
        if loss_dtype != dtype:
            raise AssertionError(f"{name}: {key}'s loss is {loss_dtype}, the row is {dtype}")
        losses[key] = [as_float(first), as_float(step())]
    reference = losses["minigrad"]
    for key, values in losses.items():
        if not np.allclose(values, reference, rtol=rtol, atol=atol):
            raise AssertionError(f"{name} {dtype}: {key} gives losses {values} over its first two steps, "
                                 f"minigrad {reference}: the frameworks would not be doing the same work")
    return reference


def lesson_script(s, make_step, steps):
    """A lesson's script after its imports: build everything, then `steps` steps, each
    recording loss.item() as the lessons do."""
    def run():
        step = make_step(s)
        losses = []
        for _ in range(steps):
            losses.append(step().item())
        return losses
    return run


# What each row of the import table times, in a fresh interpreter.
IMPORTS = {
    "numpy": "import numpy",
    "minigrad": "import minigrad",
    "micrograd": "import micrograd.engine",
    "torch": "import torch",
    # torch.optim imports torch._dynamo the first time an optimizer is built: a lesson
    # script pays this once, on top of `import torch` (the script table above does not).
    "torch + first torch.optim.SGD": "import torch; torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)",
}
TIMED = "import time; t = time.perf_counter(); {0}; print(time.perf_counter() - t)"


def import_times(rows, repeats):
    """Median seconds of each row's statement in a fresh interpreter (interpreter start-up
    not counted), the rows taking turns; the first round only warms the file cache."""
    samples = {row: [] for row in rows}
    with tempfile.TemporaryDirectory() as cwd:          # not the repository: import the installed package
        for round_ in range(repeats + 1):
            for row in rows:
                result = subprocess.run([sys.executable, "-c", TIMED.format(IMPORTS[row])], cwd=cwd,
                                        capture_output=True, text=True, check=True)
                if round_:
                    samples[row].append(float(result.stdout.strip().splitlines()[-1]))
    return {row: statistics.median(v) for row, v in samples.items()}


def main(argv=None, machine=True):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lessons", nargs="*", default=LESSONS, choices=LESSONS)
    parser.add_argument("--dtypes", nargs="*", default=DTYPES, choices=DTYPES,
                        help="the step table's dtypes (both); the script table is float64")
    parser.add_argument("--quick", action="store_true",
                        help="a few seconds: few rounds, 200-step scripts, no torch import timing")
    parser.add_argument("--budget", type=float, default=1.0, help="seconds of rounds per lesson")
    parser.add_argument("--script-steps", type=int, default=None, help="steps of the end-to-end script (2000)")
    parser.add_argument("--import-repeats", type=int, default=None, help="fresh interpreters per module (7)")
    parser.add_argument("--steps-only", action="store_true", help="only the step table (no script, no imports)")
    args = parser.parse_args(argv)
    torch = optional_import("torch")
    micrograd = optional_import("micrograd.engine")
    if torch is not None:
        torch.set_num_threads(1)
    quick = args.quick
    budget = 0.0 if quick else args.budget
    rounds = dict(round_seconds=0.0005, min_rounds=3) if quick else dict(min_rounds=7, max_rounds=51)
    script_steps = args.script_steps or (200 if quick else 2000)
    repeats = args.import_repeats or (1 if quick else 7)
    if machine:
        print_machine()

    print("One training step (forward, loss, zero_grad, backward, SGD step) of each lesson, median per "
          "step. float64: the lessons' code; float32: the step as a user writes it, in the default dtype "
          "(the SVM as `(1 - y * (X @ w + b)).relu().mean() + 0.01 * (w * w).sum()` with plain tensors "
          "w, b), the same code in minigrad and torch. micrograd has float64 rows only (its Values hold "
          "Python floats). minigrad/numpy is the distance to the hand-written floor; "
          "the other ratios > 1 mean minigrad is faster.\n")
    table = Table(["lesson", "dtype", "minigrad", "torch-1t", "micrograd", "numpy", "torch/minigrad",
                   "micrograd/minigrad", "minigrad/numpy"], [10, 7, 10, 13, 13, 10, 14, 18, 14])
    lessons = {name: lesson(name) for name in args.lessons}
    for dtype in args.dtypes:
        for name, s in lessons.items():
            steps = build(s, torch, micrograd, dtype)
            check_same_work(name, steps, dtype)
            t = median_times(steps, budget, **rounds)
            if dtype == "float64":
                micrograd_cell = fmt(t.get("micrograd"))
            else:
                micrograd_cell = "-" if micrograd else NOT_INSTALLED
            table.row(name, dtype, fmt(t["minigrad"]), fmt(t.get("torch")), micrograd_cell, fmt(t["numpy"]),
                      ratio(t.get("torch"), t["minigrad"]), ratio(t.get("micrograd"), t["minigrad"]),
                      ratio(t["minigrad"], t["numpy"]))
    if args.steps_only:
        return

    print(f"\nA lesson script end to end (float64, the lessons' code): build the data, model and "
          f"optimizer, then {script_steps:,} steps each recording loss.item(); in this process, after the "
          f"imports, median of {'1 run' if quick else 'interleaved runs'}.\n")
    table = Table(["lesson", "steps", "minigrad", "torch-1t", "torch/minigrad"], [10, 6, 10, 13, 14])
    for name, s in lessons.items():
        scripts = {"minigrad": lesson_script(s, minigrad_step, script_steps),
                   "torch": lesson_script(s, lambda s: torch_step(s, torch), script_steps) if torch else None}
        t = median_times(scripts, 0.0, round_seconds=0.0, min_rounds=1 if quick else 5)
        table.row(name, f"{script_steps:,}", fmt(t["minigrad"]), fmt(t.get("torch")),
                  ratio(t.get("torch"), t["minigrad"]))

    available = {"micrograd": micrograd is not None, "torch": torch is not None and not quick,
                 "torch + first torch.optim.SGD": torch is not None and not quick}
    rows = [row for row in IMPORTS if available.get(row, True)]
    print(f"\n`import X` in a fresh interpreter (start-up not counted), median of {repeats} "
          "(minigrad's includes numpy's; target for minigrad: <= 0.3 s).\n")
    t = import_times(rows, repeats)
    table = Table(["import", "time", "minus numpy"], [29, 17, 11])
    for row in IMPORTS:
        if row in t:
            table.row(row, fmt(t[row]), fmt(t[row] - t["numpy"]) if row == "minigrad" else "")
        else:
            table.row(row, "skipped (--quick)" if row.startswith("torch") and torch else NOT_INSTALLED, "")


if __name__ == "__main__":
    main()
