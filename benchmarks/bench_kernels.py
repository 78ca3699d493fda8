"""How fast are minigrad's kernels? Cython vs its numpy twin vs PyTorch (one thread), one run.

For every kernel, shape and dtype it prints the median time per call of:

    api     minigrad through the public API: F.<loss>(x, t) then .backward()
    kernel  the compiled kernel alone (forward + gradient, outputs preallocated)
    twin    the numpy twin (reference.py) alone, same arguments
    torch   torch.nn.functional.<loss>(x, t) then .backward(), torch.set_num_threads(1)
    copy    a same-size array copy (the memory-bandwidth floor for a fused kernel)

and ratios from the same run: torch/api (> 1: minigrad is faster), twin/kernel
(what Cython buys), api/copy. Timings are medians of interleaved rounds, so a noisy
neighbour slows every column alike. The machine has 2 unreliable cores: compare ratios,
not absolute times.

    python benchmarks/bench_kernels.py                 # everything (a few minutes)
    python benchmarks/bench_kernels.py --quick         # small shapes only
    python benchmarks/bench_kernels.py --kernels cross_entropy softmax --dtypes float32
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # single-threaded BLAS/OpenMP for everyone
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # numpy's idle BLAS threads would take the second core

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad._kernels import _loss, _softmax, reference  # noqa: E402

SHAPES = [(4, 3), (64, 10), (1024, 100), (8192, 1000), (65536, 10)]
QUICK_SHAPES = [(4, 3), (64, 10), (1024, 100)]


def page_aligned(shape, dtype):
    """A fresh array whose data starts on a 4096-byte boundary (see PERF.md: misaligned
    copies are 10-15x slow here, which would make timings bimodal)."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(size + 4096, dtype=np.uint8)
    offset = (-raw.ctypes.data) % 4096
    return raw[offset:offset + size].view(dtype).reshape(shape)


def make_case(name, shape, dtype, rng, torch):
    """Inputs and the five callables for one kernel at one shape and dtype."""
    n, c = shape
    logits = page_aligned(shape, dtype)
    logits[...] = rng.standard_normal(shape) * 2
    labels = rng.integers(0, c, size=n).astype(np.int64)
    grad = page_aligned(shape, dtype)
    flat_x, flat_g = logits.reshape(-1), grad.reshape(-1)
    other = page_aligned(shape, dtype)

    if name in ("softmax", "log_softmax"):
        out = page_aligned(shape, dtype)
        upstream = rng.standard_normal(shape).astype(dtype)
        forward, backward = f"{name}_forward", f"{name}_backward"

        def run(module):
            getattr(module, forward)(logits, out)
            getattr(module, backward)(out, upstream, grad)
        api_fn = getattr(F, name)
        api_args = lambda x: api_fn(x, dim=1)  # noqa: E731
        torch_args = lambda x: getattr(torch.nn.functional, name)(x, dim=1)  # noqa: E731
        api_backward = ("gradient", upstream)
        raw = (lambda: run(_softmax)), (lambda: run(reference))
    elif name in ("cross_entropy", "nll_loss", "multi_margin_loss"):
        if name == "nll_loss":  # nll takes log-probabilities
            logits[...] = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        call = {
            "cross_entropy": lambda m: m.cross_entropy(logits, labels, None, -100, 0.0, True, None, grad),
            "nll_loss": lambda m: m.nll_loss(logits, labels, None, -100, True, None, grad),
            "multi_margin_loss": lambda m: m.multi_margin_loss(logits, labels, 1, 1.0, None, None, grad, 1.0 / n),
        }[name]
        api_args = lambda x: getattr(F, name)(x, mg_labels)  # noqa: E731
        torch_labels = torch.from_numpy(labels)
        torch_args = lambda x: getattr(torch.nn.functional, name)(x, torch_labels)  # noqa: E731
        api_backward = None
        raw = (lambda: call(_loss)), (lambda: call(reference))
        mg_labels = mg.from_numpy(labels)
    else:  # element-wise losses over the flattened shape
        if name == "binary_cross_entropy":
            logits[...] = rng.uniform(0.01, 0.99, size=shape)
        target = page_aligned(shape, dtype)
        if name == "hinge_loss":
            target[...] = rng.choice([-1.0, 1.0], size=shape)
        elif name in ("binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"):
            target[...] = rng.uniform(0, 1, size=shape)
        else:
            target[...] = rng.standard_normal(shape)
        flat_t = target.reshape(-1)
        extra = {"huber_loss": (1.0,), "smooth_l1_loss": (1.0,), "kl_div": (False,), "hinge_loss": (1.0,),
                 "binary_cross_entropy": (None,), "binary_cross_entropy_with_logits": (None, None)}.get(name, ())
        scale = 1.0 / flat_x.size

        def call(module):
            getattr(module, name)(flat_x, flat_t, *extra, None, flat_g, scale)
        mg_target = mg.from_numpy(target)
        api_args = lambda x: getattr(F, name)(x, mg_target)  # noqa: E731
        torch_target = torch.from_numpy(target)
        torch_fn = {"hinge_loss": lambda x, t: torch.clamp(1 - t * x, min=0).mean()}.get(
            name, getattr(torch.nn.functional, name, None))
        torch_args = lambda x: torch_fn(x, torch_target)  # noqa: E731
        api_backward = None
        raw = (lambda: call(_loss)), (lambda: call(reference))

    mg_x = mg.from_numpy(logits).requires_grad_()
    torch_x = torch.from_numpy(logits.copy()).requires_grad_()

    def api():
        mg_x.grad = None
        out = api_args(mg_x)
        if api_backward is None:
            out.backward()
        else:
            out.backward(gradient=mg.from_numpy(api_backward[1]))

    torch_upstream = torch.from_numpy(api_backward[1]) if api_backward else None

    def via_torch():
        torch_x.grad = None
        out = torch_args(torch_x)
        out.backward(torch_upstream) if torch_upstream is not None else out.backward()

    def copy():
        np.copyto(other, logits)

    return {"api": api, "kernel": raw[0], "twin": raw[1], "torch": via_torch, "copy": copy}


