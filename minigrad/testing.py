"""Compare minigrad with PyTorch: the same computation, run in both, every number compared.

Because minigrad spells its API like PyTorch's, one function body can run on either
framework when it receives the framework as its first argument:

    import numpy as np
    from minigrad.testing import compare_with_torch

    def loss(lib, logits, target):
        return lib.nn.functional.cross_entropy(logits, target, label_smoothing=0.1)

    report = compare_with_torch(loss, np.random.randn(4, 3), np.array([0, 2, 1, 2]))
    print(report)          # a table: output and each input's gradient, max abs/rel difference
    assert report.ok

What is compared: the output's value, and the gradient of every input that requires
grad after one backward pass in each framework (a plain `backward()` for a one-element
output, otherwise `backward(upstream)` with the same seeded random upstream gradient in
both). With `order=2`, second derivatives too: each input's Hessian-vector product
(the gradient differentiated again, see compare_with_torch).

How tolerances work (`difference`, the one comparison minigrad's own tests use too): an
element passes when |minigrad - torch| <= atol + rtol * |torch|, as in numpy.allclose and
torch.testing; NaN must stand where torch has NaN and an infinity where torch has the same
infinity. The defaults depend on the dtype: float64 keeps ~16 digits, so rtol=1e-7,
atol=1e-9 leave room only for differently ordered sums; float32 keeps ~7, so rtol=1e-4,
atol=1e-5. The report also gives, for each compared array, the largest absolute
difference, the largest relative difference |a - b| / |b|, and the element furthest
outside the tolerance with both values.

`compare_model_with_torch` does the same for a whole model and loss, and `to_torch`
turns a minigrad Sequential into the same torch.nn.Sequential with the same weights.
torch is optional: install it with  pip install "minigrad[torch]".
"""
import inspect
from dataclasses import dataclass

import numpy as np

# This module stands on top of the package, as torch.testing does on torch: `fn(lib, ...)`
# receives the package itself, and the package does not import this module (import it
# as `from minigrad.testing import compare_with_torch`), so the arrows still run one way.
import minigrad
from minigrad import nn
from minigrad.tensor import Tensor

DEFAULT_TOLERANCES = {np.dtype(np.float64): (1e-9, 1e-7), np.dtype(np.float32): (1e-5, 1e-4)}  # (atol, rtol)


def import_torch():
    """The torch module, or an ImportError that says how to install it."""
    try:
        import torch
    except ImportError:
        raise ImportError('minigrad.testing needs PyTorch, which is optional: install it with '
                          'pip install "minigrad[torch]"  (torch==2.13.0, the version minigrad is '
                          'checked against)') from None
    return torch


# ---- the report ------------------------------------------------------------------------------
@dataclass
class Difference:
    """How far minigrad's array is from torch's: one row of a report."""
    name: str                 # "output", "grad of logits", ...
    max_abs: float            # max |minigrad - torch|
    max_rel: float            # max |minigrad - torch| / |torch|  (0/0 counts as 0)
    index: tuple              # the element furthest outside the tolerance (or the largest difference)
    minigrad_value: float     # ... its value in minigrad
    torch_value: float        # ... and in torch
    ok: bool                  # every element within atol + rtol * |torch|
    note: str = ""            # e.g. a shape mismatch

    def __str__(self):
        where = f"{self.index}" if self.index is not None else "-"
        return (f"{self.name:<22} {self.max_abs:>10.3g} {self.max_rel:>10.3g}  {where:<10} "
                f"{self.minigrad_value:>13.6g} {self.torch_value:>13.6g}  "
                f"{'ok' if self.ok else 'MISMATCH'}{'  ' + self.note if self.note else ''}")


@dataclass
class ComparisonReport:
    """The differences of the output and of every gradient; `.ok` if all are within tolerance."""
    rows: list
    dtype: np.dtype
    atol: float
    rtol: float
    title: str = "minigrad vs torch"

    @property
    def ok(self):
        return all(row.ok for row in self.rows)

    @property
    def failures(self):
        return [row for row in self.rows if not row.ok]

    def __getitem__(self, name):
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no row {name!r}; the rows are {[row.name for row in self.rows]}")

    def __bool__(self):
        return self.ok

    def __str__(self):
        header = (f"{'':<22} {'max abs':>10} {'max rel':>10}  {'worst at':<10} "
                  f"{'minigrad':>13} {'torch':>13}")
        lines = [f"{self.title} ({self.dtype}, pass if |diff| <= {self.atol:g} + {self.rtol:g} * |torch|)",
                 header, "-" * len(header)]
        lines += [str(row) for row in self.rows]
        lines.append("OK" if self.ok else "MISMATCH in: " + ", ".join(row.name for row in self.failures))
        return "\n".join(lines)

    __repr__ = __str__


