"""minigrad.autograd.functional: Jacobians, Hessians and their products with a vector, as
torch.autograd.functional (torch 2.13.0: same functions, arguments, results and errors).

Each is a few calls of the engine's `grad` (autograd.py), read in this order:

    vjp(f, x, v)   = v^T J           one backward pass, seeded with v
    jacobian(f, x) = J               one backward pass per output element (seeded with e_k)
    hessian(f, x)  = H = d(grad f)   the jacobian of the gradient, computed with create_graph=True
    vhp(f, x, v)   = v^T H           the gradient of f, then a backward pass of it seeded with v
    hvp(f, x, v)   = H v             the double-backward trick (below); = vhp when H is symmetric
    jvp(f, x, v)   = J v             the double-backward trick

for f: R^n -> R^m at x, J[k, j] = d f_k / d x_j (shape: output shape + input shape), and for
a scalar f, H[i, j] = d^2 f / dx_i dx_j.

The double-backward trick (what torch does; minigrad has no forward mode either): a backward
pass computes g(u) = J^T u for any u, and g is linear in u, so its own Jacobian with respect
to u is J^T, whose vector-Jacobian product with v is (J^T)^T v = J v. So: make u a tensor
that requires grad (its value does not matter: zeros), compute g(u) with create_graph=True,
and differentiate g with respect to u, seeded with v.

`inputs` is a Tensor or a tuple of Tensors (a list is not a tuple, as in torch); the results
keep that structure (a tuple of tuples for a tuple of outputs and a tuple of inputs). The
function is called on new tensors (detached copies, or views when create_graph=True) so that
tensors the function captures itself are not confused with its arguments.

Options, as in torch:
- create_graph: the results have a graph of their own (differentiable again); without it
  they are detached.
- strict: raise when an output does not depend on an input (the mathematical answer, zeros,
  is returned otherwise), or, with create_graph, when a result is cut from the inputs.
- vectorize (jacobian, hessian) and strategy / outer_jacobian_strategy: torch computes the
  same numbers with vmap or forward mode; minigrad accepts them and always computes with
  one backward pass per row (reverse mode), raising torch's errors for the combinations
  torch refuses.

This module stands on the engine and the Tensor; it is reached as
minigrad.autograd.functional (the name torch gives it).
"""
import contextlib

import numpy as np

from minigrad.autograd import enable_grad, grad, is_grad_enabled, set_grad_enabled
from minigrad.function_forms import stack
from minigrad.tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# ---- the shape of the arguments and results ------------------------------------------------------
def _as_tuple(value, arg_name, fn_name):
    """(whether `value` was a tuple, `value` as a tuple of Tensors), with torch's TypeError."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for i, element in enumerate(values):
        if not isinstance(element, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"{where} has type {type(element)}.")
    return is_tuple, values


def _unpack(result, was_tuple):
    """Undo _as_tuple on a result: `was_tuple` a bool, or (outputs were, inputs were) for a
    nested result (result[i][j]: output i, input j)."""
    if isinstance(was_tuple, tuple):
        outputs_were, inputs_were = was_tuple
        if not inputs_were:
            result = tuple(row[0] for row in result)
        return result if outputs_were else result[0]
    return result if was_tuple else result[0]


def _fresh_inputs(inputs, create_graph, need_graph):
    """New tensors for the function to run on: a view of an input that requires grad when the
    result must reach it (create_graph), else a detached copy that requires grad when this
    module differentiates with respect to it (need_graph)."""
    return tuple(x.view(x.shape) if create_graph and x.requires_grad else x.detach().requires_grad_(need_graph)
                 for x in inputs)


def _finish(results, create_graph):
    """Results without their graph unless the caller asked for one (nested tuples too)."""
    if results and isinstance(results[0], tuple):
        return tuple(_finish(row, create_graph) for row in results)
    return results if create_graph else tuple(r.detach() for r in results)


def _check_v(v, others, others_were_tuple):
    """v must hold one tensor of the same shape per tensor of `others` (torch's messages)."""
    if len(v) != len(others):
        if others_were_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(others)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, others)):
        if a.shape != b.shape:
            prefix = f"Entry {i} in " if others_were_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {_size(b)} but got {_size(a)}.")


def _size(tensor):
    return str(tuple(tensor.shape))  # (torch prints torch.Size([3]) where minigrad's shapes are tuples)


