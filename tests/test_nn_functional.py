"""minigrad.nn.functional: the losses' argument checking, the softmax-twice warning, and
values worked out by hand (no torch needed). Parity with torch is in
tests/torch_parity/test_loss_parity.py.
"""
import math
import re
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import _kernels
from minigrad.warnings import SoftmaxTwiceWarning


def x34(requires_grad=False, dtype=np.float64):
    return mg.tensor(np.random.default_rng(0).normal(size=(3, 4)).astype(dtype), requires_grad=requires_grad)


def probs34():
    return mg.tensor(np.full((3, 4), 0.25))


def signs34():
    return mg.tensor(np.where(np.random.default_rng(1).uniform(size=(3, 4)) > 0.5, 1.0, -1.0))


LABELS = mg.tensor([0, 3, 1])

# name -> (a valid call given input and target, a valid input, a valid target)
LOSSES = {
    "mse_loss": (F.mse_loss, x34, probs34),
    "l1_loss": (F.l1_loss, x34, probs34),
    "huber_loss": (F.huber_loss, x34, probs34),
    "smooth_l1_loss": (F.smooth_l1_loss, x34, probs34),
    "binary_cross_entropy": (F.binary_cross_entropy, probs34, probs34),
    "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits, x34, probs34),
    "kl_div": (F.kl_div, x34, probs34),
    "hinge_loss": (F.hinge_loss, x34, signs34),
    "cross_entropy": (F.cross_entropy, x34, lambda: LABELS),
    "nll_loss": (F.nll_loss, x34, lambda: LABELS),
    "multi_margin_loss": (F.multi_margin_loss, x34, lambda: LABELS),
}
ELEMENTWISE = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
               "binary_cross_entropy_with_logits", "kl_div", "hinge_loss"]
CLASS_LOSSES = ["cross_entropy", "nll_loss", "multi_margin_loss"]


@pytest.fixture
def no_kernel(monkeypatch):
    """Make every loss kernel fail if called: validation must reject bad input before."""
    for name in _kernels.LOSS_KERNELS:
        def refuse(*args, _name=name):
            raise AssertionError(f"kernel {_name} called with invalid arguments")
        monkeypatch.setattr(_kernels, name, refuse)


# ---- every loss: the types of input and target, reduction ------------------------------------
@pytest.mark.parametrize("name", LOSSES)
def test_valid_calls_work(name):
    fn, make_input, make_target = LOSSES[name]
    out = fn(make_input(), make_target())
    assert out.shape == () and np.isfinite(out.item())


@pytest.mark.parametrize("name", LOSSES)
def test_a_loss_runs_one_op_whatever_its_checks_do(name):
    """The checks (shapes, ranges, softmax applied twice, ...) run on arrays, never through
    Tensor ops: between an op made just before and the loss, the clock that numbers every
    op run (recorded or not, `Function.seq`) moves by one."""
    fn, make_input, make_target = LOSSES[name]
    x, target = make_input().requires_grad_(), make_target()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SoftmaxTwiceWarning)  # probs34 as logits: warned, still one op
        before = x * 1.0
        loss = fn(x, target)
    assert loss.grad_fn.seq == before.grad_fn.seq + 1
    assert [node.name() for node, _ in loss.grad_fn.next_functions if node is not None] == ["AccumulateGrad"]


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("bad", [np.zeros((3, 4)), [[0.0] * 4] * 3, 1.0])
def test_input_must_be_a_tensor(no_kernel, name, bad):
    fn, _, make_target = LOSSES[name]
    with pytest.raises(TypeError, match=rf"{name}: input must be a minigrad.Tensor, got {type(bad).__name__}"):
        fn(bad, make_target())


@pytest.mark.parametrize("name", LOSSES)
def test_target_must_be_a_tensor(no_kernel, name):
    fn, make_input, make_target = LOSSES[name]
    with pytest.raises(TypeError, match=rf"{name}: target must be a minigrad.Tensor, got ndarray"):
        fn(make_input(), make_target().data)


