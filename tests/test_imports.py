"""The import graph of minigrad/: no cycle, the library never reaches the course, and no
module writes into another module.

Read from the source with `ast` (nothing is imported), so the test sees every import,
including those inside functions that run only on some paths. An edge A -> B means module
A imports module B; `from minigrad import X` is an edge to minigrad.X when X is a
submodule, else to the package minigrad. Importing minigrad.ops.loss also runs
minigrad/__init__.py and minigrad/ops/__init__.py first; those implicit parent imports are
not edges (every module would otherwise depend on the package).
"""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "minigrad"

# The course: what teaches with the library. Every other module is the library, so a new
# module is held to the library's rules until it is listed here.
COURSE = ("minigrad.lessons", "minigrad.plot", "minigrad.cli", "minigrad.check", "minigrad.__main__")
# Library modules that stand on the whole package, as torch.testing does on torch: they may
# import the package `minigrad`, and so the package (and every other library module) must
# not import them.
ON_TOP = ("minigrad.testing",)


def is_course(module):
    return any(module == c or module.startswith(c + ".") for c in COURSE)


def module_name(path):
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def find_modules():
    """Every module name -> its parsed source (None for compiled modules: .pyx, no Python imports)."""
    modules = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        modules[module_name(path)] = (path, ast.parse(path.read_text(), filename=str(path)))
    for path in sorted(PACKAGE_DIR.rglob("*.pyx")):
        modules.setdefault(module_name(path), (path, None))
    return modules


def resolve(name, known):
    """The longest prefix of the dotted `name` that is a module of the package."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def imports_of(module, tree, is_package, known):
    """The minigrad modules `module` imports, anywhere in its source, each with a line number."""
    edges = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = resolve(alias.name, known)
                if target:
                    edges.append((target, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, from ..ops import y
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[:len(package) - (node.level - 1)]
                base = ".".join(package + ([node.module] if node.module else []))
            else:
                base = node.module
            for alias in node.names:
                target = resolve(f"{base}.{alias.name}", known) if alias.name != "*" else None
                if target != f"{base}.{alias.name}":  # X is a name inside `base`, not a submodule
                    target = resolve(base, known)
                if target:
                    edges.append((target, node.lineno))
    return edges


def build_graph():
    """module -> {imported module: first line}, self-imports left out."""
    modules = find_modules()
    graph = {}
    for module, (path, tree) in modules.items():
        graph[module] = {}
        if tree is None:
            continue
        for target, line in imports_of(module, tree, path.name == "__init__.py", modules):
            if target != module:
                graph[module].setdefault(target, line)
    return graph, modules


GRAPH, MODULES = build_graph()
LIBRARY = sorted(m for m in GRAPH if not is_course(m))


def find_cycle(graph):
    """One cycle as a list of modules [a, b, ..., a], or None (iterative depth-first search)."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(graph, WHITE)
    for start in sorted(graph):
        if colour[start] != WHITE:
            continue
        colour[start] = GREY
        path, stack = [start], [iter(sorted(graph[start]))]
        while stack:
            target = next(stack[-1], None)
            if target is None:
                colour[path.pop()] = BLACK
                stack.pop()
            elif colour[target] == GREY:
                return path[path.index(target):] + [target]
            elif colour[target] == WHITE:
                colour[target] = GREY
                path.append(target)
                stack.append(iter(sorted(graph[target])))
    return None


def describe(chain):
    return " -> ".join(f"{a} (line {GRAPH[a][b]})" for a, b in zip(chain, chain[1:])) + f" -> {chain[-1]}"


def path_to_course(start):
    """The import chain from `start` to the first course module it reaches, or None."""
    previous, queue = {start: None}, [start]
    for module in queue:
        for target in sorted(GRAPH[module]):
            if target in previous:
                continue
            previous[target] = module
            if is_course(target):
                chain = [target]
                while previous[chain[-1]] is not None:
                    chain.append(previous[chain[-1]])
                return chain[::-1]
            queue.append(target)
    return None


# ---- the walker itself, on small sources ---------------------------------------------------
def test_the_walker_resolves_submodules_names_and_relative_imports():
    known = {"minigrad", "minigrad.nn", "minigrad.nn.init", "minigrad.tensor", "minigrad.ops", "minigrad.ops.loss"}
    source = ("from minigrad import nn, Tensor\n"
              "from . import init\n"
              "def f():\n"
              "    from ..ops.loss import BCE\n"
              "    import minigrad.ops.loss as L\n"
              "    import numpy\n")
    edges = {t for t, _ in imports_of("minigrad.nn.linear", ast.parse(source), False, known)}
    assert edges == {"minigrad.nn", "minigrad", "minigrad.nn.init", "minigrad.ops.loss"}
    assert {t for t, _ in imports_of("minigrad.nn", ast.parse("from . import init"), True, known)} \
        == {"minigrad.nn.init"}


def test_the_cycle_finder_reports_the_cycle():
    assert find_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": 1}, "b": {}, "c": {"a": 1, "b": 1}}) is None


def test_the_graph_sees_the_package():
    assert {"minigrad", "minigrad.autograd", "minigrad.tensor", "minigrad.lessons", "minigrad.cli"} <= set(GRAPH)
    assert "minigrad.autograd" in GRAPH["minigrad.tensor"]
    assert "minigrad._kernels._loss" in GRAPH  # compiled modules are nodes too


