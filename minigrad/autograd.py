"""The engine: how an op remembers what it did, and how `backward()` replays it in reverse.

Every differentiable op is a `Function` subclass with a `forward` and a `backward`
written next to each other (see `minigrad/ops/`). `Function.apply` runs the forward on
plain numpy arrays and, when a gradient will be needed, attaches the Function object to
the output tensor as `out._ctx`. Those links form a graph from the loss back to the
leaves. `backward` walks the graph in two named phases, as micrograd does:

1. topological sort (iterative, so a chain of 100,000 ops does not hit Python's
   recursion limit);
2. the chain rule, visiting every node after all the nodes that depend on it.

Looking inside, as in PyTorch: `tensor.grad_fn` is the Function that made a tensor, its
`name()` is the op's class name + "Backward0" ("MulBackward0", "LinearBackward0"; torch
names the same ops "MulBackward0", "AddmmBackward0") and `next_functions` leads to the
Functions (or `AccumulateGrad` nodes, for leaves) of its inputs. `tensor.retain_grad()` and
`tensor.register_hook(fn)` (hooks.py) ask the engine for a tensor's gradient as it passes;
`grad(outputs, inputs)` returns gradients without touching any `.grad`.

Two safety nets, as in PyTorch: version counters (an in-place change after an op saved an
array makes backward refuse, rather than compute a wrong gradient; inplace.py records the
changes themselves), and anomaly mode (`detect_anomaly`: each op remembers the line that
created it, and the first backward that returns NaN raises, naming that line).
"""
import collections
import functools
import itertools
import operator
import threading
import traceback
import weakref
from typing import Callable, NamedTuple

import numpy as np

from minigrad.warnings import in_library, warn_user


