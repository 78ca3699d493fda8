"""The raw kernels' fuzz cases (tests/fuzz/kernel_cases.py), run in a child process: a
segfault there is this test failing with the signal's name, not a dead test session.

Under the debug build (MINIGRAD_CYTHON_DEBUG=1, as .ci/run's kernel step builds it) the
child also sends labels out of [0, C) straight to the kernels and expects Cython's
IndexError; the normal build is never sent them (it has no bounds checks).
"""
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.fuzz._support import COUNTS

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = int(os.environ.get("MINIGRAD_FUZZ_EXAMPLES") or 800)


def test_raw_kernels_in_a_child_process():
    result = subprocess.run([sys.executable, "-m", "tests.fuzz.kernel_cases", str(MAX_EXAMPLES)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    found = re.search(r"kernel cases: (\d+)", result.stdout)
    COUNTS["kernels"] += int(found.group(1)) if found else 0
    if result.returncode < 0:
        name = signal.Signals(-result.returncode).name
        raise AssertionError(f"a kernel crashed the child process with {name} "
                             f"after {found.group(1) if found else '?'} cases:\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    assert result.returncode == 0, f"kernel fuzz failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    assert found and int(found.group(1)) > 0, result.stdout


def test_a_crash_in_the_child_is_reported_with_its_signal():
    """The harness itself: a child killed by SIGSEGV is a failure that says SIGSEGV."""
    result = subprocess.run([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"],
                            capture_output=True)
    assert result.returncode == -signal.SIGSEGV
    assert signal.Signals(-result.returncode).name == "SIGSEGV"