# ---- the rules ------------------------------------------------------------------------------
# Imports made inside a function, on first use, once both modules are loaded: the one way
# back. minigrad.autograd.functional (torch's path for hessian, jacobian, ...) is built on the
# engine and on Tensor, which imports the engine; autograd.__getattr__ loads it when asked.
DEFERRED = {("minigrad.autograd", "minigrad.autograd_functional")}


def test_no_import_cycle():
    graph = {module: {t: line for t, line in targets.items() if (module, t) not in DEFERRED}
             for module, targets in GRAPH.items()}
    cycle = find_cycle(graph)
    assert cycle is None, f"import cycle: {describe(cycle)}"


@pytest.mark.parametrize("module, target", sorted(DEFERRED))
def test_a_deferred_import_is_made_inside_a_function(module, target):
    path, _ = MODULES[module]
    line = path.read_text().splitlines()[GRAPH[module][target] - 1]
    assert line.startswith((" ", "\t")), f"{module} imports {target} at the top level (line {GRAPH[module][target]})"


@pytest.mark.parametrize("module", LIBRARY)
def test_the_library_never_reaches_the_course(module):
    chain = path_to_course(module)
    assert chain is None, f"library module {module} reaches the course: {describe(chain)}"


@pytest.mark.parametrize("module", [m for m in LIBRARY if m != "minigrad" and m not in ON_TOP])
def test_no_library_module_imports_the_package_itself(module):
    assert "minigrad" not in GRAPH[module], (
        f"{module} imports the package minigrad (line {GRAPH[module].get('minigrad')}): import what it "
        f"needs from its module instead (e.g. `from minigrad.tensor import Tensor`)")


@pytest.mark.parametrize("top", ON_TOP)
def test_no_library_module_imports_what_stands_on_the_package(top):
    importers = sorted(m for m in LIBRARY if top in GRAPH[m])
    assert not importers, f"{top} stands on the package; {importers} must not import it"


def module_aliases(tree, module, is_package):
    """The names a module binds to other modules: `import x`, `import x as y`, and
    `from p import m` when p.m is a module of minigrad."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom):
            for target, _ in imports_of(module, ast.Module([node], []), is_package, MODULES):
                for alias in node.names:
                    if target.endswith("." + alias.name):
                        names[alias.asname or alias.name] = target
    return names


def writes_into_other_modules(module):
    """(line, text) of every `m.attr = ...`, `m.attr += ...`, `del m.attr` or
    `setattr(m, ...)` where m is another module, at the module's top level (not inside a
    function or class: a function that does it is a test helper's or monkeypatch's job)."""
    path, tree = MODULES[module]
    aliases = module_aliases(tree, module, path.name == "__init__.py")
    found = []

    def is_module(node):
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and node.id in aliases

    def top_level(body):
        for statement in body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            blocks = [getattr(statement, b) for b in ("body", "orelse", "finalbody", "handlers")
                      if isinstance(getattr(statement, b, None), list)]
            if blocks:  # if/try/with/for at top level: look inside
                for block in blocks:
                    top_level(block)
                continue
            targets = []
            if isinstance(statement, ast.Assign):
                targets = statement.targets
            elif isinstance(statement, (ast.AugAssign, ast.AnnAssign)):
                targets = [statement.target]
            elif isinstance(statement, ast.Delete):
                targets = statement.targets
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)) \
                            and is_module(node.value):
                        found.append((statement.lineno, ast.unparse(statement)))
            for node in ast.walk(statement):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr" \
                        and node.args and is_module(node.args[0]):
                    found.append((statement.lineno, ast.unparse(node)))

    top_level(tree.body)
    return found


def test_the_write_finder_sees_a_write_into_another_module(tmp_path):
    tree = ast.parse("from minigrad import autograd\nimport numpy as np\nautograd.Tensor = 1\n"
                     "if True:\n    setattr(np, 'x', 1)\nclass A:\n    pass\nA.x = 1\n"
                     "def f():\n    autograd.y = 2\n")
    MODULES["minigrad._probe"] = (tmp_path / "_probe.py", tree)
    try:
        assert [line for line, _ in writes_into_other_modules("minigrad._probe")] == [3, 5]
    finally:
        del MODULES["minigrad._probe"]


@pytest.mark.parametrize("module", sorted(m for m, (_, tree) in MODULES.items() if tree is not None))
def test_no_module_writes_into_another_module(module):
    found = writes_into_other_modules(module)
    assert not found, f"{module} writes into another module's globals: " + "; ".join(
        f"line {line}: {text}" for line, text in found)


def test_importing_the_library_loads_no_course_module():
    """The same rule at run time: after `import minigrad` and its library modules, no course
    module is in sys.modules (and scikit-learn and matplotlib are not loaded either)."""
    library = [m for m in LIBRARY if not m.startswith("minigrad._kernels._")]
    code = ("import sys, importlib\n"
            f"for m in {library!r}: importlib.import_module(m)\n"
            f"bad = sorted(m for m in sys.modules if m.startswith({COURSE!r}) or m.split('.')[0] in "
            "('sklearn', 'matplotlib'))\n"
            "print(bad)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