def _check_requires_grad(tensors, kind, strict):
    """strict=True: every one of `tensors` must depend on the inputs (torch's messages)."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:  # (only gradients can be missing)
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}. "
                               "This is not allowed in strict mode.")
        if t.requires_grad:
            continue
        if kind == "hessian":
            raise RuntimeError(f"The hessian of the user-provided function with respect to input {i} is independent "
                               "of the input. This is not allowed in strict mode. You should ensure that your "
                               "function is thrice differentiable and that the hessian depends on the inputs.")
        if kind == "jacobian":
            raise RuntimeError("While computing the hessian, found that the jacobian of the user-provided function "
                               f"with respect to input {i} is independent of the input. This is not allowed in strict "
                               "mode. You should ensure that your function is twice differentiable and that the "
                               "jacobian depends on the inputs (this would be violated by a linear function for "
                               "example).")
        if kind == "grad_inputs":
            raise RuntimeError(f"The gradient with respect to input {i} is independent of the inputs of the "
                               "user-provided function. This is not allowed in strict mode.")
        raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. The outputs must "
                           "be computed in a differentiable manner from the input when running in strict mode.")


_ZERO_REASONS = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict "
            "mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
                  "using the double backward trick to compute forward mode gradients. This is not allowed in "
                  "strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed "
                   "in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
                         "grad_jacobian. This is not allowed in strict mode as it prevents from using the double "
                         "backward trick to replace forward mode AD.",
}


def _zeros_for_missing(grads, like, strict, create_graph, stage):
    """A missing gradient (the output does not depend on that input) is zeros of `like[i]`'s
    shape, or an error under strict (also, with create_graph, for a result cut from the graph)."""
    filled = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_REASONS[stage].format(i=i))
            g = Tensor(np.zeros(like[i].shape, like[i].dtype))
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is not "
                               "allowed in strict mode when create_graph=True.")
        filled.append(g)
    return tuple(filled)


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad that skips outputs that do not require grad, and gives None for an input
    nothing depends on (None for every input when no output requires grad)."""
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else grad_outputs
    kept = [(out, g) for out, g in zip(outputs, grad_outputs) if out is not None and out.requires_grad]
    if not kept:
        return (None,) * len(inputs)
    return grad([out for out, _ in kept], list(inputs), [g for _, g in kept], retain_graph=retain_graph,
                create_graph=create_graph, allow_unused=True)


def _call(func, inputs, fn_name, strict):
    """func(*inputs), its outputs as a tuple of Tensors, checked as torch checks them."""
    outputs = func(*inputs)
    outputs_were_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    return outputs_were_tuple, outputs


def _vector(v, like, like_were_tuple, fn_name, create_graph, none_message):
    """The vector of a product: checked against `like` (one tensor per tensor, same shapes);
    None is allowed only where `like` is one tensor of one element (then v = 1)."""
    if v is None:
        if len(like) != 1 or like[0].data.size != 1:
            raise RuntimeError(none_message)
        return None
    _, v = _as_tuple(v, "v", fn_name)
    v = _fresh_inputs(v, create_graph, need_graph=False)
    _check_v(v, like, like_were_tuple)
    return v


_V_FOR_ONE_INPUT = ("The vector v can only be None if the input to the user-provided function is a single Tensor "
                    "with a single element.")


def _scalar_output(outputs, outputs_were_tuple, fn_name):
    if outputs_were_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].data.size != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")