def median_times(functions, budget):
    """Median seconds per call of each function, from interleaved rounds."""
    loops = {}
    for key, fn in functions.items():  # calibrate: enough loops for ~2 ms per round
        fn()
        start = time.perf_counter()
        fn()
        once = max(time.perf_counter() - start, 1e-7)
        loops[key] = max(1, min(10_000, int(0.002 / once)))
    samples = {key: [] for key in functions}
    deadline = time.perf_counter() + budget
    rounds = 0
    while rounds < 5 or (time.perf_counter() < deadline and rounds < 31):
        for key, fn in functions.items():
            start = time.perf_counter()
            for _ in range(loops[key]):
                fn()
            samples[key].append((time.perf_counter() - start) / loops[key])
        rounds += 1
    return {key: statistics.median(values) for key, values in samples.items()}


def fmt(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f}us"
    return f"{seconds * 1e3:8.2f}ms"


KERNELS = ["cross_entropy", "softmax", "log_softmax", "binary_cross_entropy_with_logits", "nll_loss",
           "multi_margin_loss", "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
           "kl_div", "hinge_loss"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kernels", nargs="*", default=KERNELS, choices=KERNELS)
    parser.add_argument("--dtypes", nargs="*", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--quick", action="store_true", help="only the small shapes")
    parser.add_argument("--budget", type=float, default=0.5, help="seconds of rounds per row (after 5 rounds)")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        sys.exit("bench_kernels needs torch for the comparison: pip install torch==2.13.0")
    torch.set_num_threads(1)

    rng = np.random.default_rng(0)
    print(f"minigrad backend {mg._kernels.BACKEND}, vectorised exp: {_softmax.SIMD_EXP}, "
          f"torch {torch.__version__} (1 thread), numpy {np.__version__}")
    header = (f"{'kernel':34s} {'shape':>12s} {'dtype':7s} {'api':>10s} {'kernel':>10s} {'twin':>10s} "
              f"{'torch-1t':>10s} {'copy':>10s} | {'torch/api':>9s} {'twin/kern':>9s} {'api/copy':>8s}")
    print(header)
    print("-" * len(header))
    for name in args.kernels:
        for shape in QUICK_SHAPES if args.quick else SHAPES:
            for dtype in args.dtypes:
                t = median_times(make_case(name, shape, np.dtype(dtype), rng, torch), args.budget)
                print(f"{name:34s} {str(shape):>12s} {dtype:7s} {fmt(t['api'])} {fmt(t['kernel'])} "
                      f"{fmt(t['twin'])} {fmt(t['torch'])} {fmt(t['copy'])} | {t['torch'] / t['api']:8.2f}x "
                      f"{t['twin'] / t['kernel']:8.2f}x {t['api'] / t['copy']:7.1f}x", flush=True)


if __name__ == "__main__":
    main()
