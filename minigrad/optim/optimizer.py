"""Optimizer: the loop shared by every optimizer, over parameter groups and parameters.

An optimizer holds

- `param_groups`: a list of dicts, each with "params" (a list of Tensors) and that group's
  hyperparameters (lr, momentum, ...). One group is the usual case; several let parts of a
  model train differently, e.g. `SGD([{"params": body}, {"params": head, "lr": 0.1}], lr=0.01)`.
  Options missing from a group come from the optimizer's defaults. `add_param_group` adds
  one later (to unfreeze a layer while training, say).
- `state`: a dict Tensor -> dict holding what the update remembers between steps for that
  parameter (a momentum buffer, Adam's moment estimates), as numpy arrays and a step count.

`step()` visits every parameter that has a gradient and calls `update`, which a subclass
writes: the update rule for one parameter, on numpy arrays, in place. No graph is recorded,
because only `.data` is touched.

`state_dict()` / `load_state_dict()` use torch's layout, so a checkpoint can move between
the two frameworks (converting tensors with numpy):

    {"state": {0: {"step": tensor(3.), "exp_avg": tensor([...]), ...}, 1: {...}},
     "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), ..., "params": [0, 1]}]}

Parameters are numbered 0, 1, ... in the order of the groups; `state` holds an entry only
for a parameter that has state. Arrays become minigrad Tensors, and the step count a
float32 0-d Tensor, as torch stores them.

torch's options that only choose how torch runs (foreach, fused, capturable,
differentiable) are accepted at the value that means "the plain loop" (None or False)
and rejected otherwise: minigrad has only that one implementation.
"""
import copy

import numpy as np

from minigrad.autograd import bump_version
from minigrad.tensor import Tensor

# torch's options that choose an implementation (vectorised over parameters, one fused
# kernel, CUDA-graph capture, differentiating through the step), not the math.
IMPLEMENTATION_OPTIONS = ("foreach", "fused", "capturable", "differentiable")


def _check_non_negative(value, name, what=None):
    """A hyperparameter (lr, momentum, weight_decay, eps, ...) must be a number >= 0.

    The message starts with torch's ("Invalid learning rate: -1") and names the argument.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not value >= 0:  # `not >=` also rejects NaN
        what = what or f"{name} value"
        raise ValueError(f"Invalid {what}: {value} ({name} must be >= 0)")


def _check_implementation_options(group):
    """foreach/fused None or False, capturable/differentiable False: minigrad's one loop."""
    for name in IMPLEMENTATION_OPTIONS:
        if name in group and group[name] not in (None, False):
            raise ValueError(f"{name}={group[name]!r} is not supported: minigrad has one implementation "
                             f"of each optimizer, a plain loop over the parameters (leave {name} at "
                             "its default)")