@pytest.mark.parametrize("name", LOSSES)
def test_integer_input_is_refused(no_kernel, name):
    fn, _, make_target = LOSSES[name]
    with pytest.raises(TypeError, match=rf"{name}: input must be a floating-point tensor .* got dtype int64"):
        fn(mg.tensor(np.zeros((3, 4), np.int64)), make_target())


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("bad", ["avg", "MEAN", None, "batchmean"])
def test_bad_reduction_lists_the_allowed_values(no_kernel, name, bad):
    fn, make_input, make_target = LOSSES[name]
    if name == "kl_div" and bad == "batchmean":
        return  # valid there
    allowed = "'mean', 'batchmean', 'sum', 'none'" if name == "kl_div" else "'mean', 'sum', 'none'"
    with pytest.raises(ValueError, match=rf"{name}: reduction must be one of {allowed}, got {bad!r}"):
        fn(make_input(), make_target(), reduction=bad)


# ---- element-wise losses ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("target_shape", [(3, 1), (4,), (12,), (1, 3, 4)])
def test_elementwise_shape_mismatch_is_an_error(no_kernel, name, target_shape):
    """PyTorch broadcasts (3, 4) against (3, 1) with a warning; minigrad refuses."""
    fn, make_input, _ = LOSSES[name]
    target = mg.tensor(np.ones(target_shape))
    message = f"{name}: target shape {target_shape} must equal input shape (3, 4)"
    with pytest.raises(ValueError, match=re.escape(message)):
        fn(make_input(), target)


@pytest.mark.parametrize("delta", [0, -1.0, float("nan")])
def test_huber_delta_must_be_positive(no_kernel, delta):
    with pytest.raises(ValueError, match=r"huber_loss: delta must be > 0, got"):
        F.huber_loss(x34(), probs34(), delta=delta)


@pytest.mark.parametrize("beta", [-0.1, float("nan")])
def test_smooth_l1_beta_must_not_be_negative(no_kernel, beta):
    with pytest.raises(ValueError, match=r"smooth_l1_loss: beta must be >= 0, got"):
        F.smooth_l1_loss(x34(), probs34(), beta=beta)


@pytest.mark.parametrize("call", [lambda: F.huber_loss(x34(), probs34(), delta="1"),
                                  lambda: F.smooth_l1_loss(x34(), probs34(), beta=None),
                                  lambda: F.hinge_loss(x34(), signs34(), margin=True),
                                  lambda: F.multi_margin_loss(x34(), LABELS, margin="1")])
def test_hyperparameters_must_be_numbers(no_kernel, call):
    with pytest.raises(TypeError, match=r"(delta|beta|margin) must be a number"):
        call()


@pytest.mark.parametrize("bad", [1.2, -0.1, float("nan")])
def test_bce_input_outside_zero_one(no_kernel, bad):
    p = np.full((3, 4), 0.5)
    p[1, 2] = bad
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input must hold values in \[0, 1\], got "
                                         rf"{bad:g}.*binary_cross_entropy_with_logits"):
        F.binary_cross_entropy(mg.tensor(p), probs34())


@pytest.mark.parametrize("bad", [2.0, -1.0])
def test_bce_target_outside_zero_one(no_kernel, bad):
    y = np.full((3, 4), 0.5)
    y[0, 0] = bad
    with pytest.raises(ValueError, match=rf"binary_cross_entropy: target must hold values in \[0, 1\], got {bad:g}"):
        F.binary_cross_entropy(probs34(), mg.tensor(y))


@pytest.mark.parametrize("fn, name", [(F.binary_cross_entropy, "weight"),
                                      (F.binary_cross_entropy_with_logits, "weight"),
                                      (F.binary_cross_entropy_with_logits, "pos_weight")])