def difference(name, mine, theirs, atol, rtol, scale=None):
    """Compare two arrays element by element: one row of a report, `.ok` if every element passes.

    An element passes when |mine - theirs| <= atol + rtol * |theirs|; equal infinities and
    NaN against NaN agree, so NaN and inf must stand in the same places (with the same sign).

    scale: if given, the absolute part also grows with the size of the values, to
    atol + rtol * max(scale, largest finite |theirs|). For a value that comes out of a
    cancellation between larger terms (a gradient p - 1 of a confident prediction, a sum of
    +-1 terms), whose rounding error is that of the terms, not its own: `scale` is the size
    of those terms (1 for inputs of order 1).
    """
    mine, theirs = np.asarray(mine, np.float64), np.asarray(theirs, np.float64)
    if mine.shape != theirs.shape:
        return Difference(name, np.inf, np.inf, None, np.nan, np.nan, False,
                          f"shape {mine.shape} in minigrad, {theirs.shape} in torch")
    if mine.size == 0:
        return Difference(name, 0.0, 0.0, None, np.nan, np.nan, True)
    if scale is not None:
        finite = np.abs(theirs[np.isfinite(theirs)])
        atol = atol + rtol * max(scale, float(finite.max()) if finite.size else 0.0)
    same = (mine == theirs) | (np.isnan(mine) & np.isnan(theirs))   # equal infinities and NaNs agree
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):   # inf - inf, 0 / 0: decided by `same`
        abs_diff = np.where(same, 0.0, np.abs(mine - theirs))
        rel_diff = np.where(same, 0.0, abs_diff / np.abs(theirs))
        excess = abs_diff - (atol + rtol * np.abs(theirs))         # > 0: outside the tolerance
    excess = np.where(same, -np.inf, np.where(np.isnan(excess), np.inf, excess))   # NaN there: one side's NaN
    worst = np.unravel_index(np.argmax(excess), mine.shape)
    misplaced = ~same & ~(np.isfinite(mine) & np.isfinite(theirs))
    return Difference(name, float(abs_diff.max()), float(np.nan_to_num(rel_diff, nan=np.inf, posinf=np.inf).max()),
                      tuple(int(i) for i in worst), float(mine[worst]), float(theirs[worst]),
                      bool(excess.max() <= 0), "NaN or inf in different places" if misplaced.any() else "")


def _tolerances(dtype, atol, rtol):
    default_atol, default_rtol = DEFAULT_TOLERANCES.get(np.dtype(dtype), (1e-9, 1e-7))
    return (default_atol if atol is None else atol), (default_rtol if rtol is None else rtol)


def _input_names(fn, n):
    """The names of fn's parameters after `lib` (for the report), else 'input 0', 'input 1', ..."""
    try:
        params = list(inspect.signature(fn).parameters.values())[1:]
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [names[i] if i < len(names) else f"input {i}" for i in range(n)]


