"""minigrad.optim.lr_scheduler against torch.optim.lr_scheduler 2.13.

For each scheduler, in several configurations: the learning rates of 200 steps (and
OneCycleLR's momenta) equal torch's exactly — both compute each rate from the previous
one with the same float64 operations in the same order, so there is nothing to round
differently; the parameters of a small model trained with it stay on torch's trajectory;
the state_dict has torch's keys and values, and a checkpoint taken in either framework
resumes in the other on the same schedule; warnings and errors carry torch's messages.
"""
import inspect
import re
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.optim import lr_scheduler

STEPS = 200


class Halving:
    """A callable object as lr_lambda: its attributes are state, saved by state_dict."""

    def __init__(self, every):
        self.every = every

    def __call__(self, epoch):
        return 0.5 ** (epoch // self.every)


# name -> (optimizer class, its options, scheduler class, scheduler arguments as a function
# of the library's lr_scheduler module, so that lambdas are built once per framework).
CASES = {
    "step": ("SGD", dict(momentum=0.9), "StepLR", lambda L: dict(step_size=7, gamma=0.5)),
    "step_default_gamma": ("Adam", {}, "StepLR", lambda L: dict(step_size=30)),
    "multistep": ("SGD", {}, "MultiStepLR", lambda L: dict(milestones=[10, 30, 30, 100, 150], gamma=0.3)),
    "exponential": ("SGD", {}, "ExponentialLR", lambda L: dict(gamma=0.97)),
    "cosine": ("SGD", dict(momentum=0.9), "CosineAnnealingLR", lambda L: dict(T_max=37, eta_min=1e-3)),
    "cosine_full": ("Adam", {}, "CosineAnnealingLR", lambda L: dict(T_max=STEPS)),
    "lambda": ("SGD", {}, "LambdaLR", lambda L: dict(lr_lambda=lambda e: 0.95**e)),
    "lambda_per_group": ("SGD", {}, "LambdaLR",
                         lambda L: dict(lr_lambda=[lambda e: 1 / (1 + 0.1 * e), Halving(25)])),
    "linear": ("SGD", {}, "LinearLR", lambda L: dict(start_factor=0.1, end_factor=0.9, total_iters=20)),
    "linear_default": ("AdamW", {}, "LinearLR", lambda L: {}),
    "linear_decay": ("SGD", {}, "LinearLR", lambda L: dict(start_factor=1.0, end_factor=0.0, total_iters=150)),
    "onecycle": ("SGD", dict(momentum=0.9), "OneCycleLR", lambda L: dict(max_lr=[1.0, 0.5], total_steps=STEPS)),
    "onecycle_adam": ("Adam", {}, "OneCycleLR", lambda L: dict(max_lr=0.01, epochs=10, steps_per_epoch=20,
                                                              pct_start=0.25, div_factor=10.0)),
    "onecycle_three_phase_linear": ("SGD", dict(momentum=0.5), "OneCycleLR",
                                    lambda L: dict(max_lr=0.3, total_steps=STEPS + 1, three_phase=True,
                                                   anneal_strategy="linear", base_momentum=[0.8, 0.7])),
    "onecycle_no_momentum": ("RMSprop", {}, "OneCycleLR",
                             lambda L: dict(max_lr=0.02, total_steps=STEPS, cycle_momentum=False)),
}


def make_optimizer(lib, name, options, params):
    groups = [{"params": params[:1]}, {"params": params[1:], "lr": 0.05}]
    if lib is mg:
        return getattr(optim, name)(groups, lr=0.1, **options)
    return getattr(lib.optim, name)(groups, lr=0.1, foreach=False, **options)


def params_for(lib, torch, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=(3, 2)).astype(dtype), rng.normal(size=4).astype(dtype)]
    if lib is mg:
        return [nn.Parameter(a) for a in arrays]
    return [torch.tensor(a, requires_grad=True) for a in arrays]


