"""The documentation site's sources: every public name has an API reference entry, and every
example is a gallery script (docs/conf.py builds them with sphinx-gallery; CI runs
`sphinx-build -W`). These read the .rst sources, so they need no Sphinx."""
import ast
import importlib
import os
import pathlib
import re
import subprocess
import sys
import types

import pytest

import minigrad as mg

ROOT = pathlib.Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api"
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
DIRECTIVE = re.compile(r"^\.\. (?:auto(?:class|function|data|exception)|py:(?:data|function|class|module))::\s*(\S+)",
                       re.M)


def documented():
    """The full names the API pages describe (autodoc and py: directives)."""
    return {name for page in API.glob("*.rst") for name in DIRECTIVE.findall(page.read_text())}


def public(module, prefix):
    """`module.__all__`, or without one the names defined in the module itself (not imported),
    not starting with _; subpackages listed in __all__ are checked as modules."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")
                 and not isinstance(getattr(module, n), types.ModuleType)
                 and getattr(getattr(module, n), "__module__", None) == module.__name__]
    return {f"{prefix}.{n}" for n in names}


PUBLIC = [
    (mg, "minigrad"),
    (mg.nn, "minigrad.nn"),
    (mg.nn.functional, "minigrad.nn.functional"),
    (mg.nn.init, "minigrad.nn.init"),
    (mg.nn.utils, "minigrad.nn.utils"),
    (mg.optim, "minigrad.optim"),
    (mg.optim.lr_scheduler, "minigrad.optim.lr_scheduler"),
    (mg.utils.data, "minigrad.utils.data"),
    (mg.autograd, "minigrad.autograd"),
    (mg.autograd.functional, "minigrad.autograd.functional"),
    (mg.metrics, "minigrad.metrics"),
]


@pytest.mark.parametrize("module, prefix", PUBLIC, ids=[p for _, p in PUBLIC])
def test_every_public_name_has_an_api_entry(module, prefix):
    missing = sorted(public(module, prefix) - documented())
    assert not missing, f"add these to docs/api/*.rst (an autofunction/autoclass line each): {missing}"


def test_the_api_pages_name_only_what_exists():
    """An entry for a name that was removed or renamed fails here (and in sphinx-build -W)."""
    for name in documented():
        parts = name.split(".")
        obj = mg
        for i, part in enumerate(parts[1:], start=2):
            if not hasattr(obj, part) and isinstance(obj, types.ModuleType):
                try:                                  # a submodule not imported by its package (testing, viz)
                    importlib.import_module(".".join(parts[:i]))
                except ImportError:
                    pass
            assert hasattr(obj, part), f"docs/api names {name}, which does not exist"
            obj = getattr(obj, part)


def test_the_api_pages_are_in_the_table_of_contents():
    index = (API / "index.rst").read_text()
    for page in API.glob("*.rst"):
        assert page.stem == "index" or re.search(rf"^\s+{page.stem}$", index, re.M), page.name


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_every_example_is_a_gallery_script(script):
    """sphinx-gallery needs a module docstring that opens with an RST title (a line, then a
    line of = as long), and text cells as `# %%` blocks; the title names the page."""
    docstring = ast.get_docstring(ast.parse(script.read_text()), clean=False)
    assert docstring, f"{script.name}: no module docstring"
    lines = docstring.strip("\n").splitlines()
    assert len(lines) >= 2 and lines[1] == "=" * len(lines[0]) and lines[0].strip(), \
        f"{script.name}: the docstring must start with a title underlined by '=' of the same length"
    if script.stat().st_size > 1500:          # anything longer than a few lines is split in cells
        assert "\n# %%\n" in script.read_text(), f"{script.name}: no `# %%` text cells"


def test_autograd_by_hand_prints_every_gradient_three_ways(tmp_path):
    """The gallery's first page runs as a plain script, agrees with itself (it asserts by hand ==
    engine == PyTorch), and draws the graph before and after backward."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "autograd_by_hand.py")], capture_output=True,
                            text=True, timeout=120, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    rows = re.findall(r"^dL/d(\w)\s+([-+][\d.]+)\s+([-+][\d.]+)", result.stdout, re.M)
    assert [r[0] for r in rows] == ["a", "b", "c", "d", "e"], result.stdout
    dL_de = 1 - 0.2449186624037092 ** 2                 # tanh(0.25) = 0.24491866...
    expected = {"a": dL_de * -1.5, "b": dL_de * 0.5, "c": dL_de, "d": dL_de, "e": dL_de}
    for name, by_hand, engine in rows:
        assert float(by_hand) == pytest.approx(expected[name], abs=1e-6)
        assert float(engine) == pytest.approx(expected[name], abs=1e-6)
    assert "Verdict: every gradient by hand equals the engine's" in result.stdout
    if "no picture" not in result.stdout:
        assert (tmp_path / "graph_before.png").stat().st_size > 1000
        assert (tmp_path / "graph_after.png").stat().st_size > 1000
