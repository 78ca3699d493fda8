"""Adagrad: divide each step by the root of the sum of all past squared gradients."""
import numpy as np

from minigrad.optim.optimizer import Optimizer, _check_non_negative


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer, 2011): per-parameter steps that only shrink.

    With g_t the gradient of parameter p at step t = 1, 2, ... and
    s_0 = initial_accumulator_value:

        g_t = -g_t                                     (if maximize: climb instead)
        g_t = g_t + weight_decay * p                   (if weight_decay != 0: L2 penalty)
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s_t = s_{t-1} + g_t^2                          sum of the squared gradients
        p = p - lr_t * g_t / (sqrt(s_t) + eps)

    A parameter that has received large gradients takes small steps from then on, one
    that has rarely had a gradient (a rare feature, an embedding row) keeps large ones.
    Since s_t only grows, the steps shrink for ever: Adagrad slows down on long runs,
    which RMSprop and Adam fix by averaging instead of summing.

    Arguments and defaults are torch's: lr=1e-2, lr_decay=0, weight_decay=0,
    initial_accumulator_value=0, eps=1e-10, maximize=False (foreach, fused and
    differentiable only at their defaults, see optimizer.py). As in torch, the state (step
    0 and s_0) exists from construction, so `state_dict()` has it before the first step.
    One deliberate difference: a parameter group's own initial_accumulator_value is used
    (torch fills every group's sum with the constructor's value and ignores the group's).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                self.state[param] = self._initial_state(param.data, group)

    @staticmethod
    def _initial_state(param, group):
        return {"step": 0, "sum": np.full_like(param, group["initial_accumulator_value"])}

    def _check_hyperparameters(self, group):
        _check_non_negative(group["lr"], "lr", "learning rate")
        _check_non_negative(group["lr_decay"], "lr_decay")
        _check_non_negative(group["weight_decay"], "weight_decay")
        _check_non_negative(group["initial_accumulator_value"], "initial_accumulator_value")
        _check_non_negative(group["eps"], "eps", "epsilon value")

    def update(self, param, grad, state, group):
        if not state:  # a parameter of a group added after construction
            state.update(self._initial_state(param, group))
        state["step"] += 1
        t = state["step"]
        if group["maximize"]:
            grad = -grad  # a new array: never change the caller's .grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param

        lr_t = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        total = state["sum"]
        total += grad * grad
        std = np.sqrt(total)
        std += group["eps"]
        param -= lr_t * (grad / std)
