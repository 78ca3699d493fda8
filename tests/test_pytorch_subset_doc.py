"""docs/pytorch-subset.md against the code, both ways.

The page's name tables (a table whose first header cell is "name") list the supported names
as code spans in their first column: `mg.nn.functional.gelu`, `Tensor.add_`,
`Module.state_dict`, optionally with a signature, `mg.optim.SGD(params, lr, momentum=0)`.
Here each listed name must exist in minigrad (and a listed signature must be how minigrad's
starts); every public name of minigrad's modules must be listed, so a new one cannot be
forgotten; and, outside the section of minigrad's own names, each must exist in torch under
the same path, so that the page lists a subset of PyTorch and nothing else.
"""
import ast
import inspect
import pathlib
import re

import pytest

import minigrad as mg
import minigrad.autograd
import minigrad.nn.functional
import minigrad.optim.lr_scheduler
import minigrad.utils.data

PAGE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "pytorch-subset.md"
OWN_SECTION = "minigrad's own names (not in torch)"
NAME = re.compile(r"^(mg|Tensor|Module|Optimizer|LRScheduler|Generator)((?:\.\w+)+)(\(.*\))?$")
MINIGRAD_ROOTS = {"mg": mg, "Tensor": mg.Tensor, "Module": mg.nn.Module, "Optimizer": mg.optim.Optimizer,
                  "LRScheduler": mg.optim.lr_scheduler.LRScheduler, "Generator": mg.Generator}


def listed_names(text=None):
    """[(section, name, signature or None, line number)] for every code span in the first
    column of every name table on the page."""
    text = PAGE.read_text() if text is None else text
    found, section, in_table = [], None, False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("## "):
            section, in_table = line[3:].strip(), False
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "name":
            in_table = True  # the header of a name table
            continue
        if not in_table or set(cells[0]) <= set("-: "):
            continue
        spans = re.findall(r"`([^`]+)`", cells[0])
        assert spans, f"line {number}: a name table row without a name in its first column: {line}"
        for span in spans:
            match = NAME.match(span)
            assert match, f"line {number}: {span!r} is not a name of the form mg.x.y / Tensor.x / Module.x / ..."
            found.append((section, match.group(1) + match.group(2), match.group(3), number))
    return found


def resolve(name, roots):
    """The object a dotted name stands for, from `roots` ({"mg": module, "Tensor": class, ...})."""
    first, *rest = name.split(".")
    obj = roots[first]
    for part in rest:
        obj = getattr(obj, part)
    return obj


def public_names(obj, prefix):
    return {f"{prefix}.{n}" for n in dir(obj) if not n.startswith("_")}


def defined_in(module, prefix):
    """The public functions and classes a module defines itself: not the ones it imports, nor
    a second name for one of its own (`grad_of = grad`), which the page lists by its name."""
    return {f"{prefix}.{n}" for n, v in vars(module).items()
            if not n.startswith("_") and (inspect.isroutine(v) or inspect.isclass(v))  # (compiled: not isfunction)
            and v.__module__ == module.__name__ and v.__name__ == n}


def required_names():
    """Every public name minigrad has at torch's paths: the page must list each one."""
    names = {f"mg.{n}" for n in mg.__all__}
    names |= {f"mg.nn.{n}" for n in mg.nn.__all__}
    names |= defined_in(mg.nn.functional, "mg.nn.functional")
    names |= {f"mg.nn.init.{n}" for n in mg.nn.init.__all__}
    names |= {f"mg.nn.utils.{n}" for n in mg.nn.utils.__all__}
    names |= {f"mg.optim.{n}" for n in mg.optim.__all__}
    names |= {f"mg.optim.lr_scheduler.{n}" for n in mg.optim.lr_scheduler.__all__}
    names |= {f"mg.utils.{n}" for n in mg.utils.__all__}
    names |= {f"mg.utils.data.{n}" for n in mg.utils.data.__all__}
    names |= defined_in(mg.autograd, "mg.autograd")
    functional = getattr(mg.autograd, "functional", None)  # torch.autograd.functional's path
    if functional is not None:
        names |= {f"mg.autograd.functional.{n}" for n in functional.__all__}
    for prefix, cls in MINIGRAD_ROOTS.items():
        if prefix != "mg":
            names |= public_names(cls, prefix)
    return names


