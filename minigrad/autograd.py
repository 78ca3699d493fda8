"""The engine: how an op remembers what it did, and how `backward()` replays it in reverse.

Every differentiable op is a `Function` subclass with a `forward` and a `backward`
written next to each other (see `minigrad/ops/`). `Function.apply` runs the forward on
plain numpy arrays and, when a gradient will be needed, attaches the Function object to
the output tensor as `out._ctx`. Those links form a graph from the loss back to the
leaves. `backward` walks the graph in two named phases, as micrograd does:

1. topological sort (iterative, so a chain of 100,000 ops does not hit Python's
   recursion limit);
2. the chain rule, visiting every node after all the nodes that depend on it.
"""
import functools
import itertools
import operator
import sys
import threading
from typing import Callable, NamedTuple

import numpy as np


class _GradMode(threading.local):
    """Whether ops record the graph. Thread-local, so `no_grad` in one thread leaves other
    threads alone (as in PyTorch). The class attribute is every thread's starting value;
    reading it is a plain attribute lookup (getattr with a default costs ~1 us per op)."""
    enabled = True


_grad_mode = _GradMode()

# Every Function gets the next number when it is created (see toposort).
_sequence = itertools.count()
_creation_order = operator.attrgetter("_ctx.seq")


def is_grad_enabled():
    """True when ops record the graph for `backward()`."""
    return _grad_mode.enabled


