"""mg.viz.draw_graph: the DOT text (boxes, labels, arrows, values, gradients), both
renderers' PNG and SVG, and the bad inputs.

Graphviz tests skip where the `dot` program or the graphviz package is missing, unless
MINIGRAD_REQUIRE_GRAPHVIZ=1 (set by .ci/run, which installs both): then they fail.
"""
import html
import os
import re
import struct
import subprocess
import sys
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, viz
from minigrad.tensor import Tensor

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ---- reading the DOT text back --------------------------------------------------------------
def boxes(source):
    """node id -> (title, [lines]) with the HTML markup taken out."""
    found = {}
    for node, label in re.findall(r"^  (n\d+) \[label=<(.*)>, fillcolor", source, flags=re.M):
        parts = [html.unescape(re.sub(r"<[^>]+>", "", part)).replace("\xa0", " ")
                 for part in label.split('<BR ALIGN="LEFT"/>')]
        found[node] = (parts[0], [p for p in parts[1:] if p])
    return found


def arrows(source):
    """(from title, to title, label) for every edge; titles must be unique in the graph."""
    titles = {node: title for node, (title, _) in boxes(source).items()}
    return sorted((titles[a], titles[b], label) for a, b, label in
                  re.findall(r"^  (n\d+) -> (n\d+)(?: \[label=\" (x\d+)\"\])?;", source, flags=re.M))


def by_title(source):
    return {title: lines for title, lines in boxes(source).values()}


def fmt(values):
    """The way a box prints a vector: 4 significant digits."""
    return "[" + ", ".join(f"{v:.4g}" for v in values) + "]"


def png_size(data):
    assert data[:8] == PNG_SIGNATURE, data[:16]
    width, height = struct.unpack(">II", data[16:24])   # the IHDR chunk comes first
    return width, height


def require_graphviz():
    if not viz.graphviz_available():
        if os.environ.get("MINIGRAD_REQUIRE_GRAPHVIZ") == "1":
            pytest.fail("MINIGRAD_REQUIRE_GRAPHVIZ=1 but Graphviz's dot or the graphviz package is missing "
                        "(apt-get install graphviz; pip install graphviz)")
        pytest.skip("Graphviz's dot or the graphviz package is not installed")


RENDERERS = ["matplotlib", "graphviz"]


def small_graph():
    """loss = sum(exp(w * c)), w named, c an input; backward done."""
    w = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    c = mg.tensor([3.0, 0.5], dtype=mg.float64)
    loss = (w * c).exp().sum()
    loss.backward()
    return loss, w, c


# ---- the DOT text ---------------------------------------------------------------------------
def test_one_box_per_op_and_leaf_and_arrows_from_inputs_to_outputs():
    w = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    c = mg.tensor([3.0, 0.5], dtype=mg.float64)
    loss = (w * c).exp().sum()
    source = mg.viz.draw_graph(loss, params={"w": w}).source
    assert source.startswith("digraph")
    assert sorted(title for title, _ in boxes(source).values()) == ["Exp", "Mul", "Sum", "input", "w"]
    assert arrows(source) == [("Exp", "Sum", ""), ("Mul", "Exp", ""), ("input", "Mul", ""), ("w", "Mul", "")]
    # the arrows into Mul are written in argument order (w * c), which ordering=in keeps on the page
    lines = source.splitlines()
    titles = {node: title for node, (title, _) in boxes(source).items()}
    into_mul = [titles[a] for a, b in (re.findall(r"(n\d+) -> (n\d+);", line)[0] for line in lines if "->" in line)
                if titles[b] == "Mul"]
    assert into_mul == ["w", "input"]


