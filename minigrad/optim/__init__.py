"""minigrad.optim: optimizers, sorted in order of increasing complexity.

Read them in this order:

    optimizer.py   Optimizer: parameter groups, state, zero_grad, and the loop of step()
    sgd.py         SGD: p -= lr * g, then momentum, Nesterov and weight decay on top
    adam.py        Adam: per-parameter step sizes from running moments; AdamW: decoupled decay

Each optimizer's docstring states its update rule; each is PyTorch's, to the last bits
in float64.
"""
from minigrad.optim.adam import Adam, AdamW
from minigrad.optim.optimizer import Optimizer
from minigrad.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]
