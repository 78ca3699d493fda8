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
    python benchmarks/bench_kernels.py --shapes 4x3 64x10 --budget 0 --rounds 3 --round-ms 0.5   # a smoke test
"""
import argparse
import warnings

import _common  # noqa: F401  (first: pins BLAS/OpenMP to one thread before numpy loads)
from _common import Table, fmt, median_times, optional_import, page_aligned, print_machine, ratio

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad._kernels import reference  # noqa: E402

# The compiled build minigrad runs: baseline, or the widest SIMD build (AVX2, AVX-512) the CPU has.
_loss, _softmax = mg._kernels._compiled_loss, mg._kernels._compiled_softmax

SHAPES = [(4, 3), (64, 10), (1024, 100), (8192, 1000), (65536, 10)]
QUICK_SHAPES = [(4, 3), (64, 10), (1024, 100)]


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
        torch_labels = torch.from_numpy(labels) if torch else None
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
        torch_target = torch.from_numpy(target) if torch else None
        torch_fn = {"hinge_loss": lambda x, t: torch.clamp(1 - t * x, min=0).mean()}.get(
            name, getattr(torch.nn.functional, name, None) if torch else None)
        torch_args = lambda x: torch_fn(x, torch_target)  # noqa: E731
        api_backward = None
        raw = (lambda: call(_loss)), (lambda: call(reference))

    mg_x = mg.from_numpy(logits).requires_grad_()
    torch_x = torch.from_numpy(logits.copy()).requires_grad_() if torch else None

    def api():
        mg_x.grad = None
        out = api_args(mg_x)
        if api_backward is None:
            out.backward()
        else:
            out.backward(gradient=mg.from_numpy(api_backward[1]))

    torch_upstream = torch.from_numpy(api_backward[1]) if api_backward and torch else None

    def via_torch():
        torch_x.grad = None
        out = torch_args(torch_x)
        out.backward(torch_upstream) if torch_upstream is not None else out.backward()

    def copy():
        np.copyto(other, logits)

    return {"api": api, "kernel": raw[0], "twin": raw[1], "torch": via_torch if torch else None, "copy": copy}


KERNELS = ["cross_entropy", "softmax", "log_softmax", "binary_cross_entropy_with_logits", "nll_loss",
           "multi_margin_loss", "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
           "kl_div", "hinge_loss"]


def parse_shape(text):
    try:
        n, c = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a shape is NxC, e.g. 64x10, got {text!r}") from None
    return n, c


def main(argv=None, machine=True):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kernels", nargs="*", default=KERNELS, choices=KERNELS)
    parser.add_argument("--dtypes", nargs="*", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--quick", action="store_true", help="only the small shapes")
    parser.add_argument("--shapes", nargs="*", type=parse_shape, default=None, metavar="NxC",
                        help="these shapes instead, e.g. 4x3 64x10")
    parser.add_argument("--budget", type=float, default=0.5, help="seconds of rounds per row (after --rounds rounds)")
    parser.add_argument("--rounds", type=int, default=5, help="at least this many interleaved rounds per row")
    parser.add_argument("--round-ms", type=float, default=2.0, help="each callable loops for about this long per round")
    args = parser.parse_args(argv)
    torch = optional_import("torch")
    if torch is not None:
        torch.set_num_threads(1)
        # torch's kl_div warns that reduction='mean' is not 'batchmean': minigrad's 'mean' is the same
        warnings.filterwarnings("ignore", message="reduction: 'mean' divides", category=UserWarning)
    if machine:
        print_machine()

    rng = np.random.default_rng(0)
    print(f"minigrad backend {mg._kernels.BACKEND}, build {mg._kernels.SIMD} (MINIGRAD_SIMD=avx2 or "
          f"MINIGRAD_SIMD=baseline for a narrower one), vectorised exp: {_softmax.SIMD_EXP}; "
          "api = F.<loss>(x, t).backward() through minigrad's autograd, kernel = the compiled kernel alone, "
          "twin = its numpy twin, torch-1t = torch one thread, copy = a same-size np.copyto\n")
    table = Table(["kernel", "shape", "dtype", "api", "kernel", "twin", "torch-1t", "copy",
                   "torch/api", "twin/kernel", "api/copy"],
                  [32, 12, 7, 10, 10, 10, 13, 10, 9, 11, 8])
    for name in args.kernels:
        for shape in args.shapes or (QUICK_SHAPES if args.quick else SHAPES):
            for dtype in args.dtypes:
                t = median_times(make_case(name, shape, np.dtype(dtype), rng, torch), args.budget,
                                 round_seconds=args.round_ms / 1e3, min_rounds=args.rounds)
                table.row(name, str(shape), dtype, fmt(t["api"]), fmt(t["kernel"]), fmt(t["twin"]),
                          fmt(t.get("torch")), fmt(t["copy"]), ratio(t.get("torch"), t["api"]),
                          ratio(t["twin"], t["kernel"]), ratio(t["api"], t["copy"]))


if __name__ == "__main__":
    main()
