"""RMSprop: divide each step by a running size (root mean square) of the gradient."""
import numpy as np

from minigrad.optim.optimizer import Optimizer, _check_non_negative


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture notes, 2012; centered form from Graves, 2013).

    With g_t the gradient of parameter p at step t = 1, 2, ... and v_0 = a_0 = b_0 = 0:

        g_t = -g_t                                     (if maximize: climb instead)
        g_t = g_t + weight_decay * p                   (if weight_decay != 0: L2 penalty)
        v_t = alpha * v_{t-1} + (1 - alpha) * g_t^2    running mean of the squared gradient
        a_t = alpha * a_{t-1} + (1 - alpha) * g_t      (if centered: its running mean)
        s_t = sqrt(v_t - a_t^2) + eps   if centered, else   s_t = sqrt(v_t) + eps
        b_t = momentum * b_{t-1} + g_t / s_t;  p = p - lr * b_t    (if momentum > 0)
        p = p - lr * g_t / s_t                                     (otherwise)

    Like Adam without the first moment and without bias correction: each parameter's step
    is scaled by 1 / (root mean square of its recent gradients), so parameters with small
    gradients move as fast as those with large ones. `centered` divides by an estimate of
    the gradient's standard deviation instead. eps is added after the square root (as in
    torch; TensorFlow adds it inside). The arithmetic follows torch.optim.RMSprop
    (single-tensor CPU path) operation by operation.

    Arguments and defaults are torch's: lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0,
    momentum=0, centered=False, maximize=False (capturable, foreach and differentiable
    only at their defaults, see optimizer.py). One deliberate difference: alpha > 1 is
    rejected (torch accepts it; v_t then turns negative and the parameters NaN).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        _check_non_negative(group["lr"], "lr", "learning rate")
        _check_non_negative(group["eps"], "eps", "epsilon value")
        _check_non_negative(group["momentum"], "momentum")
        _check_non_negative(group["weight_decay"], "weight_decay")
        _check_non_negative(group["alpha"], "alpha")
        if group["alpha"] > 1:
            raise ValueError(f"Invalid alpha value: {group['alpha']} (alpha must be in [0, 1]: it weighs "
                             "the old average against the new squared gradient)")

    def update(self, param, grad, state, group):
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        momentum, weight_decay = group["momentum"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)     # v
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)  # b
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)   # a
        state["step"] += 1

        if group["maximize"]:
            grad = -grad  # a new array: never change the caller's .grad
        if weight_decay != 0:
            grad = grad + weight_decay * param

        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            # a = alpha*a + (1-alpha)*g, as torch's lerp computes it: a + (1-alpha)*(g-a).
            grad_avg += (1 - alpha) * (grad - grad_avg)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += eps

        if momentum > 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:  # momentum switched on after the first step (e.g. by OneCycleLR)
                buffer = state["momentum_buffer"] = np.zeros_like(param)
            buffer *= momentum
            buffer += grad / avg
            param -= lr * buffer
        else:
            param -= lr * (grad / avg)