def make_pair(torch, case, dtype=np.float64):
    opt_name, options, sched_name, arguments = CASES[case]
    mine = make_optimizer(mg, opt_name, options, params_for(mg, torch, dtype))
    theirs = make_optimizer(torch, opt_name, options, params_for(torch, torch, dtype))
    sched_m = getattr(lr_scheduler, sched_name)(mine, **arguments(lr_scheduler))
    sched_t = getattr(torch.optim.lr_scheduler, sched_name)(theirs, **arguments(torch.optim.lr_scheduler))
    return mine, theirs, sched_m, sched_t


def momenta(opt):
    return [(g.get("momentum"), g.get("betas")) for g in opt.param_groups]


def assert_same_schedule(opt_m, opt_t, sched_m, sched_t, what):
    assert sched_m.get_last_lr() == sched_t.get_last_lr(), what
    assert [g["lr"] for g in opt_m.param_groups] == [g["lr"] for g in opt_t.param_groups], what
    assert momenta(opt_m) == momenta(opt_t), what


@pytest.mark.parametrize("case", list(CASES))
def test_learning_rates_of_200_steps_equal_torchs(torch, case):
    opt_m, opt_t, sched_m, sched_t = make_pair(torch, case)
    assert_same_schedule(opt_m, opt_t, sched_m, sched_t, "at creation")
    seen = set()
    for step in range(STEPS):
        opt_m.step(), opt_t.step()  # no gradients: only the schedule moves
        sched_m.step(), sched_t.step()
        assert_same_schedule(opt_m, opt_t, sched_m, sched_t, f"after step {step + 1}")
        seen.add(tuple(sched_m.get_last_lr()))
    assert len(seen) > 2  # the schedule really changed the rates


PLATEAU_CASES = {
    "default": {},
    "patience_cooldown": dict(patience=2, cooldown=3, factor=0.5),
    "max_abs": dict(mode="max", threshold_mode="abs", threshold=0.01, patience=1),
    "max_rel": dict(mode="max", patience=0, factor=0.7),
    "min_abs_min_lr": dict(threshold_mode="abs", threshold=0.05, patience=1, min_lr=[1e-3, 2e-2]),
    "eps": dict(patience=0, factor=0.5, min_lr=0.01, eps=1e-3),
}


def plateau_metric(step, mode):
    # Improves quickly, then plateaus with noise, then improves a little again.
    rng = np.random.default_rng(step)
    if step < 40:
        value = 1.0 / (1 + step)
    else:
        value = 0.025 + 0.01 * rng.uniform() - (0.002 * (step - 120) if step > 120 else 0.0)
    return value if mode == "min" else -value


@pytest.mark.parametrize("case", list(PLATEAU_CASES))
def test_reduce_lr_on_plateau_equals_torchs(torch, case):
    options = PLATEAU_CASES[case]
    opt_m = make_optimizer(mg, "SGD", {}, params_for(mg, torch))
    opt_t = make_optimizer(torch, "SGD", {}, params_for(torch, torch))
    sched_m = lr_scheduler.ReduceLROnPlateau(opt_m, **options)
    sched_t = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_t, **options)
    reductions = 0
    for step in range(STEPS):
        metric = plateau_metric(step, options.get("mode", "min"))
        # The metric as a one-element tensor on each side, as a validation loss would be.
        sched_m.step(mg.tensor(metric, dtype=mg.float64))
        sched_t.step(torch.tensor(metric, dtype=torch.float64))
        before = sched_m.get_last_lr()
        assert_same_schedule(opt_m, opt_t, sched_m, sched_t, f"after step {step + 1}")
        assert (sched_m.best, sched_m.num_bad_epochs, sched_m.cooldown_counter) == \
               (sched_t.best, sched_t.num_bad_epochs, sched_t.cooldown_counter)
        reductions += before != [0.1, 0.05]
    assert reductions > 0  # the plateau really reduced the rate


# ---- a small model trained with each scheduler --------------------------------------------

TRAIN_CASES = ["step", "multistep", "exponential", "cosine", "lambda_per_group", "linear", "onecycle",
               "onecycle_adam", "cosine_full"]


