"""
One training script, two frameworks: import minigrad as torch
=============================================================

``python examples/08_pytorch_swap.py`` runs both, one after the other;
``--framework minigrad`` (or ``torch``) runs one.

The function ``train(torch)`` below is an ordinary PyTorch training script: an MLP
(64 -> 128 -> 10, with ``BatchNorm1d`` and ``Dropout``) on scikit-learn's handwritten digits,
``AdamW``, a ``CosineAnnealingLR`` schedule, gradient clipping with ``clip_grad_norm_``,
mini-batches from ``TensorDataset`` and ``DataLoader``, ``train()``/``eval()`` modes and
``no_grad()`` for evaluation. Its only argument is the module it calls ``torch``, so passing
it the module is the same as the one line a learner changes at the top of their own script::

    import torch                  # ->   import minigrad as torch
    from torch import nn, optim   # ->   the same line, unchanged: nn and optim come with it

Nothing in its body knows which framework it runs on. The two runs start from different
random numbers (minigrad's streams are its own, not torch's: the initial weights, the
dropout masks and the shuffling differ), so their accuracies are not equal to the digit:
one run's accuracy moves by about 0.4 points from one seed to the next, in either framework.
So each framework trains with three seeds, and the verdict compares the mean accuracies,
which agree to within a point. Without torch installed the script runs minigrad alone, and
says so. :doc:`/pytorch-subset` lists every name minigrad has of PyTorch's and how each
differs.
"""
import argparse
import importlib
import sys
import time

import numpy as np

EPOCHS = 30
BATCH_SIZE = 64
SEED = 0
SEEDS = (0, 1, 2)


# %%
# The data
# --------
# The same numpy arrays for both frameworks.

def digits_split(seed=SEED, test_fraction=0.3):
    """scikit-learn's 8x8 digits (1797 images, 64 pixels in 0..16), shuffled with `seed`,
    split into train and held-out parts and standardised with the training part's statistics.
    Plain numpy arrays, so each framework makes its own tensors from the same numbers."""
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order].astype(np.float32), y[order].astype(np.int64)
    n_test = int(len(x) * test_fraction)
    x_train, y_train, x_test, y_test = x[n_test:], y[n_test:], x[:n_test], y[:n_test]
    mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-6  # some border pixels are always 0
    return (x_train - mean) / std, y_train, (x_test - mean) / std, y_test


# %%
# The training script, written once
# ---------------------------------
# Its only argument is the module it calls ``torch``.

def train(torch, data, epochs=EPOCHS, seed=SEED, verbose=True):
    """A PyTorch training script; `torch` is torch, or minigrad imported as torch.
    Returns the held-out accuracy in percent."""
    nn, optim = torch.nn, torch.optim
    from_numpy = torch.from_numpy
    TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader
    x_train, y_train, x_test, y_test = data

    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(64, 128),
        nn.BatchNorm1d(128),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, 10),
    )
    loader = DataLoader(TensorDataset(from_numpy(x_train), from_numpy(y_train)), batch_size=BATCH_SIZE,
                        shuffle=True, generator=torch.Generator().manual_seed(seed))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)

    for epoch in range(epochs):
        model.train()
        total, batches = 0.0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            total, batches = total + loss.item(), batches + 1
        scheduler.step()
        if verbose and (epoch % 10 == 0 or epoch == epochs - 1):
            print(f"  epoch {epoch:2d}  loss {total / batches:.4f}  lr {scheduler.get_last_lr()[0]:.5f}")

    model.eval()  # Dropout passes through, BatchNorm1d uses its running statistics
    with torch.no_grad():
        predicted = model(from_numpy(x_test)).argmax(dim=1)
        correct = (predicted == from_numpy(y_test)).sum().item()
    return 100.0 * correct / len(y_test)


# %%
# Running it with each framework
# ------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n")[0])
    parser.add_argument("--framework", choices=["both", "torch", "minigrad"], default="both")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="trainings per framework (seeds 0, 1, ...)")
    args = parser.parse_args(argv)

    names = ["torch", "minigrad"] if args.framework == "both" else [args.framework]
    modules = {}
    for name in names:
        try:
            modules[name] = importlib.import_module(name)   # import torch / import minigrad (as torch)
        except ImportError:
            if args.framework != "both":
                raise
            print(f"{name} is not installed (pip install torch==2.13.0): running minigrad alone")
    data = digits_split()
    print(f"digits: {len(data[1])} training images, {len(data[3])} held out; MLP 64-128-10 with "
          f"BatchNorm1d and Dropout, AdamW, CosineAnnealingLR, clip_grad_norm_, {args.epochs} epochs\n")

    accuracy = {}
    for name, module in modules.items():
        if name == "torch":
            module.set_num_threads(1)  # as minigrad (one BLAS thread): a fair and repeatable run
        print(f"{name}:")
        start = time.perf_counter()
        runs = [train(module, data, epochs=args.epochs, seed=seed, verbose=seed == 0) for seed in range(args.seeds)]
        accuracy[name] = sum(runs) / len(runs)
        print("  held-out accuracy by seed: " + "  ".join(f"{a:.2f}%" for a in runs)
              + f"  ({time.perf_counter() - start:.1f} s)\n")

    for name, value in accuracy.items():
        print(f"accuracy {name}: {value:.2f}% (mean of {args.seeds} seeds)")
    if len(accuracy) == 2:
        gap = abs(accuracy["torch"] - accuracy["minigrad"])
        same = gap <= 1.0
        print(f"Verdict: the same script, one import changed: {'the same' if same else 'NOT the same'} accuracy "
              f"within 1 point (gap {gap:.2f} points)")
        return 0 if same else 1
    print(f"Verdict: the script trained with {next(iter(accuracy))} alone, to {next(iter(accuracy.values())):.2f}% "
          f"held-out accuracy")
    return 0


# %%
# Train with both frameworks
# --------------------------
# Three seeds each; the verdict compares the mean held-out accuracies.
if __name__ == "__main__":
    # (in a notebook, the kernel's own command-line arguments are not this script's)
    status = main([] if "ipykernel" in sys.modules else None)
    if status:                 # a plain SystemExit(0) would also stop the gallery's build
        raise SystemExit(status)