@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), (4, 1)])
def test_bce_weights_must_broadcast_to_the_input(no_kernel, fn, name, shape):
    with pytest.raises(ValueError, match=rf"{name} of shape \({shape[0]},.*does not broadcast to the input's "
                                         r"shape \(3, 4\)"):
        fn(probs34(), probs34(), **{name: mg.tensor(np.ones(shape))})


@pytest.mark.parametrize("fn, name", [(F.binary_cross_entropy, "weight"),
                                      (F.binary_cross_entropy_with_logits, "pos_weight"),
                                      (F.cross_entropy, "weight")])
def test_weights_must_be_tensors_and_constant(fn, name):
    input, target = (x34(), LABELS) if fn is F.cross_entropy else (probs34(), probs34())
    with pytest.raises(TypeError, match=rf"{name} must be a minigrad.Tensor or None, got list"):
        fn(input, target, **{name: [1.0] * 4})
    with pytest.raises(ValueError, match=rf"not differentiable with respect to {name}.*{name}.detach\(\)"):
        fn(input, target, **{name: mg.tensor(np.ones(4), requires_grad=True)})
    with mg.no_grad():  # under no_grad nothing is differentiated: fine
        fn(input, target, **{name: mg.tensor(np.ones(4), requires_grad=True)})


@pytest.mark.parametrize("bad", [0.0, 2.0, 0.5])
def test_hinge_labels_must_be_plus_or_minus_one(no_kernel, bad):
    y = signs34().data.copy()
    y[2, 1] = bad
    with pytest.raises(ValueError, match=rf"hinge_loss: target must hold the labels -1 and \+1 only, got {bad!r}"):
        F.hinge_loss(x34(), mg.tensor(y))


def test_hinge_target_cannot_require_grad(no_kernel):
    with pytest.raises(ValueError, match="hinge_loss: the loss is not differentiable with respect to target"):
        F.hinge_loss(x34(), mg.tensor(signs34().data, requires_grad=True))


def test_kl_div_log_target_must_be_a_bool(no_kernel):
    with pytest.raises(TypeError, match="kl_div: log_target must be True or False, got 'yes'"):
        F.kl_div(x34(), probs34(), log_target="yes")


# ---- class losses -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", CLASS_LOSSES)
@pytest.mark.parametrize("bad", [4, 7, -1, -100 + 1])
def test_label_out_of_range_is_an_index_error(no_kernel, name, bad):
    fn, make_input, _ = LOSSES[name]
    with pytest.raises(IndexError, match=rf"{name}: target {bad} is out of range: class indices must be in "
                                         r"\[0, 3\] for an input with 4 classes"):
        fn(make_input(), mg.tensor([0, bad, 1]))


def test_ignore_index_is_accepted_and_other_negatives_are_not(no_kernel):
    with pytest.raises(IndexError, match=r"target -100 is out of range.*or equal ignore_index=-1"):
        F.cross_entropy(x34(), mg.tensor([0, -100, -1]), ignore_index=-1)
    with pytest.raises(IndexError, match=r"nll_loss: target 9 .*or equal ignore_index=-100"):
        F.nll_loss(x34(), mg.tensor([-100, 9, 0]))
    with pytest.raises(IndexError, match=r"multi_margin_loss: target -100 is out of range"):
        F.multi_margin_loss(x34(), mg.tensor([-100, 1, 0]))  # no ignore_index there


def test_ignore_index_in_range_and_out_of_range_values():
    out = F.cross_entropy(x34(), mg.tensor([-5, 2, 2]), ignore_index=-5, reduction="none")
    assert out.data[0] == 0 and out.data[1] > 0


@pytest.mark.parametrize("name", CLASS_LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.bool_])
def test_labels_must_be_integers(no_kernel, name, dtype):
    fn, make_input, _ = LOSSES[name]
    with pytest.raises(TypeError, match=rf"{name}: target holds class indices and must be an integer tensor "
                                        rf"\(int64\), got dtype {np.dtype(dtype)}"):
        fn(make_input(), mg.tensor(np.array([0, 1, 1]).astype(dtype)))


