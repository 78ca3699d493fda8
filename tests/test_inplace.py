"""In-place changes (minigrad/inplace.py and the version counters in autograd.py): values
against numpy, recorded changes against finite differences, who shares a version counter,
and the errors torch has no counterpart for. The comparison with torch is in
tests/torch_parity/test_inplace_parity.py.
"""
import gc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad import autograd

FLOATS = st.sampled_from([np.float32, np.float64])


def arrays(dtype, shape):
    return hnp.arrays(dtype, shape, elements=st.floats(-100, 100, width=32))


@settings(max_examples=60, deadline=None)
@given(data=st.data(), dtype=FLOATS, shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
       transposed=st.booleans())
def test_outside_the_graph_each_change_is_numpy_in_place(data, dtype, shape, transposed):
    a = data.draw(arrays(dtype, shape))
    b = data.draw(arrays(dtype, shape))
    t = mg.tensor(a.copy())
    target = t.T if transposed else t            # a non-contiguous view writes through to its base
    expected = a.T.copy() if transposed else a.copy()
    other = mg.tensor(b.T.copy() if transposed else b.copy())
    target.add_(other, alpha=2)
    expected += 2 * other.data
    target.mul_(other)
    expected *= other.data
    target.sub_(1.5)
    expected -= dtype(1.5)
    target.clamp_(min=-50)
    np.maximum(expected, dtype(-50), out=expected)
    np.testing.assert_array_equal(target.data, expected)
    np.testing.assert_array_equal(t.data, expected.T if transposed else expected)
    assert t._version == target._version == 4   # one counter for a view and its base


def test_views_and_detach_share_the_counter_clone_does_not():
    base = mg.arange(6.0).reshape(2, 3)
    row, flat, detached, clone = base[0], base.reshape(-1), base.detach(), base.clone()
    row.mul_(2)
    assert base._version == row._version == flat._version == detached._version == 1
    assert clone._version == 0
    np.testing.assert_array_equal(flat.data[:3], [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(clone.data[0], [0.0, 1.0, 2.0])


def test_the_record_of_changed_memory_goes_with_the_memory():
    before = len(autograd._changes)
    t = mg.ones(1000)
    t.add_(1)
    assert len(autograd._changes) == before + 1
    del t
    gc.collect()
    assert len(autograd._changes) == before


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_recorded_changes_have_the_gradient_of_finite_differences(dtype):
    def f(x, w):
        y = x * w                 # a non-leaf
        y.add_(w, alpha=-0.5)
        y.mul_(x)
        y.div_(w * w + 1)
        y.clamp_(min=-3.0)
        y.neg_()
        return y * y
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.uniform(-1, 1, 5), dtype=mg.float64, requires_grad=True)
    w = mg.tensor(rng.uniform(0.5, 2, 5), dtype=mg.float64, requires_grad=True)
    assert mg.gradcheck(f, [x, w])
    # and the same numbers in float32, to rounding
    x32 = mg.tensor(x.data, dtype=dtype, requires_grad=True)
    w32 = mg.tensor(w.data, dtype=dtype, requires_grad=True)
    f(x32, w32).sum().backward()
    x.grad = w.grad = None
    f(x, w).sum().backward()
    np.testing.assert_allclose(x32.grad.data, x.grad.data, rtol=1e-5 if dtype == mg.float32 else 1e-14)


def test_the_expected_version_after_more_changes_than_are_remembered():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    with mg.no_grad():
        for _ in range(150):
            y.add_(0)
    with pytest.raises(RuntimeError, match="is at version 150; expected version 50 or earlier instead"):
        y.sum().backward()


def test_a_change_through_a_view_has_the_gradient_of_finite_differences():
    def f(x, w):
        y = x * w
        y[1:3].mul_(w[0:2])          # through a slice
        y.reshape(2, 2)[1].add_(x[0:2] * x[0:2])   # through a view of a view
        y.T[0:1].sub_(1.5)           # (a 1-D .T is the tensor itself)
        return y * y
    rng = np.random.default_rng(1)
    x = mg.tensor(rng.uniform(-1, 1, 4), dtype=mg.float64, requires_grad=True)
    w = mg.tensor(rng.uniform(-1, 1, 4), dtype=mg.float64, requires_grad=True)
    assert mg.gradcheck(f, [x, w])


def test_a_view_used_after_its_base_changed_otherwise_refuses_backward():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    v = y[0:1]
    used_before = v * 5  # fine: v was y[0:1] of the old y when this ran
    y.mul_(3)            # y's history now goes through MulBackward; v's still to the old y
    used_before.sum().backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.data, [10.0, 0.0])
    with pytest.raises(RuntimeError, match=r"a view \(GetItemBackward0, shape \[1\]\) was used by"):
        (v * 1).sum().backward()   # v's values are the new y's now: take the view again
    x.grad = None
    y[0:1].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [6.0, 0.0])


def test_hooks_registered_before_a_change_see_the_old_value_and_retain_grad_the_new():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.data.copy()))
    y.retain_grad()
    y.mul_(3)
    y.sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])      # d(sum(3 y_old))/d(y_old)
    np.testing.assert_array_equal(y.grad.data, [1.0, 1.0])  # d(sum(y_new))/d(y_new)
    np.testing.assert_array_equal(x.grad.data, [6.0, 6.0])


def test_bad_arguments_get_clear_errors():
    t = mg.ones(2)
    with pytest.raises(TypeError, match="alpha must be a number"):
        t.add_(1, alpha="2")
    with pytest.raises(TypeError, match="fill_"):
        t.fill_("a")
    with pytest.raises(TypeError, match="copy_"):
        t.copy_([1.0, 2.0])
    assert t._version == 0 and np.array_equal(t.data, [1.0, 1.0])   # nothing was changed
