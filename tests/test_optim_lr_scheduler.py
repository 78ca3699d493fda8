"""minigrad.optim.lr_scheduler without torch: each schedule against its closed form.

The schedulers compute each rate from the previous one (torch's chainable form; the
exact comparison with torch is in torch_parity/test_lr_scheduler_parity.py). Here the
oracle is the closed form each docstring states, evaluated independently for 200 steps;
the two agree to rounding (1e-12 relative). Also: checkpoints, warnings, errors.
"""
import math
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.optim import lr_scheduler

STEPS = 200
BASE = [0.1, 0.05]


def make_optimizer(name="SGD", **options):
    groups = [{"params": [nn.Parameter(np.ones(2))]}, {"params": [nn.Parameter(np.ones(3))], "lr": BASE[1]}]
    return getattr(optim, name)(groups, lr=BASE[0], **options)


def schedule(make_scheduler, steps=STEPS, **optimizer_options):
    """The rates at epochs 0..steps (creation is epoch 0), per group."""
    opt = make_optimizer(**optimizer_options)
    sched = make_scheduler(opt)
    rates = [sched.get_last_lr()]
    for _ in range(steps):
        opt.step()
        sched.step()
        rates.append(sched.get_last_lr())
    return np.array(rates), opt, sched


def closed_form(formula):
    return np.array([[formula(base, t) for base in BASE] for t in range(STEPS + 1)])


def cosine_anneal(start, end, pct):
    return end + (start - end) / 2 * (1 + math.cos(math.pi * pct))


CLOSED_FORMS = {
    "StepLR": (lambda o: lr_scheduler.StepLR(o, step_size=7, gamma=0.5),
               lambda b, t: b * 0.5 ** (t // 7)),
    "MultiStepLR": (lambda o: lr_scheduler.MultiStepLR(o, [10, 30, 30, 100], gamma=0.3),
                    lambda b, t: b * 0.3 ** sum(m <= t for m in [10, 30, 30, 100])),
    "ExponentialLR": (lambda o: lr_scheduler.ExponentialLR(o, gamma=0.97),
                      lambda b, t: b * 0.97**t),
    "CosineAnnealingLR": (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=37, eta_min=1e-3),
                          lambda b, t: 1e-3 + (b - 1e-3) * (1 + math.cos(math.pi * t / 37)) / 2),
    "LambdaLR": (lambda o: lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + 0.1 * e)),
                 lambda b, t: b / (1 + 0.1 * t)),
    "LinearLR": (lambda o: lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=20),
                 lambda b, t: b * (0.1 + 0.8 * min(t, 20) / 20)),
    # two phases: 0 -> 59 (pct_start 0.3 of 200, minus 1) up, then down to step 199
    "OneCycleLR": (lambda o: lr_scheduler.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS + 1),
                   lambda b, t: None),
}


@pytest.mark.parametrize("name", [n for n in CLOSED_FORMS if n != "OneCycleLR"])
def test_each_schedule_follows_its_closed_form(name):
    make, formula = CLOSED_FORMS[name]
    rates, opt, _ = schedule(make)
    np.testing.assert_allclose(rates, closed_form(formula), rtol=1e-12, atol=0)
    assert [g["lr"] for g in opt.param_groups] == list(rates[-1])
    assert [g["initial_lr"] for g in opt.param_groups] == BASE


def test_one_cycle_follows_its_closed_form_and_cycles_momentum():
    total, max_lrs = 201, [1.0, 0.5]
    rates, opt, sched = schedule(lambda o: lr_scheduler.OneCycleLR(o, max_lr=max_lrs, total_steps=total),
                                 momentum=0.9)
    up_end = 0.3 * total - 1
    expected, expected_momentum = [], []
    for t in range(STEPS + 1):
        row = []
        for top in max_lrs:
            initial, low = top / 25, top / 25 / 1e4
            if t <= up_end:
                row.append(cosine_anneal(initial, top, t / up_end))
            else:
                row.append(cosine_anneal(top, low, (t - up_end) / (total - 1 - up_end)))
        expected.append(row)
        pct = t / up_end if t <= up_end else (t - up_end) / (total - 1 - up_end)
        expected_momentum.append(cosine_anneal(0.95, 0.85, pct) if t <= up_end else cosine_anneal(0.85, 0.95, pct))
    np.testing.assert_allclose(rates, expected, rtol=1e-12, atol=1e-18)
    assert rates[:, 0].argmax() == round(up_end)  # the peak at pct_start
    assert opt.param_groups[0]["momentum"] == pytest.approx(expected_momentum[-1], rel=1e-12)
    assert opt.param_groups[0]["max_momentum"] == 0.95 and opt.param_groups[0]["base_momentum"] == 0.85