class _GradMode(threading.local):
    """Whether ops record the graph. Thread-local, so `no_grad` in one thread leaves other
    threads alone (as in PyTorch). The class attribute is every thread's starting value."""
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
    view_of_input = False  # True for ops whose output may share the input's memory (reshape, x[i])

    # What a ctx holds (declared with their C types in autograd.pxd, which makes Function a
    # compiled class): parents, params, needs_input_grad, saved_tensors, freed, seq, and
    # `trace`, where the op was created, set only in anomaly mode (see detect_anomaly).

    def __init__(self, *parents, **params):
        self.parents = parents
        self.params = params  # the keyword parameters (e.g. clamp's bounds), for gradcheck's kink detection
        # Under no_grad nothing needs a gradient, so forward can skip gradient work.
        enabled = _grad_mode.enabled
        self.needs_input_grad = tuple([enabled and p.requires_grad for p in parents])
        self.saved_tensors = ()
        self.freed = False
        self.seq = next(_sequence)  # creation order: what backward sorts the graph by
        self.trace = None

    def save_for_backward(self, *values):
        """Keep arrays (or anything else) that backward will need."""
        self.saved_tensors = values

    def name(self):
        """The op's name in the graph, as torch prints it: "MulBackward0" for Mul (the 0 is
        torch's numbering of the derivative formulas of one op; minigrad has one each)."""
        return type(self).__name__ + "Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"  # as torch prints a grad_fn

    @property
    def next_functions(self):
        """One (node, 0) per input, as torch's: the Function that made the input, an
        `AccumulateGrad` for a leaf that requires grad, or None for an input that needed no
        gradient when the op ran. (0: which output of that node; minigrad's ops have one.)"""
        return tuple((_node_of(parent) if needs else None, 0)
                     for parent, needs in zip(inputs_of(self), self.needs_input_grad))

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors (at least one) and, when a gradient will be needed, record it."""
        ctx = cls(*inputs, **params)
        data = cls.forward(ctx, *[t.data for t in inputs], **params)
        # A new Tensor around the result. The engine asks an input for it rather than
        # importing tensor.py, which imports this module: the arrows run one way.
        out = inputs[0]._wrap(data)
        if any(ctx.needs_input_grad):
            out.requires_grad = True
            out._ctx = ctx  # remember how `out` was made
            if _anomaly.enabled:
                ctx.trace = _user_stack()
        return out

    @staticmethod
    def forward(ctx, *args, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @staticmethod
    def backward_with_graph(ctx, grad, inputs, output):
        """`backward` written with Tensor ops, for create_graph=True: `grad` is a Tensor,
        `inputs` the op's input Tensors (as they were when it ran) and `output` its output;
        returns Tensors (or None per input), whose ops are recorded so that they can be
        differentiated again.

        Each primitive op writes its own beside `backward` (the same formula, on Tensors).
        An op with a `composed` form (the losses, softmax: the op again in primitive ops)
        gets it from there: the recorded gradient of its composed form. The fused kernels
        stay the path of create_graph=False.
        """
        composed = getattr(type(ctx), "composed", None)
        if composed is None:
            raise NotImplementedError(f"create_graph=True: {type(ctx).__name__} has no backward written with Tensor "
                                      "ops (backward_with_graph), so its gradient cannot be differentiated again")
        wanted = [t for t, needs in zip(inputs, ctx.needs_input_grad) if needs]
        again = composed(*inputs, **ctx.params)
        found = iter(_grad_of(again, wanted, grad, create_graph=True, allow_unused=True))
        return tuple(next(found) if needs else None for needs in ctx.needs_input_grad)


class AccumulateGrad:
    """The graph node of a leaf that requires grad (torch's name): where the gradient ends,
    added into `variable.grad`. Only `next_functions` makes one, so a walk of the graph
    meets the leaves; the engine adds into leaves itself (see _accumulate)."""

    __slots__ = ("variable", "__weakref__")
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


# The AccumulateGrad of each leaf while anyone holds it, so walking the graph twice meets
# the same object, as in torch (the node holds its leaf, so the id stays that leaf's).
_accumulators = weakref.WeakValueDictionary()


def _node_of(tensor):
    """The node that receives `tensor`'s gradient: its Function, or its leaf's AccumulateGrad."""
    if tensor._ctx is not None:
        return tensor._ctx
    node = _accumulators.get(id(tensor))
    if node is None or node.variable is not tensor:
        node = _accumulators[id(tensor)] = AccumulateGrad(tensor)
    return node


# ---- in-place changes: version counters -------------------------------------------------
# An op saves arrays for its backward; an in-place change (x.add_(1), an optimizer step) can
# overwrite one of them before backward runs, and the gradient would silently be wrong. As in
# torch, every in-place change bumps a version counter, and backward raises when something an
# op saved was changed after the op ran. Two choices keep it free when nothing changes:
# - The counter belongs to the memory, not to the Tensor object: a view (reshape, x[0], .T,
#   detach) and its base share it because they share memory. Only memory that has ever been
#   changed in place has a record.
# - Instead of noting each saved array's version when an op runs, each change notes *when* it
#   happened on the clock that numbers the ops (`Function.seq`). An op is affected only if a
#   change came after it was created, and `_last_change` says when the latest one came, so
#   backward compares two numbers per op and looks further only then.


class _Changes:
    """The in-place changes of one block of memory: how many (the version) and when (clock
    times, the last 100: enough to name the version an op saw). (Its two fields are
    declared in autograd.pxd.)"""

    def __init__(self):
        self.version = 0
        self.times = collections.deque(maxlen=100)


_changes = {}           # id(memory) -> _Changes, for memory changed in place, while it lives
_last_change = -1       # the clock time of the latest in-place change anywhere


def _memory_of(array):
    """The array that owns `array`'s memory (follows a view's .base to the end)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def bump_version(tensor):
    """Note an in-place change of `tensor`'s memory (its views and base share the counter)."""
    global _last_change
    memory = _memory_of(tensor.data)
    record = _changes.get(id(memory))
    if record is None:
        record = _changes[id(memory)] = _Changes()
        weakref.finalize(memory, _changes.pop, id(memory), None)  # forget it with the memory
    record.version += 1
    _last_change = next(_sequence)
    record.times.append(_last_change)
    return _last_change


def version_of(tensor):
    """How many in-place changes `tensor`'s memory has had (torch's `tensor._version`)."""
    record = _changes.get(id(_memory_of(tensor.data)))
    return 0 if record is None else record.version


