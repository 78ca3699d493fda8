"""minigrad.testing: compare_with_torch, compare_model_with_torch, to_torch."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.testing import compare_model_with_torch, compare_with_torch, difference, to_torch

pytestmark = pytest.mark.usefixtures("torch")   # conftest: skipped without torch, a failure in CI

rng = np.random.default_rng(0)
X = rng.normal(size=(5, 4))
PROBS = rng.uniform(0.05, 0.95, size=(5, 4))
BINARY = rng.integers(0, 2, size=(5, 4)).astype(np.float64)
CLASSES = np.array([0, 3, 1, 2, 3])
W_CLASS = np.array([0.5, 1.0, 2.0, 1.5])
SOFT = rng.dirichlet(np.ones(4), size=5)


def torch_hinge(lib, x, y):
    """minigrad's hinge_loss (not in torch), spelled with torch's ops."""
    return lib.relu(1 - y * x).mean()


# (name, fn(lib, *tensors), arrays): every loss of minigrad.nn.functional, with its options.
LOSSES = [
    ("mse", lambda lib, x, t: lib.nn.functional.mse_loss(x, t), (X, PROBS)),
    ("mse sum", lambda lib, x, t: lib.nn.functional.mse_loss(x, t, reduction="sum"), (X, PROBS)),
    ("l1", lambda lib, x, t: lib.nn.functional.l1_loss(x, t), (X, PROBS)),
    ("huber", lambda lib, x, t: lib.nn.functional.huber_loss(x, t, delta=0.5), (X, PROBS)),
    ("smooth_l1", lambda lib, x, t: lib.nn.functional.smooth_l1_loss(x, t, beta=0.5), (X, PROBS)),
    ("bce", lambda lib, p, t: lib.nn.functional.binary_cross_entropy(p, t), (PROBS, BINARY)),
    ("bce weight", lambda lib, p, t: lib.nn.functional.binary_cross_entropy(
        p, t, weight=lib.tensor(W_CLASS, dtype=p.dtype)), (PROBS, BINARY)),
    ("bce_with_logits pos_weight", lambda lib, x, t: lib.nn.functional.binary_cross_entropy_with_logits(
        x, t, pos_weight=lib.tensor(W_CLASS, dtype=x.dtype), reduction="none"), (X, BINARY)),
    ("cross_entropy", lambda lib, x, t: lib.nn.functional.cross_entropy(x, t), (X, CLASSES)),
    ("cross_entropy all options", lambda lib, x, t: lib.nn.functional.cross_entropy(
        x, t, weight=lib.tensor(W_CLASS, dtype=x.dtype), ignore_index=1, label_smoothing=0.2), (X, CLASSES)),
    ("cross_entropy probabilities", lambda lib, x, t: lib.nn.functional.cross_entropy(x, t), (X, SOFT)),
    ("nll", lambda lib, x, t: lib.nn.functional.nll_loss(x.log_softmax(dim=1), t, weight=lib.tensor(W_CLASS, dtype=x.dtype)),
     (X, CLASSES)),
    ("multi_margin p=2", lambda lib, x, t: lib.nn.functional.multi_margin_loss(x, t, p=2, margin=0.7),
     (X, CLASSES)),
    ("kl_div batchmean", lambda lib, x, t: lib.nn.functional.kl_div(
        x.log_softmax(dim=1), t, reduction="batchmean"), (X, SOFT)),
    ("kl_div log_target", lambda lib, x, t: lib.nn.functional.kl_div(
        x.log_softmax(dim=1), t.log(), reduction="sum", log_target=True), (X, SOFT)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, fn, arrays", LOSSES, ids=[case[0] for case in LOSSES])
def test_every_loss_matches_torch(name, fn, arrays, dtype):
    report = compare_with_torch(fn, *arrays, dtype=dtype)
    assert report.ok, str(report)
    assert report.rows[0].name == "output" and report["grad of " + fn.__code__.co_varnames[1]]


def test_hinge_loss_with_a_torch_spelling():
    y = np.where(BINARY > 0, 1.0, -1.0)
    report = compare_with_torch(lambda lib, x, t: mg.nn.functional.hinge_loss(x, t), X, y,
                                requires_grad=[True, False], torch_fn=torch_hinge)
    assert report.ok, str(report)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_composite_expressions(dtype):
    def mlp(lib, x, w, b):
        return ((x @ w + b).tanh() * 2 - 1).sigmoid().sum(dim=1)

    def softmax_stats(lib, x):
        s = x.softmax(dim=1)
        return (s * x.exp().log()).mean() + x.max() + lib.maximum(x, x.T.T * 0.5).sum()

    def shapes(lib, x):
        return x.reshape(2, 10).transpose(0, 1)[3:7].clamp(-0.5, 0.5) ** 2

    for fn, arrays in ((mlp, (X, rng.normal(size=(4, 3)), rng.normal(size=3))),
                       (softmax_stats, (X,)), (shapes, (X,))):
        report = compare_with_torch(fn, *arrays, dtype=dtype)
        assert report.ok, str(report)


class WrongSquare(mg.Function):
    """y = x^2 with a deliberately wrong backward: x instead of 2x, at element (1, 2) only."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        g = 2 * x * grad
        g[1, 2] = x[1, 2] * grad[1, 2]
        return g


