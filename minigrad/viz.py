"""A picture of the graph that `backward()` walks.

    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    drawing = mg.viz.draw_graph(loss, params=dict(model.named_parameters()))
    drawing.save("graph.png")       # or .svg, .pdf, .dot; in a notebook `drawing` shows itself
    print(drawing.source)           # the Graphviz DOT text

One box per tensor of the graph: a leaf (a parameter, named from `params`, or an input)
or the output of an op, titled with the op that made it (`type(ctx).__name__`). Each box
shows the shape and dtype, the values when there are only a few, and after `backward()`
the gradient d(root)/d(tensor) of the leaves (and of any non-leaf whose `.grad` is set).
Arrows run the way the data flows, from the inputs down to the root; `backward()` walks
them the other way.

PNG, SVG and PDF come from Graphviz's `dot` when both the program and the `graphviz`
package are installed (pip install "minigrad[viz]" and, e.g., apt-get install graphviz),
and otherwise from a layout of our own drawn with matplotlib, so a picture needs no
system package. Both are imported only when a picture is drawn.

A leaf has no graph behind it and is drawn as a single box. A graph of more than
`max_nodes` tensors (500 by default) raises ValueError at once instead of laying out a
picture nobody can read; the walk is iterative, so depth is never a problem.
"""
import functools
import inspect
import io
import os
import re
import shutil
import warnings

import numpy as np

from minigrad import autograd
from minigrad.tensor import Tensor

DEFAULT_MAX_NODES = 500
MAX_VALUES = 12         # a tensor with at most this many elements shows its values (a 3 x 3 weight, a 4 x 3 batch)
FORMATS = ("dot", "gv", "svg", "png", "pdf")
RENDERERS = ("auto", "graphviz", "matplotlib")

# What each kind of box looks like, the same in both renderers: (fill, border, what it is).
STYLES = {
    "param": ("#cfe2f3", "#3d6fa5", "parameter"),
    "leaf": ("#d9ead3", "#4f7a3c", "leaf (requires grad)"),
    "input": ("#eeeeee", "#888888", "input / constant"),
    "op": ("#fff2cc", "#b7950b", "op output"),
    "root": ("#f4cccc", "#a61c00", "root (the loss)"),
}
GRAD_COLOUR = "#a61c00"   # the gradient line, in the root's colour: it comes from there


class Node:
    """One box: its kind (a key of STYLES), a bold title and the lines below it, each
    a (text, is_gradient) pair."""

    __slots__ = ("kind", "title", "lines")

    def __init__(self, kind, title, lines):
        self.kind, self.title, self.lines = kind, title, lines