def test_one_cycle_moves_adams_beta1():
    opt = make_optimizer("Adam", betas=(0.9, 0.99))
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.01, total_steps=10)
    assert opt.param_groups[0]["betas"] == (0.95, 0.99)  # max_momentum at the start
    for _ in range(3):
        opt.step()
        sched.step()
    beta1, beta2 = opt.param_groups[0]["betas"]
    assert 0.85 < beta1 < 0.95 and beta2 == 0.99


def test_cosine_past_t_max_climbs_back():
    rates, _, _ = schedule(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10), steps=20)
    assert rates[10, 0] == pytest.approx(0.0, abs=1e-17)
    np.testing.assert_allclose(rates[20], BASE, rtol=1e-12)


def test_reduce_lr_on_plateau_by_hand():
    opt = make_optimizer()
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=2, factor=0.5, cooldown=1, min_lr=[0.02, 0.0])
    # best 1.0, then epochs that do not improve on it by the threshold (1e-4 relative:
    # 0.99995 is not enough): the third bad epoch (> patience) reduces the rates.
    lrs = []
    for metric in [1.0, 0.99995] + [1.0] * 10:
        sched.step(metric)
        lrs.append(sched.get_last_lr())
    assert lrs[2] == BASE and lrs[3] == [0.05, 0.025]
    # The cooldown epoch (index 4) does not count, so the next reduction comes at index 7, not 6.
    assert lrs[6] == [0.05, 0.025] and lrs[7] == [0.025, 0.0125]
    assert lrs[11] == [0.02, 0.00625]  # the first group stops at its min_lr
    assert sched.best == 1.0 and sched.last_epoch == 12
    sched.step(0.5)  # an improvement resets the count of bad epochs
    assert sched.best == 0.5 and sched.num_bad_epochs == 0


def test_reduce_lr_on_plateau_accepts_a_tensor_metric_and_max_mode():
    opt = make_optimizer()
    sched = lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=0)
    sched.step(mg.tensor(0.5))
    sched.step(mg.tensor(0.4))
    assert sched.get_last_lr() == pytest.approx([0.01, 0.005], rel=1e-15)


# ---- checkpoints ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n in CLOSED_FORMS])
def test_state_dict_round_trip_resumes_the_schedule(name):
    make, _ = CLOSED_FORMS[name]
    full, _, _ = schedule(make, momentum=0.9)
    opt = make_optimizer(momentum=0.9)
    sched = make(opt)
    for _ in range(80):
        opt.step()
        sched.step()
    opt_state, sched_state = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in sched_state and sched_state["last_epoch"] == 80
    resumed_opt = make_optimizer(momentum=0.9)
    resumed = make(resumed_opt)
    resumed_opt.load_state_dict(opt_state)
    resumed.load_state_dict(sched_state)
    rates = [resumed.get_last_lr()]
    for _ in range(STEPS - 80):
        resumed_opt.step()
        resumed.step()
        rates.append(resumed.get_last_lr())
    np.testing.assert_array_equal(rates, full[80:])


def test_resuming_with_last_epoch():
    # last_epoch=k (the last epoch done; the groups must have initial_lr): creating the
    # scheduler is the step to epoch k + 1, as in torch.
    opt = make_optimizer()
    lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
    sched = lr_scheduler.StepLR(opt, step_size=5, gamma=0.5, last_epoch=4)
    assert sched.last_epoch == 5 and sched.get_last_lr() == [0.05, 0.025]
    opt.step()
    sched.step()
    assert sched.last_epoch == 6 and sched.get_last_lr() == [0.05, 0.025]