def test_a_wrong_gradient_is_caught_and_named():
    def square(lib, scale, x):
        return (WrongSquare.apply(x) if lib is mg else x * x) * scale

    report = compare_with_torch(square, 3.0, X[:3])
    assert not report.ok
    assert [row.name for row in report.failures] == ["grad of x"]
    bad = report["grad of x"]
    assert bad.index == (1, 2)
    assert bad.minigrad_value == pytest.approx(bad.torch_value / 2)
    assert report["output"].ok and report["grad of scale"].ok
    text = str(report)
    assert "MISMATCH in: grad of x" in text and "(1, 2)" in text


def test_wrong_value_and_shape_are_reported():
    report = compare_with_torch(lambda lib, x: x.sum(dim=0) if lib is mg else x.sum(dim=1), X)
    assert not report.ok and "shape" in report["output"].note


def test_tolerances_are_used_and_shown():
    fn = lambda lib, x: x.exp()        # noqa: E731
    tight = compare_with_torch(fn, X, dtype=np.float32, atol=0.0, rtol=0.0)
    assert "0 + 0 * |torch|" in str(tight)
    assert compare_with_torch(fn, X, dtype=np.float32).ok


# ---- difference: the one comparison (tests/torch_parity, tests/fuzz and the SIMD test use it) ----
def test_difference_is_atol_plus_rtol_times_theirs():
    theirs = np.array([1.0, 100.0, 0.0])
    assert difference("x", theirs + [1.9e-3, 0.1, 0.9e-3], theirs, atol=1e-3, rtol=1e-3).ok   # within 1e-3 + 1e-3 |theirs|
    row = difference("x", theirs + [0.0, 0.2, 0.0], theirs, atol=1e-3, rtol=1e-3)
    assert not row.ok and row.index == (1,) and (row.minigrad_value, row.torch_value) == (100.2, 100.0)
    assert row.max_abs == pytest.approx(0.2) and row.max_rel == pytest.approx(2e-3)
    assert difference("x", [1e-9], [0.0], atol=0.0, rtol=1.0).max_rel == np.inf            # relative to 0


def test_difference_scale_adds_a_floor_at_the_values_magnitude():
    # 1e-5 off an expected 0: fails relative to 0, passes with a floor at rtol * max(scale, max |theirs|)
    theirs, mine = np.array([0.0, 50.0, np.inf]), np.array([4e-5, 50.0, np.inf])
    assert not difference("x", mine, theirs, atol=0.0, rtol=1e-6).ok
    assert difference("x", mine, theirs, atol=0.0, rtol=1e-6, scale=1.0).ok                 # floor 1e-6 * 50
    assert not difference("x", mine * [2, 1, 1], theirs, atol=0.0, rtol=1e-6, scale=1.0).ok
    assert difference("x", mine * [2, 1, 1], theirs, atol=0.0, rtol=1e-6, scale=100.0).ok   # the terms' size


@pytest.mark.parametrize("mine, theirs, ok", [
    ([np.nan, 1.0], [np.nan, 1.0], True),            # NaN where torch has NaN
    ([np.inf, -np.inf], [np.inf, -np.inf], True),    # the same infinities
    ([np.nan, 1.0], [0.0, 1.0], False),
    ([0.0, 1.0], [np.nan, 1.0], False),
    ([np.inf, 1.0], [-np.inf, 1.0], False),
    ([np.inf, 1.0], [1e308, 1.0], False),
    ([1e308, 1.0], [np.inf, 1.0], False),
])
def test_difference_wants_nan_and_inf_in_the_same_places(mine, theirs, ok):
    row = difference("x", mine, theirs, atol=1e-3, rtol=1.0, scale=1.0)     # loose: only the places decide
    assert row.ok == ok
    assert row.note == ("" if ok else "NaN or inf in different places")
    if not ok:
        assert row.index == (0,)