def draw_graph(root, params=None, show_data=True, show_grad=True, max_nodes=DEFAULT_MAX_NODES,
               renderer="auto"):
    """Draw the graph that made `root` (e.g. the loss), from the leaves down to it.

    params: names for leaves, as a dict name -> Tensor (`dict(model.named_parameters())`,
        as torchviz takes) or the (name, Tensor) pairs themselves. Other leaves are called
        "input" (or "constant" when 0-d), or "leaf" when they require grad.
    show_data / show_grad: the values of small tensors (at most MAX_VALUES elements,
        4 significant digits) / the gradient, where backward has filled one in.
    max_nodes: a larger graph raises ValueError rather than drawing an unreadable picture
        (or taking minutes); raise it to draw a big graph anyway.
    renderer: "auto" (Graphviz if installed, else matplotlib), "graphviz" or "matplotlib",
        for PNG/SVG/PDF.

    A tensor that no op made (a leaf) has no graph behind it: it is drawn as one box.
    Returns a Drawing; nothing is rendered until it is saved or shown.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph: root must be a minigrad Tensor (e.g. the loss), got {type(root).__name__}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be a positive integer, got {max_nodes!r}")
    _check_renderer(renderer)
    names = _parameter_names(params)
    tensors, edges = _walk(root, max_nodes)
    nodes = [_describe(t, i == 0, names, show_data, show_grad) for i, t in enumerate(tensors)]
    return Drawing(nodes, edges, renderer)


def _parameter_names(params):
    """id(tensor) -> name, from a dict or (name, tensor) pairs."""
    if params is None:
        return {}
    try:
        pairs = list(params.items()) if hasattr(params, "items") else [tuple(p) for p in params]
    except TypeError:
        raise TypeError("draw_graph: params must be a dict name -> Tensor, e.g. dict(model.named_parameters()), "
                        f"got {type(params).__name__}") from None
    names = {}
    for pair in pairs:
        if len(pair) != 2 or not isinstance(pair[1], Tensor):
            raise TypeError(f"draw_graph: params must map names to Tensors; got {pair!r:.80}")
        names[id(pair[1])] = str(pair[0])
    return names


def _walk(root, max_nodes):
    """Every tensor that `root` depends on, root first, and the edges (input index, output
    index, how many times the op takes that input). An explicit stack (no recursion), and
    it stops as soon as there are more than `max_nodes` tensors: a chain of 100,000 ops is
    refused at once, not walked."""
    index = {id(root): 0}
    tensors, edges, stack = [root], {}, [root]
    while stack:
        tensor = stack.pop()
        ctx = tensor._ctx
        if ctx is None:
            continue
        for parent in autograd.inputs_of(ctx):
            if id(parent) not in index:
                if len(tensors) == max_nodes:
                    raise ValueError(
                        f"draw_graph: the graph has more than max_nodes={max_nodes} tensors; a picture that big is "
                        f"unreadable and slow to lay out. Pass max_nodes=N with a larger N to draw it anyway, or "
                        f"draw a smaller part (e.g. one layer's output).")
                index[id(parent)] = len(tensors)
                tensors.append(parent)
                stack.append(parent)
            key = (index[id(parent)], index[id(tensor)])
            edges[key] = edges.get(key, 0) + 1        # x * x: one arrow, marked x2
    return tensors, [(a, b, n) for (a, b), n in edges.items()]


def _describe(tensor, is_root, names, show_data, show_grad):
    ctx = tensor._ctx
    if ctx is not None:
        kind, title = "op", type(ctx).__name__
        shown = _shown_params(type(ctx), ctx.params)
        if shown:
            title += " (" + ", ".join(shown) + ")"
    elif tensor.requires_grad:
        kind, title = ("param", names[id(tensor)]) if id(tensor) in names else ("leaf", "leaf")
    else:
        kind = "input"
        title = names.get(id(tensor), "constant" if tensor.data.ndim == 0 else "input")
    if is_root:
        kind = "root"
    data = tensor.data
    shape = "scalar" if data.ndim == 0 else "shape (" + ", ".join(map(str, data.shape)) + ")"
    lines = [(f"{shape} {data.dtype}", False)]
    if show_data and data.size <= MAX_VALUES:
        lines += [(line, False) for line in _values("data", data)]
    grad = _grad_of(tensor) if show_grad else None
    if grad is not None:
        if grad.size <= MAX_VALUES:
            lines += [(line, True) for line in _values("grad", grad)]
        else:
            finite = grad[np.isfinite(grad)] if np.issubdtype(grad.dtype, np.floating) else grad
            summary = f"|grad| max {_number(np.abs(finite).max())}" if finite.size else "grad not finite"
            lines.append((summary, True))
    return Node(kind, title, lines)


def _shown_params(function, params):
    """`name=value` of the op's keyword parameters that differ from its forward's defaults
    (PowScalar's exponent=2, Reshape's shape; not reduction='mean'), and are short."""
    defaults = _forward_defaults(function)
    shown = []
    for name, value in params.items():
        if value is None or (name in defaults and _same(value, defaults[name])):
            continue
        text = f"{name}={value!r}"
        if len(text) <= 32:
            shown.append(text)
    return shown


@functools.lru_cache(maxsize=None)
def _forward_defaults(function):
    try:
        parameters = inspect.signature(function.forward).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def _same(value, default):
    try:
        return type(value) is type(default) and bool(value == default)
    except (TypeError, ValueError):   # an array parameter: not a default, so it is shown
        return False


def _grad_of(tensor):
    """The gradient array, or None. Reading `.grad` of a non-leaf may warn (as torch does
    unless retain_grad() was called); a picture must not, so that warning is silenced."""
    if tensor._ctx is None:
        grad = tensor.grad
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            grad = getattr(tensor, "grad", None)
    if grad is None:
        return None
    return np.asarray(grad.data if isinstance(grad, Tensor) else grad)


def _number(value):
    return f"{value:.4g}" if isinstance(value, (float, np.floating)) else str(value)


def _values(label, array):
    """`label` and the values at 4 significant digits: a vector or a column on one line,
    a matrix one row per line with its columns aligned."""
    array = np.asarray(array)
    if array.ndim == 0:
        return [f"{label} {_number(array[()])}"]
    if array.ndim == 1:
        return [f"{label} [" + ", ".join(_number(v) for v in array) + "]"]
    if array.ndim == 2 and array.shape[1] == 1:               # a column: on one line too
        return [f"{label} [" + ", ".join(f"[{_number(v)}]" for v in array[:, 0]) + "]"]
    rows = array.reshape(-1, array.shape[-1])
    cells = [[_number(v) for v in row] for row in rows]
    widths = [max(len(row[k]) for row in cells) for k in range(len(cells[0]))]
    text = ["[" + ", ".join(c.rjust(w) for c, w in zip(row, widths)) + "]" for row in cells]
    if len(text) == 1:
        return [f"{label} [{text[0]}]"]
    pad = " " * (len(label) + 2)
    return [f"{label} [{text[0]}"] + [pad + row for row in text[1:-1]] + [pad + text[-1] + "]"]


def _kinds(nodes):
    """The kinds of box drawn, in the legend's order."""
    drawn = {node.kind for node in nodes}
    return [kind for kind in STYLES if kind in drawn]


