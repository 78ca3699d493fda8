"""minigrad/_threads.py: one BLAS thread by default, unless the user chose a number."""
import ctypes
import glob
import os
import subprocess
import sys

import pytest

import minigrad as mg

_GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads")


def _run(code, **env):
    clean = {k: v for k, v in os.environ.items()
             if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    result = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _openblas_threads():
    """The thread count numpy's bundled OpenBLAS reports (None when numpy has no OpenBLAS)."""
    import numpy
    libs = os.path.join(os.path.dirname(os.path.dirname(numpy.__file__)), "numpy.libs")
    for path in glob.glob(os.path.join(libs, "*openblas*")):
        lib = ctypes.CDLL(path)
        for name in _GETTERS:
            getter = getattr(lib, name, None)
            if getter is not None:
                return getter()
    return None


def test_import_before_numpy_sets_one_blas_thread():
    assert _run("import minigrad, os; print(os.environ['OPENBLAS_NUM_THREADS'])") == "1"


def test_a_users_choice_is_kept():
    code = "import minigrad, os; print(os.environ['OPENBLAS_NUM_THREADS'], os.environ.get('OMP_NUM_THREADS'))"
    assert _run(code, OPENBLAS_NUM_THREADS="2") == "2 None"
    # OMP_NUM_THREADS alone is a choice too: minigrad then leaves OPENBLAS_NUM_THREADS unset.
    assert _run("import minigrad, os; print(os.environ.get('OPENBLAS_NUM_THREADS'))", OMP_NUM_THREADS="2") == "None"


@pytest.mark.skipif(_openblas_threads() is None, reason="this numpy has no bundled OpenBLAS to ask")
def test_import_after_numpy_still_gets_one_thread_and_set_num_threads_changes_it():
    code = ("import numpy, tests.test_blas_threads as t, minigrad as mg; a = t._openblas_threads(); "
            "mg.set_num_threads(2); print(a, t._openblas_threads())")
    out = _run(code, PYTHONPATH=os.getcwd())
    assert out.split()[0] == "1"
    assert out.split()[1] == str(min(2, os.cpu_count()))  # OpenBLAS caps the count at the cores it sees


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="set_num_threads: n must be an int >= 1"):
        mg.set_num_threads(bad)
