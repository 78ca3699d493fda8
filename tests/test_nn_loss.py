"""minigrad.nn loss modules: each forwards to its function with its own hyperparameters,
holds no parameters, prints like PyTorch's, and its docstring example is right."""
import doctest
import re

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.nn import loss as loss_modules
from minigrad.ops import loss as loss_ops


def data(seed=0):
    r = np.random.default_rng(seed)
    return {
        "x": mg.tensor(r.normal(size=(4, 3))),
        "y": mg.tensor(r.normal(size=(4, 3))),
        "p": mg.tensor(r.uniform(0.1, 0.9, size=(4, 3))),
        "u": mg.tensor(r.uniform(size=(4, 3))),
        "signs": mg.tensor(np.where(r.uniform(size=(4, 3)) > 0.5, 1.0, -1.0)),
        "labels": mg.tensor([0, 2, 1, 1]),
        "w3": mg.tensor([0.5, 2.0, 1.0]),
        "logp": mg.tensor(np.log(r.dirichlet(np.ones(3), size=4))),
    }


# (module class, function, non-default hyperparameters, how to pick input and target)
CASES = [
    (nn.MSELoss, F.mse_loss, {"reduction": "sum"}, ("x", "y")),
    (nn.L1Loss, F.l1_loss, {"reduction": "none"}, ("x", "y")),
    (nn.HuberLoss, F.huber_loss, {"reduction": "sum", "delta": 0.3}, ("x", "y")),
    (nn.SmoothL1Loss, F.smooth_l1_loss, {"reduction": "sum", "beta": 0.3}, ("x", "y")),
    (nn.BCELoss, F.binary_cross_entropy, {"weight": "w3", "reduction": "sum"}, ("p", "u")),
    (nn.BCEWithLogitsLoss, F.binary_cross_entropy_with_logits, {"weight": "w3", "pos_weight": "w3"}, ("x", "u")),
    (nn.CrossEntropyLoss, F.cross_entropy, {"weight": "w3", "ignore_index": 1, "label_smoothing": 0.2},
     ("x", "labels")),
    (nn.NLLLoss, F.nll_loss, {"weight": "w3", "ignore_index": 0, "reduction": "none"}, ("logp", "labels")),
    (nn.MultiMarginLoss, F.multi_margin_loss, {"p": 2, "margin": 0.4, "weight": "w3"}, ("x", "labels_ok")),
    (nn.KLDivLoss, F.kl_div, {"reduction": "batchmean", "log_target": True}, ("logp", "logp_shuffled")),
    (nn.HingeLoss, F.hinge_loss, {"margin": 0.5, "reduction": "sum"}, ("x", "signs")),
]


def pick(d, name):
    if name == "labels_ok":
        return mg.tensor([0, 2, 2, 1])
    if name == "logp_shuffled":
        return mg.tensor(d["logp"].data[::-1].copy())
    return d[name]


@pytest.mark.parametrize("module, function, options, args", CASES, ids=[c[0].__name__ for c in CASES])
def test_module_forwards_its_hyperparameters(module, function, options, args):
    d = data()
    options = {k: d[v] if isinstance(v, str) and v in d else v for k, v in options.items()}
    x, t = pick(d, args[0]), pick(d, args[1])
    from_module = module(**options)(x, t)
    from_function = function(x, t, **options)
    np.testing.assert_array_equal(from_module.data, from_function.data)
    default = function(x, t)
    assert default.shape != from_function.shape or not np.array_equal(default.data, from_function.data), \
        "the hyperparameters must change the result, or this test proves nothing"
    np.testing.assert_array_equal(module()(x, t).data, default.data)  # and the defaults are the function's


@pytest.mark.parametrize("module, function, options, args", CASES, ids=[c[0].__name__ for c in CASES])
def test_module_gradient_is_the_functions(module, function, options, args):
    d = data(1)
    options = {k: d[v] if isinstance(v, str) and v in d else v for k, v in options.items()}
    grads = []
    for call in (lambda x, t: module(**options)(x, t), lambda x, t: function(x, t, **options)):
        x = mg.tensor(pick(d, args[0]).data, requires_grad=True)
        out = call(x, pick(d, args[1]))
        out.backward(mg.tensor(np.ones(out.shape)))
        grads.append(x.grad.data)
    np.testing.assert_array_equal(grads[0], grads[1])
    assert np.any(grads[0] != 0)


@pytest.mark.parametrize("module", [c[0] for c in CASES])
def test_loss_modules_have_no_parameters(module):
    m = module()
    assert list(m.parameters()) == [] and m.state_dict() == {}


def test_weights_are_kept_but_not_trained():
    weight = mg.tensor([1.0, 2.0, 3.0])
    m = nn.CrossEntropyLoss(weight=weight)
    assert m.weight is weight and list(m.parameters()) == []


def test_repr():
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"


def test_bad_hyperparameters_fail_when_called_with_the_functions_message():
    with pytest.raises(ValueError, match="huber_loss: delta must be > 0"):
        nn.HuberLoss(delta=-1.0)(mg.zeros(2), mg.zeros(2))
    with pytest.raises(ValueError, match="cross_entropy: reduction must be one of"):
        nn.CrossEntropyLoss(reduction="avg")(mg.zeros((2, 3)), mg.tensor([0, 1]))


def test_keyword_only_where_pytorch_has_legacy_positional_arguments():
    with pytest.raises(TypeError):
        nn.MSELoss("sum")  # PyTorch's first positional argument is the legacy size_average
    assert nn.HuberLoss("sum", 0.5).delta == 0.5  # PyTorch's order: reduction, delta
    assert nn.MultiMarginLoss(2, 0.5).margin == 0.5


def test_every_module_is_exported_and_documented():
    names = ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
             "NLLLoss", "MultiMarginLoss", "KLDivLoss", "HingeLoss"]
    for name in names:
        cls = getattr(nn, name)
        assert name in nn.__all__ and cls is getattr(loss_modules, name)
        doc = cls.__doc__
        assert ">>>" in doc and "'mean'" in doc, f"{name}: reductions, example"
        # the math is written once, on the Function the docstring names
        functions = re.findall(r"minigrad\.ops\.loss\.(\w+)", doc)
        assert functions, f"{name}: no 'The math: minigrad.ops.loss.<Function>'"
        for function in functions:
            math = getattr(loss_ops, function).__doc__
            assert "d loss" in math and callable(getattr(loss_ops, function).composed), function
        assert "d loss" not in doc, f"{name}: a restated gradient formula"


def test_docstring_examples():
    result = doctest.testmod(loss_modules, verbose=False)
    assert result.attempted >= 22 and result.failed == 0
