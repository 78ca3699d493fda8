"""Run a test as on a machine without an optional package (scikit-learn, matplotlib)."""
import builtins


def hide(monkeypatch, package):
    """Make every `import package` and `import package.x` fail with ImportError, for the
    rest of the test (monkeypatch undoes it)."""
    real_import = builtins.__import__

    def import_without(name, *args, **kwargs):
        if name == package or name.startswith(package + "."):
            raise ImportError(f"No module named {package!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", import_without)