def train(lib, torch, opt_name, options, sched_name, arguments, dtype, plateau=False):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(32, 5)).astype(dtype)
    y = rng.integers(0, 3, size=32)
    w1, b1 = rng.normal(size=(8, 5)).astype(dtype) * 0.5, np.zeros(8, dtype)
    w2, b2 = rng.normal(size=(3, 8)).astype(dtype) * 0.5, np.zeros(3, dtype)
    if lib is mg:
        params = [nn.Parameter(a.copy()) for a in (w1, b1, w2, b2)]
        xs, ys, F = mg.tensor(x), mg.tensor(y), nn.functional
    else:
        params = [torch.tensor(a.copy(), requires_grad=True) for a in (w1, b1, w2, b2)]
        xs, ys, F = torch.tensor(x), torch.tensor(y), torch.nn.functional
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": 0.05}]
    extra = {} if lib is mg else {"foreach": False}
    opt = getattr(lib.optim, opt_name)(groups, lr=0.1, **options, **extra)
    sched = getattr(lib.optim.lr_scheduler, sched_name)(opt, **arguments(lib.optim.lr_scheduler))
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        hidden = (xs @ params[0].T + params[1]).tanh()
        loss = F.cross_entropy(hidden @ params[2].T + params[3], ys)
        loss.backward()
        opt.step()
        sched.step(loss.item()) if plateau else sched.step()
        losses.append(loss.item())
    return [p.detach().numpy() if lib is not mg else p.data for p in params], losses


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", TRAIN_CASES + ["plateau"])
def test_training_with_the_scheduler_follows_torchs_trajectory(torch, case, dtype):
    if case == "plateau":
        setup = ("SGD", dict(momentum=0.9), "ReduceLROnPlateau", lambda L: dict(patience=3, threshold=0.05))
        plateau = True
    else:
        setup, plateau = CASES[case], False
    mine, loss_m = train(mg, torch, *setup, dtype, plateau)
    theirs, loss_t = train(torch, torch, *setup, dtype, plateau)
    # float64: the schedules are identical and the model's arithmetic differs from torch's
    # by roundings (matmul order), ~1e-16 per step. float32: ~1e-7 per step, and 200
    # steps of a nonlinear model may grow it a little.
    rtol, atol = (1e-9, 1e-12) if dtype == np.float64 else (2e-4, 2e-5)
    for i, (m, t) in enumerate(zip(mine, theirs)):
        assert m.dtype == t.dtype == dtype
        np.testing.assert_allclose(m, t, rtol=rtol, atol=atol, err_msg=f"parameter {i}")
    np.testing.assert_allclose(loss_m, loss_t, rtol=rtol)
    assert loss_m[-1] < loss_m[0] - 0.05  # it trained


# ---- state_dict ----------------------------------------------------------------------------

def comparable(state):
    """A scheduler state_dict without what cannot be compared across frameworks."""
    return {key: value for key, value in state.items() if key != "lr_lambdas"}


@pytest.mark.parametrize("case", list(CASES))
def test_state_dict_has_torchs_keys_and_values(torch, case):
    opt_m, opt_t, sched_m, sched_t = make_pair(torch, case)
    for _ in range(50):
        opt_m.step(), opt_t.step()
        sched_m.step(), sched_t.step()
    state_m, state_t = sched_m.state_dict(), sched_t.state_dict()
    assert list(state_m) == list(state_t)
    assert comparable(state_m) == comparable(state_t)
    if "lr_lambdas" in state_t:
        assert state_m["lr_lambdas"] == state_t["lr_lambdas"]  # None for a lambda, __dict__ for an object


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("direction", ["minigrad to torch", "torch to minigrad"])
def test_a_checkpoint_resumes_in_the_other_framework(torch, case, direction):
    # Run the source framework 60 steps, save optimizer and scheduler state, build a fresh
    # optimizer and scheduler in the other framework, load, and run on: its rates equal
    # those of the source run continuing uninterrupted.
    opt_name, options, sched_name, arguments = CASES[case]
    source_lib, target_lib = (mg, torch) if direction == "minigrad to torch" else (torch, mg)
    opt_s = make_optimizer(source_lib, opt_name, options, params_for(source_lib, torch))
    modules = {mg: lr_scheduler, torch: torch.optim.lr_scheduler}
    sched_s = getattr(modules[source_lib], sched_name)(opt_s, **arguments(modules[source_lib]))
    for _ in range(60):
        opt_s.step()
        sched_s.step()
    opt_state, sched_state = opt_s.state_dict(), sched_s.state_dict()  # no tensors: no gradients yet

    opt_r = make_optimizer(target_lib, opt_name, options, params_for(target_lib, torch))
    sched_r = getattr(modules[target_lib], sched_name)(opt_r, **arguments(modules[target_lib]))
    opt_r.load_state_dict(opt_state)  # after creating the scheduler, as torch's docs say
    sched_r.load_state_dict(sched_state)
    assert sched_r.get_last_lr() == sched_s.get_last_lr()
    for _ in range(STEPS - 60 - 1):
        opt_s.step(), opt_r.step()
        sched_s.step(), sched_r.step()
        assert_same_schedule(opt_r, opt_s, sched_r, sched_s, "after resuming")


