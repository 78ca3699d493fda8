"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""
import numpy as np

from minigrad.optim.optimizer import Optimizer, _check_non_negative


class SGD(Optimizer):
    """Gradient descent: step against the gradient, optionally remembering past steps.

    With g_t the gradient of parameter p at step t (t = 1, 2, ...):

        g_t = -g_t                                           (if maximize: climb instead)
        g_t = g_t + weight_decay * p                         (if weight_decay != 0: L2 penalty)
        b_1 = g_1                                            (if momentum != 0: the buffer
        b_t = momentum * b_{t-1} + (1 - dampening) * g_t      starts as the gradient itself)
        g_t = g_t + momentum * b_t   if nesterov, else   g_t = b_t
        p   = p - lr * g_t

    Plain SGD (momentum 0) is p = p - lr * g. Momentum lets steps in a consistent
    direction build up speed while steps that change sign cancel; Nesterov looks one
    step ahead along the buffer. The rule is PyTorch's (torch.optim.SGD): weight decay is
    added to the gradient before momentum, and the first step has no dampening.
    `lr` is required (PyTorch defaults to 1e-3): choosing it is the first decision of any
    training. The other arguments and defaults are torch's (foreach, differentiable and
    fused only at their defaults, see optimizer.py).
    """

    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        _check_non_negative(group["lr"], "lr", "learning rate")
        _check_non_negative(group["momentum"], "momentum")
        _check_non_negative(group["weight_decay"], "weight_decay")
        if isinstance(group["dampening"], bool) or not isinstance(group["dampening"], (int, float)):
            raise TypeError(f"dampening must be a number, got {type(group['dampening']).__name__}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening (nesterov=True, "
                             f"momentum={group['momentum']}, dampening={group['dampening']})")

    def update(self, param, grad, state, group):
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        if group["maximize"]:
            grad = -grad  # a new array: never change the caller's .grad
        if weight_decay != 0:
            grad = grad + weight_decay * param  # a new array: never change the caller's .grad
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                # np.array, not grad.copy(): for a 0-d parameter, grad may be a numpy scalar
                # (what arithmetic on 0-d arrays returns), which `*=` below would not change in place.
                buffer = state["momentum_buffer"] = np.array(grad)
            else:
                buffer *= momentum
                buffer += (1 - group["dampening"]) * grad
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        param -= lr * grad
