"""Memory: a long training run keeps its resident memory flat and leaves no growing number
of Tensors or Functions behind; one step's graph is freed by reference counting alone, as
soon as its loss goes out of scope (no cycle between a tensor and the Function that made it).

The step count is 100,000 (about 13 s here: long enough for a slow leak to show); MINIGRAD_MEMORY_STEPS sets another,
e.g. MINIGRAD_MEMORY_STEPS=5000 for a quick run. -s prints the RSS and object counts measured:

    pytest -q tests/test_memory.py -s
"""
import gc
import os
import weakref

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.autograd import Function

STEPS = int(os.environ.get("MINIGRAD_MEMORY_STEPS") or 100_000)
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes():
    """Resident set size, from /proc/self/statm (its second field, in pages)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def live_objects():
    gc.collect()
    objects = gc.get_objects()
    types = [type(o) for o in objects]  # not isinstance: it reads __class__, which some modules' objects warn on
    return (sum(issubclass(t, mg.Tensor) for t in types), sum(issubclass(t, Function) for t in types))


def small_mlp():
    mg.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux's /proc")
def test_training_keeps_memory_flat():
    model = small_mlp()
    opt = mg.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((32, 4)).astype(np.float32))
    y = mg.tensor(rng.integers(0, 3, size=32))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    warm_up = max(200, STEPS // 10)
    for _ in range(warm_up):
        step()
    counts_before, rss_before = live_objects(), rss_bytes()
    for _ in range(STEPS - warm_up):
        last = step()
    counts_after, rss_after = live_objects(), rss_bytes()
    growth = (rss_after - rss_before) / 2**20
    print(f"\n{STEPS} steps: RSS {rss_before / 2**20:.1f} MB after {warm_up} warm-up steps, "
          f"{rss_after / 2**20:.1f} MB at the end (growth {growth:+.2f} MB); "
          f"live Tensors/Functions {counts_before} -> {counts_after}; final loss {last:.4f}")
    assert np.isfinite(last)
    assert growth < 10, f"RSS grew by {growth:.1f} MB over {STEPS - warm_up} steps"
    assert counts_after[0] <= counts_before[0], f"live Tensors grew: {counts_before[0]} -> {counts_after[0]}"
    assert counts_after[1] <= counts_before[1], f"live Functions grew: {counts_before[1]} -> {counts_after[1]}"


def _one_step_refs(model, x, y, backward):
    """Run one step; return weak references to its loss, intermediate tensors and ctxs."""
    h = model[0](x)
    a = model[1](h)
    out = model[2](a)
    loss = F.cross_entropy(out, y)
    refs = [weakref.ref(t) for t in (h, a, out, loss)]
    refs += [weakref.ref(t.grad_fn) for t in (h, a, out, loss) if t.grad_fn is not None]
    assert len(refs) >= 7  # the tensors and at least the three ops' ctxs are tracked
    if backward:
        loss.backward()
    return refs


@pytest.mark.parametrize("backward", [False, True], ids=["forward only", "after backward"])
def test_graph_is_freed_without_the_cycle_collector(backward):
    model = small_mlp()
    x = mg.randn(8, 4)
    y = mg.tensor(np.arange(8) % 3)
    gc.collect()
    gc.disable()
    try:
        refs = _one_step_refs(model, x, y, backward)  # the step's names die with the call
        alive = [r() for r in refs if r() is not None]
        assert not alive, f"still alive without gc: {[type(o).__name__ for o in alive]}"
    finally:
        gc.enable()
    if backward:  # the parameters keep their gradients, and nothing else
        assert all(p.grad is not None for p in model.parameters())


def test_a_kept_loss_keeps_its_graph_and_frees_it_when_dropped():
    model = small_mlp()
    gc.collect()
    gc.disable()
    try:
        loss = F.cross_entropy(model(mg.randn(4, 4)), mg.tensor([0, 1, 2, 0]))
        ctx = weakref.ref(loss.grad_fn)
        assert ctx() is not None
        del loss
        assert ctx() is None
    finally:
        gc.enable()
