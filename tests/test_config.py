"""What runs: compiled or interpreted (minigrad.config), and that both give the same numbers.

CI installs minigrad twice and says which build it made with MINIGRAD_EXPECT_BUILD:
"compiled" (a C compiler, MINIGRAD_REQUIRE_COMPILER=1) or "pure" (CC=false: no compiler).
"""
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import minigrad as mg
from minigrad import _kernels, config

EXPECTED_BUILD = os.environ.get("MINIGRAD_EXPECT_BUILD")

# A few steps of the regression and multi-class lessons' training, printed as JSON: run here
# and in a fresh interpreter with MINIGRAD_PURE_PYTHON=1, the two must agree.
TRAIN = """
import json, warnings
warnings.simplefilter("ignore")
import minigrad as mg
from minigrad import nn
mg.manual_seed(0)
out = {}
x = mg.tensor([[1.0], [2.0], [3.0], [4.0], [5.0]], dtype=mg.float64)
y = 2 * x
model = nn.Linear(1, 1, bias=False, dtype=mg.float64)
opt = mg.optim.SGD(model.parameters(), lr=0.05)
for _ in range(20):
    loss = nn.functional.mse_loss(model(x), y)
    opt.zero_grad(); loss.backward(); opt.step()
out["regression"] = [loss.item(), model.weight.data.tolist()]
x = mg.randn(8, 3, dtype=mg.float64)
t = mg.tensor([0, 1, 2, 0, 1, 2, 0, 1])
model = nn.Linear(3, 3, dtype=mg.float64)
opt = mg.optim.Adam(model.parameters(), lr=0.1)
for _ in range(20):
    loss = nn.functional.cross_entropy(model(x), t)
    opt.zero_grad(); loss.backward(); opt.step()
out["multiclass"] = [loss.item(), model.weight.data.tolist(), model.bias.grad.data.tolist()]
print(json.dumps(out))
"""


def run_python(code, **env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MINIGRAD_")}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env,
                          timeout=300)


def test_compiled_modules_are_the_loaded_extension_modules():
    loaded = {name: m for name, m in sys.modules.items() if name.startswith("minigrad.") and m is not None}
    by_file = sorted(name for name, m in loaded.items()
                     if getattr(m, "__file__", None)
                     and m.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)))
    assert config.compiled_modules() == by_file
    info = config.config()
    assert info["engine"] == ("compiled" if "minigrad.autograd" in by_file else "interpreted")
    assert info["kernels"].startswith("compiled") == ("minigrad._kernels._softmax" in by_file)


def test_show_config_prints_what_runs(capsys):
    mg.show_config()
    printed = capsys.readouterr().out
    for key in ("engine", "kernels", "simd", "blas", "blas threads", "compiled"):
        assert any(line.startswith(key + " ") for line in printed.splitlines()), (key, printed)
    assert any(line.startswith("numpy ") and line.endswith(np.__version__) for line in printed.splitlines())


def test_the_build_is_whole_and_the_one_ci_made():
    """Compiled through and through, or not at all: never a half-built minigrad. CI says which
    build it made (MINIGRAD_EXPECT_BUILD); elsewhere the engine's core decides what the rest must be."""
    compiled = config.compiled_modules()
    expected = EXPECTED_BUILD or ("compiled" if "minigrad.autograd" in compiled else "pure")
    if expected == "compiled":
        for name in ("minigrad.autograd", "minigrad.tensor", "minigrad.ops.elementwise", "minigrad._kernels._loss"):
            assert name in compiled
        assert _kernels.BACKEND == "cython" and _kernels.COMPILED
    else:
        assert expected == "pure"
        assert compiled == [] and _kernels.BACKEND == "numpy" and not _kernels.COMPILED


def test_pure_python_at_run_time_loads_the_sources_and_trains_to_the_same_numbers():
    here = run_python(TRAIN)
    pure = run_python(TRAIN + "import minigrad.config as c\nprint(json.dumps(c.compiled_modules()))\n",
                      MINIGRAD_PURE_PYTHON="1")
    assert here.returncode == 0 and pure.returncode == 0, here.stderr + pure.stderr
    assert json.loads(pure.stdout.splitlines()[1]) == []  # not one compiled module
    ours, theirs = json.loads(here.stdout), json.loads(pure.stdout.splitlines()[0])
    for lesson in ours:  # the numpy twins round differently from the kernels: not bit for bit
        np.testing.assert_allclose(np.hstack([np.ravel(v) for v in theirs[lesson]]),
                                   np.hstack([np.ravel(v) for v in ours[lesson]]), rtol=1e-12, atol=1e-15)


def test_running_uncompiled_is_said_once_at_import():
    result = run_python("import warnings; warnings.simplefilter('always'); import minigrad",
                        MINIGRAD_PURE_PYTHON="1")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("UncompiledWarning") == 1
    assert "MINIGRAD_PURE_PYTHON=1" in result.stderr and "show_config" in result.stderr


def test_import_warns_exactly_when_the_build_is_uncompiled():
    code = ("import warnings; warnings.simplefilter('always')\n"
            "import minigrad\n"
            "from minigrad import _kernels, config\n"
            "print('minigrad.autograd' in config.compiled_modules() and _kernels.COMPILED)\n")
    result = run_python(code)  # the build on disk, whatever this process was started with
    assert result.returncode == 0, result.stderr
    if result.stdout.split() == ["True"]:
        assert result.stderr == "", result.stderr
    else:
        assert result.stdout.split() == ["False"]
        assert result.stderr.count("UncompiledWarning: minigrad runs uncompiled") == 1, result.stderr


def test_pure_python_with_the_compiled_kernels_runs_the_engine_from_source_on_them():
    code = ("import minigrad, minigrad._kernels as k\n"
            "from minigrad import config\n"
            "print(k.BACKEND, k.COMPILED, sorted({n.split('.')[1] for n in config.compiled_modules()}))\n")
    result = run_python(code, MINIGRAD_PURE_PYTHON="1", MINIGRAD_BACKEND="cython")
    if importlib.util.find_spec("minigrad._kernels._softmax") is None:  # not built here
        assert result.returncode != 0 and "MINIGRAD_BACKEND=cython" in result.stderr
        return
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(maxsplit=2) == ["cython", "True", "['_kernels']"]


def test_a_source_changed_after_it_was_compiled_is_named(tmp_path, monkeypatch):
    """A learner edits autograd.py of a compiled install: the compiled module still runs, and
    minigrad says so (config.stale_modules, warned at import)."""
    source = tmp_path / "edited.py"
    compiled = tmp_path / ("edited" + importlib.machinery.EXTENSION_SUFFIXES[0])
    compiled.write_bytes(b"")
    source.write_text("# edited\n")
    name = "minigrad.edited"
    module = types.ModuleType(name)
    module.__file__ = str(compiled)
    module.__spec__ = importlib.machinery.ModuleSpec(
        name, importlib.machinery.ExtensionFileLoader(name, str(compiled)), origin=str(compiled))
    monkeypatch.setitem(sys.modules, name, module)
    built = compiled.stat().st_mtime
    os.utime(source, (built, built + 0.5))  # written together, as an install does: not stale
    assert name not in config.stale_modules()
    os.utime(source, (built, built + 60))  # edited a minute after the build
    assert name in config.stale_modules()
    with pytest.warns(config.UncompiledWarning, match="minigrad.edited: the .py changed after it was compiled"):
        config.warn_at_import()