class _GradModeSwitch:
    """Recording set to `mode` inside a `with` block or a decorated function, and put back
    as it was on the way out (also after an exception)."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self._previous = []

    def __enter__(self):
        self._previous.append(_grad_mode.enabled)
        _grad_mode.enabled = self.mode

    def __exit__(self, *exc):
        _grad_mode.enabled = self._previous.pop()
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _GradModeSwitch(mode):  # a fresh context per call: safe under recursion and threads
                return fn(*args, **kwargs)
        return wrapper


class set_grad_enabled(_GradModeSwitch):
    """Turn graph recording on or off: now, as a function; for a block, as a context manager;
    for a function's body, as a decorator.

        minigrad.set_grad_enabled(False)          # recording is off from here on
        with minigrad.set_grad_enabled(training): # set inside, the previous state after
            ...

    As in PyTorch, the call itself switches the mode (so the plain call works), and `with`
    or a decorator restores the mode that was in force before the call.
    """

    def __init__(self, mode):
        super().__init__(mode)
        self._before = _grad_mode.enabled
        _grad_mode.enabled = self.mode

    def __enter__(self):
        self._previous.append(self._before)  # the mode before the call, not the one it set
        _grad_mode.enabled = self.mode

    def __call__(self, fn):
        _grad_mode.enabled = self._before  # decorating a function changes no mode until it runs
        return super().__call__(fn)


class no_grad(_GradModeSwitch):
    """Ops inside record no graph: for evaluation and for optimizer updates.

        with minigrad.no_grad():
            prediction = model(x)

        @minigrad.no_grad()
        def evaluate(model, x): ...
    """

    def __init__(self):
        super().__init__(False)


class enable_grad(_GradModeSwitch):
    """Turn recording back on inside a `no_grad` block."""

    def __init__(self):
        super().__init__(True)


class Kink(NamedTuple):
    """Where an op is not differentiable, declared on the op itself (`Function.kink`).

    `where` says it in words ("relu at x = 0"); `sides` takes the op's forward arguments by
    name (the input arrays, then the keyword parameters with their defaults filled in) and
    returns an array, or a tuple of arrays, that changes value exactly when an input
    crosses the kink. gradcheck compares `sides` at x + eps and x - eps: where they differ
    the difference quotient straddles the kink and is not a derivative (docs/kinks.md
    lists every op's kink and the subgradient minigrad chose there).
    """
    where: str
    sides: Callable


def side(x, at):
    """-1, 0 or +1 per element: below, on or above the point `at` (for Kink.sides)."""
    return np.sign(x - at)


class Function:
    """One differentiable op. Subclasses write `forward` and `backward` next to each other.

    Both are static methods taking the context object `ctx` first, exactly like a
    `torch.autograd.Function`:

    - `forward(ctx, *arrays, **params)` gets numpy arrays (the inputs' `.data`) and plain
      keyword parameters, returns a numpy array, and may `ctx.save_for_backward(...)`
      whatever backward needs.
    - `backward(ctx, grad)` gets d(loss)/d(output) and returns d(loss)/d(input) for each
      positional input (a tuple when there are several), or None for an input that
      needs no gradient. `ctx.needs_input_grad[i]` says which ones are wanted.
    """

    kink = None  # a Kink where the op is not differentiable (see Kink), None where it is smooth

    # One object per op of every training step: fixed slots make creating it and reading
    # its fields cheaper than a per-instance __dict__ (and say exactly what a ctx holds).
    __slots__ = ("parents", "params", "needs_input_grad", "saved_tensors", "freed", "seq", "__weakref__")

    def __init__(self, *parents, **params):
        self.parents = parents
        self.params = params  # the keyword parameters (e.g. clamp's bounds), for gradcheck's kink detection
        # Under no_grad nothing needs a gradient, so forward can skip gradient work.
        enabled = is_grad_enabled()
        self.needs_input_grad = tuple([enabled and p.requires_grad for p in parents])
        self.saved_tensors = ()
        self.freed = False
        self.seq = next(_sequence)  # creation order: what backward sorts the graph by

    def save_for_backward(self, *values):
        """Keep arrays (or anything else) that backward will need."""
        self.saved_tensors = values

    @property
    def name(self):
        return type(self).__name__

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors (at least one) and, when a gradient will be needed, record it."""
        # What __init__ does, spelled out: apply runs for every op of every step, and
        # calling __init__ would pack and unpack the arguments a second time.
        ctx = cls.__new__(cls)
        ctx.parents, ctx.params, ctx.saved_tensors, ctx.freed = inputs, params, (), False
        ctx.seq = next(_sequence)
        if _grad_mode.enabled:
            ctx.needs_input_grad = needs = tuple([t.requires_grad for t in inputs])
        else:
            ctx.needs_input_grad = needs = (False,) * len(inputs)
        data = cls.forward(ctx, *[t.data for t in inputs], **params)
        # A new Tensor around the result. The engine asks an input for it rather than
        # importing tensor.py, which imports this module: the arrows run one way.
        out = inputs[0]._wrap(data)
        if True in needs:
            out.requires_grad = True
            out._ctx = ctx  # remember how `out` was made
        return out

    @staticmethod
    def forward(ctx, *args, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError


def toposort(root):
    """Every node reachable from `root`, each listed after all of its inputs.

    The order comes for free from when each op ran: `apply` numbers every Function as it
    is created (`ctx.seq`), and an op can only be created after the ops that made its
    inputs. So: collect what is reachable (an explicit stack, no recursion, so a chain of
    100,000 ops does not hit Python's recursion limit), then sort by that number, leaves
    first. PyTorch's engine orders its nodes by the same kind of sequence number.
    """
    leaves, ops, seen = [], [], {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        ctx = node._ctx
        if ctx is None:
            leaves.append(node)
            continue
        ops.append(node)
        for parent in ctx.parents:
            if parent.requires_grad and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    ops.sort(key=_creation_order)
    return leaves + ops


def _unshared(array):
    """True when no one but the caller refers to `array` or its memory, so a leaf can keep
    it as its .grad without a copy (which costs a full pass at large sizes).

    CPython counts references: 3 here means only the caller's variable, this function's
    argument and getrefcount's own. A view (base is not None) shares memory with another
    array, so it never counts as unshared.
    """
    return array.base is None and sys.getrefcount(array) <= 3


def backward(root, gradient, retain_graph=False):
    """Reverse mode: push d(root)/d(node) from `root` back to every leaf.

    Leaves (tensors made by the user, with `requires_grad=True`) accumulate the result
    into `.grad`; intermediate gradients live only for the duration of this call. Unless
    `retain_graph=True`, each Function drops what it saved once it has been used, so the
    memory of the forward pass is released; a second `backward()` through the same graph
    then raises, as in PyTorch.
    """
    nodes = toposort(root)  # phase 1
    grads = {id(root): gradient}
    recording = _grad_mode.enabled
    _grad_mode.enabled = False  # backward's own arithmetic is not part of any graph
    try:
        for node in reversed(nodes):  # phase 2: the chain rule, outputs before inputs
            grad = grads.pop(id(node), None)
            if grad is None:
                continue
            ctx = node._ctx
            if ctx is None:  # a leaf: accumulate until the user zeroes it
                if node.grad is not None:
                    node.grad = node._wrap(node.grad.data + grad)
                elif _unshared(grad):
                    node.grad = node._wrap(grad)  # nothing else holds it: no need to copy
                else:
                    node.grad = node._wrap(grad.copy())  # e.g. the caller's own `gradient` array
                continue
            if ctx.freed:
                raise RuntimeError(
                    f"Trying to backward through the graph a second time (through {ctx.name}): "
                    "the buffers saved by the forward pass were freed by the first backward(). "
                    "Call backward(retain_graph=True) the first time if you need to backward twice."
                )
            input_grads = ctx.backward(ctx, grad)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if not retain_graph:
                ctx.saved_tensors, ctx.freed = (), True
            for parent, g in zip(ctx.parents, input_grads):
                if g is None or not parent.requires_grad:
                    continue
                data = parent.data
                if g.dtype is not data.dtype and g.dtype != data.dtype:  # e.g. a float32 input of a float64 op
                    g = g.astype(data.dtype)
                assert g.shape == data.shape, f"{ctx.name}.backward: gradient shape {g.shape} != input shape {data.shape}"
                key = id(parent)
                previous = grads.get(key)
                grads[key] = g if previous is None else previous + g  # a node used twice sums its gradients
            del input_grads, g  # drop our references, so _unshared can see when a gradient has no other owner
    finally:
        _grad_mode.enabled = recording
