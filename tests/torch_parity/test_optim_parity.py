"""minigrad.optim against torch.optim 2.13 (single-tensor CPU path): 50 steps to 1e-12.

Both frameworks start from the same float64 parameters and receive the same sequence of
random gradients, set by hand before each step, so any difference comes from the update
rule alone. Tolerance: relative 1e-12 with atol=0. The two sides do the same operations
in the same order, so they differ only where torch's vectorised CPU kernels fuse a
multiply-add (one rounding instead of two, ~1e-16 relative per step); after 50 steps
that stays below 1e-13. The parameters start at N(0, 1) plus 3 and move by at most
lr * 50 = 0.5 (Adam) or a few units (SGD), so none comes near 0, where a relative
tolerance would be meaningless (asserted below). In float32 the same runs agree to 1e-5
(a float32 rounding is 6e-8 relative; 50 steps of a few operations each stay far below).

The optimizers' state_dicts are compared with torch's too: the same layout, keys and
values, and a checkpoint moved from one framework to the other (through numpy) continues
on the other's trajectory.
"""
import os
import re

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
    "sgd_maximize": ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.1, maximize=True)),
    "adam_maximize": ("Adam", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    "adam_decoupled": ("Adam", dict(lr=0.01, weight_decay=0.2, decoupled_weight_decay=True)),
    "adamw_maximize": ("AdamW", dict(lr=0.01, amsgrad=True, maximize=True)),
    "rmsprop": ("RMSprop", dict()),
    "rmsprop_alpha": ("RMSprop", dict(lr=0.003, alpha=0.6, eps=1e-4)),  # lerp's weight 0.4
    "rmsprop_weight_decay": ("RMSprop", dict(lr=0.003, weight_decay=0.1)),
    "rmsprop_momentum": ("RMSprop", dict(lr=0.001, momentum=0.9)),
    "rmsprop_centered": ("RMSprop", dict(lr=0.003, centered=True)),
    "rmsprop_centered_low_alpha": ("RMSprop", dict(lr=0.003, alpha=0.3, centered=True)),  # lerp's weight 0.7
    "rmsprop_all": ("RMSprop", dict(lr=0.001, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.05,
                                    maximize=True)),
    "adagrad": ("Adagrad", dict(lr=0.1)),
    "adagrad_lr_decay": ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    "adagrad_weight_decay": ("Adagrad", dict(lr=0.1, weight_decay=0.1)),
    "adagrad_initial_accumulator": ("Adagrad", dict(lr=0.1, initial_accumulator_value=2.0, eps=1e-3)),
    "adagrad_all": ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.05, initial_accumulator_value=0.5,
                                    maximize=True)),
}
RTOL = {np.float64: 1e-12, np.float32: 1e-5}


def make_torch(torch, name, params, options):
    extra = {"foreach": False}  # the single-tensor implementation, spelled out step by step
    return getattr(torch.optim, name)(params, **options, **extra)


def assert_params_equal(mine, theirs, what):
    for i, (m, t) in enumerate(zip(mine, theirs)):
        expected = t.detach().numpy()
        assert m.dtype == expected.dtype
        assert np.min(np.abs(expected)) > 0.1, "a parameter came near 0: the relative check would be void"
        np.testing.assert_allclose(m.data, expected, rtol=RTOL[expected.dtype.type], atol=0,
                                   err_msg=f"{what}, parameter {i}")