def _check_renderer(renderer):
    if renderer not in RENDERERS:
        raise ValueError(f"renderer must be one of {', '.join(RENDERERS)}; got {renderer!r}")


def graphviz_available():
    """True when both Graphviz's `dot` program and the `graphviz` package are installed."""
    try:
        import graphviz  # noqa: F401
    except ImportError:
        return False
    return shutil.which("dot") is not None


class Drawing:
    """What draw_graph returns: `.source` (DOT text), `.save(path)`, `.pipe(format)`, and the
    `_repr_svg_`/`_repr_png_` a notebook calls to show it. `.nodes` (Node: kind, title,
    lines; the root first) and `.edges` ((input, output, count) indices into nodes) are
    what both renderers draw; the drawing is a snapshot, taken when draw_graph ran."""

    def __init__(self, nodes, edges, renderer="auto"):
        self.nodes, self.edges, self.renderer = nodes, edges, renderer
        self.source = _dot_source(nodes, edges)

    def __repr__(self):
        return f"<minigrad.viz.Drawing: {len(self.nodes)} tensors, {len(self.edges)} arrows; .source is the DOT text>"

    def pipe(self, format="png", renderer=None):
        """The picture as bytes: png, svg or pdf (or the DOT text, encoded, for dot)."""
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {format!r}")
        if format in ("dot", "gv"):
            return self.source.encode()
        renderer = self.renderer if renderer is None else renderer
        _check_renderer(renderer)
        if renderer == "auto":
            renderer = "graphviz" if graphviz_available() else "matplotlib"
        if renderer == "graphviz":
            return _render_graphviz(self.source, format)
        return _render_matplotlib(self.nodes, self.edges, format)

    def save(self, path, renderer=None):
        """Write the picture; its format from the file's ending (.png, .svg, .pdf, .dot). Returns path."""
        ending = os.path.splitext(str(path))[1][1:].lower()
        if ending not in FORMATS:
            raise ValueError(f"save: cannot tell the format of {str(path)!r}; end it in one of "
                             + ", ".join("." + f for f in FORMATS))
        data = self.pipe(ending, renderer)
        with open(path, "wb") as file:
            file.write(data)
        return path

    def _repr_svg_(self):
        svg = self._repr("svg")
        return None if svg is None else svg.decode()

    def _repr_png_(self):
        return self._repr("png")

    def _repr(self, format):
        try:
            return self.pipe(format)
        except ImportError:
            return None          # no renderer installed: the notebook shows repr() instead


