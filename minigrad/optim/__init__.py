"""minigrad.optim: optimizers, sorted in order of increasing complexity, then schedulers.

Read them in this order:

    optimizer.py     Optimizer: parameter groups, state, zero_grad, the loop of step(),
                     and state_dict()/load_state_dict() in torch's layout
    sgd.py           SGD: p -= lr * g, then momentum, Nesterov and weight decay on top
    adagrad.py       Adagrad: divide by the root of the sum of all past squared gradients
    rmsprop.py       RMSprop: divide by a running root mean square of the gradient instead
    adam.py          Adam: RMSprop plus momentum, bias-corrected; AdamW: decoupled decay
    lr_scheduler.py  schedulers: change each group's lr as training goes (StepLR, ...,
                     OneCycleLR, ReduceLROnPlateau), as torch.optim.lr_scheduler

Each optimizer's docstring states its update rule and each scheduler's its formula; each
is PyTorch's, to the last bits in float64.
"""
from minigrad.optim import lr_scheduler
from minigrad.optim.adagrad import Adagrad
from minigrad.optim.adam import Adam, AdamW
from minigrad.optim.optimizer import Optimizer
from minigrad.optim.rmsprop import RMSprop
from minigrad.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "lr_scheduler"]