def test_difference_of_shapes_and_empty_arrays():
    assert "shape (2,) in minigrad, (3,) in torch" in difference("x", [1, 2], [1, 2, 3], 0, 0).note
    assert difference("x", np.zeros((0, 3)), np.zeros((0, 3)), 0, 0).ok


def test_missing_torch_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)      # makes `import torch` fail
    with pytest.raises(ImportError, match=r'pip install "minigrad\[torch\]"'):
        compare_with_torch(lambda lib, x: x.sum(), X)


# ---- models -------------------------------------------------------------------------------------
def mlp(dtype=None, out=3, last=()):
    mg.manual_seed(1)
    return nn.Sequential(nn.Linear(4, 8, dtype=dtype), nn.ReLU(), nn.Linear(8, out, dtype=dtype), *last)


Y_REG = rng.normal(size=(5, 3))
MODEL_LOSSES = [
    ("mse", nn.MSELoss(), Y_REG, ()),
    ("l1", nn.L1Loss(), Y_REG, ()),
    ("huber", nn.HuberLoss(delta=0.5), Y_REG, ()),
    ("smooth_l1", nn.SmoothL1Loss(beta=0.5), Y_REG, ()),
    ("cross_entropy", nn.CrossEntropyLoss(label_smoothing=0.1), CLASSES % 3, ()),
    ("cross_entropy weight", nn.CrossEntropyLoss(weight=mg.tensor([1.0, 2.0, 0.5])), CLASSES % 3, ()),
    ("nll", nn.NLLLoss(), CLASSES % 3, (nn.LogSoftmax(dim=1),)),
    ("bce_with_logits", nn.BCEWithLogitsLoss(pos_weight=mg.tensor([1.0, 3.0, 0.5])), BINARY[:, :3], ()),
    ("bce", nn.BCELoss(), BINARY[:, :3], (nn.Sigmoid(),)),
    ("multi_margin", nn.MultiMarginLoss(), CLASSES % 3, ()),
    ("kl_div", nn.KLDivLoss(reduction="batchmean"), SOFT[:, :3] / SOFT[:, :3].sum(1, keepdims=True),
     (nn.LogSoftmax(dim=1),)),
]


@pytest.mark.parametrize("dtype", [mg.float64, mg.float32])
@pytest.mark.parametrize("name, loss_fn, y, last", MODEL_LOSSES, ids=[case[0] for case in MODEL_LOSSES])
def test_two_layer_mlp_with_each_loss(name, loss_fn, y, last, dtype):
    model = mlp(dtype, last=last)
    report = compare_model_with_torch(model, loss_fn, X, y)
    assert report.ok, str(report)
    names = [row.name for row in report.rows]
    assert names == ["output", "loss", "grad of 0.weight", "grad of 0.bias", "grad of 2.weight", "grad of 2.bias"]
    assert all(p.grad is None for p in model.parameters())       # the model's grads are left alone


def test_a_loss_function_written_once():
    report = compare_model_with_torch(mlp(mg.float64), lambda lib, out, t: ((out - t) ** 2).sum(), X, Y_REG)
    assert report.ok, str(report)


def test_state_dict_round_trip_into_torch(torch):
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 6, dtype=mg.float64), nn.Tanh(), nn.Identity(),
                          nn.Linear(6, 3, bias=False, dtype=mg.float64), nn.Sigmoid(), nn.Softmax(dim=1))
    torch_model = to_torch(model)
    assert isinstance(torch_model, torch.nn.Sequential)
    assert list(torch_model.state_dict()) == list(model.state_dict())
    x = X.reshape(5, 2, 2)
    np.testing.assert_allclose(torch_model(torch.tensor(x)).detach().numpy(), model(mg.tensor(x)).data, rtol=1e-12)
    # ... and back: torch's state_dict loads into a fresh minigrad model.
    fresh = nn.Sequential(nn.Flatten(), nn.Linear(4, 6, dtype=mg.float64), nn.Tanh(), nn.Identity(),
                          nn.Linear(6, 3, bias=False, dtype=mg.float64), nn.Sigmoid(), nn.Softmax(dim=1))
    fresh.load_state_dict(torch_model.state_dict())
    np.testing.assert_array_equal(fresh(mg.tensor(x)).data, model(mg.tensor(x)).data)


