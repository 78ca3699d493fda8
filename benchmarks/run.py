"""All of minigrad's benchmarks in one run, as one Markdown report.

    python benchmarks/run.py            # the full report (several minutes; run it on a quiet machine)
    python benchmarks/run.py --quick    # a smoke test in seconds (CI runs this; it asserts no time)

It prints the machine (CPU, threads, versions) once, then the tables of

    bench_kernels.py   each kernel: the public API, the compiled kernel, its numpy twin, torch
    bench_steps.py     one training step of each lesson: minigrad, torch, micrograd, numpy;
                       a 2,000-step lesson script; the time of `import minigrad`
    bench_mlp.py       one epoch of an MLP on digits: minigrad, torch 1 and N threads, numpy;
                       train accuracy after 20 epochs from the same weights
    pure               bench_steps.py's step table again, in a child interpreter with
                       MINIGRAD_PURE_PYTHON=1: the uncompiled minigrad (an install without a
                       C compiler) against torch

all in this one process (torch is imported once). torch, micrograd and scikit-learn are
optional (`pip install ".[bench]"`): a column whose framework is missing says so.
`--without torch micrograd` pretends they are missing, to try that path.
"""
import argparse
import datetime
import os
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))

SECTIONS = {
    "kernels": ("Kernels: fused loss/softmax forward + backward", "bench_kernels"),
    "steps": ("One training step of each lesson", "bench_steps"),
    "mlp": ("MLP on digits", "bench_mlp"),
    "pure": ("The lesson steps uncompiled (MINIGRAD_PURE_PYTHON=1)", "bench_steps"),
}

# --quick: every table, each row from a few short rounds, on small shapes only.
QUICK_ARGS = {
    "kernels": ["--shapes", "4x3", "64x10", "--budget", "0", "--rounds", "3", "--round-ms", "0.5"],
    "steps": ["--quick"],
    "mlp": ["--quick"],
    "pure": ["--quick"],
}


def run_uncompiled(module_name, argv):
    """Run benchmarks/<module_name>.py --steps-only with MINIGRAD_PURE_PYTHON=1, printing its report."""
    env = {**os.environ, "MINIGRAD_PURE_PYTHON": "1", "PYTHONWARNINGS": "ignore::UserWarning"}
    result = subprocess.run([sys.executable, os.path.join(HERE, f"{module_name}.py"), "--steps-only", *argv],
                            env=env, capture_output=True, text=True)
    print(result.stdout, end="")
    if result.returncode != 0:
        raise RuntimeError(f"{module_name}.py uncompiled failed:\n{result.stderr}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds in all: a smoke test, not a measurement")
    parser.add_argument("--only", nargs="*", choices=list(SECTIONS), default=list(SECTIONS))
    parser.add_argument("--without", nargs="*", choices=["torch", "micrograd", "sklearn"], default=[],
                        help="treat these as not installed")
    args = parser.parse_args(argv)
    if args.without:     # read by _common at import, so set it before importing any benchmark
        os.environ["MINIGRAD_BENCH_HIDE"] = ",".join(args.without)
    sys.path.insert(0, HERE)
    import _common  # noqa: F401  (pins BLAS/OpenMP to one thread before numpy loads)

    started = time.perf_counter()
    print("# minigrad benchmarks\n")
    command = "python benchmarks/run.py" + (" --quick" if args.quick else "")
    print(f"`{command}`, {datetime.datetime.now():%Y-%m-%d %H:%M}. Medians of interleaved rounds after a "
          "warm-up; ratios come from the same run. Compare ratios, not absolute times.\n")
    _common.print_machine()
    failed = []
    for key in args.only:
        title, module_name = SECTIONS[key]
        print(f"## {title} (`benchmarks/{module_name}.py`)\n", flush=True)
        try:
            if key == "pure":  # a child interpreter: this one has loaded the compiled minigrad
                run_uncompiled(module_name, QUICK_ARGS[key] if args.quick else [])
            else:
                module = __import__(module_name)
                module.main(QUICK_ARGS[key] if args.quick else [], machine=False)
        except Exception:  # noqa: BLE001 - report it, run the other benchmarks, fail at the end
            traceback.print_exc()
            print(f"\n**{module_name} FAILED** (traceback above)")
            failed.append(module_name)
        print(flush=True)
    print(f"_{time.perf_counter() - started:.0f} s in all._")
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