def test_boxes_show_shape_dtype_values_and_after_backward_the_gradient():
    w = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    c = mg.tensor([3.0, 0.5], dtype=mg.float64)
    loss = (w * c).exp().sum()
    before = by_title(mg.viz.draw_graph(loss, params={"w": w}).source)
    assert not any(line.startswith("grad") for lines in before.values() for line in lines)
    loss.backward()
    after = by_title(mg.viz.draw_graph(loss, params={"w": w}).source)
    w_np, c_np = np.array([1.0, 2.0]), np.array([3.0, 0.5])
    # d/dw sum(exp(w c)) = c exp(w c), written out in numpy
    assert after["w"] == ["shape (2) float64", "data " + fmt(w_np), "grad " + fmt(c_np * np.exp(w_np * c_np))]
    assert after["input"] == ["shape (2) float64", "data " + fmt(c_np)]    # no grad: it does not require one
    assert after["Exp"] == ["shape (2) float64", "data " + fmt(np.exp(w_np * c_np))]
    assert after["Sum"] == ["scalar float64", f"data {np.exp(w_np * c_np).sum():.4g}"]


def test_show_data_and_show_grad_turn_lines_off():
    loss, w, _ = small_graph()
    quiet = by_title(mg.viz.draw_graph(loss, params={"w": w}, show_data=False, show_grad=False).source)
    assert quiet["w"] == ["shape (2) float64"] and quiet["Sum"] == ["scalar float64"]
    no_grad_line = by_title(mg.viz.draw_graph(loss, params={"w": w}, show_grad=False).source)
    assert no_grad_line["w"] == ["shape (2) float64", "data [1, 2]"]


def test_a_matrix_prints_one_row_per_line_and_a_large_tensor_only_its_largest_gradient():
    w = mg.tensor([[1.0, -2.5], [30.0, 4.0]], dtype=mg.float64, requires_grad=True)
    big = mg.tensor(np.arange(20.0).reshape(4, 5), dtype=mg.float64, requires_grad=True)
    loss = (w * w).sum() + (big * 3.0).sum()
    loss.backward()
    shown = by_title(mg.viz.draw_graph(loss, params={"w": w, "big": big}).source)
    assert shown["w"] == ["shape (2, 2) float64", "data [[ 1, -2.5]", "      [30,    4]]",   # columns aligned
                          "grad [[ 2, -5]", "      [60,  8]]"]                                # 2 w
    assert shown["big"] == ["shape (4, 5) float64", "|grad| max 3"]                 # 20 > MAX_VALUES


def test_a_tensor_used_twice_gets_one_arrow_marked_x2():
    x = mg.tensor([2.0], requires_grad=True)
    source = mg.viz.draw_graph((x * x).sum()).source
    assert arrows(source) == [("Mul", "Sum", ""), ("leaf", "Mul", "x2")]


def test_names_colours_and_kinds():
    mg.manual_seed(0)
    model = nn.Linear(2, 1, dtype=mg.float64)
    x = mg.tensor([[1.0, 2.0]], dtype=mg.float64)
    loss = (model(x) * 0.5).sum()
    drawing = mg.viz.draw_graph(loss, params=dict(model.named_parameters()))
    titles = {title: node for node, (title, _) in boxes(drawing.source).items()}
    assert set(titles) == {"weight", "bias", "input", "constant", "Linear", "Mul", "Sum"}
    fill = dict(re.findall(r'^  (n\d+) \[.*fillcolor="(#\w+)"', drawing.source, flags=re.M))
    assert fill[titles["weight"]] == fill[titles["bias"]] == viz.STYLES["param"][0]
    assert fill[titles["input"]] == fill[titles["constant"]] == viz.STYLES["input"][0]
    assert fill[titles["Linear"]] == fill[titles["Mul"]] == viz.STYLES["op"][0]
    assert fill[titles["Sum"]] == viz.STYLES["root"][0]                             # the root stands out
    assert re.search(rf'^  {titles["Sum"]} \[.*penwidth', drawing.source, flags=re.M)
    # the pairs themselves work as well as a dict; an unnamed leaf that requires grad is "leaf"
    assert boxes(mg.viz.draw_graph(loss, params=model.named_parameters()).source) == boxes(drawing.source)
    assert "leaf" in by_title(mg.viz.draw_graph(loss).source)