# ---- one function, both frameworks --------------------------------------------------------------
def compare_with_torch(fn, *arrays, requires_grad=None, dtype=np.float64, atol=None, rtol=None,
                       grad_output_seed=0, torch_fn=None, order=1):
    """Run `fn(lib, *tensors)` in minigrad and in torch on the same inputs; compare everything.

    arrays: numpy arrays (or numbers / nested lists). Floating ones become tensors of `dtype`
        and require grad; integer ones (class indices) stay int64 and need no gradient.
    requires_grad: a list of bools, one per array, to override that choice.
    fn: called as fn(minigrad, *minigrad_tensors) and fn(torch, *torch_tensors); it must return
        one tensor. `torch_fn`, if given, is used for torch instead (for the few minigrad
        functions that torch spells differently, such as minigrad's hinge_loss).
    atol, rtol: the tolerance |minigrad - torch| <= atol + rtol * |torch|; None picks the
        default of `dtype` (DEFAULT_TOLERANCES).
    grad_output_seed: seeds the random upstream gradient used when the output has more than
        one element (the same array is passed to both backward passes).
    order: 1 compares the value and the gradients; 2 also compares second derivatives, as
        Hessian-vector products (one row "hvp of NAME" per input that requires grad): with
        s = sum(upstream * output) (the output itself for a one-element output), g = ds/dx
        computed with create_graph=True in each framework, and a seeded random v per input,

            hvp_x = d <g, v> / dx = sum_y (d^2 s / dx dy) v_y      (v^T H: H v, H being symmetric)

        summed over every input y that requires grad (the mixed derivatives are in it too).

    Returns a ComparisonReport: print it for a table; `.ok` is True when everything agrees.
    """
    torch = import_torch()
    dtype = np.dtype(dtype)
    atol, rtol = _tolerances(dtype, atol, rtol)
    arrays = [np.asarray(a) for a in arrays]
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a.astype(np.int64) if a.dtype.kind in "iub" else a
              for a in arrays]
    if requires_grad is None:
        requires_grad = [a.dtype.kind == "f" for a in arrays]
    if len(requires_grad) != len(arrays):
        raise ValueError(f"requires_grad has {len(requires_grad)} entries for {len(arrays)} arrays")
    names = _input_names(fn, len(arrays))

    mine = [minigrad.tensor(a.copy(), requires_grad=bool(r)) for a, r in zip(arrays, requires_grad)]
    theirs = [torch.tensor(a.copy(), requires_grad=bool(r)) for a, r in zip(arrays, requires_grad)]
    out_mine = fn(minigrad, *mine)
    out_theirs = (torch_fn or fn)(torch, *theirs)

    rows = [difference("output", out_mine.data, out_theirs.detach().numpy(), atol, rtol)]
    comparable = out_mine.dtype == dtype and out_mine.shape == tuple(out_theirs.shape)
    if out_mine.dtype != dtype:
        rows[0].ok, rows[0].note = False, f"minigrad's output has dtype {out_mine.dtype}, not {dtype}"
    if any(requires_grad) and out_mine.requires_grad and comparable:
        if out_mine.data.size == 1 and out_mine.ndim == 0:
            out_mine.backward()                               # a loss: d loss / d loss = 1
            out_theirs.backward()
        else:
            upstream = np.random.default_rng(grad_output_seed).uniform(-1, 1, out_mine.shape).astype(dtype)
            out_mine.backward(minigrad.tensor(upstream))
            out_theirs.backward(torch.tensor(upstream))
        for name, a, m, t, r in zip(names, arrays, mine, theirs, requires_grad):
            if not r:
                continue
            # An input the output does not depend on has no gradient: that means zeros.
            grad_mine = m.grad.data if m.grad is not None else np.zeros(a.shape)
            grad_theirs = t.grad.numpy() if t.grad is not None else np.zeros(a.shape)
            rows.append(difference(f"grad of {name}", grad_mine, grad_theirs, atol, rtol))
    if order not in (1, 2):
        raise ValueError(f"compare_with_torch: order must be 1 or 2, got {order!r}")
    if order == 2 and any(requires_grad) and out_mine.requires_grad and comparable:
        upstream = (None if out_mine.data.size == 1 and out_mine.ndim == 0    # the same upstream as above
                    else np.random.default_rng(grad_output_seed).uniform(-1, 1, out_mine.shape).astype(dtype))
        vectors = [np.random.default_rng([grad_output_seed, i]).uniform(-1, 1, a.shape).astype(dtype)
                   for i, a in enumerate(arrays)]
        mine_hvp = hessian_vector_products(minigrad, fn, arrays, requires_grad, upstream, vectors)
        theirs_hvp = hessian_vector_products(torch, torch_fn or fn, arrays, requires_grad, upstream, vectors)
        wanted = [name for name, r in zip(names, requires_grad) if r]
        for name, m, t in zip(wanted, mine_hvp, theirs_hvp):
            rows.append(difference(f"hvp of {name}", m, t, atol, rtol))
    return ComparisonReport(rows, dtype, atol, rtol)


def hessian_vector_products(lib, fn, arrays, requires_grad, upstream, vectors):
    """v^T H of s = sum(upstream * fn(lib, *tensors)) (s = the output when upstream is None),
    by differentiating twice with lib.autograd.grad: g = ds/dx with create_graph=True, then
    d <g, v> / dx. One array per input that requires grad (zeros where s does not depend on
    it, or where its gradient is a constant); `vectors` holds one v per array."""
    tensors = [lib.tensor(a.copy(), requires_grad=bool(r)) for a, r in zip(arrays, requires_grad)]
    wanted = [(t, v) for t, v, r in zip(tensors, vectors, requires_grad) if r]
    out = fn(lib, *tensors)
    seed = None if upstream is None else lib.tensor(upstream)
    grads = lib.autograd.grad(out, [t for t, _ in wanted], grad_outputs=seed, create_graph=True, allow_unused=True)
    # A gradient that does not depend on the inputs (a linear op) has no second derivative.
    pairs = [(g, lib.tensor(v)) for g, (_, v) in zip(grads, wanted) if g is not None and g.requires_grad]
    if not pairs:
        return [np.zeros(t.shape) for t, _ in wanted]
    products = lib.autograd.grad([g for g, _ in pairs], [t for t, _ in wanted], grad_outputs=[v for _, v in pairs],
                                 allow_unused=True)
    return [np.zeros(tuple(t.shape)) if p is None else _numpy(p) for p, (t, _) in zip(products, wanted)]


