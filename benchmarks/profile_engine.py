"""Where a small training step's time goes in minigrad's interpreted engine: the profile to take before compiling it.

At the lessons' sizes (a few rows, a few features) the numpy and kernel work of a step is a
small part of it: most of the time is Python, the engine's (Function.apply, backward's loop,
Tensor creation, the optimizer's loop) and the ops' (argument checks in the Tensor methods
and in nn.functional). This script splits that time so that the places to type (or to
compile) can be read off the tables:

1. Per op, at the lessons' shapes, float32 and float64: recording the op through the call a
   user writes (the Tensor method, operator, nn.Linear or F.* loss), the same under no_grad,
   Function.apply alone, the op's forward on plain arrays (the numpy/kernel work), the
   engine's backward per op and the op's backward on plain arrays. Overhead = the engine's
   time minus the work on arrays.
2. Fixed costs: making a Tensor, Function.apply's own bookkeeping, Tensor.backward's setup,
   a leaf's accumulation, an SGD step per parameter (with the version-counter bump), zero_grad.
3. Each lesson step from benchmarks/bench_steps.py (its builders, imported unchanged:
   minigrad_step, float64, the lessons' code; user_step, float32, as a user writes it):
   forward, zero_grad, backward, step; and the per-op figures summed over the ops of the
   step's graph, against the measured step.

Timing: every figure is the minimum over several repeats of a timeit loop (or, where each
call needs a fresh graph, of a loop over graphs built beforehand and not timed), with the
garbage collector off while timing, minus the cost of calling the empty timed lambda. The
minimum because this 2-core machine is noisy (see ../../shared/PERF.md): a neighbour only
ever adds time. Figures still move by a few percent between runs; compare within one run.

    python benchmarks/profile_engine.py            # about 15 seconds
    python benchmarks/profile_engine.py --quick    # a few seconds (smoke run; noisy figures)
"""
import argparse
import gc
import inspect
import math
import sys
import time
import timeit

import _common  # noqa: F401  (first: pins BLAS/OpenMP to one thread before numpy loads)
from _common import Table, print_machine

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
from minigrad import autograd, nn  # noqa: E402
from minigrad.autograd import Function, bump_version  # noqa: E402
from minigrad.nn import functional as F  # noqa: E402
from minigrad.tensor import Tensor  # noqa: E402

import bench_steps  # noqa: E402  (the lessons' steps; this script only imports it)

DTYPES = {"float32": mg.float32, "float64": mg.float64}


# ---- timing -----------------------------------------------------------------------------------
class Timer:
    """min-of-repeats timing. `target` seconds per repeat, `repeat` repeats."""

    def __init__(self, quick):
        self.target = 0.0003 if quick else 0.01
        self.repeat = 3 if quick else 9
        self.copies = 20 if quick else 200   # ops per graph for the backward-per-op figures
        self.floor = 0.0
        self.floor = self.per_call(lambda: None)  # the cost of calling the timed lambda itself

    def per_call(self, fn):
        """Seconds per call of fn(), min over repeats, net of the empty call."""
        timer = timeit.Timer(fn)      # timeit turns the garbage collector off while timing
        once = max(timer.timeit(1), 1e-7)
        number = max(1, min(100_000, int(self.target / once)))
        return max(min(timer.repeat(self.repeat, number)) / number - self.floor, 0.0)

    def per_item(self, build, run, count=None):
        """Seconds per run(item) over `count` items built beforehand (untimed), min over repeats:
        for calls that consume what they are given (a backward frees its graph)."""
        count = count or max(20, self.copies)
        best = math.inf
        for _ in range(self.repeat):
            items = [build() for _ in range(count)]
            gc.disable()
            start = time.perf_counter()
            for item in items:
                run(item)
            elapsed = time.perf_counter() - start
            gc.enable()
            best = min(best, elapsed / count)
            del items
        return best

    def per_graph(self, build):
        """Seconds of one call of autograd.backward over the graph build() returns (roots,
        grads, claimed), min over repeats; each repeat gets a fresh graph."""
        best = math.inf
        for _ in range(self.repeat):
            roots, grads, claimed = build()
            gc.disable()
            start = time.perf_counter()
            autograd.backward(roots, grads, claimed, False)
            elapsed = time.perf_counter() - start
            gc.enable()
            best = min(best, elapsed)
            del roots, grads, claimed
        return best


