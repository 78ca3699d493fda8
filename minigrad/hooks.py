"""Hooks: functions the user hands to a tensor or a module, called as the gradient or the
activations pass, and the handle that takes one back out.

    handle = tensor.register_hook(lambda grad: print(grad))   # autograd.py calls it in backward
    handle = model.register_forward_hook(lambda module, args, output: ...)  # Module.__call__ calls it
    handle.remove()                                           # or: with handle: ...
"""
import itertools
import weakref
from collections import OrderedDict

_next_id = itertools.count()


class RemovableHandle:
    """Returned by every `register_*hook`; `remove()` takes the hook out (twice is harmless).

    It holds the hooks' OrderedDict weakly, as torch's handle does: a handle kept after its
    tensor or module is gone keeps nothing alive.
    """

    __slots__ = ("hooks_dict_ref", "id")

    def __init__(self, hooks_dict):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(_next_id)

    def remove(self):
        hooks_dict = self.hooks_dict_ref()
        if hooks_dict is not None:
            hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


def add_hook(hooks_dict, hook, prepend=False):
    """Put `hook` in `hooks_dict` (an OrderedDict id -> function, run in its order), last or
    with `prepend` first; return its handle."""
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks_dict)
    hooks_dict[handle.id] = hook
    if prepend:
        hooks_dict.move_to_end(handle.id, last=False)
    return handle


class TensorHooks:
    """What one tensor asks of the backward pass (`tensor._hooks`; None for almost every
    tensor, so the engine pays one test per node): `functions`, the hooks in the order
    registered, each seeing the gradient the previous one returned; and `retains_grad`,
    whether the final gradient is also added into the tensor's `.grad` (retain_grad)."""

    __slots__ = ("functions", "retains_grad")

    def __init__(self):
        self.functions = OrderedDict()  # OrderedDict: a handle can refer to it weakly
        self.retains_grad = False

