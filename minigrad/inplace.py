"""In-place changes: `x.add_(y)`, `x += y`, `x.zero_()`, an optimizer step.

They write into the tensor's memory, which other tensors may share (its views) and ops may
have saved for their backward. As in torch, two rules make that safe:

1. Every change bumps the memory's version counter (autograd.bump_version), and backward
   refuses to use a saved array that changed after the op saved it (autograd._check_saved):

       y = x.exp()            # ExpBackward saves y: dy/dx = y
       with no_grad():
           y += 1             # y is now at version 1
       y.sum().backward()     # RuntimeError: ... is at version 1; expected version 0 instead

2. A change of a tensor that is part of a graph is recorded in the graph. `y.mul_(w)` computes
   y * w as an op whose input is y *as it was* (a new Tensor object standing for the old y,
   with y's old history), then writes the result into y's memory and gives y that op as its
   new history. Ops that used y before the change still hold the same Tensor object, so the
   change leaves the old y behind as `y._past`, and backward sends their gradients there
   (autograd.inputs_of). A change through a view (`y[0:2].mul_(w)`) is recorded on the
   tensor it views, as torch records it: y <- CopySlices(y, y[0:2] * w), and the view is
   taken again from the new y.

On a leaf that requires grad an in-place change is refused while the graph is recorded (the
leaf's value is what its gradient is about): change it under `no_grad()`, as optimizers do.
"""
import numpy as np

from minigrad import autograd
from minigrad import hooks
from minigrad.ops import copy


def change(tensor, op, *operands):
    """tensor <- op(tensor, *operands), in place; returns `tensor`.

    `op` is the out-of-place computation written with Tensor ops (e.g. `Tensor.__mul__`);
    autograd records it when the result needs a gradient. An operand that is `tensor` itself
    means its value before the change.
    """
    enabled = autograd.is_grad_enabled()
    if enabled and tensor.requires_grad:
        _refuse_leaf(tensor)
    recording = enabled and (tensor.requires_grad or any(getattr(o, "requires_grad", False) for o in operands))
    if not recording:
        with autograd.no_grad():
            result = op(tensor, *operands)
        _check_result(tensor, result)
        _write(tensor, result)
        autograd.bump_version(tensor)
        return tensor

    base = _base_of_view(tensor)
    if base is not None:
        return _change_view(tensor, base, op, operands)
    before = _former(tensor)
    result = op(before, *[before if o is tensor else o for o in operands])
    _check_result(tensor, result)
    if any(o is tensor for o in operands):
        # y.mul_(y): torch saves the other operand as y itself, which this very change then
        # overwrites, so its backward raises; the op saved the copy: point it at y's memory.
        ctx = result._ctx
        ctx.saved_tensors = tuple(tensor.data if s is before.data else s for s in ctx.saved_tensors)
    if result.dtype != tensor.dtype:
        result = result.to(tensor.dtype)  # (differentiable: the gradient comes back in result's dtype)
    _write(tensor, result)
    time = autograd.bump_version(tensor)
    tensor._ctx, tensor.requires_grad = result._ctx, True
    tensor._past = (time, before)
    return tensor


def _former(tensor):
    """A new Tensor object standing for `tensor` as it is now, before a change: its history,
    requires_grad, earlier changes (`_past`, always set on such a stand-in), hooks, and a copy
    of its values (the op about to run may save them; the write must not touch them; a
    drawing of the graph shows the values as they were)."""
    before = tensor._wrap(tensor.data.copy())
    before._ctx, before.requires_grad = tensor._ctx, tensor.requires_grad
    earlier = _NO_PAST if tensor._past is None else tensor._past
    # (the change before this one, the tensor before it, and the memory this stand-in's
    # values were in: errors name the op that made that memory, see autograd._owner_of)
    before._past = (earlier[0], earlier[1], tensor.data)
    if tensor._hooks is not None and tensor._hooks.functions:
        # Hooks registered before the change see the gradient of the old value, as in torch;
        # retain_grad stays with the tensor (its .grad is the new value's).
        before._hooks = hooks.TensorHooks()
        before._hooks.functions = tensor._hooks.functions
        tensor._hooks.functions = type(before._hooks.functions)()
    return before


_NO_PAST = (-1, None)  # the `_past` of a stand-in that was never changed before


