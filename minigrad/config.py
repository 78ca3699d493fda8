"""What this minigrad runs: compiled or interpreted, which kernels, which BLAS.

minigrad is written in Python and, when installed with a C compiler, compiled: its kernels
(minigrad/_kernels/*.pyx) and its engine (autograd.py, tensor.py, ops/, ...; the list is
ENGINE in setup.py) become C extension modules, built from the same files you read. The
compiled and the interpreted minigrad give the same results; the compiled one is faster.

Two ways to run the interpreted one (add MINIGRAD_BACKEND=cython to the second to keep the
compiled kernels under the interpreted engine):
- install it so: `MINIGRAD_PURE_PYTHON=1 pip install .` (or any install without a working C
  compiler) compiles nothing and uses the numpy twins of the kernels (_kernels/reference.py);
- run it so: with MINIGRAD_PURE_PYTHON=1 set when Python starts, `import minigrad` loads the
  .py files even where compiled modules sit beside them. This is the way to try a change to
  the engine without rebuilding.

Either way `import minigrad` warns once that it runs uncompiled. It also warns when you have
edited a .py file after it was compiled (the compiled module, not your edit, is what runs).
`minigrad.show_config()` prints all of it.
"""
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import platform
import sys
import warnings
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PURE_PYTHON = os.environ.get("MINIGRAD_PURE_PYTHON") == "1"
"""True when MINIGRAD_PURE_PYTHON=1 was set at import: the .py files run, compiled or not."""


class UncompiledWarning(UserWarning):
    """minigrad runs (partly) interpreted: correct, but slower than its compiled build."""


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Loads minigrad's modules from their .py file where a compiled one sits beside it."""

    def find_spec(self, name, path=None, target=None):
        if not name.startswith("minigrad."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
            return spec
        source = Path(spec.origin).parent / (name.rpartition(".")[2] + ".py")
        return importlib.util.spec_from_file_location(name, source) if source.exists() else spec


def run_sources_if_asked():
    """Called by minigrad/__init__.py before anything else of minigrad is imported."""
    if PURE_PYTHON and not any(isinstance(f, _SourceFirst) for f in sys.meta_path):
        sys.meta_path.insert(0, _SourceFirst())


def _is_compiled(module):
    return isinstance(getattr(module.__spec__, "loader", None), importlib.machinery.ExtensionFileLoader)


def _engine_sources():
    """{module name: its .py file} of every module of minigrad that is a .py file."""
    found = {}
    for source in PACKAGE_DIR.rglob("*.py"):
        parts = source.relative_to(PACKAGE_DIR).with_suffix("").parts
        if parts[-1] != "__init__":
            found[".".join(("minigrad",) + parts)] = source
    return found


def compiled_modules():
    """The names of minigrad's modules loaded now from a compiled extension, sorted."""
    return sorted(name for name, module in list(sys.modules.items())
                  if name.startswith("minigrad.") and module is not None and _is_compiled(module))


def interpreted_engine_modules():
    """minigrad's modules, loaded now, that have a compiled build on disk but run from their .py."""
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    names = []
    for name, source in _engine_sources().items():
        module = sys.modules.get(name)
        if module is not None and not _is_compiled(module) and any(
                source.with_name(source.stem + s).exists() for s in suffixes):
            names.append(name)
    return sorted(names)


def stale_modules():
    """Compiled modules whose .py (or .pxd) was changed after they were built: the .py is not what runs."""
    stale = []
    for name in compiled_modules():
        compiled = Path(sys.modules[name].__file__)
        stem = compiled.parent / name.rpartition(".")[2]
        # Its .py, and the .pxd that declares its C types, if there is one.
        sources = [path for path in (stem.with_suffix(".py"), stem.with_suffix(".pxd")) if path.exists()]
        # (a margin of 1 s: an install writes both files within it, in either order)
        if any(path.stat().st_mtime > compiled.stat().st_mtime + 1.0 for path in sources):
            stale.append(name)
    return stale


def warn_at_import():
    """Once, at `import minigrad`: say if it runs uncompiled, or compiled from an older source."""
    from minigrad import _kernels

    if PURE_PYTHON:
        why = "MINIGRAD_PURE_PYTHON=1 is set"
    elif not _kernels.COMPILED or "minigrad.autograd" not in compiled_modules():
        why = "it was installed without its compiled modules (no C compiler, or MINIGRAD_PURE_PYTHON=1 at install)"
    else:
        why = None
    if why:
        warnings.warn(f"minigrad runs uncompiled: {why}. The results are the same; it is slower. "
                      "minigrad.show_config() says what runs.", UncompiledWarning, stacklevel=3)
    stale = stale_modules()
    if stale:
        warnings.warn(f"{', '.join(stale)}: the .py changed after it was compiled, so the compiled module "
                      "(not your change) runs. Rebuild (`pip install -e .`, or `python setup.py build_ext "
                      "--inplace`), or run the .py files with MINIGRAD_PURE_PYTHON=1.",
                      UncompiledWarning, stacklevel=3)


def _blas():
    """(name, version, threads) of the BLAS numpy was built with, as far as numpy says."""
    import numpy as np

    from minigrad import _threads
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        name, version = info.get("name", "?"), info.get("version", "?")
    except Exception:  # numpy < 2 or a build without the record: say so rather than fail
        name, version = "unknown", "?"
    return name, version, _threads.get_num_threads()


def config():
    """What show_config() prints, as a dict (for tests and bug reports)."""
    import numpy as np

    from minigrad import _kernels
    try:
        version = importlib.metadata.version("minigrad")
    except importlib.metadata.PackageNotFoundError:
        version = "(not installed: run from a source tree)"
    compiled = compiled_modules()
    blas, blas_version, threads = _blas()
    return {
        "minigrad": version,
        "python": f"{platform.python_implementation()} {platform.python_version()} ({sys.platform}, "
                  f"{platform.machine()})",
        "numpy": np.__version__,
        "engine": "compiled" if "minigrad.autograd" in compiled else "interpreted",
        "compiled modules": compiled,
        "interpreted although compiled on disk": interpreted_engine_modules(),
        "stale compiled modules": stale_modules(),
        "kernels": "compiled (Cython)" if _kernels.BACKEND == "cython" else "numpy twins (reference.py)",
        "simd": _kernels.SIMD,
        "blas": f"{blas} {blas_version}",
        "blas threads": threads,
        "MINIGRAD_PURE_PYTHON": os.environ.get("MINIGRAD_PURE_PYTHON", "(unset)"),
        "MINIGRAD_BACKEND": os.environ.get("MINIGRAD_BACKEND", "(unset)"),
    }


def show_config():
    """Print what this minigrad runs: compiled or interpreted, its kernels' SIMD build, the BLAS."""
    info = config()
    compiled = info.pop("compiled modules")
    width = max(map(len, info))
    for key, value in info.items():
        if isinstance(value, list):
            value = ", ".join(name.removeprefix("minigrad.") for name in value) or "none"
        print(f"{key:<{width}}  {value}")
    short = [name.removeprefix("minigrad.") for name in compiled]
    print(f"{'compiled':<{width}}  {len(short)} modules: {', '.join(short) or 'none'}")
