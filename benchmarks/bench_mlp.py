"""How long does one epoch of a small MLP take? minigrad vs torch (1 thread and default) vs numpy.

The model: Linear(64, 128) -> ReLU -> Linear(128, 10), float32, cross_entropy, plain SGD with
lr 0.1, on scikit-learn's digits (1,797 8x8 images, pixels scaled by 1/16), in mini-batches
of 64 (28 full batches and one of 5). The samples are shuffled once with a fixed seed, and
every framework gets the same batches, already converted to its own tensors (so the epoch
time is training, not data conversion). Every framework starts from minigrad's initial
weights (nn.Linear's PyTorch-style init under mg.manual_seed(0)), copied.

Columns (median time per epoch, interleaved rounds after a warm-up):

    minigrad   minigrad's autograd, minigrad.optim.SGD
    torch-1t   torch eager, torch.optim.SGD, torch.set_num_threads(1)
    torch-Nt   the same with torch's default thread count (all usable CPUs); on a machine
               whose second core is shared, expect this one to be slower and erratic
    numpy      the same epoch with the backward pass written by hand (the floor)

Ratios from the same run: torch/minigrad (> 1: minigrad is faster), minigrad/numpy.

Before timing, each framework takes two SGD steps from the initial weights and must give
minigrad's two losses. Then the accuracy check: from the same initial weights and the same
shuffles (a fresh one per epoch), 20 epochs in each framework; the train accuracies should
agree to within 0.5 points (float32 rounding differs, so they need not be identical).

    python benchmarks/bench_mlp.py
    python benchmarks/bench_mlp.py --quick
"""
import argparse

import _common  # noqa: F401  (first: pins BLAS/OpenMP to one thread before numpy loads)
from _common import (NOT_INSTALLED, Table, default_threads, fmt, median_times, optional_import, print_machine,
                     ratio)

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
from minigrad import nn  # noqa: E402

SIZES = (64, 128, 10)
BATCH = 64
LR = 0.1
SEED = 0


def load_data():
    """Digits as float32 pixels in [0, 1] and int64 labels, or None without scikit-learn."""
    datasets = optional_import("sklearn.datasets")
    if datasets is None:
        return None
    x, y = datasets.load_digits(return_X_y=True)
    return (x / 16.0).astype(np.float32), y.astype(np.int64)


def batches_of(x, y, order):
    return [(np.ascontiguousarray(x[order[i:i + BATCH]]), np.ascontiguousarray(y[order[i:i + BATCH]]))
            for i in range(0, len(order), BATCH)]


def initial_weights():
    """minigrad's initial state_dict: 0.weight (128, 64), 0.bias, 2.weight (10, 128), 2.bias."""
    mg.manual_seed(SEED)
    model = nn.Sequential(nn.Linear(SIZES[0], SIZES[1]), nn.ReLU(), nn.Linear(SIZES[1], SIZES[2]))
    return {k: np.array(v, dtype=np.float32) for k, v in model.state_dict().items()}


# Each framework: a Trainer with convert(x, y) -> its batch, step(batch) -> loss,
# and predict(x) -> numpy logits.
class MinigradTrainer:
    def __init__(self, weights):
        self.model = nn.Sequential(nn.Linear(SIZES[0], SIZES[1]), nn.ReLU(), nn.Linear(SIZES[1], SIZES[2]))
        self.model.load_state_dict({k: v.copy() for k, v in weights.items()})
        self.opt = mg.optim.SGD(self.model.parameters(), lr=LR)

    def convert(self, x, y):
        return mg.from_numpy(x), mg.from_numpy(y)

    def step(self, batch):
        x, y = batch
        loss = nn.functional.cross_entropy(self.model(x), y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss

    def predict(self, x):
        with mg.no_grad():
            return self.model(mg.from_numpy(x)).numpy()


class TorchTrainer:
    def __init__(self, weights, torch, threads=1):
        self.torch, self.threads = torch, threads
        nn_ = torch.nn
        self.model = nn_.Sequential(nn_.Linear(SIZES[0], SIZES[1]), nn_.ReLU(), nn_.Linear(SIZES[1], SIZES[2]))
        self.model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)

    def convert(self, x, y):
        return self.torch.from_numpy(x), self.torch.from_numpy(y)

    def step(self, batch):
        x, y = batch
        loss = self.torch.nn.functional.cross_entropy(self.model(x), y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss

    def predict(self, x):
        with self.torch.no_grad():
            return self.model(self.torch.from_numpy(x)).numpy()


class NumpyTrainer:
    """The forward and the backward pass by hand, in float32, updating in place."""

    def __init__(self, weights):
        self.w1, self.b1 = weights["0.weight"].copy(), weights["0.bias"].copy()
        self.w2, self.b2 = weights["2.weight"].copy(), weights["2.bias"].copy()

    def convert(self, x, y):
        return x, y, np.arange(len(y))

    def step(self, batch):
        x, y, rows = batch
        h = x @ self.w1.T
        h += self.b1
        a = np.maximum(h, 0)
        z = a @ self.w2.T
        z += self.b2
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) - z[rows, y])
        dz = e / total                                   # softmax - one_hot, over the batch size
        dz[rows, y] -= 1
        dz /= len(y)
        da = dz @ self.w2                                # before w2 moves
        da *= h > 0                                      # ReLU passes the gradient where h > 0
        self.w2 -= LR * (dz.T @ a)
        self.b2 -= LR * dz.sum(axis=0)
        self.w1 -= LR * (da.T @ x)
        self.b1 -= LR * da.sum(axis=0)
        return loss

    def predict(self, x):
        return np.maximum(x @ self.w1.T + self.b1, 0) @ self.w2.T + self.b2


