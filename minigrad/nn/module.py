"""Parameter and Module: how a model keeps track of the numbers it learns.

A `Parameter` is a Tensor that says "train me". A `Module` is a box of Parameters and of
smaller Modules. Assigning one as an attribute (`self.weight = Parameter(...)`,
`self.hidden = Linear(2, 3)`) registers it, in the order of assignment, so that

    model.parameters()      every Parameter of the model and of its sub-modules, once each
    model.state_dict()      {"0.weight": array, "0.bias": array, ...}, PyTorch's names

work without the model listing anything by hand. The names are the attribute path with
dots ("encoder.0.weight"), exactly as in PyTorch, so a minigrad state_dict loads into the
same PyTorch architecture:

    torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})

Some state is not learned but must be saved: BatchNorm's running mean and variance. Such a
Tensor is a *buffer* (`register_buffer`): it is in state_dict() (after the module's own
parameters, as in PyTorch), `double()`/`float()` convert it, but it is not a parameter, so
no optimizer touches it.

The bookkeeping follows PyTorch's layout: each Module holds three ordered dicts,
`_parameters` (name -> Parameter or None), `_buffers` (name -> Tensor or None) and
`_modules` (name -> Module or None), and `__getattr__` looks names up there.
"""
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from minigrad import hooks
from minigrad.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module registers and an optimizer updates (requires_grad by default).

    `data` is a Tensor or anything `numpy.asarray` accepts. A Tensor's array is used as
    is, not copied, as `torch.nn.Parameter(t)` shares `t`'s storage: an in-place change to
    one shows in the other.
    """

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            super().__init__(data.data, requires_grad=requires_grad)
            self.data = data.data  # share the array, whatever the constructor does with it
        else:
            super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


# What `load_state_dict(strict=False)` returns, as in PyTorch.
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of every layer and model. Subclasses set attributes and write `forward`.

        class MLP(Module):
            def __init__(self):
                super().__init__()             # must come first: it creates the registries
                self.hidden = Linear(2, 8)     # registered as a sub-module named "hidden"
                self.out = Linear(8, 1)
            def forward(self, x):
                return self.out(self.hidden(x).relu())

        model = MLP()
        [name for name, _ in model.named_parameters()]
        # ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']

    `model(x)` calls `model.forward(x)`, and around it the hooks registered with
    `register_forward_pre_hook` and `register_forward_hook` (to look at, or replace, what
    goes in and what comes out). `training` is True until `eval()`; modules whose
    forward differs between training and evaluation read it.
    """

    def __init__(self):
        # object.__setattr__: our own __setattr__ needs these dicts to exist already.
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())  # buffers left out of state_dict
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())  # id -> hook(module, args)
        object.__setattr__(self, "_forward_hooks", OrderedDict())  # id -> hook(module, args, output)

    # ---- registration -------------------------------------------------------------

    def __setattr__(self, name, value):
        parameters = self.__dict__.get("_parameters")
        modules = self.__dict__.get("_modules")
        if isinstance(value, (Parameter, Module)) and parameters is None:
            raise AttributeError(
                f"cannot assign {type(value).__name__} '{name}' before Module.__init__() "
                f"was called: call super().__init__() first in {type(self).__name__}.__init__"
            )
        if isinstance(value, Parameter):
            self._forget(name)
            parameters[name] = value
            object.__setattr__(self, name, value)  # the fast-lookup copy (see _forget)
        elif isinstance(value, Module):
            self._forget(name)
            modules[name] = value
            object.__setattr__(self, name, value)
        elif name in self.__dict__.get("_buffers", ()):
            # A buffer stays a buffer (`self.running_mean = new_tensor`), as in PyTorch.
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(minigrad.Tensor or None expected)")
            self._buffers[name] = value
            object.__setattr__(self, name, value)
        else:
            # A registered slot keeps its kind: only a Parameter (a Module) or None may replace one.
            for registry, slot, kind in ((parameters, "parameter", "Parameter"), (modules, "child module", "Module")):
                if registry is not None and name in registry:
                    if value is not None:
                        raise TypeError(f"cannot assign {type(value).__name__} as {slot} '{name}' "
                                        f"(a minigrad.nn.{kind} or None is expected)")
                    registry[name] = None
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Python calls this only when the normal lookup failed. Registered names are
        # mirrored into __dict__, so this is only reached for unknown names (or when a
        # subclass bypassed __setattr__); look in the registries anyway, then give up.
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
            self.__dict__.pop(name, None)
        elif name in self._modules:
            del self._modules[name]
            self.__dict__.pop(name, None)
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
            self.__dict__.pop(name, None)
        else:
            object.__delattr__(self, name)

    def _forget(self, name):
        """Remove `name` from wherever it is, before it is registered again.

        A registered Parameter or Module lives in its registry (`_parameters` or `_modules`,
        which give the order and the state_dict names) and, as the same object, in the
        instance's __dict__: reading `self.weight` in every forward then costs a plain
        attribute lookup instead of a failed one followed by a __getattr__ call (~1 us).
        """
        self.__dict__.pop(name, None)
        self._parameters.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent_buffers_set.discard(name)
        self._modules.pop(name, None)

    def register_parameter(self, name, param):
        """Register `param` (a Parameter, or None for an absent one such as `bias=False`)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter '{name}' "
                            "(a minigrad.nn.Parameter or None is expected)")
        self._check_name(name)
        self._forget(name)
        self._parameters[name] = param
        self.__dict__[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register `tensor` (a Tensor, or None for an absent one) as state that is not learned.

        A buffer is saved in state_dict() and converted by double()/float(), but it is not a
        parameter: no gradient, no optimizer. BatchNorm1d keeps its running statistics this
        way. `persistent=False` leaves it out of state_dict(). Errors as torch's.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(minigrad.Tensor or None required)")
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers_set.add(name)
        self.__dict__[name] = tensor

    def add_module(self, name, module):
        """Register `module` as a child called `name` (what Sequential does with "0", "1", ...)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a minigrad.nn.Module subclass")
        self._check_name(name)
        self._forget(name)
        self._modules[name] = module
        self.__dict__[name] = module

    @staticmethod
    def _check_name(name):
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f"name must be non-empty and contain no '.', got {name!r}")

    # ---- running ------------------------------------------------------------------

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(): define forward(self, ...) "
            "to say what the module computes"
        )

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks or self._forward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        """forward with the hooks around it, as torch runs them: each pre-hook gets the
        positional arguments and may return new ones (a non-tuple becomes a 1-tuple); each
        hook gets the arguments forward received and its output and may return a new output."""
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook, *, prepend=False):
        """Run `hook(module, args)` before every forward; it may return replacement args.
        Returns a handle whose `remove()` takes it out (`prepend=True`: run it first)."""
        return hooks.add_hook(self._forward_pre_hooks, hook, prepend)

    def register_forward_hook(self, hook, *, prepend=False):
        """Run `hook(module, args, output)` after every forward, e.g. to keep activations;
        it may return a replacement output. Returns a handle whose `remove()` takes it out."""
        return hooks.add_hook(self._forward_hooks, hook, prepend)

    # ---- walking the tree ---------------------------------------------------------

    def named_children(self):
        """(name, module) for each direct sub-module, in registration order, once each."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix=""):
        """(dotted name, module) for this module (name "") and every descendant, once each.

        Pre-order: a module comes before its children. A module reachable by two paths
        (shared) is listed once, under the first path.
        """
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            # Pushed in reverse so that they pop in registration order.
            for child_name, child in reversed(module._modules.items()):
                if child is not None:
                    stack.append((f"{name}.{child_name}" if name else child_name, child))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, Parameter) pairs, each Parameter once even when it is shared."""
        seen = set()
        owners = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in owners:
            for name, param in module._parameters.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self, recurse=True):
        """Every Parameter of the model, each once: what an optimizer needs."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True):
        """(dotted name, buffer) pairs, each buffer once ("0.running_mean", ...)."""
        seen = set()
        owners = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in owners:
            for name, buffer in module._buffers.items():
                if buffer is None or id(buffer) in seen:
                    continue
                seen.add(id(buffer))
                yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self, recurse=True):
        """Every buffer of the model (running statistics and the like), each once."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ---- training helpers ---------------------------------------------------------

    def zero_grad(self, set_to_none=True):
        """Forget the accumulated gradients before the next backward().

        `set_to_none=True` (the default, as in PyTorch) drops `.grad`; False fills it with
        zeros instead.
        """
        for param in self.parameters():
            if param._grad is None:  # _grad: a Parameter is a leaf, no need for .grad's non-leaf check
                continue
            if set_to_none:
                param.grad = None
            else:
                # A fresh zero array rather than zeroing in place: the old array may be
                # shared with something else (or read-only), and must not change under it.
                param.grad.data = np.zeros_like(param.grad.data)

    def train(self, mode=True):
        """Put this module and every sub-module in training mode (`mode=False`: eval)."""
        if not isinstance(mode, bool):
            raise ValueError(f"mode must be True or False, got {mode!r}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        """Evaluation mode, the same as `train(False)`."""
        return self.train(False)

    def _convert(self, dtype):
        """Cast every floating-point Parameter (and its gradient) and every floating-point
        buffer to `dtype`, in place; integer buffers (num_batches_tracked) stay as they are."""
        for param in self.parameters():
            if np.issubdtype(param.data.dtype, np.floating):
                param.data = param.data.astype(dtype, copy=False)
                if param.grad is not None:
                    param.grad.data = param.grad.data.astype(dtype, copy=False)
        for buffer in self.buffers():
            if np.issubdtype(buffer.data.dtype, np.floating):
                buffer.data = buffer.data.astype(dtype, copy=False)
        return self

    def double(self):
        """Make every floating-point Parameter and buffer float64. Returns self."""
        return self._convert(np.float64)

    def float(self):
        """Make every floating-point Parameter and buffer float32. Returns self."""
        return self._convert(np.float32)

    # ---- saving and loading -------------------------------------------------------

    def _state_slots(self, prefix=""):
        """(key, Parameter or buffer) for every state_dict entry: own parameters, then own
        persistent buffers, then the children's, PyTorch's order.

        Unlike named_parameters, a shared module or Parameter appears under every path
        that reaches it, as in PyTorch's state_dict.
        """
        for name, param in self._parameters.items():
            if param is not None:
                yield prefix + name, param
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                yield prefix + name, buffer
        for name, module in self._modules.items():
            if module is not None:
                yield from module._state_slots(prefix + name + ".")

    def state_dict(self):
        """OrderedDict of PyTorch-style name -> a copy of the parameter's (or buffer's) numpy array."""
        return OrderedDict((key, param.data.copy()) for key, param in self._state_slots())

    def load_state_dict(self, state_dict, strict=True):
        """Copy the values of `state_dict` into the parameters and buffers, keeping each one's dtype.

        Values may be numpy arrays, minigrad Tensors, or anything `numpy.asarray`
        accepts (a torch state_dict works as it is). With `strict=True` every key must
        match: a missing or unexpected key is a KeyError naming them all. A shape that
        differs is a ValueError naming the key and both shapes. Everything is checked
        before anything is copied, so a failed load leaves the model unchanged.
        Returns `(missing_keys, unexpected_keys)`.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a mapping (name -> array), "
                            f"got {type(state_dict).__name__}")
        slots = OrderedDict(self._state_slots())
        missing = [key for key in slots if key not in state_dict]
        unexpected = [key for key in state_dict if key not in slots]
        if strict and (missing or unexpected):
            problems = []
            if missing:
                problems.append("missing key(s): " + ", ".join(map(repr, missing)))
            if unexpected:
                problems.append("unexpected key(s): " + ", ".join(map(repr, unexpected)))
            raise KeyError(f"Error(s) in loading state_dict for {type(self).__name__}: "
                           + "; ".join(problems))

        values = {}
        for key, param in slots.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            value = np.asarray(value.data if isinstance(value, Tensor) else value)
            if value.dtype.kind not in "biuf":
                raise TypeError(f"state_dict[{key!r}] must hold numbers, got dtype {value.dtype}")
            if value.shape != param.shape:
                raise ValueError(f"size mismatch for {key!r}: the state_dict has shape "
                                 f"{value.shape}, the model expects {param.shape}")
            values[key] = value
        for key, value in values.items():
            # Assign into the existing array: the dtype stays the parameter's, and anything
            # holding the array (an optimizer's state, a view) sees the new values.
            slots[key].data[...] = value
        return IncompatibleKeys(missing, unexpected)

    # ---- printing -----------------------------------------------------------------

    def extra_repr(self):
        """The text inside the parentheses of repr, e.g. 'in_features=2, out_features=3'."""
        return ""

    def __repr__(self):
        # One entry per line of extra_repr, then "(name): child" per sub-module. A child's
        # repr may span lines: its continuation lines are indented by two more spaces.
        entries = self.extra_repr().split("\n") if self.extra_repr() else []
        for name, module in self._modules.items():
            entries.append(f"({name}): " + repr(module).replace("\n", "\n  "))
        name = type(self).__name__
        if not entries:
            return f"{name}()"
        if len(entries) == 1 and not self._modules:
            return f"{name}({entries[0]})"
        return f"{name}(\n" + "".join(f"  {entry}\n" for entry in entries) + ")"