def run_both(torch, name, options, grads_for_step, groups=None, dtype=np.float64):
    rng = np.random.default_rng(0)
    starts = [(rng.normal(size=shape) + 3.0).astype(dtype) for shape in SHAPES]
    mine = [nn.Parameter(s.copy()) for s in starts]
    theirs = [torch.tensor(s.copy(), requires_grad=True) for s in starts]
    if groups is None:
        opt_m, opt_t = getattr(optim, name)(mine, **options), make_torch(torch, name, theirs, options)
    else:
        opt_m = getattr(optim, name)([dict(g, params=[mine[i]]) for i, g in enumerate(groups)], **options)
        opt_t = make_torch(torch, name, [dict(g, params=[theirs[i]]) for i, g in enumerate(groups)], options)
    for step in range(STEPS):
        for i, grad in enumerate(grads_for_step(step, rng)):
            grad = None if grad is None else grad.astype(dtype)
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


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(CASES))
def test_optimizer_matches_torch_for_50_steps(torch, case, dtype):
    name, options = CASES[case]
    mine, theirs, opt_m, opt_t = run_both(torch, name, options, random_grads, dtype=dtype)
    # The state they carry agrees too.
    for m, t in zip(mine, theirs):
        state_m, state_t = opt_m.state[m], opt_t.state[t]
        assert set(state_m) == set(state_t)
        for key, value in state_t.items():
            if key == "step":
                assert state_m["step"] == int(value.item()) == STEPS
            else:
                assert state_m[key].dtype == dtype
                np.testing.assert_allclose(state_m[key], value.numpy(), rtol=RTOL[dtype], atol=1e-300,
                                           err_msg=f"state {key!r}")


@pytest.mark.parametrize("case", ["sgd_momentum", "adam_weight_decay", "adamw_amsgrad", "rmsprop_all",
                                  "adagrad_all"])
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
    ("RMSprop", dict(lr=0.001), [{"centered": True}, {"momentum": 0.8, "alpha": 0.9}]),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5), [{"lr_decay": 0.1}, {"eps": 1e-3, "maximize": True}]),
])
def test_param_groups_match_torch(torch, name, options, groups):
    run_both(torch, name, options, random_grads, groups=groups)


@pytest.mark.parametrize("case", ["sgd_momentum", "adam_amsgrad", "rmsprop_all", "adagrad_all"])
def test_add_param_group_mid_training_matches_torch(torch, case):
    # Train the first parameter alone for 10 steps, then add the second with its own lr
    # (as when unfreezing a layer): both frameworks give it fresh state and the defaults.
    name, options = CASES[case]
    rng = np.random.default_rng(8)
    starts = [rng.normal(size=shape) + 10.0 for shape in SHAPES]
    mine = [nn.Parameter(s.copy()) for s in starts]
    theirs = [torch.tensor(s.copy(), requires_grad=True) for s in starts]
    opt_m, opt_t = getattr(optim, name)(mine[:1], **options), make_torch(torch, name, theirs[:1], options)
    for step in range(30):
        if step == 10:
            opt_m.add_param_group({"params": mine[1], "lr": 0.002})
            opt_t.add_param_group({"params": theirs[1], "lr": 0.002})
            assert list(opt_m.param_groups[1]) == list(opt_t.param_groups[1])
        for m, t in zip(mine, theirs):
            grad = rng.normal(size=m.shape)
            m.grad, t.grad = mg.tensor(grad), torch.tensor(grad)
        opt_m.step()
        opt_t.step()
    assert_params_equal(mine, theirs, "after add_param_group")
    assert mine[1].data[0] != starts[1][0]


def test_adagrad_group_initial_accumulator_value_is_a_known_difference(torch):
    # torch's Adagrad fills every group's sum with the constructor's value and ignores a
    # group's own initial_accumulator_value; minigrad uses the group's (documented in
    # Adagrad's docstring). If torch changes, this test says so.
    p, t = nn.Parameter(np.ones(2)), torch.ones(2, dtype=torch.float64, requires_grad=True)
    q, u = nn.Parameter(np.ones(2)), torch.ones(2, dtype=torch.float64, requires_grad=True)
    opt_m = optim.Adagrad([{"params": [p]}, {"params": [q], "initial_accumulator_value": 3.0}])
    opt_t = torch.optim.Adagrad([{"params": [t]}, {"params": [u], "initial_accumulator_value": 3.0}])
    np.testing.assert_array_equal(opt_m.state[q]["sum"], [3.0, 3.0])
    np.testing.assert_array_equal(opt_t.state[u]["sum"].numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(opt_m.state[p]["sum"], opt_t.state[t]["sum"].numpy())


def test_zero_grad_matches_torch(torch):
    p, t = nn.Parameter(np.ones(2)), torch.ones(2, dtype=torch.float64, requires_grad=True)
    opt_m, opt_t = optim.SGD([p], lr=0.1), torch.optim.SGD([t], lr=0.1)
    p.grad, t.grad = mg.tensor(np.ones(2)), torch.ones(2, dtype=torch.float64)
    opt_m.zero_grad(), opt_t.zero_grad()
    assert p.grad is None and t.grad is None
    p.grad, t.grad = mg.tensor(np.ones(2)), torch.ones(2, dtype=torch.float64)
    opt_m.zero_grad(set_to_none=False), opt_t.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.data, t.grad.numpy())