def us(seconds):
    return f"{seconds * 1e6:.2f}"


def pct(part, whole):
    return f"{100 * part / whole:.0f}%" if whole > 0 else "-"


# ---- helpers on the graph ------------------------------------------------------------------
def ops_of(root):
    """The op nodes (tensors a recorded op made) of root's graph, inputs first."""
    return [node for node in autograd.toposort(root) if node._ctx is not None]


def key_of(node):
    """What identifies an op for matching a step's graph with the per-op table."""
    ctx = node._ctx
    return type(ctx).__name__, tuple(tuple(p.shape) for p in ctx.parents), node.data.dtype.name


def fresh_leaf(t):
    """A new leaf that requires grad, sharing t's array."""
    out = Tensor._wrap(t.data)
    out.requires_grad = True
    return out


def start_gradients(roots):
    """What Tensor.backward hands to the engine: one fresh starting array per root (d root /
    d root = 1), all of them listed as the caller's (claimed)."""
    grads = {id(r): np.ones(r.data.shape, r.data.dtype) for r in roots}
    return grads, {id(g): g for g in grads.values()}


class _Noop(Function):
    """An op that does nothing (returns its input's array): Function.apply and backward's
    per-op handling without any numpy work."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad


# ---- 1. per op -------------------------------------------------------------------------------
def op_cases(dtype):
    """(label, lessons that use it, call) for every op kind of the lessons' steps, at their
    shapes. call() records one op through the API a learner writes; its inputs that can
    require grad do. 'svm*' is the SVM step as a user writes it in float32:
    (1 - y * (X @ w + b)).relu().mean() + 0.01 * (w * w).sum()."""
    rng = np.random.default_rng(0)

    def leaf(*shape, low=-1.0, high=1.0):
        return mg.tensor(rng.uniform(low, high, shape), dtype=dtype, requires_grad=True)

    def const(array, dt=None):
        return mg.tensor(np.asarray(array), dtype=dt or dtype)

    def linear(n, fin, fout, bias):
        model = nn.Linear(fin, fout, bias=bias, dtype=dtype)
        x = const(rng.uniform(-1, 1, (n, fin)))
        return lambda: model(x)

    s61, s6, s2, s0, s12 = leaf(6, 1), leaf(6), leaf(2), leaf(), leaf(1, 2)
    s0b, s6b, b0 = leaf(), leaf(6), leaf()
    y6 = const([1, -1, 1, 1, -1, -1])
    X62 = const(rng.uniform(-1, 1, (6, 2)))
    z41 = leaf(4, 1)
    p41, t41 = leaf(4, 1, low=0.1, high=0.9), const([[0.0], [0.0], [0.0], [1.0]])
    x51, y51 = leaf(5, 1), const(rng.uniform(-1, 1, (5, 1)))
    x43, c4 = leaf(4, 3), const([0, 1, 2, 1], mg.int64)
    return [
        ("nn.Linear 5×1 → 1, no bias", "regression", linear(5, 1, 1, False)),
        ("nn.Linear 4×2 → 1", "binary", linear(4, 2, 1, True)),
        ("nn.Linear 4×3 → 3", "multiclass", linear(4, 3, 3, True)),
        ("nn.Linear 6×2 → 1", "svm", linear(6, 2, 1, True)),
        ("x.reshape(-1) (6,1)", "svm", lambda: s61.reshape(-1)),
        ("x + 1.0 (6,)", "-", lambda: s6 + 1.0),
        ("1 - x (6,)", "svm*", lambda: 1 - s6),
        ("0.01 * x ()", "svm, svm*", lambda: 0.01 * s0),
        ("x * y (6,), y const", "svm*", lambda: y6 * s6),
        ("w * w (2,)", "svm*", lambda: s2 * s2),
        ("x + b (6,) + ()", "svm*", lambda: s6 + b0),
        ("a + b () + ()", "svm, svm*", lambda: s0 + s0b),
        ("w ** 2 (1,2)", "svm", lambda: s12 ** 2),
        ("w.sum() (1,2)", "svm", lambda: s12.sum()),
        ("w.sum() (2,)", "svm*", lambda: s2.sum()),
        ("x.mean() (6,)", "svm*", lambda: s6b.mean()),
        ("x.relu() (6,)", "svm*", lambda: s6b.relu()),
        ("z.sigmoid() (4,1)", "binary", lambda: z41.sigmoid()),
        ("X @ w (6,2) @ (2,)", "svm*", lambda: X62 @ s2),
        ("F.mse_loss (5,1)", "regression", lambda: F.mse_loss(x51, y51)),
        ("F.binary_cross_entropy (4,1)", "binary", lambda: F.binary_cross_entropy(p41, t41)),
        ("F.cross_entropy (4,3)", "multiclass", lambda: F.cross_entropy(x43, c4)),
        ("F.hinge_loss (6,)", "svm", lambda: F.hinge_loss(s6b, y6)),
    ]


def leaf_cost(timer, dtype):
    """Seconds per leaf of backward's visit of a leaf and its accumulation into .grad (a
    first gradient, not copied): backward over N leaves given as roots, divided by N."""
    def build():
        roots = [fresh_leaf(Tensor._wrap(np.zeros((1, 2), dtype))) for _ in range(timer.copies)]
        grads = {id(r): np.ones((1, 2), dtype) for r in roots}  # fresh arrays no one else holds
        return tuple(roots), grads, {}
    return timer.per_graph(build) / timer.copies


def profile_op(timer, call, leaf_seconds):
    """The figures of one op (seconds), from its user-level call."""
    out = call()
    nodes = ops_of(out)
    assert len(nodes) == 1, f"expected one recorded op, got {[n._ctx.name() for n in nodes]}"
    ctx = out._ctx
    cls, parents, params = type(ctx), ctx.parents, ctx.params
    needs = tuple(p.requires_grad for p in parents)
    grad_parents = list({id(p): p for p in parents if p.requires_grad}.values())

    r = {"key": key_of(out), "op": cls.__name__, "leaves": len(grad_parents)}
    r["record"] = timer.per_call(call)
    with mg.no_grad():
        r["no_grad"] = timer.per_call(call)
    r["apply"] = timer.per_call(lambda: cls.apply(*parents, **params))

    ctx0 = cls.__new__(cls)           # a context as apply makes it, for the forward on arrays
    ctx0.parents, ctx0.params, ctx0.saved_tensors, ctx0.freed = parents, params, (), False
    ctx0.seq, ctx0.needs_input_grad = 0, needs
    arrays = [p.data for p in parents]
    r["forward_arrays"] = timer.per_call(lambda: cls.forward(ctx0, *arrays, **params))

    recorded = cls.apply(*parents, **params)   # its ctx keeps what forward saved
    g = np.ones(recorded.data.shape, recorded.data.dtype)
    r["backward_arrays"] = timer.per_call(lambda: cls.backward(recorded._ctx, g))

    def graph():  # N copies of the op, each on leaves of its own
        roots = []
        for _ in range(timer.copies):
            fresh = {id(p): fresh_leaf(p) for p in grad_parents}
            roots.append(cls.apply(*[fresh.get(id(p), p) for p in parents], **params))
        grads, claimed = start_gradients(roots)
        return tuple(roots), grads, claimed
    r["backward"] = timer.per_graph(graph) / timer.copies - r["leaves"] * leaf_seconds
    r["overhead"] = (r["record"] - r["forward_arrays"]) + (r["backward"] - r["backward_arrays"])
    return r


def per_op_tables(timer, dtypes):
    print("## 1. Per op, at the lessons' shapes\n")
    print("Columns (µs per op; lessons: the steps that use the op at that shape; 'svm*' is the SVM "
          "written as a user writes it, `(1 - y * (X @ w + b)).relu().mean() + 0.01 * (w * w).sum()` "
          "with w (2,) and b 0-d, as bench_steps' float32 SVM; '-' an op kind profiled for completeness "
          "that no step uses at this shape):\n")
    print("- **record**: the call a learner writes (Tensor method/operator, nn.Linear module call, "
          "F.* loss with its argument checks), grad on, inputs requiring grad: checks + "
          "Function.apply + forward + the output Tensor.")
    print("- **no_grad**: the same call under `mg.no_grad()`.")
    print("- **apply**: `Function.apply` alone with the same inputs (so record − apply = the "
          "method's or F's own checks and dispatch).")
    print("- **fwd arrays**: the op's `forward` called on the numpy arrays (the numpy/kernel work "
          "and the forward's own Python), no Tensor, no graph.")
    print("- **backward**: the engine's backward per op: `autograd.backward` over a graph of "
          f"{timer.copies} copies of the op (each on leaves of its own), divided by {timer.copies}, "
          "minus the leaf visit+accumulation (fixed costs) per leaf input. Includes the sort, "
          "the checks, the op's backward and handing the gradient on (and a copy of the "
          "gradient where a leaf may not keep it: a view, or the caller's start array).")
    print("- **bwd arrays**: the op's `backward` called on arrays with a recorded context.")
    print("- **checks** = record − apply (the method's/F's argument checks and dispatch); **apply ovh** = "
          "apply − fwd arrays (Function.apply's bookkeeping and the output Tensor); **bwd ovh** = "
          "backward − bwd arrays (the engine's loop around the op's backward).")
    print("- **overhead** = (record − fwd arrays) + (backward − bwd arrays): the Python around the "
          "work, what a compiled engine can shrink; **ovh %**: of record + backward. A negative "
          "difference is noise (or under ~0.1 µs, not resolvable).\n")
    results = {}
    for name, dtype in dtypes.items():
        leaf_seconds = leaf_cost(timer, dtype)
        print(f"### {name}\n")
        table = Table(["op", "lessons", "record", "no_grad", "apply", "fwd arrays", "backward", "bwd arrays",
                       "checks", "apply ovh", "bwd ovh", "overhead", "ovh %"],
                      [28, 10, 6, 7, 5, 10, 8, 10, 6, 9, 7, 8, 5])
        for label, lessons, call in op_cases(dtype):
            r = profile_op(timer, call, leaf_seconds)
            r["label"] = label
            results[r["key"]] = r
            table.row(label, lessons, us(r["record"]), us(r["no_grad"]), us(r["apply"]), us(r["forward_arrays"]),
                      us(r["backward"]), us(r["backward_arrays"]), us(r["record"] - r["apply"]),
                      us(r["apply"] - r["forward_arrays"]), us(r["backward"] - r["backward_arrays"]), us(r["overhead"]),
                      pct(r["overhead"], r["record"] + r["backward"]))
        print()
    return results


# ---- 2. fixed costs --------------------------------------------------------------------------
def bare_backward(root):
    """The chain rule with nothing else (what a micrograd-style engine does): sort, call each
    op's backward, sum gradients, accumulate into the leaves. No grad-mode switch, hooks,
    version counters, freed/ownership checks, dtype or shape checks."""
    nodes = autograd.toposort(root)
    grads = {id(root): np.ones(root.data.shape, root.data.dtype)}
    for node in reversed(nodes):
        grad = grads.pop(id(node), None)
        if grad is None:
            continue
        ctx = node._ctx
        if ctx is None:
            node._grad = node._wrap(grad) if node._grad is None else node._wrap(node._grad.data + grad)
            continue
        input_grads = ctx.backward(ctx, grad)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        ctx.saved_tensors, ctx.freed = (), True
        for parent, g in zip(ctx.parents, input_grads):
            if g is None or not parent.requires_grad:
                continue
            previous = grads.get(id(parent))
            grads[id(parent)] = g if previous is None else previous + g


def _errstate():
    with np.errstate(invalid="ignore", divide="ignore"):
        pass


def fixed_costs(timer):
    print("## 2. Fixed costs\n")
    print("µs per call (float64 unless said; these barely depend on the dtype). Rows marked = are "
          "differences of the rows above them.\n")
    f64 = np.float64
    rows, out = [], {}

    def row(name, seconds, note=""):
        rows.append((name, seconds, note))
        return seconds

    a = np.zeros((4, 3))
    out["wrap"] = row("`Tensor._wrap(array)` (every op's output)", timer.per_call(lambda: Tensor._wrap(a)))
    row("`mg.tensor(array)` (a user's tensor, copies)", timer.per_call(lambda: mg.tensor(a)))
    x0 = fresh_leaf(Tensor._wrap(np.zeros((), f64)))
    apply_on = row("`Function.apply` of a no-op op, grad on", timer.per_call(lambda: _Noop.apply(x0)))
    with mg.no_grad():
        apply_off = row("`Function.apply` of a no-op op, under no_grad", timer.per_call(lambda: _Noop.apply(x0)))
    out["apply"] = row("= apply's bookkeeping, grad on, without the output's `_wrap`", apply_on - out["wrap"],
                       "ctx, seq, needs_input_grad, forward call, graph link")
    row("= what recording adds over no_grad", apply_on - apply_off)

    out["leaf"] = row("leaf: backward's visit + first accumulation into .grad, per leaf", leaf_cost(timer, f64))

    def noop_graph():
        roots = [_Noop.apply(fresh_leaf(x0)) for _ in range(timer.copies)]
        grads, claimed = start_gradients(roots)
        return tuple(roots), grads, claimed
    noop_op = row("backward per no-op op (copies, minus leaf)",
                  timer.per_graph(noop_graph) / timer.copies - out["leaf"])
    one_op = row("`y.backward()`, y = no-op op of a 0-d leaf", timer.per_item(
        lambda: _Noop.apply(fresh_leaf(x0)), lambda y: y.backward()))
    out["backward_call"] = row("= `Tensor.backward()`'s fixed cost per call", one_op - noop_op - out["leaf"],
                               "checks, start array, dicts, sort set-up, grad-mode switch, try/finally")

    x = mg.tensor(np.random.default_rng(1).uniform(-1, 1, (4, 3)), dtype=mg.float64, requires_grad=True)
    y = mg.tensor(np.random.default_rng(2).uniform(-1, 1, (4, 3)), dtype=mg.float64)

    def mse():
        return F.mse_loss(x, y)

    def real_backward(loss):
        x._grad = None  # a first gradient, both ways
        loss.backward()

    def bare(loss):
        x._grad = None
        bare_backward(loss)
    real = row("`F.mse_loss(x, y).backward()` (4,3): the backward() call", timer.per_item(mse, real_backward))
    bare = row("the same graph through a bare chain-rule loop (`bare_backward`)", timer.per_item(mse, bare))
    out["bookkeeping"] = row("= backward()'s bookkeeping per call beyond the bare loop", real - bare,
                             "version counters, hooks, freed, ownership (claimed), dtype/shape checks, grad mode")

    # The optimizer: SGD over the multiclass lesson's two parameters, with gradients.
    W = nn.Parameter(np.random.default_rng(3).uniform(-1, 1, (3, 3)))
    b = nn.Parameter(np.random.default_rng(4).uniform(-1, 1, (3,)))
    gW, gb = Tensor._wrap(np.zeros((3, 3))), Tensor._wrap(np.zeros(3))
    W._grad, b._grad = gW, gb
    opt = mg.optim.SGD([W, b], lr=0.1)   # zero gradients: the parameters stay as they are
    opt.step()                           # first step: the version records exist from here on
    step2 = row("`SGD.step()`, 2 parameters (3,3) and (3,)", timer.per_call(opt.step))
    out["sgd_param"] = row("= per parameter", step2 / 2)
    group, state = opt.param_groups[0], opt.state[W]
    row("  of which `SGD.update` (the numpy `param -= lr * grad` and option reads)",
        timer.per_call(lambda: opt.update(W.data, gW.data, state, group)))
    row("  of which `bump_version` (the version counter)", timer.per_call(lambda: bump_version(W)))

    def set_grads():
        W._grad = gW
        b._grad = gb

    def zero():
        W._grad = gW
        b._grad = gb
        opt.zero_grad()
    z = row("`zero_grad()`, 2 parameters with gradients", timer.per_call(zero) - timer.per_call(set_grads))
    out["zero_param"] = row("= per parameter", z / 2)

    from minigrad.ops._broadcast import unbroadcast
    g6 = np.ones(6)
    row("inside ops: `with np.errstate(...)` (Mean and Sigmoid forward, Mean backward)",
        timer.per_call(_errstate))
    row("inside ops: `unbroadcast(grad (6,), ())` (Add/Sub backward to a 0-d operand)",
        timer.per_call(lambda: unbroadcast(g6, ())))
    row("inside ops: `np.broadcast_to(np.zeros(()), (6, 2))` (MatMul.forward's stand-in per input not saved)",
        timer.per_call(lambda: np.broadcast_to(np.zeros((), f64), (6, 2))))
    row("inside ops: `np.broadcast_shapes((), ())` (Tensor.matmul's batch check)",
        timer.per_call(lambda: np.broadcast_shapes((), ())))

    table = Table(["cost", "µs", "what it is"], [92, 6, 40])
    for name, seconds, note in rows:
        table.row(name, us(seconds), note)
    print()
    return out


# ---- 3. the lessons' steps ------------------------------------------------------------------
def lesson_steps(dtypes):
    """(lesson, dtype name, step) from bench_steps' builders: float64, the lessons' code
    (minigrad_step); float32, the step as a user writes it (user_step(s, minigrad)), when
    bench_steps has it."""
    for dname in dtypes:
        for name in bench_steps.LESSONS:
            s = bench_steps.lesson(name)
            if dname == "float64":
                yield name, dname, bench_steps.minigrad_step(s)
            elif hasattr(bench_steps, "user_step"):
                yield name, dname, bench_steps.user_step(s, mg)


def parts_of(step):
    """The builder's loss_of() and optimizer, from the step's closure."""
    found = inspect.getclosurevars(step).nonlocals
    if "loss_of" not in found or "opt" not in found:
        raise RuntimeError("bench_steps.minigrad_step's step() no longer closes over `loss_of` and `opt`: "
                           "update parts_of() in profile_engine.py")
    return found["loss_of"], found["opt"]


def phase_times(timer, loss_of, opt, steps):
    """Seconds of each phase (forward, zero_grad, backward, step), each the min over repeats of
    its mean over `steps` steps, net of perf_counter's own cost."""
    clock = time.perf_counter
    pair = math.inf
    for _ in range(timer.repeat):
        start = clock()
        for _ in range(steps):
            t0 = clock()
            t1 = clock()
        pair = min(pair, (clock() - start) / steps)
    best = [math.inf] * 4
    for _ in range(timer.repeat):
        sums = [0.0] * 4
        gc.disable()
        for _ in range(steps):
            t0 = clock()
            loss = loss_of()
            t1 = clock()
            opt.zero_grad()
            t2 = clock()
            loss.backward()
            t3 = clock()
            opt.step()
            t4 = clock()
            sums[0] += t1 - t0
            sums[1] += t2 - t1
            sums[2] += t3 - t2
            sums[3] += t4 - t3
        gc.enable()
        best = [min(b, s / steps) for b, s in zip(best, sums)]
    # `pair` is a whole loop iteration with two clock reads: an upper bound of one interval's cost
    return [max(b - pair / 2, 0.0) for b in best]