def inputs_of(ctx):
    """The op's inputs as they were when it ran.

    An in-place change of a tensor the graph made (y.add_(1) after y = x.exp()) records a new
    op on the same Tensor object; the ops that used y before the change must still send
    their gradient to y as it was. The change leaves that earlier y behind as `y._past`
    (see inplace.py), so an op created before a change finds it there.
    """
    if ctx.seq > _last_change:
        return ctx.parents  # nothing changed in place since this op ran: the usual case
    return tuple([_as_of(parent, ctx.seq) for parent in ctx.parents])


def _as_of(tensor, time):
    """`tensor` as it was at clock `time`: follow its in-place changes back past `time`."""
    past = tensor._past  # (time of the change, the tensor before it), or None
    while past is not None and past[0] > time:
        tensor = past[1]
        past = tensor._past
    return tensor


def _check_saved(ctx, node):
    """torch's error when an array `ctx` saved was changed in place after `ctx` ran (a
    change through any tensor sharing its memory)."""
    for value in _saved_arrays(ctx.saved_tensors):
        memory = _memory_of(value)
        record = _changes.get(id(memory))
        if record is None or record.times[-1] < ctx.seq:
            continue
        after = sum(1 for time in record.times if time > ctx.seq)
        expected = record.version - after
        owner = _owner_of(memory, ctx, node)
        which = f", which is output 0 of {type(owner._ctx).__name__}," if owner is not None and owner._ctx else ""
        hint = (" Hint: the backtrace further above shows the operation that failed to compute its gradient. "
                "The variable in question was changed in there or anywhere later. Good luck!" if _anomaly.enabled else
                " Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
                "with minigrad.autograd.set_detect_anomaly(True, check_nan=False).")
        shape = "[" + ", ".join(str(n) for n in value.shape) + "]"
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an inplace operation: "
            f"[minigrad.{_TYPE_NAMES.get(value.dtype.name, value.dtype.name)} {shape}]{which} is at version "
            f"{record.version}; expected version {expected}{' or earlier' if after == len(record.times) == 100 else ''}"
            f" instead.{hint}")


def _stale_view(view, time):
    """True when `view`, made by view ops (x[0], reshape, .T), was used at clock `time` after
    its base had been changed in place in the graph other than through this view: its values
    were then the new base's, but its history leads to the old one. (A view changed itself
    is taken again from the new base, see inplace.py; stand-ins for old values have `_past`.)"""
    while view._ctx is not None and view._ctx.view_of_input and view._past is None:
        base = view._ctx.parents[0]
        if _as_of(base, time) is not _as_of(base, view._ctx.seq):
            return True
        view = base
    return False


def _saved_arrays(saved):
    """The numpy arrays among what an op saved, also one level inside tuples (a loss saves its
    target arrays in a tuple)."""
    for value in saved:
        if type(value) is np.ndarray:
            yield value
        elif type(value) is tuple:
            yield from (item for item in value if type(item) is np.ndarray)


def _owner_of(memory, ctx, node):
    """Which tensor around `ctx` (its output, then its inputs as they were) owns `memory`."""
    for tensor in (node, *inputs_of(ctx)):
        past = tensor._past
        # A stand-in for an old value (see inplace.py): the memory it was in.
        held = past[2] if past is not None and len(past) == 3 else tensor.data
        if _memory_of(held) is memory:
            return tensor
    return None


_TYPE_NAMES = {"float16": "HalfTensor", "float32": "FloatTensor", "float64": "DoubleTensor",
               "int64": "LongTensor", "int32": "IntTensor", "bool": "BoolTensor"}


# ---- anomaly mode: where a NaN came from ----------------------------------------------


class _AnomalyMode:
    """Whether ops remember where they were created, and backward checks for NaN (global, as
    torch's is)."""
    enabled = False
    check_nan = True


_anomaly = _AnomalyMode()


def is_anomaly_enabled():
    """True inside detect_anomaly() / after set_detect_anomaly(True)."""
    return _anomaly.enabled


def is_anomaly_check_nan_enabled():
    """True when anomaly mode also checks every backward result for NaN."""
    return _anomaly.check_nan