def test_lambda_lr_state_dict_restores_callable_objects_not_functions():
    p = nn.Parameter(np.ones(2))
    opt = optim.SGD([{"params": [p]}, {"params": [nn.Parameter(np.ones(1))]}], lr=0.1)
    halving = Halving(10)
    sched = lr_scheduler.LambdaLR(opt, [lambda e: 1.0, halving])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"every": 10}]
    state["lr_lambdas"][1]["every"] = 3
    fresh = Halving(10)
    other = lr_scheduler.LambdaLR(optim.SGD([{"params": [nn.Parameter(np.ones(2))]},
                                             {"params": [nn.Parameter(np.ones(1))]}], lr=0.1),
                                  [lambda e: 1.0, fresh])
    other.load_state_dict(state)
    assert fresh.every == 3 and halving.every == 10
    assert state["lr_lambdas"][1] == {"every": 3}  # loading left the caller's dict whole


# ---- warnings and errors ------------------------------------------------------------------

def messages(record):
    return [str(w.message) for w in record]


def test_stepping_the_scheduler_first_warns_as_torch(torch):
    for lib, module in ((mg, lr_scheduler), (torch, torch.optim.lr_scheduler)):
        opt = make_optimizer(lib, "SGD", {}, params_for(lib, torch))
        sched = module.StepLR(opt, 5)
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            sched.step()
        if lib is torch:
            expected = messages(record)
        else:
            got = messages(record)
    assert len(expected) == 1 and "before `optimizer.step()`" in expected[0]
    assert got == expected
    # In the right order, nothing.
    opt = make_optimizer(mg, "SGD", {}, params_for(mg, torch))
    sched = lr_scheduler.StepLR(opt, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()
        sched.step()


def test_get_lr_outside_step_and_step_with_epoch_warn_as_torch(torch):
    got, expected = [], []
    for lib, module, out in ((mg, lr_scheduler, got), (torch, torch.optim.lr_scheduler, expected)):
        opt = make_optimizer(lib, "SGD", {}, params_for(lib, torch))
        sched = module.CosineAnnealingLR(opt, 10)
        opt.step()
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            sched.get_lr()
            sched.step(4)  # deprecated: the closed form at epoch 4
        out += messages(record)
        out.append(sched.get_last_lr())
    assert len(expected) == 3 and "get_last_lr()" in expected[0] and "epoch parameter" in expected[1]
    assert got == expected


@pytest.mark.parametrize("name", ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                                  "LambdaLR", "LinearLR", "OneCycleLR", "ReduceLROnPlateau"])
def test_signature_matches_torch(torch, name):
    mine = inspect.signature(getattr(lr_scheduler, name)).parameters
    theirs = inspect.signature(getattr(torch.optim.lr_scheduler, name)).parameters
    assert [(k, p.kind, p.default) for k, p in mine.items()] == [(k, p.kind, p.default) for k, p in theirs.items()]