def test_float_labels_message_mentions_probability_targets(no_kernel):
    with pytest.raises(TypeError, match=r"class probabilities would need the input's shape \(3, 4\)"):
        F.cross_entropy(x34(), mg.tensor([0.0, 1.0, 1.0]))


@pytest.mark.parametrize("name", CLASS_LOSSES)
@pytest.mark.parametrize("input_shape, target_shape", [((3, 4), (4,)), ((3, 4), (3, 1)), ((4,), (1,)), ((3, 4), ())])
def test_label_shape_must_match_the_batch(no_kernel, name, input_shape, target_shape):
    fn = LOSSES[name][0]
    expected = "()" if len(input_shape) == 1 else r"\(3,\)"
    with pytest.raises(ValueError, match=rf"{name}: target must have shape {expected}"):
        fn(mg.tensor(np.zeros(input_shape)), mg.tensor(np.zeros(target_shape, np.int64)))


def test_spatial_label_shape(no_kernel):
    with pytest.raises(ValueError, match=r"target must have shape \(2, 5\), one class index per sample of the "
                                         r"input of shape \(2, 3, 5\); got shape \(2, 3\)"):
        F.cross_entropy(mg.tensor(np.zeros((2, 3, 5))), mg.tensor(np.zeros((2, 3), np.int64)))


@pytest.mark.parametrize("name", CLASS_LOSSES)
def test_class_input_needs_a_class_axis(no_kernel, name):
    fn = LOSSES[name][0]
    with pytest.raises(ValueError, match=rf"{name}: input must have shape \(C,\).*got shape \(\)"):
        fn(mg.tensor(1.0), mg.tensor(0))
    with pytest.raises(ValueError, match=rf"{name}: input has no classes"):
        fn(mg.tensor(np.zeros((3, 0))), mg.tensor([0, 0, 0]))


def test_multi_margin_input_at_most_two_dimensional(no_kernel):
    with pytest.raises(ValueError, match=r"multi_margin_loss: input must have shape \(C,\) or \(N, C\).*\(2, 3, 4\)"):
        F.multi_margin_loss(mg.tensor(np.zeros((2, 3, 4))), mg.tensor(np.zeros((2, 4), np.int64)))


@pytest.mark.parametrize("name", CLASS_LOSSES)
@pytest.mark.parametrize("shape", [(3,), (5,), (4, 1), (1, 4)])
def test_class_weight_needs_one_entry_per_class(no_kernel, name, shape):
    fn, make_input, _ = LOSSES[name]
    with pytest.raises(ValueError, match=rf"{name}: weight must have one entry per class, shape \(4,\), got shape "
                                         rf"\({shape[0]},"):
        fn(make_input(), LABELS, weight=mg.tensor(np.ones(shape)))


@pytest.mark.parametrize("eps", [-0.1, 1.5, float("nan")])
def test_label_smoothing_in_zero_one(no_kernel, eps):
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing must be in \[0, 1\], got"):
        F.cross_entropy(x34(), LABELS, label_smoothing=eps)
    with pytest.raises(TypeError, match=r"label_smoothing must be a number"):
        F.cross_entropy(x34(), LABELS, label_smoothing="0.1")


@pytest.mark.parametrize("p", [0, 3, 1.5])
def test_multi_margin_p_is_one_or_two(no_kernel, p):
    with pytest.raises(ValueError, match=rf"multi_margin_loss: p must be 1 or 2, got {p!r}"):
        F.multi_margin_loss(x34(), LABELS, p=p)
    with pytest.raises(TypeError, match=r"p must be 1 or 2, got str"):
        F.multi_margin_loss(x34(), LABELS, p="2")