class _AnomalySwitch:
    """Anomaly mode set inside a `with` block or a decorated function, restored after."""

    def __init__(self, mode, check_nan=True):
        self.mode, self.nan = bool(mode), bool(check_nan)
        self._previous = []

    def __enter__(self):
        self._previous.append((_anomaly.enabled, _anomaly.check_nan))
        _anomaly.enabled, _anomaly.check_nan = self.mode, self.nan

    def __exit__(self, *exc):
        _anomaly.enabled, _anomaly.check_nan = self._previous.pop()
        return False

    def __call__(self, fn):
        mode, nan = self.mode, self.nan

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _AnomalySwitch(mode, nan):
                return fn(*args, **kwargs)
        return wrapper


class detect_anomaly(_AnomalySwitch):
    """Debugging mode for backward, as a context manager or a decorator:

        with minigrad.autograd.detect_anomaly():
            loss = model(x) ...          # each op remembers the line that created it
            loss.backward()              # a backward returning NaN raises, naming that line

    Every op created inside remembers where (the stack of the user's code); when an op's
    backward returns NaN (check_nan=True), backward raises torch's "Function 'XBackward0'
    returned nan values in its 0th output." and shows the line that created the op; any other
    error in backward (an in-place change, a hook's) shows it too. It slows every op: only for
    debugging.
    """

    def __init__(self, check_nan=True):
        super().__init__(True, check_nan)
        warn_user("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                  "enabled for debugging.")


class set_detect_anomaly(_AnomalySwitch):
    """Turn anomaly mode on or off (see detect_anomaly): now, as a plain call, or for a block
    as a context manager (the previous mode is back after it), as torch's."""

    def __init__(self, mode, check_nan=True):
        super().__init__(mode, check_nan)
        self._before = (_anomaly.enabled, _anomaly.check_nan)
        _anomaly.enabled, _anomaly.check_nan = self.mode, self.nan

    def __enter__(self):
        self._previous.append(self._before)


def _user_stack():
    """The stack where an op is being created, without the frames inside minigrad's library
    (the course's lessons are user code here): the last line is the user's."""
    frames = traceback.extract_stack()  # (compiled, the library's own functions leave no frame here)
    while frames and in_library(frames[-1].filename):
        frames.pop()
    return frames


def _explain_anomaly(ctx, error):
    """In anomaly mode, say where the op whose backward failed was created: torch's warning
    (shown at the user's line that called backward), and the same lines as a note on the error."""
    trace = ctx.trace
    if trace is None:
        where = ("No forward pass information available. Enable detect anomaly during forward pass for more "
                 "information.")
    else:
        where = "Traceback of forward call that caused the error:\n" + "".join(traceback.format_list(trace)).rstrip()
    warn_user(f"Error detected in {ctx.name()}. {where}")
    if trace:
        last = trace[-1]
        error.add_note(f"{ctx.name()} was created at {last.filename}:{last.lineno}: {last.line}")


def _check_nan(ctx, input_grads):
    for i, g in enumerate(input_grads):
        if g is not None and np.isnan(g).any():
            raise RuntimeError(f"Function '{ctx.name()}' returned nan values in its {i}th output.")


def toposort(root, more_roots=()):
    """Every node reachable from `root` (and `more_roots`: distinct tensors), each listed
    after all of its inputs.

    The order comes for free from when each op ran: `apply` numbers every Function as it
    is created (`ctx.seq`), and an op can only be created after the ops that made its
    inputs. So: collect what is reachable (an explicit stack, no recursion, so a chain of
    100,000 ops does not hit Python's recursion limit), then sort by that number, leaves
    first. PyTorch's engine orders its nodes by the same kind of sequence number.
    """
    return _sorted_graph(root, more_roots)[0]


def _sorted_graph(root, more_roots, as_they_were=False):
    """toposort's list, and whether something was changed in place after the oldest op ran."""
    leaves, ops, seen, stack = [], [], {id(root)}, [root]
    for other in more_roots:  # (grad() of several outputs)
        seen.add(id(other))
        stack.append(other)
    while stack:
        node = stack.pop()
        ctx = node._ctx
        if ctx is None:
            leaves.append(node)
            continue
        ops.append(node)
        for parent in (inputs_of(ctx) if as_they_were else ctx.parents):
            if parent.requires_grad and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    ops.sort(key=_creation_order)
    changed = bool(ops) and ops[0]._ctx.seq < _last_change
    if changed and not as_they_were:
        # Walk again, following each op's inputs as they were when it ran (see inputs_of).
        # Rare, so decided once, here.
        return _sorted_graph(root, more_roots, as_they_were=True)
    return leaves + ops, changed


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """d(outputs)/d(inputs), returned as a tuple of Tensors (one per input); no `.grad` changes.

    `outputs` and `inputs` are Tensors or sequences of them. With several outputs the result
    is the gradient of sum_k <grad_outputs[k], outputs[k]>; `grad_outputs[k]` may be None for
    a one-element output (then it is 1). An input the outputs do not depend on is an error,
    or None with `allow_unused=True`. Hooks on the way run, and tensors that retain their
    gradient get it, as in torch. `retain_graph` defaults to `create_graph`.
    """
    outputs = tensor_list(outputs)
    inputs = tensor_list(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    gradients = _output_gradients(outputs, grad_outputs)
    for i, output in enumerate(outputs):
        if not output.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    if not all(tensor.requires_grad for tensor in inputs):
        raise RuntimeError("One of the differentiated Tensors does not require grad")
    if create_graph:
        return _grad_with_graph(outputs, inputs, gradients, grad_outputs,
                                True if retain_graph is None else bool(retain_graph), allow_unused)
    roots, starts, claimed = {}, {}, {}
    for output, gradient in zip(outputs, gradients):  # an output listed twice starts from the sum
        roots[id(output)] = output
        starts[id(output)] = gradient if id(output) not in starts else starts[id(output)] + gradient
        claimed[id(gradient)] = gradient
    captured = backward(tuple(roots.values()), starts, claimed,
                        bool(retain_graph) if retain_graph is not None else create_graph,
                        targets={id(t): t for t in inputs}, capture=True)
    results, returned = [], set()
    for i, tensor in enumerate(inputs):
        array = captured.get(id(tensor))
        if array is None:
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
            results.append(None)
            continue
        if id(array) in returned:  # the same input asked for twice: two arrays
            array = array.copy()
        returned.add(id(array))
        results.append(tensor._wrap(array))
    return tuple(results)


def _grad_with_graph(outputs, inputs, gradients, grad_outputs, retain_graph, allow_unused):
    """grad(..., create_graph=True): the gradients as Tensors with a graph of their own."""
    given = [None] * len(outputs) if grad_outputs is None else tensor_list(grad_outputs)
    roots, starts = {}, {}
    for output, array, tensor in zip(outputs, gradients, given):
        # A grad_output that is a Tensor keeps its graph (a Hessian-vector product needs it).
        start = tensor if hasattr(tensor, "requires_grad") and tensor.dtype == output.dtype else output._wrap(array)
        roots[id(output)] = output
        starts[id(output)] = start if id(output) not in starts else starts[id(output)] + start
    captured = backward_with_graph(tuple(roots.values()), starts, retain_graph,
                                   targets={id(t): t for t in inputs}, capture=True)
    results = []
    for i, tensor in enumerate(inputs):
        found = captured.get(id(tensor))
        if found is None and not allow_unused:
            raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                               "graph. Set allow_unused=True if this is the desired behavior.")
        results.append(found)
    return tuple(results)


_grad_of = grad  # (the name `grad` is the gradient argument inside Function methods)


def tensor_list(tensors):
    """A Tensor or a sequence of Tensors, as a list."""
    return list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]