def _change_view(view, base, op, operands):
    """An in-place change of `view`, a view of `base` (a tensor in the graph), recorded on
    the base as torch records it: base <- CopySlices(base, op(view of base, ...)), and the
    view becomes that view of the new base."""
    chain, t = [], view
    while t is not base:  # the view ops from base to view
        chain.append((type(t._ctx), t._ctx.params))
        t = t._ctx.parents[0]
    chain = tuple(reversed(chain))
    before = _former(base)
    old_view = _replay(before, chain)
    result = op(old_view, *[old_view if o is view else o for o in operands])
    _check_result(view, result)
    if result.dtype != view.dtype:
        result = result.to(view.dtype)
    new_base = copy.CopySlices.apply(before, result, views=chain)
    _write(view, result)  # into the base's memory, through the view
    time = autograd.bump_version(base)
    base._ctx, base.requires_grad, base._past = new_base._ctx, True, (time, before)
    earlier_view = _former(view)
    new_view = _replay(base, chain)  # after the change: its history goes through the new base
    view._ctx, view.requires_grad, view._past = new_view._ctx, True, (time, earlier_view)
    return view


def _replay(tensor, chain):
    """Take the same view of `tensor` again, as recorded ops."""
    for function, params in chain:
        tensor = function.apply(tensor, **params)
    return tensor


def _write(tensor, result):
    """Copy the result's values (checked by _check_result) into the tensor's memory."""
    np.copyto(tensor.data, result.data, casting="same_kind")


def _check_result(tensor, result):
    if result.shape != tensor.shape:
        raise RuntimeError(f"output with shape {list(tensor.shape)} doesn't match the broadcast shape "
                           f"{list(result.shape)}")
    if not np.can_cast(result.dtype, tensor.dtype, "same_kind"):
        raise RuntimeError(f"result type {_scalar_type(result.dtype)} can't be cast to the desired output type "
                           f"{_scalar_type(tensor.dtype)}")


def _scalar_type(dtype):
    """torch's name for a dtype in its messages."""
    return {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
            "bool": "Bool"}.get(np.dtype(dtype).name, str(dtype))


def _refuse_leaf(tensor):
    """torch's errors for changing, while the graph is recorded, a leaf that requires grad
    or a view of one."""
    if tensor._ctx is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    base = _base_of_view(tensor)
    if base is not None and base._ctx is None and base.requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")


def _base_of_view(tensor):
    """The tensor whose memory `tensor` shares through recorded view ops (reshape, permute,
    basic indexing), or None when it is not such a view."""
    base = None
    memory = autograd._memory_of(tensor.data)
    while tensor._ctx is not None and tensor._ctx.view_of_input:
        parent = tensor._ctx.parents[0]
        if autograd._memory_of(parent.data) is not memory:
            break  # (x[[0, 1]]: integer indexing copies)
        base = tensor = parent
    return base


# ---- the ops, as Tensor's methods call them -------------------------------------------------

def fill(tensor, value):
    """tensor.fill_(value): a number, or a 0-d tensor (its gradient is the sum)."""
    if getattr(value, "ndim", 0) != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} "
                           "dimensions.")
    if not hasattr(value, "requires_grad"):  # a number (converted to the tensor's dtype by Fill)
        if not isinstance(value, (bool, int, float, np.number)):
            raise TypeError(f"fill_(): value must be a number or a 0-d tensor, got {type(value).__name__}")
        value = tensor._wrap(np.asarray(value))
    return change(tensor, copy.Fill.apply, value)


def copy_from(tensor, src):
    """tensor.copy_(src): src broadcast to the tensor's shape, converted to its dtype."""
    if not hasattr(src, "requires_grad"):
        raise TypeError(f"copy_(): src must be a Tensor, got {type(src).__name__}")
    _check_broadcast(tensor.shape, src.shape)
    return change(tensor, _copy, src)


def _copy(x, src):
    return copy.Copy.apply(x, src)


def _check_broadcast(shape, src_shape):
    """torch's error when `src_shape` does not broadcast to `shape`."""
    if len(src_shape) > len(shape):
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(src_shape)}")
    for i in range(1, len(src_shape) + 1):
        a, b = shape[-i], src_shape[-i]
        if b != a and b != 1:
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton "
                               f"dimension {len(shape) - i}")
