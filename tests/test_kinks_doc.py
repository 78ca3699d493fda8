"""docs/kinks.md against the ops: every Function of minigrad.ops that declares a `kink` has
its row (same Function, same `where` text), every row names a Function that declares that
kink, and the test each row names for its torch comparison exists."""
import importlib
import inspect
import pathlib
import pkgutil
import re

import pytest

import minigrad.ops
from minigrad.autograd import Function

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "kinks.md"
PARITY = ROOT / "tests" / "torch_parity"


def declared_kinks():
    """{Function class: its Kink} for every class of a minigrad.ops module that declares one."""
    found = {}
    for info in pkgutil.iter_modules(minigrad.ops.__path__):
        module = importlib.import_module(f"minigrad.ops.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Function) and cls.__module__ == module.__name__ and cls.kink is not None:
                found[cls] = cls.kink
    return found


def _cells(line):
    """The cells of a markdown table row; `\\|` is a | inside a cell, backticks are dropped."""
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [cell.strip().replace("\\|", "|") for cell in cells]


def doc_rows():
    """[(Function name, where, gradient, tests)] from every table whose first column is `Function`."""
    rows, in_table = [], False
    for line in DOC.read_text().splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        cells = _cells(line)
        if cells[0] == "Function":
            in_table = True
        elif in_table and not set(cells[0]) <= set("-: "):
            name, where = (re.fullmatch(r"`([^`]*)`", cell)[1] for cell in cells[:2])
            rows.append((name, where, cells[2], re.findall(r"`([^`]*)`", cells[3])))
    return rows


def test_the_doc_has_both_tables():
    rows = doc_rows()
    assert len(rows) >= 20 and {"ReLU", "Max", "MaxDim", "L1Loss", "KLDiv"} <= {name for name, *_ in rows}


def test_every_declared_kink_has_its_row():
    rows = {name: where for name, where, *_ in doc_rows()}
    for cls, kink in declared_kinks().items():
        assert cls.__name__ in rows, f"{cls.__name__} declares {kink.where!r}: docs/kinks.md has no row for it"
        assert rows[cls.__name__] == kink.where, (
            f"{cls.__name__}: docs/kinks.md says {rows[cls.__name__]!r}, the op declares {kink.where!r}")


def test_every_row_names_an_op_that_declares_it():
    declared = {cls.__name__: kink.where for cls, kink in declared_kinks().items()}
    names = [name for name, *_ in doc_rows()]
    assert len(names) == len(set(names)), "a Function has two rows"
    for name, where, *_ in doc_rows():
        assert declared.get(name) == where, f"docs/kinks.md: {name} does not declare the kink {where!r}"


@pytest.mark.parametrize("name, where, gradient, tests", doc_rows(), ids=[row[0] for row in doc_rows()])
def test_every_row_names_an_existing_torch_test(name, where, gradient, tests):
    assert gradient and tests, f"{name}: the row needs the gradient and the test that compares it with torch"
    for test in tests:
        parsed = re.fullmatch(r"(\w+\.py)::(\w+)(?:\[(\w+)\])?", test)
        assert parsed, f"{name}: {test!r} is not file.py::test[case]"
        source = (PARITY / parsed[1]).read_text() if (PARITY / parsed[1]).exists() else ""
        assert f"def {parsed[2]}(" in source, f"{name}: no test {parsed[2]} in tests/torch_parity/{parsed[1]}"
        assert parsed[3] is None or f'"{parsed[3]}"' in source, f"{name}: no case {parsed[3]!r} in {parsed[1]}"


def test_the_check_catches_a_missing_row_and_a_wrong_where(monkeypatch):
    """The two directions can fail: a new declaration without a row, and a row that drifted."""
    from minigrad.autograd import Kink
    from minigrad.ops import elementwise

    monkeypatch.setattr(elementwise.Exp, "kink", Kink("exp nowhere", lambda x, **_: x), raising=False)
    with pytest.raises(AssertionError, match="Exp declares 'exp nowhere'"):
        test_every_declared_kink_has_its_row()
    monkeypatch.setattr(elementwise.Exp, "kink", None)
    monkeypatch.setattr(elementwise.Abs, "kink", Kink("abs somewhere else", elementwise.Abs.kink.sides))
    with pytest.raises(AssertionError, match="Abs does not declare the kink 'abs at x = 0'"):
        test_every_row_names_an_op_that_declares_it()