def _output_gradients(outputs, grad_outputs):
    """The gradient each output starts from, as arrays, with torch's checks."""
    grad_outputs = [None] * len(outputs) if grad_outputs is None else tensor_list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    arrays = []
    for i, (output, given) in enumerate(zip(outputs, grad_outputs)):
        if given is None:
            if output.requires_grad and output.data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            arrays.append(np.ones(output.shape, output.dtype))  # d(output)/d(output) = 1
            continue
        data = getattr(given, "data", None)  # a Tensor's array; numpy's .data is a memoryview
        array = data if isinstance(data, np.ndarray) else np.asarray(given)
        if array.shape != output.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {array.shape} and "
                               f"output[{i}] has a shape of {output.shape}.")
        arrays.append(array.astype(output.dtype, copy=False))
    return arrays


def backward(roots, grads, claimed, retain_graph=False, targets=None, capture=False):
    """Reverse mode: push d(root)/d(node) from `roots` (distinct tensors) back to every leaf,
    each root starting from its array in `grads` (id(root) -> the caller's array; the pass
    consumes the dict). `claimed` (id -> array) lists those caller's arrays (see below; the
    pass adds to it). What `Tensor.backward` and `grad` run.

    Leaves (tensors made by the user, with `requires_grad=True`) accumulate the result
    into `.grad`; intermediate gradients live only for the duration of this call, unless a
    tensor asked for its own (`retain_grad()`, hooks). `targets` (id -> tensor), when given,
    limits the pass to the ops on a path from a root to a target, and only targets
    accumulate (a non-leaf target through retain_grad). With `capture` nothing is
    accumulated and the targets' gradients are returned (id -> array), for `grad`.
    Unless `retain_graph=True`, each Function drops what it saved once it has been used,
    so the memory of the forward pass is released; a second `backward()` through the same
    graph then raises, as in PyTorch.

    Who owns which gradient array: a leaf keeps the array it is given as its `.grad` without
    a copy only when the engine knows no one else can hold it. `claimed` lists the arrays
    that someone outside the pass may hold: the caller's starting gradients, every array
    already given to a tensor's `.grad` or to a hook, a hook's result, and an array an op's
    backward hands back from what it saved when the op keeps it (retain_graph) or when it is
    the data of the op's input or output. A view (`base` is not None) shares memory with
    another array, so it is never taken either. Everything else was made during this pass by
    an op's backward (or released by the op that saved it) or by the engine's own sums, and
    goes to one tensor at most.
    """
    nodes, slow = _sorted_graph(roots[0], roots[1:])  # phase 1 (slow: something changed in place since)
    reach = None
    if targets is not None:
        reach = _reach(nodes, targets)
        nodes = [node for node in nodes if id(node) in reach]
    captured = {} if capture else None
    recording = _grad_mode.enabled
    _grad_mode.enabled = False  # backward's own arithmetic is not part of any graph
    try:
        _chain_rule(nodes, grads, claimed, retain_graph, slow, reach, targets, captured)  # phase 2
    finally:
        _grad_mode.enabled = recording
    if capture:  # the caller gets arrays no one else holds
        return {key: _fresh(array, claimed) for key, array in captured.items()}
    return None


