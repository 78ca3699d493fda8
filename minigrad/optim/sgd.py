"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""
from minigrad.optim.optimizer import Optimizer, _check_non_negative


class SGD(Optimizer):
    """Gradient descent: step against the gradient, optionally remembering past steps.

    With g_t the gradient of parameter p at step t (t = 1, 2, ...):

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
    training.
    """

    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        for name in ("lr", "momentum", "weight_decay"):
            _check_non_negative(group[name], name)
        if isinstance(group["dampening"], bool) or not isinstance(group["dampening"], (int, float)):
            raise TypeError(f"dampening must be a number, got {type(group['dampening']).__name__}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("nesterov=True requires momentum > 0 and dampening = 0, "
                             f"got momentum={group['momentum']}, dampening={group['dampening']}")

    def update(self, param, grad, state, group):
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        if weight_decay != 0:
            grad = grad + weight_decay * param  # a new array: never change the caller's .grad
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = grad.copy()
            else:
                buffer *= momentum
                buffer += (1 - group["dampening"]) * grad
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        param -= lr * grad