def test_load_state_dict_rejects_another_schedulers_state():
    step = lr_scheduler.StepLR(make_optimizer(), 3).state_dict()
    cosine = lr_scheduler.CosineAnnealingLR(make_optimizer(), 10)
    with pytest.raises(ValueError, match=r"entries \['gamma', 'step_size'\] that CosineAnnealingLR does not have"):
        cosine.load_state_dict(step)
    partial = cosine.state_dict()
    del partial["T_max"]
    with pytest.raises(KeyError, match=r"lacks the entries \['T_max'\]"):
        lr_scheduler.CosineAnnealingLR(make_optimizer(), 10).load_state_dict(partial)


def test_lambda_lr_saves_no_code():
    class Warmup:
        def __init__(self):
            self.steps = 5

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.steps)

    sched = lr_scheduler.LambdaLR(make_optimizer(), [lambda e: 1.0, Warmup()])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"steps": 5}]
    assert not any(callable(v) for v in state.values())


# ---- warnings and errors -------------------------------------------------------------------

def test_scheduler_step_before_optimizer_step_warns_once_and_order_matters():
    opt = make_optimizer()
    sched = lr_scheduler.ExponentialLR(opt, 0.5)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        sched.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()  # only the first step is checked, as in torch
    # Replacing optimizer.step after creating the scheduler is noticed too.
    opt2 = make_optimizer()
    sched2 = lr_scheduler.ExponentialLR(opt2, 0.5)
    opt2.step = lambda closure=None: None
    with pytest.warns(UserWarning, match="has been overridden after learning rate scheduler initialization"):
        sched2.step()


def test_two_schedulers_on_one_optimizer_chain():
    opt = make_optimizer()
    warmup = lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2)
    decay = lr_scheduler.ExponentialLR(opt, gamma=0.9)
    for _ in range(3):
        opt.step()
        warmup.step()
        decay.step()
    # epoch 3: warm-up factor 1, times 0.9^3 (chainable forms multiply)
    np.testing.assert_allclose([g["lr"] for g in opt.param_groups], [b * 0.9**3 for b in BASE], rtol=1e-14)


@pytest.mark.parametrize("make, error, message", [
    (lambda o: lr_scheduler.StepLR(o, step_size=0), ValueError, "step_size must be > 0"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2.5), TypeError, "step_size must be an int"),
    (lambda o: lr_scheduler.StepLR(o, step_size=3, gamma="0.1"), TypeError, "gamma must be a number"),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=[1.5]), TypeError, "milestones must be ints"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be > 0"),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma=None), TypeError, "gamma must be a number"),
    (lambda o: lr_scheduler.LambdaLR(o, lr_lambda=0.5), TypeError, "lr_lambda must be a function"),
    (lambda o: lr_scheduler.LinearLR(o, total_iters=2.0), TypeError, "total_iters must be an int"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr="big", total_steps=10), TypeError, "max_lr must be a number"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor="half"), TypeError, "factor must be a number"),
    (lambda o: lr_scheduler.StepLR(None, 3), TypeError, "NoneType is not an Optimizer"),
])
def test_bad_arguments_name_the_argument(make, error, message):
    with pytest.raises(error, match=message):
        make(make_optimizer())


def test_reachable_as_in_torch():
    assert mg.optim.lr_scheduler is lr_scheduler
    from minigrad.optim.lr_scheduler import OneCycleLR, ReduceLROnPlateau  # torch's import path
    assert OneCycleLR is mg.optim.lr_scheduler.OneCycleLR and ReduceLROnPlateau.__module__ == lr_scheduler.__name__
    for name in lr_scheduler.__all__:
        cls = getattr(lr_scheduler, name)
        assert issubclass(cls, lr_scheduler.LRScheduler)
        if name != "LRScheduler":
            assert "lr" in cls.__doc__ and "=" in cls.__doc__  # each states its formula