def test_probability_targets_refuse_a_non_negative_ignore_index():
    with pytest.raises(ValueError, match=r"cross_entropy: ignore_index=0 cannot be used with class-probability"):
        F.cross_entropy(x34(), probs34(), ignore_index=0)
    assert np.isfinite(F.cross_entropy(x34(), probs34(), ignore_index=-1).item())  # as torch: no effect


@pytest.mark.parametrize("bad", [1.0, "0", True])
def test_ignore_index_must_be_an_int(no_kernel, bad):
    with pytest.raises(TypeError, match=r"ignore_index must be an int"):
        F.cross_entropy(x34(), LABELS, ignore_index=bad)


def test_keyword_only_options():
    """Options PyTorch takes after its legacy size_average/reduce arguments are keyword-only."""
    with pytest.raises(TypeError):
        F.cross_entropy(x34(), LABELS, None, -100)
    with pytest.raises(TypeError):
        F.mse_loss(x34(), probs34(), "sum")
    assert F.huber_loss(x34(), probs34(), "sum", 0.5).item() == F.huber_loss(
        x34(), probs34(), reduction="sum", delta=0.5).item()  # torch's positional order


# ---- values by hand ---------------------------------------------------------------------------
def test_cross_entropy_by_confidence():
    """The lessons' table: the loss of the true class at probability p is -log p."""
    for p in (0.9, 0.6, 0.3, 0.1):
        logits = mg.tensor(np.log([[p, (1 - p) / 2, (1 - p) / 2]]))
        assert math.isclose(F.cross_entropy(logits, mg.tensor([0])).item(), -math.log(p), rel_tol=1e-6)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    x = mg.tensor([[1.0, 2.0, 0.5], [0.0, 0.0, 0.0]], dtype=mg.float64, requires_grad=True)
    F.cross_entropy(x, mg.tensor([2, 0]), reduction="sum").backward()
    e = np.exp(x.data)
    p = e / e.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(x.grad.data, p - np.eye(3)[[2, 0]], rtol=1e-14)


def test_weighted_mean_divides_by_the_targets_weights():
    x = np.random.default_rng(2).normal(size=(4, 3))
    t = np.array([0, 1, 2, -100])
    w = np.array([1.0, 2.0, 4.0])
    per_sample = F.cross_entropy(mg.tensor(x), mg.tensor(t), mg.tensor(w), reduction="none").data
    mean = F.cross_entropy(mg.tensor(x), mg.tensor(t), mg.tensor(w)).item()
    assert per_sample[3] == 0
    assert math.isclose(mean, per_sample.sum() / (1 + 2 + 4), rel_tol=1e-13)


def test_label_smoothing_with_weights_by_hand():
    x = np.array([[1.0, -1.0, 0.5]])
    w = np.array([0.5, 2.0, 1.0])
    eps = 0.3
    logp = x - np.log(np.exp(x).sum())
    expected = ((1 - eps) * w[1] * -logp[0, 1] + eps / 3 * (w * -logp[0]).sum()) / w[1]
    out = F.cross_entropy(mg.tensor(x), mg.tensor([1]), mg.tensor(w), label_smoothing=eps)
    assert math.isclose(out.item(), expected, rel_tol=1e-13)


def test_all_rows_ignored_is_nan_with_zero_gradient():
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    out = F.cross_entropy(x, mg.tensor([-100, -100]))
    assert math.isnan(out.item())
    out.backward()
    np.testing.assert_array_equal(x.grad.data, 0)


def test_zero_weights_are_nan_with_zero_gradient():
    """PyTorch returns a NaN gradient here; minigrad a zero one (nothing to learn from)."""
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    out = F.cross_entropy(x, mg.tensor([0, 1]), mg.tensor([0.0, 0.0, 1.0]))
    assert math.isnan(out.item())
    out.backward()
    np.testing.assert_array_equal(x.grad.data, 0)