def _numpy(tensor):
    """A tensor's values as a numpy array; torch's second derivatives can be ZeroTensors
    (abs: d sign(x)/dx), which convert only with force=True."""
    zero = getattr(tensor, "_is_zerotensor", None)
    return tensor.detach().numpy(force=True) if zero is not None and zero() else tensor.detach().numpy()


# ---- models ---------------------------------------------------------------------------------------
def _torch_layer(torch, layer, where):
    """The torch.nn module equivalent to one minigrad layer (weights not yet copied)."""
    tnn = torch.nn
    if isinstance(layer, nn.Linear):
        return tnn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None,
                          dtype=getattr(torch, str(layer.weight.dtype)))
    if isinstance(layer, nn.Sequential):
        return tnn.Sequential(*(_torch_layer(torch, child, f"{where}.{i}" if where else str(i)) for i, child in enumerate(layer)))
    simple = {nn.ReLU: tnn.ReLU, nn.Sigmoid: tnn.Sigmoid, nn.Tanh: tnn.Tanh, nn.Identity: tnn.Identity}
    if type(layer) in simple:
        return simple[type(layer)]()
    if isinstance(layer, (nn.Softmax, nn.LogSoftmax)):
        return getattr(tnn, type(layer).__name__)(dim=layer.dim)
    if isinstance(layer, nn.Flatten):
        return tnn.Flatten(layer.start_dim, layer.end_dim)
    dtype = getattr(torch, _float_dtype_of(layer))
    translated = None
    if isinstance(layer, nn.BatchNorm1d):
        translated = tnn.BatchNorm1d(layer.num_features, eps=layer.eps, momentum=layer.momentum,
                                     affine=layer.affine, track_running_stats=layer.track_running_stats,
                                     bias=getattr(layer, "bias", None) is not None or not layer.affine, dtype=dtype)
    elif isinstance(layer, nn.LayerNorm):
        translated = tnn.LayerNorm(layer.normalized_shape, eps=layer.eps, elementwise_affine=layer.elementwise_affine,
                                   bias=getattr(layer, "bias", None) is not None or not layer.elementwise_affine,
                                   dtype=dtype)
    elif isinstance(layer, nn.Embedding):
        translated = tnn.Embedding(layer.num_embeddings, layer.embedding_dim, padding_idx=layer.padding_idx,
                                   max_norm=layer.max_norm, norm_type=layer.norm_type,
                                   scale_grad_by_freq=layer.scale_grad_by_freq, dtype=dtype)
    elif isinstance(layer, nn.Dropout):
        translated = tnn.Dropout(layer.p)
    elif isinstance(layer, nn.LeakyReLU):
        translated = tnn.LeakyReLU(layer.negative_slope)
    elif isinstance(layer, nn.GELU):
        translated = tnn.GELU(approximate=layer.approximate)
    elif isinstance(layer, nn.Softplus):
        translated = tnn.Softplus(beta=layer.beta, threshold=layer.threshold)
    if translated is not None:
        return translated.train(layer.training)
    raise TypeError(f"to_torch: layer {where or '(the model)'} is a {type(layer).__name__}, which has no torch "
                    "translation; supported layers: Linear, ReLU, Sigmoid, Tanh, Softmax, LogSoftmax, "
                    "Flatten, Identity, BatchNorm1d, LayerNorm, Embedding, Dropout, LeakyReLU, GELU, Softplus "
                    "(inside Sequential)")


def _float_dtype_of(layer):
    """The float dtype of a layer's parameters or buffers ('float32' when it has none)."""
    for tensor in list(layer.parameters()) + list(layer.buffers()):
        if tensor.dtype.kind == "f":
            return str(tensor.dtype)
    return "float32"


def to_torch(model):
    """The same model in torch: a torch.nn.Sequential with minigrad's weights loaded.

    `model` is a minigrad Sequential of Linear, ReLU, Sigmoid, Tanh, Softmax, LogSoftmax,
    Flatten, Identity, BatchNorm1d, LayerNorm, Embedding, Dropout, LeakyReLU, GELU and
    Softplus (a single such layer works too), in the same train/eval mode. The names in state_dict() are
    PyTorch's ('0.weight', '0.bias', ...), so the weights go in with load_state_dict.
    """
    torch = import_torch()
    if not isinstance(model, nn.Module):
        raise TypeError(f"to_torch: expected a minigrad.nn.Module, got {type(model).__name__}")
    layer = _torch_layer(torch, model, "")
    state = {key: torch.tensor(value) for key, value in model.state_dict().items()}
    layer.load_state_dict(state, strict=True)
    return layer.train(model.training)