class Optimizer:
    """Base class. A subclass passes its hyperparameters as `defaults` and writes `update`."""

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors "
                            "or dicts, but got a single Tensor: pass [tensor] or model.parameters()")
        if isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the "
                            "ordering of tensors in sets will change between runs. Please use a list instead.")
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

    def add_param_group(self, param_group):
        """Add a dict {"params": ..., option: value, ...}; missing options take the defaults.

        "params" may hold Tensors or (name, Tensor) pairs (from `named_parameters()`); with
        names, the group also gets "param_names", as in torch.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__} "
                            "(do not mix Tensors and dicts in params)")
        if "params" not in param_group:
            raise KeyError("a parameter group needs a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the "
                            "ordering of tensors in sets will change between runs. Please use a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params) or any(len(p) != 2 for p in params):
                raise ValueError("all optimizer params should be with/without names. "
                                 "Some param names are missing")
            params = [p[1] for p in params]
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{type(param).__name__}")
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (the result of an op): "
                                 "optimize the tensors the computation started from")
        ids = [id(param) for param in params]
        if len(set(ids)) != len(ids):
            # PyTorch only warns, then updates such a parameter twice per step.
            raise ValueError("a parameter group contains the same parameter twice")
        for group in self.param_groups:
            if bool(names) != ("param_names" in group):
                raise ValueError("all optimizer param groups should be with/without names. cannot add "
                                 f"param group {'with' if names else 'without'} names to the optimizer")
        known = {id(p) for g in self.param_groups for p in g["params"]}
        if known & set(ids):
            raise ValueError("some parameters appear in more than one parameter group")

        group = dict(param_group, params=params)
        if names:
            group["param_names"] = names
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group):
        _check_implementation_options(group)
        self._check_hyperparameters(group)

    def _check_hyperparameters(self, group):
        """Raise ValueError for an invalid option in `group` (subclasses say what is valid)."""

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient (None by default, or zeros), before backward()."""
        # The `_grad` slot, not the `grad` property: parameters are leaves, so the
        # property's check for a non-leaf tensor would only cost time.
        for group in self.param_groups:
            for param in group["params"]:
                if param._grad is None:
                    continue
                if set_to_none:
                    param._grad = None
                else:
                    # A fresh array rather than zeroing in place: the old one may be shared.
                    param._grad = Tensor._wrap(np.zeros_like(param._grad.data))

    def step(self, closure=None):
        """Update every parameter that has a gradient (those with `.grad is None` are skipped).

        `closure`, if given, is called first and should re-evaluate the model and return
        the loss, which `step` returns (as in PyTorch).
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for param in group["params"]:
                grad = param._grad  # the slot, as in zero_grad
                if grad is None:
                    continue
                state = self.state.setdefault(param, {})
                self.update(param.data, grad.data, state, group)
                # An in-place change, as in torch: a graph built before this step cannot be
                # backpropagated after it if one of its ops saved this parameter.
                bump_version(param)
        return loss

    def update(self, param, grad, state, group):
        """Change the numpy array `param` in place, given its gradient `grad`.

        `state` is this parameter's memory between steps (empty at the first step), and
        `group` the hyperparameters of its group.
        """
        raise NotImplementedError(f"{type(self).__name__} must define update(param, grad, state, group)")

    # ---- checkpoints ------------------------------------------------------------------

    def state_dict(self):
        """The optimizer's state in torch's layout (see the module docstring).

        Arrays are Tensors sharing memory with the optimizer's state, as torch's are the
        state tensors themselves: copy (or save) the result before stepping again if it
        must stay as it is.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for param in group["params"]:
                entries = self.state.get(param)
                if entries:  # torch keeps no entry for a parameter without state
                    state[index[id(param)]] = {key: _to_tensor(key, value) for key, value in entries.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a state_dict made by `state_dict()`, here or by the same torch optimizer.

        The saved parameters are matched to this optimizer's by position, group by group,
        so the groups must have the same sizes. Arrays may be minigrad Tensors, numpy
        arrays or anything numpy can read (a CPU torch tensor); each is copied, with the
        dtype of its parameter. Nothing changes if the state_dict is rejected.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict must be a dict, got {type(state_dict).__name__}")
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise KeyError(f"the optimizer's state_dict has no {key!r} entry "
                               "(expected the keys 'state' and 'param_groups')")
        extra = sorted(map(repr, set(state_dict) - {"state", "param_groups"}))
        if extra:
            raise ValueError(f"the optimizer's state_dict has unexpected entries {', '.join(extra)} "
                             "(expected the keys 'state' and 'param_groups')")
        saved_groups = copy.deepcopy(list(state_dict["param_groups"]))
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups "
                             f"({len(saved_groups)} saved, {len(self.param_groups)} in this optimizer)")
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if not isinstance(saved, dict) or "params" not in saved:
                raise KeyError(f"param_groups[{i}] of the state_dict has no 'params' entry")
            if len(saved["params"]) != len(group["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size "
                                 f"of optimizer's group (param_groups[{i}] has {len(saved['params'])} "
                                 f"parameters saved, {len(group['params'])} here)")
        id_map = {saved_id: param
                  for group, saved in zip(self.param_groups, saved_groups)
                  for saved_id, param in zip(saved["params"], group["params"])}

        state = {}
        for saved_id, entries in state_dict["state"].items():
            if saved_id not in id_map:
                raise ValueError(f"the state_dict has state for parameter {saved_id!r}, which no "
                                 "parameter group lists")
            param = id_map[saved_id]
            state[param] = {key: _from_saved(key, value, param, saved_id) for key, value in entries.items()}

        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():  # options older checkpoints lack
                saved.setdefault(name, default)
            self._adjust_loaded_group(saved)
            self._check_group(saved)
            new_groups.append(saved)
        self.state = state
        self.param_groups = new_groups

    def _adjust_loaded_group(self, group):
        """A subclass's hook to fix a loaded group's options (AdamW's decay is always decoupled)."""

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"


def _to_tensor(key, value):
    """A state entry as torch's state_dict holds it: arrays and the step count as Tensors."""
    if key == "step":
        return Tensor(np.float32(value))  # torch keeps the step as a float32 0-d tensor
    if isinstance(value, np.ndarray):
        return Tensor._wrap(value)  # shares memory, as torch's state_dict shares the state's tensors
    return value


def _from_saved(key, value, param, saved_id):
    """A saved state entry as update() uses it: numpy arrays with the parameter's dtype."""
    if key == "step":
        step = float(np.asarray(value))
        if not step >= 0 or step != int(step):
            raise ValueError(f"state[{saved_id!r}]['step'] must be a whole number >= 0, got {step}")
        return int(step)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    array = np.array(value, dtype=param.dtype if np.issubdtype(param.dtype, np.floating) else None)
    if array.shape != param.shape:
        raise ValueError(f"state[{saved_id!r}][{key!r}] has shape {array.shape}, but its parameter has "
                         f"shape {param.shape}: the state_dict belongs to a different model")
    return array
