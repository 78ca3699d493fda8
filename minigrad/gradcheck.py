"""gradcheck: compare backward() with central finite differences, in float64.

For every input element x_j the numeric derivative of each output element y_i is

    dy_i/dx_j ~ (y_i(x + eps e_j) - y_i(x - eps e_j)) / (2 eps)

with an error of order eps^2; the analytic one comes from one backward() per output
element (a row of the Jacobian at a time). They must agree to
|analytic - numeric| <= atol + rtol * |numeric| everywhere, as in
torch.autograd.gradcheck. Inputs are copied to float64 first: in float32 the rounding
error of the difference quotient (~1e-7 / eps) would swamp the comparison.
"""
import numpy as np

from minigrad.autograd import no_grad
from minigrad.tensor import Tensor


class GradcheckError(AssertionError):
    """backward() and the finite differences disagree."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """True if `fn`'s gradients match finite differences; raises GradcheckError otherwise.

    `fn(*inputs)` must return a Tensor. `inputs` is a Tensor or a sequence of them (and
    other arguments, passed through); only floating-point tensors with requires_grad
    are checked. The error names the input, the element, and both values.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    inputs = tuple(Tensor(x.data.astype(np.float64), requires_grad=x.requires_grad)
                   if isinstance(x, Tensor) and x.dtype.kind == "f" else x for x in inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")

    def evaluate():
        out = fn(*inputs)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
        return out

    with no_grad():
        n_out = evaluate().data.size
    numeric = {i: np.zeros((n_out, inputs[i].data.size)) for i in checked}
    for i in checked:
        flat = inputs[i].data.reshape(-1)  # a view: perturbing it perturbs the input
        for j in range(flat.size):
            original = flat[j]
            with no_grad():
                flat[j] = original + eps
                plus = evaluate().data.astype(np.float64).reshape(-1)
                flat[j] = original - eps
                minus = evaluate().data.astype(np.float64).reshape(-1)
            flat[j] = original
            numeric[i][:, j] = (plus - minus) / (2 * eps)

    analytic = {i: np.zeros_like(numeric[i]) for i in checked}
    for row in range(n_out):  # one backward per output element: row `row` of each Jacobian
        for i in checked:
            inputs[i].grad = None
        out = evaluate()
        if not out.requires_grad:
            continue  # the output does not depend on any checked input: analytic rows stay 0
        seed = np.zeros(out.data.size)
        seed[row] = 1.0
        out.backward(seed.reshape(out.shape))
        for i in checked:
            if inputs[i].grad is not None:
                analytic[i][row] = inputs[i].grad.data.reshape(-1)

    for i in checked:
        error = np.abs(analytic[i] - numeric[i]) - (atol + rtol * np.abs(numeric[i]))
        if error.size and (np.nanmax(error) > 0 or np.isnan(error).any()):
            out_index, in_index = np.unravel_index(np.nanargmax(np.where(np.isnan(error), np.inf, error)),
                                                   error.shape)
            raise GradcheckError(
                f"gradcheck: input {i} (shape {inputs[i].shape}), element "
                f"{tuple(int(k) for k in np.unravel_index(in_index, inputs[i].shape))}, output element {int(out_index)}: "
                f"analytic {float(analytic[i][out_index, in_index])!r} vs numeric "
                f"{float(numeric[i][out_index, in_index])!r} "
                f"(allowed |difference| <= {atol} + {rtol} * |numeric|)")
    return True