def test_an_unsupported_layer_is_named():
    class Square(nn.Module):
        def forward(self, x):
            return x * x

    with pytest.raises(TypeError, match="layer 1 is a Square"):
        to_torch(nn.Sequential(nn.Linear(2, 2), Square()))


def test_a_loss_without_a_torch_twin_is_refused():
    with pytest.raises(TypeError, match="HingeLoss has no torch equivalent"):
        compare_model_with_torch(mlp(out=1), nn.HingeLoss(), X, np.ones((5, 1)))


def test_every_functional_loss_is_compared():
    import minigrad.nn.functional as F
    functional_losses = {name for name in dir(F) if name.endswith(("_loss", "cross_entropy", "_logits", "kl_div"))
                         and not name.startswith("_")}
    compared = {name for _, fn, _ in LOSSES for name in fn.__code__.co_names} | {"hinge_loss"}
    assert functional_losses <= compared, functional_losses - compared


def test_two_layer_mlp_with_hinge_loss_written_for_both():
    # hinge_loss is minigrad's own: the function form spells it in torch with relu
    def hinge(lib, out, t):
        return lib.nn.functional.hinge_loss(out, t) if lib is mg else torch_hinge(lib, out, t)

    y = np.where(BINARY[:, :1] > 0, 1.0, -1.0)
    report = compare_model_with_torch(mlp(mg.float64, out=1), hinge, X, y)
    assert report.ok, str(report)
    assert report["loss"].minigrad_value > 0 and len(report.rows) == 6


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_state_dict_loads_into_a_torch_model_built_by_hand(torch, dtype):
    """SPEC 5: torch_model.load_state_dict({k: torch.from_numpy(v) ...}) gives the same outputs,
    before and after a training step."""
    model = mlp(dtype)
    loss_fn = nn.MSELoss()
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    x = X.astype(dtype)
    outputs = []
    for _ in range(2):           # once as initialised, once after an SGD step
        t_dtype = getattr(torch, dtype.name)
        torch_model = torch.nn.Sequential(torch.nn.Linear(4, 8, dtype=t_dtype), torch.nn.ReLU(),
                                          torch.nn.Linear(8, 3, dtype=t_dtype))
        torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
        with mg.no_grad():
            mine = model(mg.tensor(x)).data
        theirs = torch_model(torch.from_numpy(x)).detach().numpy()
        np.testing.assert_allclose(mine, theirs, rtol=1e-5 if dtype == mg.float32 else 1e-12, atol=1e-6)
        outputs.append(mine)
        optimizer.zero_grad()
        loss_fn(model(mg.tensor(x)), mg.tensor(Y_REG.astype(x.dtype))).backward()
        optimizer.step()
    assert np.abs(outputs[1] - outputs[0]).max() > 1e-3      # the step did change the weights


def test_the_compare_with_pytorch_example_runs():
    root = pathlib.Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, str(root / "examples" / "compare_with_pytorch.py")], capture_output=True,
                          text=True, timeout=300, cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "MISMATCH in: grad of x" in out                          # step 2 catches the wrong backward
    assert "input 0 element (0,) (relu at x = 0)" in out            # step 4 reports the kink
    assert "analytic 0.0 vs numeric 0.5" in out                     # ... and shows why it is skipped
    assert "all PASS" in out
    assert out.strip().splitlines()[-1] == (
        "Verdict: compare_with_pytorch: cross-entropy matches torch; the wrong gradient was caught at (0, 0); "
        "the MLP matches; gradcheck skipped 1 element at relu's kink and said so; `minigrad check` passed")


