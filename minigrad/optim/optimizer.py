"""Optimizer: the loop shared by every optimizer, over parameter groups and parameters.

An optimizer holds

- `param_groups`: a list of dicts, each with "params" (a list of Tensors) and that group's
  hyperparameters (lr, momentum, ...). One group is the usual case; several let parts of a
  model train differently, e.g. `SGD([{"params": body}, {"params": head, "lr": 0.1}], lr=0.01)`.
  Options missing from a group come from the optimizer's defaults.
- `state`: a dict Tensor -> dict holding what the update remembers between steps for that
  parameter (a momentum buffer, Adam's moment estimates).

`step()` visits every parameter that has a gradient and calls `update`, which a subclass
writes: the update rule for one parameter, on numpy arrays, in place. No graph is recorded,
because only `.data` is touched.
"""
import numpy as np

from minigrad.tensor import Tensor


def _check_non_negative(value, name):
    """A hyperparameter (lr, momentum, weight_decay, eps, ...) must be a number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not value >= 0:  # `not >=` also rejects NaN
        raise ValueError(f"{name} must be >= 0, got {value}")


class Optimizer:
    """Base class. A subclass passes its hyperparameters as `defaults` and writes `update`."""

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors or of dicts, got a single Tensor: "
                            "pass [tensor] or model.parameters()")
        if isinstance(params, (set, frozenset)):
            raise TypeError("params must be an ordered iterable (a list, a generator), not a set: "
                            "the order of the parameters must be the same from run to run")
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        """Add a dict {"params": ..., option: value, ...}; missing options take the defaults."""
        if not isinstance(group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(group).__name__} "
                            "(do not mix Tensors and dicts in params)")
        if "params" not in group:
            raise ValueError("a parameter group needs a 'params' entry")
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("a group's params must be an ordered iterable, not a set")
        params = list(params)
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(f"an optimizer can only optimize Tensors, got {type(param).__name__}")
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (the result of an op): "
                                 "optimize the tensors the computation started from")
        ids = [id(param) for param in params]
        if len(set(ids)) != len(ids):
            # PyTorch only warns, then updates such a parameter twice per step.
            raise ValueError("a parameter group contains the same parameter twice")
        known = {id(p) for g in self.param_groups for p in g["params"]}
        if known & set(ids):
            raise ValueError("some parameters appear in more than one parameter group")

        group = dict(group, params=params)
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_hyperparameters(group)
        self.param_groups.append(group)

    def _check_hyperparameters(self, group):
        """Raise ValueError for an invalid option in `group` (subclasses say what is valid)."""

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient (None by default, or zeros), before backward()."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    # A fresh array rather than zeroing in place: the old one may be shared.
                    param.grad = Tensor._wrap(np.zeros_like(param.grad.data))

    def step(self, closure=None):
        """Update every parameter that has a gradient (those with `.grad is None` are skipped).

        `closure`, if given, is called first and should re-evaluate the model and return
        the loss, which `step` returns (as in PyTorch).
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state.setdefault(param, {})
                self.update(param.data, param.grad.data, state, group)
        return loss

    def update(self, param, grad, state, group):
        """Change the numpy array `param` in place, given its gradient `grad`.

        `state` is this parameter's memory between steps (empty at the first step), and
        `group` the hyperparameters of its group.
        """
        raise NotImplementedError(f"{type(self).__name__} must define update(param, grad, state, group)")