def _chain_rule(nodes, grads, claimed, retain_graph, slow, reach, targets, captured):
    """backward's phase 2: visit `nodes` (inputs before their users) in reverse, outputs
    before inputs, each node's gradient (in `grads`) complete when it is visited; hand each
    op's input gradients on, accumulate the leaves'. (The arguments: see backward.)"""
    last_change = _last_change
    checking_nan = _anomaly.enabled and _anomaly.check_nan
    ctx = None
    try:
        for node in reversed(nodes):
            grad = grads.pop(id(node), None)
            if grad is None:
                continue
            if node._hooks is not None:  # hooks and retain_grad: one test per node when there are none
                grad = _run_hooks(node, grad, claimed)
            if reach is not None:  # backward(inputs=...) or grad(): only toward the targets
                if id(node) in targets:
                    if captured is not None:
                        captured[id(node)] = grad
                    elif node._ctx is None:
                        _accumulate(node, grad, claimed)  # (a non-leaf target retains its grad: Tensor.backward)
                if not reach[id(node)]:
                    continue  # nothing to reach beyond this node
            ctx = node._ctx
            if ctx is None:  # a leaf: accumulate until the user zeroes it
                _accumulate(node, grad, claimed)
                continue
            if ctx.freed:
                raise _freed(ctx)
            parents = ctx.parents
            if slow and ctx.seq < last_change:  # something was changed in place after this op ran
                _check_saved(ctx, node)
                parents = inputs_of(ctx)
            saved = ctx.saved_tensors
            input_grads = ctx.backward(ctx, grad)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if checking_nan:
                _check_nan(ctx, input_grads)
            if not retain_graph:
                ctx.saved_tensors, ctx.freed = (), True
            for parent, g in zip(parents, input_grads):
                if g is None or not parent.requires_grad:
                    continue
                if slow and parent._ctx is not None and _stale_view(parent, ctx.seq):
                    raise RuntimeError(
                        f"a view ({parent._ctx.name()}, shape {list(parent.shape)}) was used by {ctx.name()} after "
                        "the tensor it views was changed in place (not through this view) with the change "
                        "recorded in the graph: minigrad cannot rebuild the view's history (torch replays the "
                        "view). Take the view again after the change, or change a .clone().")
                data = parent.data
                if g.dtype != data.dtype:  # e.g. a float32 input of a float64 op
                    g = g.astype(data.dtype)
                assert g.shape == data.shape, f"{ctx.name()}: gradient shape {g.shape} != input shape {data.shape}"
                if parent._ctx is None or reach is not None:  # g may be kept: a leaf's .grad, grad()'s result
                    # ... unless it is some tensor's .data, or an array the op keeps (retain_graph:
                    # losses hand back the gradient they saved when the upstream gradient is 1)
                    if (g is data or g is node.data or (len(parents) > 1 and _is_data_of(g, node, parents))
                            or (retain_graph and _is_one_of(g, saved))):
                        claimed[id(g)] = g
                key = id(parent)
                previous = grads.get(key)
                grads[key] = g if previous is None else previous + g  # a node used twice sums its gradients
    except Exception as error:
        if _anomaly.enabled and ctx is not None:
            _explain_anomaly(ctx, error)
        raise


