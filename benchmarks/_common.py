"""What every benchmark shares: single-threaded BLAS, optional imports, interleaved medians,
the machine description and Markdown tables.

Import this module before numpy or torch: it pins BLAS/OpenMP to one thread (see
../../shared/PERF.md: the second core of this machine cannot be relied on, so every
comparison is single-threaded unless a column says otherwise).

Timing rule, used by every script: each framework's callable is calibrated to run about
`round_seconds` per round, then the frameworks take turns, round after round, and each
column reports the median seconds per call over its rounds. A noisy neighbour then slows
every column of a round alike, and ratios taken from the same run stay meaningful. Nothing
here ever asserts a time.
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")        # single-threaded BLAS/OpenMP for everyone
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # numpy's idle BLAS threads would take the second core
os.environ.setdefault("MKL_NUM_THREADS", "1")

import importlib  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

NOT_INSTALLED = "not installed"
# A comma-separated list of packages to treat as absent (run.py --without torch micrograd),
# so that the "not installed" paths can be tried on a machine that has everything.
HIDDEN = {name.strip() for name in os.environ.get("MINIGRAD_BENCH_HIDE", "").split(",") if name.strip()}


def optional_import(name):
    """The module, or None when it is not installed (or hidden by MINIGRAD_BENCH_HIDE)."""
    if name.split(".")[0] in HIDDEN:
        return None
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def default_threads():
    """The number of threads torch would use without OMP_NUM_THREADS: the usable CPUs."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "Model", "Hardware")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags():
    """The SIMD features that decide the kernels' speed (PERF.md), as numpy reports them."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:
        return ""
    return " ".join(name for name in ("AVX2", "FMA3", "AVX512F", "NEON") if features.get(name))


def version_of(name, module=None):
    """The installed version of distribution `name` (imported as `module`)."""
    if (module or name) in HIDDEN:
        return NOT_INSTALLED
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:  # noqa: BLE001 - not installed, or installed without metadata
        return NOT_INSTALLED


def machine_lines():
    """The machine and the versions, one Markdown bullet per fact."""
    import minigrad
    torch = optional_import("torch")
    torch_threads = (f"torch {torch.get_num_threads()} thread(s) unless a column says otherwise "
                     f"(its default here would be {default_threads()})" if torch else "torch not installed")
    return [
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical CPUs ({default_threads()} usable), SIMD: {cpu_flags()}",
        f"- threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}; {torch_threads}",
        f"- Python {platform.python_version()} ({platform.system()} {platform.machine()}), "
        f"numpy {np.__version__}, torch {torch.__version__ if torch else NOT_INSTALLED}, "
        f"minigrad {minigrad.__version__} ({minigrad.config.config()['engine']} engine, backend "
        f"{minigrad._kernels.BACKEND}, {minigrad._kernels.SIMD} SIMD build), "
        f"micrograd {version_of('micrograd')}, scikit-learn {version_of('scikit-learn', 'sklearn')}",
    ]


def print_machine():
    print("\n".join(machine_lines()))
    print(flush=True)


def median_times(functions, budget, round_seconds=0.002, min_rounds=5, max_rounds=31):
    """Median seconds per call of each function in `functions` (a dict name -> callable,
    None for a column that cannot run), from interleaved rounds after one warm-up call.

    Each callable is timed in loops long enough for about `round_seconds`; rounds go on
    for `budget` seconds, at least `min_rounds` and at most `max_rounds` of them.
    """
    functions = {key: fn for key, fn in functions.items() if fn is not None}
    loops = {}
    for key, fn in functions.items():  # warm up, then calibrate (one call per round if round_seconds is 0)
        fn()
        if round_seconds <= 0:
            loops[key] = 1
            continue
        start = time.perf_counter()
        fn()
        once = max(time.perf_counter() - start, 1e-7)
        loops[key] = max(1, min(10_000, int(round_seconds / once)))
    samples = {key: [] for key in functions}
    deadline = time.perf_counter() + budget
    rounds = 0
    while rounds < min_rounds or (time.perf_counter() < deadline and rounds < max_rounds):
        for key, fn in functions.items():
            n = loops[key]
            start = time.perf_counter()
            for _ in range(n):
                fn()
            samples[key].append((time.perf_counter() - start) / n)
        rounds += 1
    return {key: statistics.median(values) for key, values in samples.items()}


def fmt(seconds):
    """A time with a unit that keeps 3-4 significant digits; '-' when there is none."""
    if seconds is None:
        return NOT_INSTALLED
    if isinstance(seconds, str):
        return seconds
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def ratio(numerator, denominator):
    """numerator / denominator as '3.2x', or '-' when either is missing."""
    if not isinstance(numerator, float) or not isinstance(denominator, float) or denominator <= 0:
        return "-"
    value = numerator / denominator
    return f"{value:.2f}x" if value < 10 else f"{value:.1f}x"


class Table:
    """A Markdown table printed row by row as results arrive (cells padded so the text is
    readable in a terminal too, and still valid Markdown to paste into the README)."""

    def __init__(self, columns, widths=None, out=None):
        self.columns = columns
        self.widths = widths or [max(len(c), 10) for c in columns]
        self.out = out or sys.stdout
        self._row(columns)
        self._row(["-" * w for w in self.widths], right=False)

    def _row(self, cells, right=True):
        padded = []
        for i, (cell, width) in enumerate(zip(cells, self.widths)):
            cell = str(cell)
            padded.append(cell.ljust(width) if i == 0 or not right else cell.rjust(width))
        print("| " + " | ".join(padded) + " |", file=self.out, flush=True)

    def row(self, *cells):
        self._row(cells)


def page_aligned(shape, dtype):
    """A fresh array whose data starts on a 4096-byte boundary (see PERF.md: misaligned
    copies are 10-15x slow here, which would make timings bimodal)."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(size + 4096, dtype=np.uint8)
    offset = (-raw.ctypes.data) % 4096
    return raw[offset:offset + size].view(dtype).reshape(shape)
