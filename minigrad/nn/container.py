"""Sequential: a model that is a list of layers, each feeding the next."""
import operator
from collections import OrderedDict

from minigrad.nn.module import Module


class Sequential(Module):
    """Apply modules one after the other: `Sequential(f, g, h)(x) == h(g(f(x)))`.

        model = Sequential(Linear(2, 8), ReLU(), Linear(8, 1))
        model[0]          # the first Linear
        len(model)        # 3
        model.state_dict().keys()   # '0.weight', '0.bias', '2.weight', '2.bias'

    The children are named "0", "1", ... (their positions), which is where PyTorch's
    names such as `0.weight` come from. An OrderedDict of name -> module names them
    instead, as in PyTorch.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            named = modules[0].items()
        else:
            named = ((str(i), module) for i, module in enumerate(modules))
        for name, module in named:
            if not isinstance(module, Module):
                raise TypeError(f"Sequential takes Modules, got {type(module).__name__} "
                                f"at position {name} (did you mean ReLU() rather than ReLU?)")
            self.add_module(name, module)

    def forward(self, x):
        for module in self:
            x = module(x)
        return x

    def append(self, module):
        """Add `module` at the end (named by its position). Returns self."""
        self.add_module(str(len(self)), module)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        try:
            index = operator.index(index)  # ints and numpy integers
        except TypeError:
            raise TypeError(f"Sequential indices must be integers or slices, "
                            f"got {type(index).__name__}") from None
        if not -len(modules) <= index < len(modules):
            raise IndexError(f"index {index} is out of range for a Sequential of length "
                             f"{len(modules)}")
        return modules[index]