# ---- signatures ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_signature_matches_torch(torch, name):
    import inspect
    mine = inspect.signature(getattr(optim, name)).parameters
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    assert list(mine) == list(theirs)
    for key, param in theirs.items():
        assert mine[key].kind == param.kind, key
        if name == "SGD" and key == "lr":
            assert mine[key].default is inspect.Parameter.empty  # deliberate: SGD's lr is required
        else:
            assert mine[key].default == param.default, key
    assert (inspect.signature(optim.Optimizer.zero_grad).parameters["set_to_none"].default is True
            is inspect.signature(torch.optim.Optimizer.zero_grad).parameters["set_to_none"].default)


# ---- state_dict and load_state_dict ------------------------------------------------------

STATE_CASES = ["sgd_momentum", "sgd", "adam_amsgrad", "adamw", "rmsprop_all", "adagrad_all"]


def to_numpy(torch, value):
    """A torch state_dict with every tensor as a numpy array (as a file would carry it)."""
    if isinstance(value, torch.Tensor):
        return value.detach().numpy().copy()
    if isinstance(value, dict):
        return {k: to_numpy(torch, v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_numpy(torch, v) for v in value]
    return value


def to_torch(torch, value):
    """A minigrad state_dict with every Tensor as a torch tensor."""
    if isinstance(value, mg.Tensor):
        return torch.tensor(value.numpy().copy())
    if isinstance(value, dict):
        return {k: to_torch(torch, v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_torch(torch, v) for v in value]
    return value


def assert_state_dicts_equal(torch, sd_m, sd_t, rtol=1e-12):
    assert list(sd_m) == ["state", "param_groups"]
    assert list(sd_m["state"]) == list(sd_t["state"])
    for index, entries_t in sd_t["state"].items():
        entries_m = sd_m["state"][index]
        assert list(entries_m) == list(entries_t)
        for key, value in entries_t.items():
            mine = entries_m[key]
            assert isinstance(mine, mg.Tensor), key
            assert mine.shape == tuple(value.shape) and str(mine.dtype) == str(value.dtype).replace("torch.", "")
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=rtol, atol=1e-300, err_msg=key)
    assert len(sd_m["param_groups"]) == len(sd_t["param_groups"])
    for group_m, group_t in zip(sd_m["param_groups"], sd_t["param_groups"]):
        assert list(group_m) == list(group_t)  # the same options, in the same order
        assert group_m == group_t


@pytest.mark.parametrize("case", STATE_CASES)
def test_state_dict_matches_torch(torch, case):
    name, options = CASES[case]
    rng = np.random.default_rng(1)
    starts = [rng.normal(size=shape) + 3.0 for shape in SHAPES]
    mine = [nn.Parameter(s.copy()) for s in starts]
    theirs = [torch.tensor(s.copy(), requires_grad=True) for s in starts]
    # foreach=False on both sides (accepted by minigrad: it is what minigrad does), so the
    # groups' options are equal.
    opt_m = getattr(optim, name)([{"params": mine[:1]}, {"params": mine[1:], "lr": 0.02}], foreach=False,
                                 **options)
    opt_t = make_torch(torch, name, [{"params": theirs[:1]}, {"params": theirs[1:], "lr": 0.02}], options)
    assert_state_dicts_equal(torch, opt_m.state_dict(), opt_t.state_dict())  # before any step (Adagrad has state)
    for step in range(5):
        for m, t in zip(mine, theirs):
            grad = rng.normal(size=m.shape)
            m.grad, t.grad = mg.tensor(grad), torch.tensor(grad)
        if step == 3:
            mine[1].grad = theirs[1].grad = None
        opt_m.step()
        opt_t.step()
    assert_state_dicts_equal(torch, opt_m.state_dict(), opt_t.state_dict())


def continue_both(torch, opt_m, opt_t, mine, theirs, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        for m, t in zip(mine, theirs):
            grad = rng.normal(size=m.shape) * rng.uniform(0.1, 10)
            m.grad, t.grad = mg.tensor(grad), torch.tensor(grad)
        opt_m.step()
        opt_t.step()
    assert_params_equal(mine, theirs, "after loading the state_dict")


@pytest.mark.parametrize("case", STATE_CASES)
def test_loading_torchs_state_dict_continues_torchs_trajectory(torch, case):
    name, options = CASES[case]
    rng = np.random.default_rng(2)
    theirs = [torch.tensor(rng.normal(size=shape) + 10.0, requires_grad=True) for shape in SHAPES]
    opt_t = make_torch(torch, name, [{"params": theirs[:1]}, {"params": theirs[1:], "lr": 0.02}], options)
    for _ in range(20):
        for t in theirs:
            t.grad = torch.tensor(rng.normal(size=tuple(t.shape)))
        opt_t.step()
    saved = to_numpy(torch, opt_t.state_dict())
    # A fresh minigrad optimizer over the same parameter values, built with other options:
    # everything must come from the state_dict.
    mine = [nn.Parameter(t.detach().numpy().copy()) for t in theirs]
    opt_m = getattr(optim, name)([{"params": mine[:1]}, {"params": mine[1:]}], lr=0.5)
    opt_m.load_state_dict(saved)
    assert opt_m.param_groups[1]["lr"] == 0.02 and opt_m.param_groups[0]["params"] == mine[:1]
    continue_both(torch, opt_m, opt_t, mine, theirs, 30, seed=3)


@pytest.mark.parametrize("case", STATE_CASES)
def test_torch_loads_minigrads_state_dict_and_continues(torch, case):
    name, options = CASES[case]
    rng = np.random.default_rng(4)
    mine = [nn.Parameter(rng.normal(size=shape) + 10.0) for shape in SHAPES]
    opt_m = getattr(optim, name)(mine, **options)
    for _ in range(20):
        for m in mine:
            m.grad = mg.tensor(rng.normal(size=m.shape))
        opt_m.step()
    theirs = [torch.tensor(m.data.copy(), requires_grad=True) for m in mine]
    opt_t = make_torch(torch, name, theirs, {})
    opt_t.load_state_dict(to_torch(torch, opt_m.state_dict()))
    assert opt_t.param_groups[0]["foreach"] is None  # minigrad's default; on CPU torch then loops per tensor
    continue_both(torch, opt_m, opt_t, mine, theirs, 30, seed=5)


def test_state_dict_round_trip_in_minigrad():
    rng = np.random.default_rng(6)
    p, q = nn.Parameter(rng.normal(size=3)), nn.Parameter(rng.normal(size=3))
    opt = optim.Adam([p], lr=0.1, amsgrad=True)
    for _ in range(3):
        p.grad = mg.tensor(rng.normal(size=3))
        opt.step()
    saved = opt.state_dict()
    assert saved["state"][0]["step"].item() == 3.0 and saved["state"][0]["step"].dtype == np.float32
    other = optim.Adam([q], lr=0.5)
    q.data[...] = p.data
    other.load_state_dict(saved)
    assert other.param_groups[0]["amsgrad"] is True and other.param_groups[0]["lr"] == 0.1
    # The loaded arrays are copies: stepping one optimizer leaves the other's state alone.
    assert other.state[q]["exp_avg"] is not opt.state[p]["exp_avg"]
    for _ in range(5):
        g = rng.normal(size=3)
        p.grad, q.grad = mg.tensor(g), mg.tensor(g.copy())
        opt.step()
        other.step()
    np.testing.assert_array_equal(p.data, q.data)


def torch_message(torch, make_and_load):
    with pytest.raises(Exception) as info:
        make_and_load(torch)
    return str(info.value)


def test_load_errors_carry_torchs_messages(torch):
    def groups(lib, sizes):
        params = [[(nn.Parameter(np.ones(2)) if lib is mg else torch.ones(2, requires_grad=True))
                   for _ in range(n)] for n in sizes]
        return lib.optim.SGD([{"params": ps} for ps in params], lr=0.1, momentum=0.9)

    for saved_sizes, sizes in [((1,), (1, 1)), ((2, 1), (1, 2))]:
        expected = torch_message(torch, lambda lib: groups(lib, sizes).load_state_dict(
            groups(lib, saved_sizes).state_dict()))
        with pytest.raises(ValueError, match=re.escape(expected)):
            groups(mg, sizes).load_state_dict(groups(mg, saved_sizes).state_dict())


# ---- random options, shapes and gradient scales (hypothesis) -----------------------------

def _options(draw, st, name):
    rate = st.floats(1e-4, 1.0)
    unit = st.floats(0.0, 0.999)
    decay = st.sampled_from([0.0, 1e-3, 0.1])
    common = dict(lr=draw(rate), weight_decay=draw(decay), maximize=draw(st.booleans()))
    if name == "SGD":
        momentum = draw(st.sampled_from([0.0, 0.5, 0.9]))
        nesterov = momentum > 0 and draw(st.booleans())
        return dict(common, momentum=momentum, dampening=0.0 if nesterov else draw(st.sampled_from([0.0, 0.3])),
                    nesterov=nesterov)
    if name in ("Adam", "AdamW"):
        return dict(common, betas=(draw(unit), draw(unit)), eps=draw(st.sampled_from([1e-8, 1e-3])),
                    amsgrad=draw(st.booleans()))
    if name == "RMSprop":
        # centered with alpha near 0 estimates a variance of ~0 from one gradient (v_t - a_t^2 =
        # g^2 - g^2): the rounding of that difference decides between a huge step and NaN.
        centered = draw(st.booleans())
        return dict(common, alpha=draw(st.floats(0.05, 0.999) if centered else unit), centered=centered,
                    eps=draw(st.sampled_from([1e-8, 1e-3])), momentum=draw(st.sampled_from([0.0, 0.9])))
    return dict(common, lr_decay=draw(decay), initial_accumulator_value=draw(st.sampled_from([0.0, 0.1, 2.0])),
                eps=draw(st.sampled_from([1e-10, 1e-3])))


def test_random_options_shapes_and_gradient_scales_match_torch(torch):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    # MINIGRAD_FUZZ_EXAMPLES, as in tests/fuzz, asks for a deeper run.
    @settings(max_examples=int(os.environ.get("MINIGRAD_FUZZ_EXAMPLES") or 60), deadline=None)
    @given(st.data())
    def check(data):
        name = data.draw(st.sampled_from(["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]))
        options = _options(data.draw, st, name)
        shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
        scale = data.draw(st.sampled_from([1e-6, 1e-2, 1.0, 1e3]))
        rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
        start = rng.normal(size=shape)
        mine, theirs = nn.Parameter(start.copy()), torch.tensor(start.copy(), requires_grad=True)
        opt_m, opt_t = getattr(optim, name)([mine], **options), make_torch(torch, name, [theirs], options)
        for step in range(8):
            grad = rng.normal(size=shape) * scale
            mine.grad, theirs.grad = mg.tensor(grad), torch.tensor(grad)
            opt_m.step()
            opt_t.step()
        expected = theirs.detach().numpy()
        # Relative to the size of the parameters (one may have crossed 0 on the way).
        size = 1 + np.max(np.abs(expected), initial=0.0)
        np.testing.assert_allclose(mine.data, expected, rtol=1e-10, atol=1e-12 * size,
                                   err_msg=f"{name} {options} shape {shape} gradient scale {scale}")

    check()