def test_op_parameters_show_only_where_they_differ_from_the_default():
    x = mg.tensor([[1.0, 2.0]], requires_grad=True)
    titles = set(by_title(mg.viz.draw_graph((x ** 3).sum(dim=1, keepdim=True).reshape(-1).sum()).source))
    # reshape(-1) records the shape it resolved; Sum's defaults (all axes, no keepdim) are left out
    assert titles == {"PowScalar (exponent=3)", "Sum (axes=(1,), keepdim=True)", "Reshape (shape=(1,))", "Sum", "leaf"}


def test_a_non_leaf_gradient_is_shown_when_set_and_reading_it_warns_nothing():
    """A non-leaf's .grad may warn (as torch does unless retain_grad() was called): the
    drawing reads it without letting the warning out, and shows it when it is set."""

    class WarnsOnGrad(Tensor):
        __slots__ = ()

        @property
        def grad(self):
            if self._ctx is not None:
                warnings.warn("The .grad attribute of a Tensor that is not a leaf Tensor is being accessed")
            return Tensor.grad.__get__(self)

        @grad.setter
        def grad(self, value):
            Tensor.grad.__set__(self, value)

    x = mg.tensor([1.0, 2.0], requires_grad=True)
    made = x * 2.0
    # The same node as a WarnsOnGrad (Tensor is a compiled class: no __class__ assignment).
    hidden = WarnsOnGrad.__new__(WarnsOnGrad)
    hidden.data, hidden._grad, hidden._ctx, hidden.requires_grad = made.data, None, made._ctx, True
    hidden._hooks = hidden._past = None
    loss = hidden.sum()
    with pytest.warns(UserWarning):
        hidden.grad                                       # the probe does warn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert by_title(mg.viz.draw_graph(loss).source)["Mul"] == ["shape (2) float32", "data [2, 4]"]
        hidden.grad = mg.tensor([1.0, 1.0])               # as retain_grad() would leave it after backward
        assert by_title(mg.viz.draw_graph(loss).source)["Mul"][-1] == "grad [1, 1]"


def test_retained_gradients_are_shown():
    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    hidden = x.exp()
    hidden.retain_grad()
    loss = (hidden * 3.0).sum()
    loss.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shown = by_title(mg.viz.draw_graph(loss).source)
    assert shown["Exp"][-1] == "grad [3, 3]"                        # d/d hidden of 3 sum(hidden)
    assert shown["leaf"][-1] == "grad " + fmt(3 * np.exp([1.0, 2.0]))


# ---- pictures -------------------------------------------------------------------------------
@pytest.fixture(params=RENDERERS)
def drawing(request):
    """small_graph() drawn for each renderer."""
    if request.param == "graphviz":
        require_graphviz()
    loss, w, _ = small_graph()
    return mg.viz.draw_graph(loss, params={"w": w}, renderer=request.param)


def test_each_renderer_writes_a_real_png(drawing, tmp_path):
    path = drawing.save(tmp_path / "graph.png")
    data = path.read_bytes()
    width, height = png_size(data)
    assert width > 150 and height > 150 and len(data) > 5000
    # which renderer drew it: matplotlib signs its PNGs
    assert (b"matplotlib" in data.lower()) == (drawing.renderer == "matplotlib")
    assert drawing._repr_png_()[:8] == PNG_SIGNATURE


def test_each_renderer_writes_svg_with_the_labels_as_text(drawing, tmp_path):
    svg = drawing.save(tmp_path / "graph.svg").read_text()
    assert "<svg" in svg and re.search(r">\s*Exp\s*</text>", svg) and re.search(r">\s*w\s*</text>", svg)
    assert "grad" in svg and drawing._repr_svg_().startswith(("<?xml", "<svg"))


def test_auto_falls_back_to_matplotlib_without_dot(monkeypatch):
    loss, _, _ = small_graph()
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    assert not viz.graphviz_available()
    assert b"matplotlib" in mg.viz.draw_graph(loss).pipe("png").lower()
    with pytest.raises(ImportError, match="dot program"):
        mg.viz.draw_graph(loss, renderer="graphviz").pipe("png")