def as_float(loss):
    return float(loss.item())


def trainers(weights, torch, many_threads=True):
    threads = default_threads()
    return {
        "minigrad": MinigradTrainer(weights),
        "torch-1t": TorchTrainer(weights, torch, 1) if torch else None,
        f"torch-{threads}t": (TorchTrainer(weights, torch, threads)
                              if torch and threads > 1 and many_threads else None),
        "numpy": NumpyTrainer(weights),
    }


def epoch_fn(trainer, raw_batches, torch):
    """One epoch over pre-converted batches (for torch, at the trainer's thread count)."""
    if trainer is None:
        return None
    batches = [trainer.convert(x, y) for x, y in raw_batches]
    step = trainer.step
    threads = getattr(trainer, "threads", None)

    def epoch():
        if threads is not None:
            torch.set_num_threads(threads)
        for batch in batches:
            step(batch)
    return epoch


def check_same_work(weights, raw_batches, torch, rtol=1e-4):
    """Two steps from the initial weights must give minigrad's two losses (float32). (The
    torch-Nt column runs torch-1t's code, so it is not checked again.)"""
    losses = {}
    for name, trainer in trainers(weights, torch, many_threads=False).items():
        if trainer is not None:
            losses[name] = [as_float(trainer.step(trainer.convert(*b))) for b in raw_batches[:2]]
    for name, values in losses.items():
        if not np.allclose(values, losses["minigrad"], rtol=rtol):
            raise AssertionError(f"MLP: {name} gives losses {values} over its first two steps, minigrad "
                                 f"{losses['minigrad']}: the frameworks would not be doing the same work")


def train_accuracy(weights, x, y, torch, epochs):
    """Percent of the training set right after `epochs` epochs, each framework from the same
    weights through the same shuffles."""
    rng = np.random.default_rng(SEED)
    orders = [rng.permutation(len(x)) for _ in range(epochs)]
    found = {}
    for name, trainer in trainers(weights, torch, many_threads=False).items():
        if trainer is None:
            continue
        for order in orders:
            for batch in batches_of(x, y, order):
                trainer.step(trainer.convert(*batch))
        found[name] = 100.0 * float(np.mean(trainer.predict(x).argmax(axis=1) == y))
    return found


def main(argv=None, machine=True):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="for CI: 3 rounds, no torch-Nt column, a 3-epoch accuracy check")
    parser.add_argument("--budget", type=float, default=3.0, help="seconds of rounds for the epoch timing")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of the accuracy check (20; 3 with --quick)")
    args = parser.parse_args(argv)
    torch = optional_import("torch")
    if torch is not None:
        torch.set_num_threads(1)
    if machine:
        print_machine()
    data = load_data()
    if data is None:
        print("bench_mlp needs scikit-learn for the digits data set (pip install \".[bench]\"): skipped")
        return
    x, y = data
    accuracy_epochs = args.epochs or (3 if args.quick else 20)
    weights = initial_weights()
    raw_batches = batches_of(x, y, np.random.default_rng(SEED).permutation(len(x)))
    check_same_work(weights, raw_batches, torch)

    threads = default_threads()
    many = f"torch-{threads}t"
    print(f"MLP {'-'.join(map(str, SIZES))} (ReLU) on digits, float32, SGD lr {LR}, cross_entropy: one epoch "
          f"({len(x):,} samples in {len(raw_batches)} batches of up to {BATCH}), median per epoch. "
          f"torch-{threads}t is torch's default thread count here.\n")
    # --quick leaves out torch-Nt: when another process holds the second core, its epochs
    # can take a second each (PERF.md), too long for a smoke test.
    epochs = {name: epoch_fn(trainer, raw_batches, torch)
              for name, trainer in trainers(weights, torch, many_threads=not args.quick).items()}
    rounds = dict(min_rounds=3, round_seconds=0.0) if args.quick else dict(min_rounds=9, max_rounds=61,
                                                                         round_seconds=0.0)
    t = median_times(epochs, 0.0 if args.quick else args.budget, **rounds)
    if torch is not None:
        torch.set_num_threads(1)
    if threads == 1:
        t[many] = "(1 CPU)"
    elif args.quick and torch is not None:
        t[many] = "skipped (--quick)"
    table = Table(["model", "minigrad", "torch-1t", many, "numpy", "torch-1t/minigrad", f"{many}/minigrad",
                   "minigrad/numpy"], [10, 10, 13, 13, 10, 17, 17, 14])
    table.row("-".join(map(str, SIZES)), fmt(t["minigrad"]), fmt(t.get("torch-1t")), fmt(t.get(many)),
              fmt(t["numpy"]), ratio(t.get("torch-1t"), t["minigrad"]), ratio(t.get(many), t["minigrad"]),
              ratio(t["minigrad"], t["numpy"]))

    print(f"\nTrain accuracy after {accuracy_epochs} epochs from the same initial weights and shuffles "
          "(target: minigrad within 0.5 points of torch).\n")
    acc = train_accuracy(weights, x, y, torch, accuracy_epochs)
    table = Table(["epochs", "minigrad", "torch-1t", "numpy", "minigrad - torch"], [10, 10, 13, 10, 16])
    gap = f"{acc['minigrad'] - acc['torch-1t']:+.2f} points" if "torch-1t" in acc else "-"
    table.row(str(accuracy_epochs), f"{acc['minigrad']:.2f} %",
              f"{acc['torch-1t']:.2f} %" if "torch-1t" in acc else NOT_INSTALLED, f"{acc['numpy']:.2f} %", gap)


if __name__ == "__main__":
    main()