def parameters_of(signature_text):
    """[(name, default as source text or None)] of a documented signature "(a, b=1, *, c=2)"."""
    args = ast.parse(f"def f{signature_text}: pass").body[0].args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + [ast.unparse(d) for d in args.defaults]
    return ([(a.arg, d) for a, d in zip(positional, defaults)]
            + [(a.arg, None if d is None else ast.unparse(d)) for a, d in zip(args.kwonlyargs, args.kw_defaults)])


def actual_parameters(obj):
    params = inspect.signature(obj).parameters.values()
    return [(p.name, None if p.default is inspect.Parameter.empty else repr(p.default))
            for p in params if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def same_default(documented, actual):
    if documented is None or actual is None:
        return documented == actual
    return ast.literal_eval(documented) == ast.literal_eval(actual)


# ---- the page's own shape -----------------------------------------------------------------

def test_the_page_lists_names_in_every_section_torch_groups_them_by():
    sections = {section for section, *_ in listed_names()}
    for expected in ("Tensors: creation", "Autograd", "nn: modules", "nn.functional", "nn.init", "nn.utils",
                     "optim", "optim.lr_scheduler", "utils.data", "Saving and loading", "Random numbers",
                     "dtypes and threads", OWN_SECTION):
        assert expected in sections, f"no name table under '## {expected}'"
    text = PAGE.read_text()
    assert "## Known differences from torch" in text and "## What is not there" in text


def test_a_name_is_listed_once():
    names = [name for _, name, _, _ in listed_names()]
    repeated = sorted({n for n in names if names.count(n) > 1})
    assert not repeated, f"listed more than once: {repeated}"


def test_the_parser_reads_a_table_and_refuses_a_malformed_name():
    """The parser itself, on a small page (so that the checks below cannot pass by reading nothing)."""
    page = ("## Some\n\n| name | notes |\n|---|---|\n| `mg.zeros`, `Tensor.add_` | x `not.a.name` |\n"
            "| `mg.optim.SGD(params, lr)` | |\n\n| other | notes |\n|---|---|\n| `ignored` | |\n")
    assert [(s, n, sig) for s, n, sig, _ in listed_names(page)] == [
        ("Some", "mg.zeros", None), ("Some", "Tensor.add_", None), ("Some", "mg.optim.SGD", "(params, lr)")]
    with pytest.raises(AssertionError, match="not a name"):
        listed_names("## S\n| name | notes |\n|---|---|\n| `mg,zeros` | |\n")
    assert len(listed_names()) > 300


# ---- page -> code ---------------------------------------------------------------------------

def test_every_listed_name_exists_in_minigrad():
    missing = []
    for section, name, _, line in listed_names():
        try:
            resolve(name, MINIGRAD_ROOTS)
        except AttributeError as error:
            missing.append(f"line {line} ({section}): {name}: {error}")
    assert not missing, "\n".join(missing)


def test_every_listed_signature_is_how_minigrads_starts():
    """A signature on the page is the start of the real one: the same parameters, in order,
    with the same defaults (the page may leave off the later ones)."""
    wrong = []
    for _, name, signature, line in listed_names():
        if signature is None:
            continue
        documented = parameters_of(signature)
        actual = actual_parameters(resolve(name, MINIGRAD_ROOTS))
        head = actual[:len(documented)]
        if [n for n, _ in documented] != [n for n, _ in head] or not all(
                same_default(d, a) for (_, d), (_, a) in zip(documented, head)):
            wrong.append(f"line {line}: {name}{signature} but minigrad has {actual}")
    assert not wrong, "\n".join(wrong)


# ---- code -> page ---------------------------------------------------------------------------

def test_every_public_name_of_minigrad_is_on_the_page():
    listed = {name for _, name, _, _ in listed_names()}
    required = required_names()
    assert {"mg.nn.functional.gelu", "mg.optim.lr_scheduler.StepLR", "Tensor.add_", "mg.autograd.grad",
            "mg.utils.data.DataLoader", "Module.state_dict"} <= required  # the walk finds what it should
    forgotten = sorted(required - listed)
    assert not forgotten, f"public names missing from docs/pytorch-subset.md: {forgotten}"


# ---- page -> torch --------------------------------------------------------------------------

def test_every_name_outside_minigrads_own_section_is_torchs(torch):
    roots = {"mg": torch, "Tensor": torch.Tensor, "Module": torch.nn.Module, "Optimizer": torch.optim.Optimizer,
             "LRScheduler": torch.optim.lr_scheduler.LRScheduler, "Generator": torch.Generator}
    import torch.nn.utils  # noqa: F401  (submodules torch does not import by itself)
    import torch.utils.data  # noqa: F401
    not_torchs = []
    for section, name, _, line in listed_names():
        if section == OWN_SECTION:
            continue
        try:
            resolve(name, roots)
        except AttributeError:
            not_torchs.append(f"line {line} ({section}): {name}")
    assert not not_torchs, "not in torch 2.13 (move to the section of minigrad's own names?):\n" + "\n".join(not_torchs)


# ---- the table of grad_fn names -------------------------------------------------------------

def grad_fn_rows():
    """(op, torch's names, minigrad's names) per row of the grad_fn table of the differences."""
    text = PAGE.read_text()
    table = text[text.index("| op | torch 2.13.0 | minigrad |"):]
    rows = []
    for line in table.splitlines()[2:]:
        if not line.strip().startswith("|"):
            break
        op, theirs, mine = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append((op, re.findall(r"[\w:]+Backward\d|[\w:]*CopySlices", theirs),
                     re.findall(r"\w+Backward\d|CopySlices", mine)))
    return rows


def all_functions(cls=mg.autograd.Function):
    found = {}
    for sub in cls.__subclasses__():
        found[sub.__name__] = sub
        found.update(all_functions(sub))
    return found


def test_the_grad_fn_names_on_the_page_are_minigrads():
    rows = grad_fn_rows()
    assert len(rows) >= 10 and all(mine for _, _, mine in rows), rows
    functions = all_functions()
    unknown = [(op, name) for op, _, mine in rows for name in mine
               if name != "CopySlices" and name[:-len("Backward0")] not in functions]
    assert not unknown, f"no Function of that name in minigrad: {unknown}"
    assert "CopySlices" in functions


def test_the_names_the_page_gives_for_the_same_expressions(torch):
    """A few rows evaluated in both frameworks: the table says what each really prints."""
    def names(lib):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x * 2
        y.zero_()
        return {"square": x.square().grad_fn.name(), "sum_dim": x.sum(dim=0).grad_fn.name(),
                "select": x[0].grad_fn.name(), "zero_": y.grad_fn.name(),
                "linear": lib.nn.Linear(2, 3)(x).grad_fn.name()}
    theirs, mine = names(torch), names(mg)
    rows = {op: (t, m) for op, t, m in grad_fn_rows()}
    assert theirs["square"] in rows["`x ** 2`, `x.square()`"][0] and mine["square"] in rows["`x ** 2`, `x.square()`"][1]
    assert (theirs["sum_dim"], mine["sum_dim"]) == ("SumBackward1", "SumBackward0")
    assert theirs["select"] in rows["`x[0]`, `x[0:1]`, `x[index]`, `x[mask]`"][0]
    assert mine["select"] in rows["`x[0]`, `x[0:1]`, `x[index]`, `x[mask]`"][1]
    assert theirs["zero_"] == "ZeroBackward0" and mine["zero_"] == "FillBackward0"
    assert theirs["linear"] in rows["`x @ y`, `nn.Linear`"][0] and mine["linear"] in rows["`x @ y`, `nn.Linear`"][1]