def test_unbatched_and_spatial_layouts_agree_with_rows():
    r = np.random.default_rng(3)
    x = r.normal(size=(2, 4, 3))  # N=2, C=4, d=3
    t = r.integers(0, 4, size=(2, 3))
    rows = np.moveaxis(x, 1, -1).reshape(-1, 4)
    spatial = F.cross_entropy(mg.tensor(x), mg.tensor(t), reduction="none")
    flat = F.cross_entropy(mg.tensor(rows), mg.tensor(t.reshape(-1)), reduction="none")
    assert spatial.shape == (2, 3)
    np.testing.assert_allclose(spatial.data.reshape(-1), flat.data, rtol=1e-14)
    single = F.cross_entropy(mg.tensor(rows[4]), mg.tensor(t.reshape(-1)[4]), reduction="none")
    assert single.shape == () and math.isclose(single.item(), flat.data[4], rel_tol=1e-14)


def test_mse_and_hinge_by_hand():
    assert F.mse_loss(mg.tensor([1.0, 3.0]), mg.tensor([0.0, 0.0]), reduction="sum").item() == 10.0
    s, y = mg.tensor([2.0, 0.5, -1.0, 1.0]), mg.tensor([1.0, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(F.hinge_loss(s, y, reduction="none").data, [0.0, 0.5, 2.0, 0.0])
    np.testing.assert_array_equal(F.hinge_loss(s, y, margin=2.0, reduction="none").data, [0.0, 1.5, 3.0, 1.0])


def test_huber_is_delta_times_smooth_l1():
    r = np.random.default_rng(4)
    x, y = mg.tensor(r.normal(size=20)), mg.tensor(r.normal(size=20))
    for delta in (0.2, 1.0, 3.0):
        huber = F.huber_loss(x, y, reduction="none", delta=delta).data
        smooth = F.smooth_l1_loss(x, y, reduction="none", beta=delta).data
        np.testing.assert_allclose(huber, delta * smooth, rtol=1e-14)


def test_kl_div_batchmean_is_sum_over_batch():
    r = np.random.default_rng(5)
    log_q, t = mg.tensor(np.log(r.dirichlet(np.ones(3), size=4))), mg.tensor(r.dirichlet(np.ones(3), size=4))
    total = F.kl_div(log_q, t, reduction="sum").item()
    assert math.isclose(F.kl_div(log_q, t, reduction="batchmean").item(), total / 4, rel_tol=1e-14)
    assert math.isclose(F.kl_div(log_q, t).item(), total / 12, rel_tol=1e-14)


# ---- dtypes -----------------------------------------------------------------------------------
def test_target_is_cast_to_the_input_dtype():
    x = mg.tensor(np.array([0.5, 1.5], np.float32), requires_grad=True)
    y = mg.tensor(np.array([0.0, 1.0], np.float64), requires_grad=True)
    out = F.mse_loss(x, y)
    assert out.dtype == np.float32
    out.backward()
    assert x.grad.dtype == np.float32 and y.grad.dtype == np.float64  # each gradient in its tensor's dtype
    np.testing.assert_allclose(y.grad.data, [-0.5, -0.5])
    labels = F.mse_loss(x, mg.tensor([0, 1]))  # integer targets work too
    assert labels.dtype == np.float32 and math.isclose(labels.item(), 0.25)  # (0.5^2 + 0.5^2) / 2


def test_weight_takes_the_input_dtype():
    x = mg.tensor(np.zeros((2, 3), np.float32))
    out = F.cross_entropy(x, mg.tensor([0, 1]), mg.tensor(np.array([1.0, 2.0, 3.0], np.float64)))
    assert out.dtype == np.float32 and math.isclose(out.item(), math.log(3), rel_tol=1e-6)


# ---- the softmax-twice warning -----------------------------------------------------------------
def softmax_output(shape=(5, 4), axis=1):
    e = np.exp(np.random.default_rng(6).normal(size=shape))
    return e / e.sum(axis=axis, keepdims=True)


def caught(call):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        call()
    return [w for w in record if issubclass(w.category, SoftmaxTwiceWarning)]


def test_warns_when_softmax_was_applied_already():
    record = caught(lambda: F.cross_entropy(mg.tensor(softmax_output()), mg.tensor([0, 1, 2, 3, 0])))
    assert len(record) == 1
    message = str(record[0].message)
    assert "softmax was probably applied twice" in message and "raw logits" in message
    assert record[0].filename == __file__  # blames the caller's line, not minigrad's


def test_warns_for_probability_targets_and_spatial_and_unbatched_inputs():
    assert len(caught(lambda: F.cross_entropy(mg.tensor(softmax_output()), mg.tensor(softmax_output())))) == 1
    spatial = softmax_output((2, 4, 3), axis=1)
    assert len(caught(lambda: F.cross_entropy(mg.tensor(spatial), mg.tensor(np.zeros((2, 3), np.int64))))) == 1
    assert len(caught(lambda: F.cross_entropy(mg.tensor(softmax_output()[0]), mg.tensor(1)))) == 1


def test_module_call_blames_the_users_line():
    record = caught(lambda: mg.nn.CrossEntropyLoss()(mg.tensor(softmax_output()), mg.tensor([0, 1, 2, 3, 0])))
    assert len(record) == 1 and record[0].filename == __file__


def test_silent_for_logits_and_for_rows_that_only_start_like_distributions():
    assert caught(lambda: F.cross_entropy(x34(), LABELS)) == []
    almost = softmax_output()
    almost[3] = [0.5, 0.7, -0.1, -0.1]  # sums to 1, but not in [0, 1]
    assert caught(lambda: F.cross_entropy(mg.tensor(almost), mg.tensor([0, 1, 2, 3, 0]))) == []
    almost[3] = [0.5, 0.6, 0.0, 0.0]  # in [0, 1], sums to 1.1
    assert caught(lambda: F.cross_entropy(mg.tensor(almost), mg.tensor([0, 1, 2, 3, 0]))) == []
    assert caught(lambda: F.nll_loss(mg.tensor(softmax_output()), mg.tensor([0, 1, 2, 3, 0]))) == []
    assert caught(lambda: F.cross_entropy(mg.tensor(np.ones((3, 1))), mg.tensor([0, 0, 0]))) == []


def test_warning_can_be_silenced():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=SoftmaxTwiceWarning)
        F.cross_entropy(mg.tensor(softmax_output()), mg.tensor([0, 1, 2, 3, 0]))
    assert record == []
    assert issubclass(SoftmaxTwiceWarning, UserWarning) and mg.warnings.SoftmaxTwiceWarning is SoftmaxTwiceWarning


def test_warns_once_per_call_site_under_the_default_filter():
    probs = mg.tensor(softmax_output())
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("default")
        for _ in range(3):
            F.cross_entropy(probs, mg.tensor([0, 1, 2, 3, 0]))  # one call site, three calls
        F.cross_entropy(probs, mg.tensor([0, 1, 2, 3, 0]))  # another call site
    assert len([w for w in record if issubclass(w.category, SoftmaxTwiceWarning)]) == 2


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_bce_weight_of_a_zero_dimensional_input_keeps_its_shape(torch, name):
    # np.ascontiguousarray made the broadcast 0-d weight 1-d, and so the target's gradient (1,)
    grads = []
    for lib, make in ((F, lambda v: mg.tensor(v, dtype=mg.float64, requires_grad=True)),
                      (torch.nn.functional, lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True))):
        p, y = make(0.25), make(1.0)
        loss = getattr(lib, name)(p, y, weight=make(2.0).detach())
        loss.backward()
        grads.append([float(loss.item()), p.grad.shape == (), y.grad.shape == (), float(p.grad), float(y.grad)])
    assert grads[0][1] and grads[0][2]
    np.testing.assert_allclose(grads[0][:1] + grads[0][3:], grads[1][:1] + grads[1][3:], rtol=1e-12)