def test_auto_uses_graphviz_when_installed():
    require_graphviz()
    loss, _, _ = small_graph()
    assert b"matplotlib" not in mg.viz.draw_graph(loss).pipe("png").lower()


def test_dot_files_and_unknown_endings(tmp_path):
    loss, _, _ = small_graph()
    drawing = mg.viz.draw_graph(loss)
    drawing.save(tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text() == drawing.source
    with pytest.raises(ValueError, match=r"\.png"):
        drawing.save(tmp_path / "g.jpeg")
    with pytest.raises(ValueError, match="renderer"):
        mg.viz.draw_graph(loss, renderer="ascii")


def test_a_lesson_sized_graph_lays_out_without_overlaps():
    """The matplotlib layout: every arrow goes down a layer or more, and no two boxes of a
    layer overlap."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4, dtype=mg.float64), nn.ReLU(), nn.Linear(4, 2, dtype=mg.float64))
    x = mg.randn(5, 3, dtype=mg.float64)
    loss = nn.functional.cross_entropy(model(x), mg.tensor([0, 1, 0, 1, 1])) + 0.1 * model[0].weight.abs().sum()
    drawing = mg.viz.draw_graph(loss, params=dict(model.named_parameters()))
    sizes = [viz._box_size(node) for node in drawing.nodes]
    layer = viz._layers(len(drawing.nodes), drawing.edges)
    x_of, rows = viz._place(sizes, layer, drawing.edges)
    assert all(layer[a] > layer[b] for a, b, _ in drawing.edges)
    for row in rows.values():
        spans = sorted((x_of[i] - sizes[i][0] / 2, x_of[i] + sizes[i][0] / 2) for i in row)
        assert all(left[1] <= right[0] for left, right in zip(spans, spans[1:]))


# ---- bad input ------------------------------------------------------------------------------
def test_a_root_that_is_not_a_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="root must be a minigrad Tensor.*ndarray"):
        mg.viz.draw_graph(np.ones(3))


@pytest.mark.parametrize("params", [[1, 2], {"w": np.ones(2)}, 3])
def test_bad_params_are_a_type_error_naming_params(params):
    loss, _, _ = small_graph()
    with pytest.raises(TypeError, match="params"):
        mg.viz.draw_graph(loss, params=params)


def test_a_leaf_has_no_graph_and_draws_as_one_box(tmp_path):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    drawing = mg.viz.draw_graph(x, params={"x": x})
    assert boxes(drawing.source) == {"n0": ("x", ["shape (2) float32", "data [1, 2]"])} and drawing.edges == []
    assert png_size(drawing.pipe("png", renderer="matplotlib"))[0] > 100


def chain(length):
    x = mg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(length):
        y = y * 1.0001
    return y


def test_a_graph_over_max_nodes_is_refused_with_a_message_naming_max_nodes():
    y = chain(10_000)                                 # 20,001 tensors: each op and its constant
    with pytest.raises(ValueError, match=r"max_nodes=500\b.*larger"):
        mg.viz.draw_graph(y)
    with pytest.raises(ValueError, match="max_nodes=50"):
        mg.viz.draw_graph(y, max_nodes=50)
    with pytest.raises(ValueError, match="max_nodes must be a positive integer"):
        mg.viz.draw_graph(y, max_nodes=0)


def test_a_10000_op_chain_is_drawn_as_text_when_allowed():
    """No recursion anywhere: the walk and the DOT text of a chain far deeper than Python's
    recursion limit."""
    drawing = mg.viz.draw_graph(chain(10_000), max_nodes=25_000)
    assert len(drawing.nodes) == 20_001 and len(drawing.edges) == 20_000
    assert drawing.source.count(" -> ") == 20_000
    assert viz._layers(len(drawing.nodes), drawing.edges)[1] == 1     # the last Mul's input is one layer up


def test_importing_minigrad_loads_neither_matplotlib_nor_graphviz():
    code = ("import sys, minigrad\nminigrad.viz.draw_graph(minigrad.tensor([1.0], requires_grad=True) * 2).source\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'graphviz')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