@pytest.mark.parametrize("training", [True, False])
def test_to_torch_translates_the_normalisation_dropout_and_embedding_layers(torch, training):
    from minigrad.testing import to_torch
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6, dtype=mg.float64), nn.BatchNorm1d(6, momentum=0.2, dtype=mg.float64),
                          nn.LeakyReLU(0.1), nn.LayerNorm(6, eps=1e-3, dtype=mg.float64), nn.GELU("tanh"),
                          nn.Dropout(0.0), nn.Linear(6, 3, dtype=mg.float64), nn.Softplus(2.0, threshold=5.0))
    x = np.random.default_rng(0).normal(size=(8, 4))
    model(mg.tensor(x))   # moves BatchNorm's running statistics away from their initial values
    model.train(training)
    theirs = to_torch(model)
    assert theirs.training == training and theirs[1].training == training
    np.testing.assert_allclose(model(mg.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(model[1].running_mean.data, theirs[1].running_mean.numpy(), rtol=1e-12)
    embedding = nn.Embedding(5, 3, padding_idx=0, dtype=mg.float64)
    rows = np.array([0, 2, 4, 2])
    np.testing.assert_array_equal(embedding(mg.tensor(rows)).data, to_torch(embedding)(torch.tensor(rows)).detach().numpy())


# ---- order=2: Hessian-vector products ------------------------------------------------------------
def test_order_2_compares_hessian_vector_products_of_every_input():
    fn = lambda lib, a, b: (a.exp() * b).sin() / (b * b + 1)            # noqa: E731
    for dtype in (np.float64, np.float32):
        report = compare_with_torch(fn, X, PROBS, order=2, dtype=dtype)
        assert [row.name for row in report.rows] == ["output", "grad of a", "grad of b", "hvp of a", "hvp of b"]
        assert report.ok, str(report)
        assert report["hvp of a"].max_abs > 0 or dtype == np.float64   # float32 rounds differently from torch
    assert [row.name for row in compare_with_torch(fn, X, PROBS).rows] == ["output", "grad of a", "grad of b"]


@pytest.mark.parametrize("name, fn, arrays", LOSSES, ids=[case[0] for case in LOSSES])
def test_order_2_on_every_loss(name, fn, arrays):
    import warnings

    from minigrad.check import _multi_margin_composed
    # torch 2.13 cannot differentiate its multi_margin_loss twice: its formula in torch's ops instead
    torch_fn = (lambda lib, x, t: _multi_margin_composed(lib, x, t, p=2, margin=0.7)) if "multi_margin" in name else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = compare_with_torch(fn, *arrays, order=2, torch_fn=torch_fn)
    assert report.ok, str(report)
    assert any(row.name.startswith("hvp of ") for row in report.rows)


def test_hessian_vector_products_are_v_transposed_times_the_hessian():
    """sum(a^2 b): H = [[2 diag(b), 2 diag(a)], [2 diag(a), 0]] per element; hvp_a = 2 b v_a + 2 a v_b,
    hvp_b = 2 a v_a: the numbers, not only torch's agreement."""
    import torch
    from minigrad.testing import hessian_vector_products
    a, b = np.array([1.0, -2.0]), np.array([0.5, 3.0])
    va, vb = np.array([1.0, 2.0]), np.array([-1.0, 0.5])
    for lib in (mg, torch):
        hva, hvb = hessian_vector_products(lib, lambda lib, x, y: (x * x * y).sum(), [a, b], [True, True], None,
                                           [va, vb])
        np.testing.assert_allclose(hva, 2 * b * va + 2 * a * vb)
        np.testing.assert_allclose(hvb, 2 * a * va)


def test_order_2_catches_a_wrong_second_derivative(monkeypatch):
    """exp's backward_with_graph with exp(x) detached: first derivatives right, hvp wrong."""
    from minigrad.ops import elementwise
    monkeypatch.setattr(elementwise.Exp, "backward_with_graph",
                        staticmethod(lambda ctx, grad, inputs, output: grad * output.detach()))
    report = compare_with_torch(lambda lib, x: x.exp(), X, order=2)
    assert [row.name for row in report.failures] == ["hvp of x"]
    assert report["output"].ok and report["grad of x"].ok
    assert report["hvp of x"].minigrad_value == 0.0


def test_order_2_of_a_linear_function_is_zero_in_both():
    report = compare_with_torch(lambda lib, x, y: x * 3 + y, X, PROBS, order=2)
    assert report.ok and report["hvp of x"].max_abs == 0 and report["hvp of x"].torch_value == 0


def test_order_must_be_1_or_2():
    with pytest.raises(ValueError, match="order must be 1 or 2, got 3"):
        compare_with_torch(lambda lib, x: x.exp(), X, order=3)
