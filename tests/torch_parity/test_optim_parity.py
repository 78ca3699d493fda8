"""minigrad.optim against torch.optim 2.13 (single-tensor CPU path): 50 steps to 1e-12.

Both frameworks start from the same float64 parameters and receive the same sequence of
random gradients, set by hand before each step, so any difference comes from the update
rule alone. Tolerance: relative 1e-12 with atol=0. The two sides do the same operations
in the same order, so they differ only where torch's vectorised CPU kernels fuse a
multiply-add (one rounding instead of two, ~1e-16 relative per step); after 50 steps
that stays below 1e-13. The parameters start at N(0, 1) plus 3 and move by at most
lr * 50 = 0.5 (Adam) or a few units (SGD), so none comes near 0, where a relative
tolerance would be meaningless (asserted below).
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim

STEPS = 50
SHAPES = [(3, 4), (5,)]

CASES = {
    "sgd": ("SGD", dict(lr=0.05)),
    "sgd_momentum": ("SGD", dict(lr=0.05, momentum=0.9)),
    "sgd_dampening": ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    "sgd_weight_decay": ("SGD", dict(lr=0.05, weight_decay=0.1)),
    "sgd_nesterov": ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True)),
    "sgd_momentum_dampening_decay": ("SGD", dict(lr=0.05, momentum=0.7, dampening=0.2, weight_decay=0.05)),
    "sgd_nesterov_decay": ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.1, nesterov=True)),
    "adam": ("Adam", dict(lr=0.01)),
    "adam_betas_eps": ("Adam", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6)),
    "adam_low_beta1": ("Adam", dict(lr=0.01, betas=(0.3, 0.9))),  # torch's lerp switches form at weight 0.5
    "adam_weight_decay": ("Adam", dict(lr=0.01, weight_decay=0.1)),
    "adam_amsgrad": ("Adam", dict(lr=0.01, amsgrad=True)),
    "adam_amsgrad_decay": ("Adam", dict(lr=0.01, weight_decay=0.05, amsgrad=True)),
    "adamw": ("AdamW", dict(lr=0.01)),
    "adamw_weight_decay": ("AdamW", dict(lr=0.01, weight_decay=0.3)),
    "adamw_amsgrad": ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
}


def make_torch(torch, name, params, options):
    extra = {"foreach": False}  # the single-tensor implementation, spelled out step by step
    return getattr(torch.optim, name)(params, **options, **extra)


def assert_params_equal(mine, theirs, what):
    for i, (m, t) in enumerate(zip(mine, theirs)):
        expected = t.detach().numpy()
        assert np.min(np.abs(expected)) > 0.1, "a parameter came near 0: the relative check would be void"
        np.testing.assert_allclose(m.data, expected, rtol=1e-12, atol=0, err_msg=f"{what}, parameter {i}")


def run_both(torch, name, options, grads_for_step, groups=None):
    rng = np.random.default_rng(0)
    starts = [rng.normal(size=shape) + 3.0 for shape in SHAPES]
    mine = [nn.Parameter(s.copy()) for s in starts]
    theirs = [torch.tensor(s.copy(), requires_grad=True) for s in starts]
    if groups is None:
        opt_m, opt_t = getattr(optim, name)(mine, **options), make_torch(torch, name, theirs, options)
    else:
        opt_m = getattr(optim, name)([dict(g, params=[mine[i]]) for i, g in enumerate(groups)], **options)
        opt_t = make_torch(torch, name, [dict(g, params=[theirs[i]]) for i, g in enumerate(groups)], options)
    for step in range(STEPS):
        for i, grad in enumerate(grads_for_step(step, rng)):
            mine[i].grad = None if grad is None else mg.tensor(grad.copy())
            theirs[i].grad = None if grad is None else torch.tensor(grad.copy())
        opt_m.step()
        opt_t.step()
        if step in (0, 1, STEPS - 1):  # early steps catch first-step special cases precisely
            assert_params_equal(mine, theirs, f"after step {step + 1}")
    return mine, theirs, opt_m, opt_t


def random_grads(step, rng):
    # Gradients of varied scale, so Adam's per-parameter normalisation matters.
    return [rng.normal(size=shape) * rng.uniform(0.1, 10) for shape in SHAPES]


@pytest.mark.parametrize("case", list(CASES))
def test_optimizer_matches_torch_for_50_steps(torch, case):
    name, options = CASES[case]
    mine, theirs, opt_m, opt_t = run_both(torch, name, options, random_grads)
    # The state they carry agrees too.
    for m, t in zip(mine, theirs):
        state_m, state_t = opt_m.state[m], opt_t.state[t]
        for key, value in state_t.items():
            if key == "step":
                assert state_m["step"] == int(value.item()) == STEPS
            else:
                np.testing.assert_allclose(state_m[key], value.numpy(), rtol=1e-12, atol=1e-300,
                                           err_msg=f"state {key!r}")


@pytest.mark.parametrize("case", ["sgd_momentum", "adam_weight_decay", "adamw_amsgrad"])
def test_parameters_without_grad_are_skipped_like_torch(torch, case):
    # The second parameter gets a gradient only every third step; in between it is None,
    # and its state (momentum buffer, Adam's step count) must not advance.
    name, options = CASES[case]

    def sometimes_none(step, rng):
        grads = random_grads(step, rng)
        return [grads[0], grads[1] if step % 3 == 0 else None]

    run_both(torch, name, options, sometimes_none)


@pytest.mark.parametrize("name, options, groups", [
    ("SGD", dict(lr=0.05, momentum=0.9), [{}, {"lr": 0.2, "nesterov": True}]),
    ("Adam", dict(lr=0.01), [{"betas": (0.5, 0.9)}, {"lr": 0.03, "weight_decay": 0.2, "amsgrad": True}]),
    ("AdamW", dict(lr=0.01), [{"weight_decay": 0.0}, {"lr": 0.002}]),
])
def test_param_groups_match_torch(torch, name, options, groups):
    run_both(torch, name, options, random_grads, groups=groups)


def test_zero_grad_matches_torch(torch):
    p, t = nn.Parameter(np.ones(2)), torch.ones(2, dtype=torch.float64, requires_grad=True)
    opt_m, opt_t = optim.SGD([p], lr=0.1), torch.optim.SGD([t], lr=0.1)
    p.grad, t.grad = mg.tensor(np.ones(2)), torch.ones(2, dtype=torch.float64)
    opt_m.zero_grad(), opt_t.zero_grad()
    assert p.grad is None and t.grad is None
    p.grad, t.grad = mg.tensor(np.ones(2)), torch.ones(2, dtype=torch.float64)
    opt_m.zero_grad(set_to_none=False), opt_t.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.data, t.grad.numpy())