# ---- the products --------------------------------------------------------------------------------
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(*inputs), v^T J): the vector-Jacobian product, one backward pass seeded with v.

        vjp_j = sum_k v_k d f_k / d x_j        (the shape of each input)

    v has the shape of the output (one tensor per output for a tuple of outputs); it may be
    None for an output of one element (then v = 1 and vjp is the gradient). Returns the
    outputs and the products, each a Tensor or a tuple as `func`'s outputs and `inputs` are.
    """
    with enable_grad():
        inputs_were_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _fresh_inputs(inputs, create_graph, need_graph=True)
        outputs_were_tuple, outputs = _call(func, inputs, "vjp", strict)
        v = _vector(v, outputs, outputs_were_tuple, "vjp", create_graph,
                    "The vector v can only be None if the user-provided function returns a single Tensor with a "
                    "single element.")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        products = _grad(outputs, inputs, v, create_graph=create_graph)
        products = _zeros_for_missing(products, inputs, strict, create_graph, "back")
    return (_unpack(_finish(outputs, create_graph), outputs_were_tuple),
            _unpack(_finish(products, create_graph), inputs_were_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(*inputs), J v): the Jacobian-vector product, by the double-backward trick.

        jvp_k = sum_j d f_k / d x_j v_j        (the shape of each output)

    g(u) = J^T u is one backward pass with a seed u that requires grad (zeros: its value does
    not matter, g is linear in u); the vector-Jacobian product of g with respect to u, seeded
    with v, is J v (see the module docstring). v has the shape of the inputs; it may be None
    for a single one-element input.
    """
    with enable_grad():
        inputs_were_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _fresh_inputs(inputs, create_graph, need_graph=True)
        v = _vector(v, inputs, inputs_were_tuple, "jvp", create_graph, _V_FOR_ONE_INPUT)
        outputs_were_tuple, outputs = _call(func, inputs, "jvp", strict)
        seeds = tuple(Tensor(np.zeros(out.shape, out.dtype), requires_grad=True) for out in outputs)  # u
        backward_of_seed = _grad(outputs, inputs, seeds, create_graph=True)          # g(u) = J^T u
        _check_requires_grad(backward_of_seed, "grad_inputs", strict)
    with set_grad_enabled(True) if create_graph else contextlib.nullcontext():  # (torch leaves the mode alone)
        products = _grad(backward_of_seed, seeds, v, create_graph=create_graph)     # (d g / d u)^T v = J v
        products = _zeros_for_missing(products, outputs, strict, create_graph, "back_trick")
    return (_unpack(_finish(outputs, create_graph), outputs_were_tuple),
            _unpack(_finish(products, create_graph), outputs_were_tuple))


def _gradient_with_graph(func, inputs, v, name, create_graph, strict):
    """What vhp and hvp start from (under enable_grad): the checked inputs and v, the function's
    one-element output, and its gradient d f / dx computed with a graph."""
    inputs_were_tuple, inputs = _as_tuple(inputs, "inputs", name)
    inputs = _fresh_inputs(inputs, create_graph, need_graph=True)
    v = _vector(v, inputs, inputs_were_tuple, name, create_graph, _V_FOR_ONE_INPUT)
    outputs_were_tuple, outputs = _call(func, inputs, name, strict)
    _scalar_output(outputs, outputs_were_tuple, name)
    gradient = _grad(outputs, inputs, create_graph=True)
    _check_requires_grad(gradient, "jacobian", strict)
    return inputs_were_tuple, inputs, v, outputs_were_tuple, outputs, gradient


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(*inputs), v^T H) for a function with a one-element output: the gradient computed
    with create_graph=True, then one backward pass of it seeded with v.

        vhp_j = sum_i v_i d^2 f / dx_i dx_j    (the shape of each input)

    v has the shape of the inputs; it may be None for a single one-element input.
    """
    with enable_grad():
        inputs_were_tuple, inputs, v, outputs_were_tuple, outputs, gradient = _gradient_with_graph(
            func, inputs, v, "vhp", create_graph, strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        products = _grad(gradient, inputs, v, create_graph=create_graph)           # v^T H
        products = _zeros_for_missing(products, inputs, strict, create_graph, "double_back")
    return (_unpack(_finish(outputs, create_graph), outputs_were_tuple),
            _unpack(_finish(products, create_graph), inputs_were_tuple))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(*inputs), H v) for a function with a one-element output, by the double-backward
    trick applied to the gradient:

        hvp_i = sum_j d^2 f / dx_i dx_j v_j    (the shape of each input)

    g(u) = H^T u is a backward pass of the gradient seeded with u (requires grad, zeros);
    differentiating g with respect to u, seeded with v, gives H v. For a twice continuously
    differentiable f, H is symmetric and hvp = vhp, which is one pass cheaper. v has the shape
    of the inputs; it may be None for a single one-element input.
    """
    with enable_grad():
        inputs_were_tuple, inputs, v, outputs_were_tuple, outputs, gradient = _gradient_with_graph(
            func, inputs, v, "hvp", create_graph, strict)
        seeds = tuple(Tensor(np.zeros(x.shape, x.dtype), requires_grad=True) for x in inputs)    # u
        backward_of_seed = _grad(gradient, inputs, seeds, create_graph=True)                     # H^T u
        _check_requires_grad(gradient, "hessian", strict)  # (torch checks the gradient again here)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        products = _grad(backward_of_seed, seeds, v, create_graph=create_graph)               # H v
        products = _zeros_for_missing(products, inputs, strict, create_graph, "double_back_trick")
    return (_unpack(_finish(outputs, create_graph), outputs_were_tuple),
            _unpack(_finish(products, create_graph), inputs_were_tuple))


