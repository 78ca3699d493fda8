"""Adam and AdamW: a step size per parameter, from running averages of the gradient."""
import math

import numpy as np

from minigrad.optim.optimizer import Optimizer, _check_non_negative


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): momentum, divided by a running size of the gradient.

    With g_t the gradient of parameter p at step t = 1, 2, ... and m_0 = v_0 = 0:

        g_t = -g_t                                    (if maximize: climb instead)
        g_t = g_t + weight_decay * p                  (if weight_decay != 0: L2 penalty)
        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t     average of the gradient
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2   average of its square
        v_max_t = max(v_max_{t-1}, v_t); use v_max_t in place of v_t   (if amsgrad)
        p = p - lr / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)

    m and v start at 0, so early on they underestimate; dividing by 1 - beta^t (the
    "bias correction") removes that. Each parameter's step is then about lr in size,
    whatever the scale of its gradient. The arithmetic follows PyTorch's
    torch.optim.Adam (single-tensor CPU path) operation by operation, so float64 results
    agree to the last few bits.

    decoupled_weight_decay=True makes it AdamW (below), as in torch. The arguments and
    defaults are torch's (foreach, capturable, differentiable and fused only at their
    defaults, see optimizer.py).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        _check_non_negative(group["lr"], "lr", "learning rate")
        _check_non_negative(group["eps"], "eps", "epsilon value")
        _check_non_negative(group["weight_decay"], "weight_decay")
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            if isinstance(beta, bool) or not isinstance(beta, (int, float)):
                raise TypeError(f"betas[{i}] must be a number, got {type(beta).__name__}")
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta} (betas[{i}] must be in [0, 1))")

    def update(self, param, grad, state, group):
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if group["maximize"]:
            grad = -grad  # a new array: never change the caller's .grad
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)     # m
            state["exp_avg_sq"] = np.zeros_like(param)  # v
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        t = state["step"]

        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * param  # a new array: never change the caller's .grad

        m, v = state["exp_avg"], state["exp_avg_sq"]
        # m = beta1*m + (1-beta1)*g, written as PyTorch's lerp computes it: m + (1-beta1)*(g-m).
        m += (1 - beta1) * (grad - m)
        v *= beta2
        v += (1 - beta2) * grad * grad
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]

        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        step_size = lr / bias_correction1
        denom = np.sqrt(v) / math.sqrt(bias_correction2) + eps
        param -= step_size * (m / denom)


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay.

    Before the Adam step (see Adam, without the `weight_decay * p` term in the gradient):

        p = p * (1 - lr * weight_decay)

    In Adam an L2 penalty is added to the gradient and then divided by sqrt(v), so
    parameters with large gradients are barely decayed. AdamW shrinks every parameter
    by the same factor instead. The default weight_decay is 1e-2, as in PyTorch.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, foreach=foreach, capturable=capturable,
                         differentiable=differentiable, fused=fused, decoupled_weight_decay=True)

    def _adjust_loaded_group(self, group):
        group["decoupled_weight_decay"] = True  # whatever was saved, as torch's AdamW does