def backward_with_graph(roots, grads, retain_graph=True, targets=None, capture=False):
    """Reverse mode with create_graph=True: every gradient is a Tensor, and the ops that
    compute it are recorded, so it can be differentiated again (second derivatives).

    The same walk as `backward` (which stays the fast path: it computes on arrays and records
    nothing), with each op's `backward_with_graph` (its backward written with Tensor ops)
    instead of its `backward`. `grads`: id(root) -> a Tensor. Leaves accumulate Tensors
    with a graph in `.grad`; with `capture` the targets' gradients are returned instead.
    """
    nodes, slow = _sorted_graph(roots[0], roots[1:])
    reach = None
    if targets is not None:
        reach = _reach(nodes, targets)
        nodes = [node for node in nodes if id(node) in reach]
    captured = {}
    checking_nan = _anomaly.enabled and _anomaly.check_nan
    ctx = None
    try:
        with enable_grad():  # the backward's own ops are recorded: that is the point
            for node in reversed(nodes):
                grad = grads.pop(id(node), None)
                if grad is None:
                    continue
                if node._hooks is not None:
                    grad = _run_hooks_with_graph(node, grad)
                if reach is not None:
                    if id(node) in targets:
                        if capture:
                            captured[id(node)] = grad
                        elif node._ctx is None:
                            node._grad = grad if node._grad is None else node._grad + grad
                    if not reach[id(node)]:
                        continue
                ctx = node._ctx
                if ctx is None:  # a leaf: .grad += grad, recorded
                    node._grad = grad if node._grad is None else node._grad + grad
                    continue
                if ctx.freed:
                    raise _freed(ctx)
                parents = ctx.parents
                if slow and ctx.seq < _last_change:
                    _check_saved(ctx, node)
                    parents = inputs_of(ctx)
                input_grads = type(ctx).backward_with_graph(ctx, grad, parents, node)
                if type(input_grads) is not tuple:
                    input_grads = (input_grads,)
                if checking_nan:
                    _check_nan(ctx, [None if g is None else g.data for g in input_grads])
                if not retain_graph:
                    ctx.saved_tensors, ctx.freed = (), True
                for parent, g, needs in zip(parents, input_grads, ctx.needs_input_grad):
                    if g is None or not needs or not parent.requires_grad:
                        continue
                    if g.dtype != parent.dtype:
                        g = g.to(parent.dtype)
                    assert g.shape == parent.shape, \
                        f"{ctx.name()}: gradient shape {g.shape} != input shape {parent.shape}"
                    previous = grads.get(id(parent))
                    grads[id(parent)] = g if previous is None else previous + g
    except Exception as error:
        if _anomaly.enabled and ctx is not None:
            _explain_anomaly(ctx, error)
        raise
    return captured if capture else None