def step_tables(timer, dtypes, ops, fixed, quick):
    print("## 3. The lessons' steps (bench_steps' builders, imported unchanged: minigrad_step for float64, "
          "the lessons' code; user_step for float32, the step as a user writes it)\n")
    print("Breakdown: each phase timed inside the step loop (perf_counter around each phase, min over "
          "repeats of the mean per step); **step()** is the builder's whole step timed on its own "
          "(the phases add up to it within noise).\n")
    steps = list(lesson_steps(dtypes))
    if "float32" in dtypes and not hasattr(bench_steps, "user_step"):
        print("(bench_steps has no float32 builder (user_step): float64 steps only.)\n")
    count = 50 if quick else 1000
    table = Table(["lesson", "dtype", "step()", "forward", "zero_grad", "backward", "opt.step"],
                  [10, 7, 7, 13, 13, 13, 13])
    measured = []
    for name, dname, step in steps:
        loss_of, opt = parts_of(step)
        for _ in range(3):
            step()  # warm up: gradients and version records exist
        total = timer.per_call(step)
        phases = phase_times(timer, loss_of, opt, count)
        measured.append((name, dname, step, total, phases))
        table.row(name, dname, us(total), *[f"{us(p)} {pct(p, total)}" for p in phases])

    print("\nThe per-op figures of section 1 summed over the ops of the step's graph (matched by op, input "
          "shapes and dtype), with section 2's fixed costs, against the measured step (µs). Each per-op "
          "figure was timed in a loop of that op alone; a step runs different code one after the other, "
          "so the sums come out below the measured phases (compare the fwd loop and bwd loop columns).\n")
    print("- **ops**: the recorded ops of the step's graph. **forward**: the phase measured inside the step; "
          "**fwd loop**: the builder's loss_of() alone in a timeit loop; **forward Σ**: Σ record (section 1). **backward**: the phase in the step; **bwd loop**: "
          "loss.backward() alone over graphs built beforehand (each parameter's .grad set to None first); "
          "**backward Σ**: Σ backward per op + `Tensor.backward()`'s fixed cost + one leaf per parameter.")
    print("- **work**: Σ (fwd arrays + bwd arrays): the numpy/kernel work. **overhead Σ**: Σ per-op "
          "overheads + the backward() call + leaves + zero_grad and SGD per parameter. **model**: work + "
          "overhead Σ, against the measured **step()**; **ovh %**: overhead Σ / step().\n")
    table = Table(["lesson", "dtype", "ops", "forward", "fwd loop", "forward Σ", "backward", "bwd loop", "backward Σ",
                   "work", "overhead Σ", "model", "step()", "ovh %"], [10, 7, 4, 7, 8, 9, 8, 8, 10, 6, 10, 6, 6, 5])
    unmatched = set()
    for name, dname, step, total, phases in measured:
        loss_of, opt = parts_of(step)
        forward_loop = timer.per_call(loss_of)  # the forward alone, in its own loop (graph dropped)
        leaves = [p for g in opt.param_groups for p in g["params"]]

        def backward_alone(loss):
            for p in leaves:
                p._grad = None  # a first gradient, as after zero_grad
            loss.backward()
        backward_loop = timer.per_item(loss_of, backward_alone)  # graphs built beforehand
        loss = loss_of()
        nodes = ops_of(loss)
        found = [ops.get(key_of(n)) for n in nodes]
        unmatched |= {key_of(n) for n, r in zip(nodes, found) if r is None}
        rs = [r for r in found if r is not None]
        params = sum(len(g["params"]) for g in opt.param_groups)
        loss.backward()
        forward_sum = sum(r["record"] for r in rs)
        backward_sum = sum(r["backward"] for r in rs) + fixed["backward_call"] + params * fixed["leaf"]
        work = sum(r["forward_arrays"] + r["backward_arrays"] for r in rs)
        overhead = (sum(r["overhead"] for r in rs) + fixed["backward_call"]
                    + params * (fixed["leaf"] + fixed["zero_param"] + fixed["sgd_param"]))
        ops_cell = f"{len(rs)}" if len(rs) == len(nodes) else f"{len(rs)}/{len(nodes)}"
        table.row(name, dname, ops_cell, us(phases[0]), us(forward_loop), us(forward_sum), us(phases[2]), us(backward_loop), us(backward_sum),
                  us(work), us(overhead), us(work + overhead), us(total), pct(overhead, total))
    if unmatched:
        print(f"\n(ops of a step with no row in section 1, left out of the sums: {sorted(unmatched)})")
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds: short repeats (noisy figures)")
    parser.add_argument("--dtypes", nargs="*", default=list(DTYPES), choices=list(DTYPES))
    args = parser.parse_args(argv)
    dtypes = {name: DTYPES[name] for name in args.dtypes}
    print_machine()
    timer = Timer(args.quick)
    print(f"Timing: min of {timer.repeat} repeats of about {timer.target * 1e3:g} ms each (garbage collector "
          f"off, the {timer.floor * 1e9:.0f} ns of calling the timed lambda subtracted); the machine is noisy, "
          "so read differences under a few tenths of a µs as noise.\n")
    started = time.perf_counter()
    ops = per_op_tables(timer, dtypes)
    fixed = fixed_costs(timer)
    step_tables(timer, dtypes, ops, fixed, args.quick)
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    sys.exit(main())