# ---- DOT ------------------------------------------------------------------------------------------
def _html(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _dot_label(node):
    rows = [f"<B>{_html(node.title)}</B>"]
    for text, is_grad in node.lines:
        text = re.sub(" (?= )", "&nbsp;", _html(text))   # runs of spaces kept: they align the columns
        colour = f' COLOR="{GRAD_COLOUR}"' if is_grad else ""
        rows.append(f'<FONT FACE="monospace" POINT-SIZE="9"{colour}>{text}</FONT>')
    return "<" + '<BR ALIGN="LEFT"/>'.join(rows) + '<BR ALIGN="LEFT"/>>'


def _dot_source(nodes, edges):
    lines = ["digraph minigrad {",
             # ordering=in: an op's inputs left to right in argument order (x, weight, bias)
             '  graph [rankdir=TB, ordering=in, nodesep=0.25, ranksep=0.35, fontname="Helvetica", fontsize=10,',
             f'         labelloc=b, label={_dot_legend(nodes)}];',
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, margin="0.14,0.09"];',
             '  edge [color="#555555", arrowsize=0.7, fontname="Helvetica", fontsize=9];']
    for i, node in enumerate(nodes):
        fill, border, what = STYLES[node.kind]
        width = ", penwidth=2.2" if node.kind == "root" else ""
        lines.append(f'  n{i} [label={_dot_label(node)}, fillcolor="{fill}", color="{border}"{width}, '
                     f'tooltip="{what}"];')
    for a, b, count in edges:
        lines.append(f'  n{a} -> n{b}' + (f' [label=" x{count}"]' if count > 1 else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_legend(nodes):
    """A key to the colours, as the graph's label below it: one swatch per kind drawn."""
    cells = "".join(f'<TD BGCOLOR="{STYLES[k][0]}" COLOR="{STYLES[k][1]}" BORDER="1" WIDTH="14">&nbsp;</TD>'
                    f'<TD ALIGN="LEFT">{_html(STYLES[k][2])}&nbsp;&nbsp;</TD>' for k in _kinds(nodes))
    return f'<<TABLE BORDER="0" CELLSPACING="3" CELLPADDING="1"><TR>{cells}</TR></TABLE>>'


def _render_graphviz(source, format):
    try:
        import graphviz
    except ImportError:
        raise ImportError('renderer="graphviz" needs the graphviz package: pip install "minigrad[viz]"') from None
    if shutil.which("dot") is None:
        raise ImportError("renderer=\"graphviz\" needs Graphviz's dot program on PATH "
                          "(e.g. apt-get install graphviz, brew install graphviz); renderer=\"matplotlib\" needs none")
    if format == "png":   # dot's default 72 dpi is blurry on today's screens
        source = source.replace("digraph minigrad {", "digraph minigrad {\n  dpi=144;", 1)
    return graphviz.Source(source).pipe(format=format)


# ---- the matplotlib layout ------------------------------------------------------------------------
# Sizes in points. Text is drawn in DejaVu Sans Mono (it ships with matplotlib), whose
# every glyph is 0.602 em wide, so a box's size is known before anything is drawn.
TITLE_SIZE, BODY_SIZE, CHAR = 10.0, 8.5, 0.62   # 0.602 and a little room for hinting
PAD, LINE, H_GAP, V_GAP = 6.0, 1.3, 18.0, 34.0
PORT_SPAN = 0.8          # the share of a box's top edge its inputs' arrows spread over


def _box_size(node):
    widest = max([len(node.title) * CHAR * TITLE_SIZE * 1.08]            # the bold title is a little wider
                 + [len(text) * CHAR * BODY_SIZE for text, _ in node.lines])
    height = TITLE_SIZE * LINE + len(node.lines) * BODY_SIZE * LINE
    return widest + 2 * PAD, height + 2 * PAD


def _layers(n, edges):
    """Layer of each node: its longest distance from the root (0), so that every arrow goes
    from a higher layer down to a lower one. Kahn's order from the root: a node is placed
    once all of its consumers are."""
    consumers = [0] * n
    for a, _, _ in edges:
        consumers[a] += 1
    inputs = _inputs(n, edges)
    layer, ready = [0] * n, [0]
    while ready:
        node = ready.pop()
        for parent in inputs[node]:
            layer[parent] = max(layer[parent], layer[node] + 1)
            consumers[parent] -= 1
            if consumers[parent] == 0:
                ready.append(parent)
    return layer


def _inputs(n, edges):
    """The inputs of each node, in argument order (x, weight, bias)."""
    inputs = [[] for _ in range(n)]
    for a, b, _ in edges:
        inputs[b].append(a)
    return inputs


def _port(a, b, inputs, sizes):
    """Where the arrow from `a` enters `b`, as an x offset from b's centre: the inputs of an
    op enter its top edge left to right in argument order, as Graphviz draws them, so the
    order can be read off the picture (and arrows into one box do not meet in one point)."""
    return ((inputs[b].index(a) + 1) / (len(inputs[b]) + 1) - 0.5) * sizes[b][0] * PORT_SPAN


def _place(sizes, layer, edges):
    """x of each box centre: each layer in turn from the root up, every box as near the
    mean of where its arrows enter the boxes it feeds as its neighbours allow; then one
    pass back down, pulling each box towards its inputs and outputs alike."""
    n = len(sizes)
    rows = {}
    for i in range(n):
        rows.setdefault(layer[i], []).append(i)
    inputs = _inputs(n, edges)
    outputs = [[] for _ in range(n)]
    for a, b, _ in edges:
        outputs[a].append(b)
    x = [0.0] * n

    def below(i):                 # the x at which i's arrows enter the boxes it feeds
        return [x[b] + _port(i, b, inputs, sizes) for b in outputs[i]]

    def around(i):                # ... and the x that would put i's own ports under its inputs
        return below(i) + [x[a] - _port(a, i, inputs, sizes) for a in inputs[i]]

    def settle(row, targets):
        wanted = {}
        for i in row:
            spots = targets(i)
            wanted[i] = sum(spots) / len(spots) if spots else x[i]
        row.sort(key=lambda i: wanted[i])
        for k, i in enumerate(row):          # left to right, no overlap
            if k:
                left = row[k - 1]
                x[i] = max(wanted[i], x[left] + (sizes[left][0] + sizes[i][0]) / 2 + H_GAP)
            else:
                x[i] = wanted[i]
        shift = sum(x[i] - wanted[i] for i in row) / len(row)
        for i in row:                        # centre the row on where it wanted to be
            x[i] -= shift

    for depth in sorted(rows)[1:]:
        settle(rows[depth], below)
    for depth in sorted(rows, reverse=True)[1:]:
        settle(rows[depth], around)
    return x, rows


def _layout(nodes, edges):
    """Box sizes, layers, centres (x, y) and the page (left, right, bottom, top), in points."""
    sizes = [_box_size(node) for node in nodes]
    layer = _layers(len(nodes), edges)
    x, rows = _place(sizes, layer, edges)
    # y of each layer: the root's at the bottom, each layer above the tallest box below it.
    y = [0.0] * len(nodes)
    level = 0.0
    for depth in sorted(rows):
        height = max(sizes[i][1] for i in rows[depth])
        for i in rows[depth]:
            y[i] = level + height / 2
        level += height + V_GAP
    left = min(x[i] - sizes[i][0] / 2 for i in range(len(nodes))) - H_GAP
    right = max(x[i] + sizes[i][0] / 2 for i in range(len(nodes))) + H_GAP
    legend_height = 22.0
    bottom, top = -H_GAP / 2 - legend_height, level - V_GAP / 2
    centre, width = (left + right) / 2, max(right - left, 420.0)     # room for the legend
    return sizes, layer, x, y, (centre - width / 2, centre + width / 2, bottom, top)


def _render_matplotlib(nodes, edges, format):
    try:
        from matplotlib import rc_context
        from matplotlib.figure import Figure
        from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
    except ImportError:
        raise ImportError("drawing without Graphviz needs matplotlib: pip install \"minigrad[plot]\" "
                          "(or install Graphviz and pip install \"minigrad[viz]\")") from None
    sizes, layer, x, y, (left, right, bottom, top) = _layout(nodes, edges)
    width_pt, height_pt = right - left, top - bottom
    # 1 point = 1/72 inch; a huge graph gets a lower dpi rather than a gigapixel file.
    dpi = min(150.0, 12000.0 / max(width_pt / 72, height_pt / 72, 1.0))
    figure = Figure(figsize=(width_pt / 72, height_pt / 72), dpi=dpi)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_axis_off()
    for i, node in enumerate(nodes):
        fill, border, _ = STYLES[node.kind]
        w, h = sizes[i]
        ax.add_patch(FancyBboxPatch((x[i] - w / 2, y[i] - h / 2), w, h, boxstyle="round,pad=0,rounding_size=5",
                                    facecolor=fill, edgecolor=border,
                                    linewidth=2.2 if node.kind == "root" else 1.0, zorder=2))
        text_x, text_y = x[i] - w / 2 + PAD, y[i] + h / 2 - PAD
        ax.text(text_x, text_y, node.title, fontsize=TITLE_SIZE, fontweight="bold", family="DejaVu Sans Mono",
                ha="left", va="top", zorder=3)
        text_y -= TITLE_SIZE * LINE
        for text, is_grad in node.lines:
            ax.text(text_x, text_y, text, fontsize=BODY_SIZE, family="DejaVu Sans Mono", ha="left", va="top",
                    color=GRAD_COLOUR if is_grad else "#222222", zorder=3)
            text_y -= BODY_SIZE * LINE
    inputs = _inputs(len(nodes), edges)
    for a, b, count in edges:
        start = (x[a], y[a] - sizes[a][1] / 2)
        end = (x[b] + _port(a, b, inputs, sizes), y[b] + sizes[b][1] / 2)
        bend = 0.0 if layer[a] == layer[b] + 1 else 0.15     # an arrow past a layer bows around the boxes
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, color="#555555",
                                     linewidth=0.9, connectionstyle=f"arc3,rad={bend}", shrinkA=0, shrinkB=1,
                                     zorder=1))
        if count > 1:
            ax.text((start[0] + end[0]) / 2 + 3, (start[1] + end[1]) / 2, f"x{count}", fontsize=BODY_SIZE,
                    va="center", zorder=3)
    used = _kinds(nodes)
    ax.legend(handles=[Patch(facecolor=STYLES[k][0], edgecolor=STYLES[k][1], label=STYLES[k][2]) for k in used],
              loc="lower center", ncol=len(used), fontsize=BODY_SIZE, frameon=False, handlelength=1.2,
              borderaxespad=0.3)
    buffer = io.BytesIO()
    with rc_context({"svg.fonttype": "none"}):    # SVG text stays text: selectable, searchable, smaller
        figure.savefig(buffer, format=format, dpi=dpi, facecolor="white")
    return buffer.getvalue()