def _run_hooks_with_graph(tensor, grad):
    """_run_hooks for Tensors with a graph: the hooks see the gradient Tensor itself."""
    hooks = tensor._hooks
    for hook in list(hooks.functions.values()):
        result = hook(grad)
        if result is not None:
            grad = _checked_hook_result(hook, result, grad)
    if hooks.retains_grad:
        tensor._grad = grad if tensor._grad is None else tensor._grad + grad
    return grad


def _checked_hook_result(hook, result, given):
    """A hook's replacement for the gradient `given`, with torch's errors when it is not a
    Tensor of the same dtype and shape."""
    name = getattr(hook, "__name__", repr(hook))
    if not isinstance(result, type(given)):  # a Tensor (this module does not import tensor.py)
        raise TypeError(f"expected Tensor, but hook '{name}' returned '{type(result).__name__}'")
    if result.dtype != given.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {given.dtype} got {result.dtype})")
    if result.shape != given.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value (was {given.shape} got {result.shape})")
    return result


def _freed(ctx):
    """torch's error for a second backward through a graph whose saved arrays were freed."""
    error = RuntimeError(
        "Trying to backward through the graph a second time (or directly access saved tensors after they have "
        "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
        "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
        "if you need to access saved tensors after calling backward.")
    error.add_note(f"(the first backward() freed what {ctx.name()} had saved)")
    return error


def _is_data_of(array, node, parents):
    """True when `array` is the data of the op's output or of one of its inputs."""
    if array is node.data:
        return True
    for parent in parents:
        if array is parent.data:
            return True
    return False


def _is_one_of(array, values):
    """True when `array` is one of `values` (the object itself: `in` would compare arrays)."""
    for value in values:
        if value is array:
            return True
    return False


def _reach(nodes, targets):
    """For backward(inputs=...) and grad(): id -> whether the node's op must run, for each
    node that is a target or leads to one. `nodes` lists inputs before their users."""
    reach = {}
    for node in nodes:
        ctx = node._ctx
        leads = ctx is not None and any(id(parent) in reach for parent in inputs_of(ctx))
        if leads or id(node) in targets:
            reach[id(node)] = leads
    return reach


def _fresh(array, claimed):
    """`array` itself when no one else may hold it (see backward), else a copy; either way
    the result is now claimed."""
    key = id(array)
    if array.base is not None or key in claimed:
        array = array.copy()
        key = id(array)
    claimed[key] = array
    return array


def _accumulate(tensor, grad, claimed):
    """tensor.grad += grad, out of place: the old .grad array may be held elsewhere too.
    A first gradient is kept as it is when no one else may hold it (see _fresh)."""
    held = tensor._grad
    if held is not None:
        tensor._grad = tensor._wrap(held.data + grad)
        return
    if grad.base is not None or id(grad) in claimed:
        grad = grad.copy()
    claimed[id(grad)] = grad
    tensor._grad = tensor._wrap(grad)


def _run_hooks(tensor, grad, claimed):
    """The tensor's hooks, in the order registered, each given the previous one's result;
    then, if it retains its gradient, the result is added into its .grad (torch runs that
    last whatever the order of registration)."""
    hooks = tensor._hooks
    for hook in list(hooks.functions.values()):  # a copy: a hook may remove itself
        claimed[id(grad)] = grad  # the hook may keep what it is given
        given = tensor._wrap(grad)
        result = hook(given)
        if result is None:
            continue
        grad = _checked_hook_result(hook, result, given).data
        claimed[id(grad)] = grad
    if hooks.retains_grad:
        _accumulate(tensor, grad, claimed)
    return grad


def __getattr__(name):
    """minigrad.autograd.functional (torch.autograd.functional: hessian, jacobian, vjp, ...),
    loaded on first use: it is built on this module and on Tensor, which imports this module,
    so importing it while this module loads would be a cycle."""
    if name == "functional":
        from minigrad import autograd_functional
        return autograd_functional
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