# Each loss module's hyperparameters, by the attribute names minigrad and torch share.
_LOSS_OPTIONS = {
    "MSELoss": (), "L1Loss": (), "HuberLoss": ("delta",), "SmoothL1Loss": ("beta",),
    "BCELoss": ("weight",), "BCEWithLogitsLoss": ("weight", "pos_weight"),
    "CrossEntropyLoss": ("weight", "ignore_index", "label_smoothing"),
    "NLLLoss": ("weight", "ignore_index"), "MultiMarginLoss": ("p", "margin", "weight"),
    "KLDivLoss": ("log_target",),
}


def _torch_loss(torch, loss_fn, dtype):
    """A torch loss module with the same class and options as minigrad's `loss_fn`
    (a weight becomes a torch tensor of the model's dtype, as minigrad casts it)."""
    name = type(loss_fn).__name__
    if name not in _LOSS_OPTIONS:
        raise TypeError(f"compare_model_with_torch: {name} has no torch equivalent; pass a function "
                        "loss_fn(lib, output, target) written with lib.nn.functional instead")
    options = {"reduction": loss_fn.reduction}
    for option in _LOSS_OPTIONS[name]:
        value = getattr(loss_fn, option)
        options[option] = torch.tensor(value.data.astype(dtype)) if isinstance(value, Tensor) else value
    return getattr(torch.nn, name)(**options)


def compare_model_with_torch(model, loss_fn, X, y, atol=None, rtol=None):
    """Run model, loss and backward in minigrad and in torch; compare loss and every gradient.

    model: a minigrad Sequential (see to_torch); torch gets a copy with the same weights.
    loss_fn: a minigrad loss module (nn.MSELoss(), nn.CrossEntropyLoss(label_smoothing=0.1), ...),
        rebuilt in torch with the same options; or a function loss_fn(lib, output, target).
    X, y: numpy arrays. X takes the model's dtype; y too when floating (integer y are class
        indices).

    Returns a ComparisonReport with one row for the output, one for the loss and one per
    parameter gradient, named as in state_dict ('grad of 0.weight', ...). The model's own
    .grad fields are left as they were.
    """
    torch = import_torch()
    params = list(model.named_parameters())
    dtype = np.dtype(params[0][1].dtype) if params else np.dtype(np.float32)
    atol, rtol = _tolerances(dtype, atol, rtol)
    X = np.asarray(X, dtype)
    y = np.asarray(y)
    y = y.astype(dtype) if y.dtype.kind == "f" else y.astype(np.int64)
    torch_model = to_torch(model)
    if isinstance(loss_fn, nn.Module):
        torch_loss_fn, mine_loss_fn = _torch_loss(torch, loss_fn, dtype), loss_fn
    else:
        torch_loss_fn = lambda out, target: loss_fn(torch, out, target)          # noqa: E731
        mine_loss_fn = lambda out, target: loss_fn(minigrad, out, target)       # noqa: E731

    saved = {name: p.grad for name, p in params}
    for _, p in params:
        p.grad = None
    try:
        out_mine = model(minigrad.tensor(X))
        loss_mine = mine_loss_fn(out_mine, minigrad.tensor(y))
        loss_mine.backward()
        grads = {name: p.grad.data.copy() if p.grad is not None else np.zeros(p.shape) for name, p in params}
    finally:
        for name, p in params:
            p.grad = saved[name]
    out_theirs = torch_model(torch.tensor(X))
    loss_theirs = torch_loss_fn(out_theirs, torch.tensor(y))
    loss_theirs.backward()

    rows = [difference("output", out_mine.data, out_theirs.detach().numpy(), atol, rtol),
            difference("loss", loss_mine.data, loss_theirs.detach().numpy(), atol, rtol)]
    for name, p in torch_model.named_parameters():
        theirs = p.grad.numpy() if p.grad is not None else np.zeros(tuple(p.shape))
        rows.append(difference(f"grad of {name}", grads[name], theirs, atol, rtol))
    return ComparisonReport(rows, dtype, atol, rtol, title=f"{type(model).__name__} + {type(loss_fn).__name__}: "
                                                            "minigrad vs torch")