ERRORS = [
    ("LinearLR", dict(start_factor=0.0)),
    ("LinearLR", dict(start_factor=1.5)),
    ("LinearLR", dict(end_factor=-0.1)),
    ("OneCycleLR", dict(max_lr=0.1)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=0)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=2.5)),
    ("OneCycleLR", dict(max_lr=0.1, epochs=0, steps_per_epoch=3)),
    ("OneCycleLR", dict(max_lr=0.1, epochs=2, steps_per_epoch=-3)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1.5)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, anneal_strategy="cosine")),
    ("OneCycleLR", dict(max_lr=[0.1, 0.2, 0.3], total_steps=10)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, base_momentum=[0.8])),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1.0])),
    ("ReduceLROnPlateau", dict(factor=1.0)),
    ("ReduceLROnPlateau", dict(mode="maximum")),
    ("ReduceLROnPlateau", dict(threshold_mode="relative")),
    ("ReduceLROnPlateau", dict(min_lr=[0.1])),
]


@pytest.mark.parametrize("name, arguments", ERRORS)
def test_bad_arguments_raise_torchs_error(torch, name, arguments):
    with pytest.raises(Exception) as theirs:
        getattr(torch.optim.lr_scheduler, name)(make_optimizer(torch, "SGD", {}, params_for(torch, torch)),
                                                **arguments)
    with pytest.raises(type(theirs.value), match="^" + re.escape(str(theirs.value))):
        getattr(lr_scheduler, name)(make_optimizer(mg, "SGD", {}, params_for(mg, torch)), **arguments)


def test_other_errors_carry_torchs_messages(torch):
    # A scheduler on something that is not a (minigrad) optimizer.
    with pytest.raises(TypeError) as theirs:
        torch.optim.lr_scheduler.StepLR(object(), 3)
    with pytest.raises(TypeError, match="^" + re.escape(str(theirs.value))):
        lr_scheduler.StepLR(object(), 3)
    with pytest.raises(TypeError, match=r"^SGD is not an Optimizer \(a scheduler needs a minigrad"):
        lr_scheduler.StepLR(make_optimizer(torch, "SGD", {}, params_for(torch, torch)), 3)
    # Resuming (last_epoch >= 0) needs initial_lr in every group.
    with pytest.raises(KeyError) as theirs:
        torch.optim.lr_scheduler.StepLR(make_optimizer(torch, "SGD", {}, params_for(torch, torch)), 3, last_epoch=5)
    with pytest.raises(KeyError) as mine:
        lr_scheduler.StepLR(make_optimizer(mg, "SGD", {}, params_for(mg, torch)), 3, last_epoch=5)
    assert mine.value.args == theirs.value.args
    # OneCycleLR past its total_steps.
    for lib, module in ((torch, torch.optim.lr_scheduler), (mg, lr_scheduler)):
        sched = module.OneCycleLR(make_optimizer(lib, "SGD", {}, params_for(lib, torch)), 0.1, total_steps=3)
        for _ in range(3):
            sched.optimizer.step()
            sched.step()
        with pytest.raises(ValueError, match="^Tried to step 4 times. The specified number of total steps is 3$"):
            sched.optimizer.step()
            sched.step()
    # cycle_momentum with an optimizer that has neither momentum nor betas.
    for lib, module in ((torch, torch.optim.lr_scheduler), (mg, lr_scheduler)):
        with pytest.raises(ValueError, match="^optimizer must support momentum or beta1 with `cycle_momentum`"):
            module.OneCycleLR(lib.optim.Adagrad(params_for(lib, torch)), 0.1, total_steps=3)


@pytest.mark.parametrize("case", ["step", "multistep", "exponential", "cosine", "linear", "lambda"])
def test_step_with_an_epoch_uses_torchs_closed_form(torch, case):
    # scheduler.step(epoch) is deprecated in torch but still works: it jumps to `epoch`
    # and uses the closed form where there is one (get_lr otherwise).
    opt_m, opt_t, sched_m, sched_t = make_pair(torch, case)
    if case == "multistep":  # as after mg.load, which gives a plain dict for torch's Counter
        sched_m.milestones = dict(sched_m.milestones)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 10, 11, 7, 36, 37, 38, 100, 150, 199]:
            opt_m.step(), opt_t.step()
            sched_m.step(epoch), sched_t.step(epoch)
            assert sched_m.last_epoch == sched_t.last_epoch == epoch
            assert_same_schedule(opt_m, opt_t, sched_m, sched_t, f"at epoch {epoch}")