# ---- the matrices ------------------------------------------------------------------------------
def _check_strategy(strategy, vectorize, strict, create_graph, name="strategy"):
    """torch's errors for the strategies it refuses; otherwise nothing (minigrad's reverse mode
    gives the numbers torch's vmap and forward mode give)."""
    if strategy not in ("forward-mode", "reverse-mode"):
        if name == "strategy":
            raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                                 'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                                 'Otherwise, prefer to use "reverse-mode".')
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` and '
                                      '`strategy="forward-mode"` are not supported together (yet). Please either '
                                      'set `create_graph=False` or `strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` '
                               'are not supported together (yet). Please either set `strict=False` or '
                               '`strategy="reverse-mode"`.')
        if not vectorize:
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian "
                                      "isonly implemented for `vectorize=True`.")  # (sic: torch's message)
    elif vectorize and strict:
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                           "supported together. Please either set `strict=False` or `vectorize=False`.")


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of func at inputs, one backward pass per output element:

        J[k..., j...] = d f_k / d x_j          shape: output shape + input shape

    Row k is the gradient of output element k: a backward pass seeded with e_k (1 at k,
    0 elsewhere), which is torch's one grad() of out.reshape(-1)[k] without the indexing op.
    For a tuple of outputs and a tuple of inputs, result[i][j] is d output_i / d input_j.
    `vectorize` and `strategy="forward-mode"` (which needs vectorize, as in torch) give the
    same numbers in torch and are accepted; minigrad always runs the reverse-mode rows.
    """
    _check_strategy(strategy, vectorize, strict, create_graph)
    with enable_grad():
        inputs_were_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _fresh_inputs(inputs, create_graph, need_graph=True)
        outputs_were_tuple, outputs = _call(func, inputs, "jacobian", strict)
        matrix = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]  # rows[j]: d out[k] / d input j, for each element k
            for k in range(out.data.size):
                seed = np.zeros(out.data.size, out.dtype)
                seed[k] = 1
                row = _grad((out,), inputs, (Tensor(seed.reshape(out.shape)),), create_graph=create_graph,
                            retain_graph=True)
                for j, (g, x) in enumerate(zip(row, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is independent of input "
                                               f"{j}. This is not allowed in strict mode.")
                        g = Tensor(np.zeros(x.shape, x.dtype))
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. "
                                           "This is not allowed in strict mode when create_graph=True.")  # (sic: i)
                    rows[j].append(g)
            matrix.append(tuple(_stack_rows(r, out, x) for r, x in zip(rows, inputs)))
        matrix = _finish(tuple(matrix), create_graph)
    return _unpack(matrix, (outputs_were_tuple, inputs_were_tuple))


def _stack_rows(rows, out, x):
    """The rows d out[k] / d x, one per output element, as one tensor of shape out + x."""
    if not rows:  # an output with no elements
        return Tensor(np.zeros(out.shape + x.shape, x.dtype))
    return stack(rows, dim=0).reshape(out.shape + x.shape)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a function with a one-element output: the Jacobian of its gradient.

        H[i..., j...] = d^2 f / dx_i dx_j      shape: input shape + input shape

    The inner Jacobian (the gradient) is computed with create_graph=True, so that the outer
    one can differentiate it. For a tuple of inputs, result[a][b] holds the block
    d^2 f / d input_a d input_b (shape: input_a + input_b). `vectorize` and
    outer_jacobian_strategy="forward-mode" are accepted as in jacobian (same numbers).
    """
    inputs_were_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        _check_strategy(outer_jacobian_strategy, vectorize, strict, create_graph, name="outer_jacobian_strategy")

    def scalar_func(*xs):
        out = func(*xs)
        out_was_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "outputs", strict)
        if out_was_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.data.size != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single element")
        return out.squeeze()

    def gradient_func(*xs):
        if outer_jacobian_strategy == "forward-mode":
            xs = tuple(x.requires_grad_(True) for x in xs)
        gradient = jacobian(scalar_func, xs, create_graph=True)
        _check_requires_grad(gradient if isinstance(gradient, tuple) else (gradient,), "jacobian", strict)
        return gradient

    matrix = jacobian(gradient_func, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                      strategy=outer_jacobian_strategy)
    return _unpack(matrix, (inputs_were_tuple, inputs_were_tuple))
