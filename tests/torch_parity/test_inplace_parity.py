"""In-place changes against torch: values and gradients when the change is recorded in the
graph, version counters, and which errors are raised, when, with which message (torch's words,
"torch" read as "minigrad"). Each scenario is written once as `run(lib, dtype)`.
"""
import numpy as np
import pytest

import minigrad as mg

DTYPES = ["float32", "float64"]


def outcome(run, lib, dtype):
    """What run(lib, dtype) returns (arrays as numpy copies), or ("raises", type, message)."""
    try:
        result = run(lib, getattr(lib, dtype))
    except Exception as error:  # noqa: BLE001 - the error itself is what is compared
        message = str(error).replace("torch.", "minigrad.")
        return ("raises", type(error).__name__, message)
    return tuple(None if r is None else np.array(r.detach().numpy()) if hasattr(r, "detach") else r
                 for r in result)


def assert_same_outcome(torch, run, dtype, rtol=None):
    mine, theirs = outcome(run, mg, dtype), outcome(run, torch, dtype)
    assert len(mine) == len(theirs), (mine, theirs)
    for m, t in zip(mine, theirs):
        if isinstance(t, np.ndarray):
            assert isinstance(m, np.ndarray) and m.dtype == t.dtype and m.shape == t.shape, (m, t)
            np.testing.assert_allclose(m, t, rtol=rtol or (1e-6 if dtype == "float32" else 1e-13))
        else:
            assert m == t, (mine, theirs)


def leaf(lib, values, dtype, requires_grad=True):
    return lib.tensor(values, dtype=dtype, requires_grad=requires_grad)


# ---- the change is recorded in the graph: values and gradients ------------------------------

RECORDED = {
    "add_ tensor": lambda y, x: y.add_(x),
    "add_ alpha": lambda y, x: y.add_(x, alpha=3),
    "sub_ alpha": lambda y, x: y.sub_(x * x, alpha=0.5),
    "mul_ self": lambda y, x: y.mul_(y),
    "mul_ tensor": lambda y, x: y.mul_(x),
    "div_ tensor": lambda y, x: y.div_(x + 3),
    "neg_": lambda y, x: y.neg_(),
    "clamp_": lambda y, x: y.clamp_(min=-0.5, max=1.5),
    "zero_": lambda y, x: y.zero_(),
    "fill_ number": lambda y, x: y.fill_(2.5),
    "fill_ 0-d tensor": lambda y, x: y.fill_(x.sum()),
    "copy_ broadcast": lambda y, x: y.copy_(x[1:2] * 3),
    "+=": lambda y, x: y.__iadd__(x * 2),
    "-= number": lambda y, x: y.__isub__(1),
    "*=": lambda y, x: y.__imul__(x),
    "/=": lambda y, x: y.__itruediv__(2),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", RECORDED)
def test_a_change_of_a_non_leaf_is_recorded_so_backward_is_right(torch, name, dtype):
    change = RECORDED[name]

    def run(lib, dt):
        x = leaf(lib, [0.5, -1.25, 2.0], dt)
        y = x * 1.5 + 0.25      # a non-leaf, whose ops saved nothing the change overwrites
        earlier = y + 1         # used before the change: must see the old y
        result = change(y, x)
        assert result is y      # in-place ops return the tensor itself
        later = y * y           # used after the change: the new y
        (earlier * 2 + later).sum().backward()
        return y, x.grad, y.is_leaf, y.requires_grad, y._version
    assert_same_outcome(torch, run, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_buffer_that_needs_no_grad_becomes_part_of_the_graph(torch, dtype):
    def run(lib, dt):
        x = leaf(lib, [1.0, 2.0], dt)
        p = lib.zeros(2, dtype=dt)
        used_before = p * 3     # p as it was: no gradient to x through here
        p.add_(x)
        p.mul_(x)
        (p + used_before).sum().backward()
        return p, x.grad, p.is_leaf, p.requires_grad, p.grad_fn is None
    assert_same_outcome(torch, run, dtype)


def test_changing_a_tensor_several_times_chains_its_history(torch):
    def run(lib, dt):
        x = leaf(lib, [0.3, -0.7], dt)
        y = x * 2
        uses = []
        for k in range(4):
            uses.append(y * (k + 1))   # each use sees the y of its moment
            y.add_(x * x)
        (sum(u.sum() for u in uses) + y.sum()).backward()
        return y, x.grad, y._version
    assert_same_outcome(torch, run, "float64")


VIEWS = {
    "a slice": lambda y, x: y[1:3].mul_(x[0:2]),
    "a row of a reshape": lambda y, x: y.reshape(2, 2)[1].add_(x[2:4], alpha=-2),
    "an element": lambda y, x: y[0].clamp_(max=0.1),
    "a strided slice": lambda y, x: y[::2].copy_(x[1:3] * x[1:3]),
    "a reshape": lambda y, x: y.reshape(4, 1).div_(x.reshape(4, 1) + 3),
    "two in a row": lambda y, x: (y[0:2].neg_(), y[1:4].zero_()),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", VIEWS)
def test_a_change_through_a_view_is_recorded_on_the_base(torch, name, dtype):
    change = VIEWS[name]

    def run(lib, dt):
        x = leaf(lib, [0.5, -1.25, 2.0, 0.75], dt)
        y = x * 1.5 + 0.25
        earlier = y * 2           # y as it was
        change(y, x)
        ((y * y).sum() + earlier.sum()).backward()
        return y, x.grad, y._version
    assert_same_outcome(torch, run, dtype)


def test_the_changed_view_itself_is_the_view_of_the_new_base(torch):
    def run(lib, dt):
        x = leaf(lib, [1.0, 2.0, 3.0], dt)
        y = x * 2
        v = y[0:2]
        v.mul_(x[1:3])
        (v * v).sum().backward()
        return v, x.grad, y.grad_fn is not None
    assert_same_outcome(torch, run, "float64")


# ---- outside the graph: no_grad, tensors that need no gradient ------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_changes_outside_the_graph_change_values_and_versions(torch, dtype):
    def run(lib, dt):
        a = lib.tensor([1.0, 2.0, 3.0], dtype=dt)
        a += 1
        a.sub_(lib.tensor([1, 1, 1]), alpha=2)      # an int64 tensor into a float one
        a *= 2
        a /= 4
        a.neg_().clamp_(min=-1.5)
        v = a.view(3)
        v.mul_(10)                                  # a view and its base share one counter
        w = lib.tensor([1.0, 2.0], dtype=dt, requires_grad=True)
        with lib.no_grad():
            w.mul_(3)                               # a leaf under no_grad: allowed, stays a leaf
        return a, a._version, v._version, w, w._version, w.is_leaf, w.grad_fn is None
    assert_same_outcome(torch, run, dtype)


def test_integer_tensors_take_integer_results_only(torch):
    def run(lib, dt):
        i = lib.tensor([1, 2, 3])
        i.add_(2)
        i.mul_(lib.tensor([2, 2, 2]))
        i.fill_(7.9)                                # fill_ converts, as torch does
        b = lib.tensor([1.0, 2.0])
        b.copy_(lib.tensor([3, 4]))                 # copy_ converts too
        return i, b
    assert_same_outcome(torch, run, "float64")


# ---- errors ---------------------------------------------------------------------------------

def _exp_then_add_under_no_grad(lib, dt):
    x = leaf(lib, [1.0, 2.0], dt)
    y = x.exp()
    with lib.no_grad():
        y += 1
    y.sum().backward()


def _sigmoid_changed_twice(lib, dt):
    x = leaf(lib, [1.0, 2.0], dt)
    y = x.sigmoid()
    y.mul_(2)
    y.mul_(3)
    y.sum().backward()


def _mul_input_changed(lib, dt):
    x = leaf(lib, [1.0, 2.0], dt)
    y = x * 1
    z = y * y                    # Mul saves y
    y.mul_(2)
    z.sum().backward()


def _leaf_changed_by_an_optimizer_step(lib, dt):
    w = leaf(lib, [1.0, 2.0], dt)
    loss = (w * w).sum()         # Mul saves w
    w.grad = lib.ones(2, dtype=dt)
    lib.optim.SGD([w], lr=0.1).step()
    loss.backward()


def _one_element_output_changed(lib, dt):
    x = leaf(lib, [1.0], dt)
    y = x.exp()
    y.mul_(2)
    y.backward()


def _a_view_changes_the_saved_base(lib, dt):
    x = leaf(lib, [[1.0, 2.0], [3.0, 4.0]], dt)
    y = x.exp()
    with lib.no_grad():
        y[0].mul_(0.5)           # through a view: the same memory, the same counter
    y.sum().backward()


def _leaf_in_graph(lib, dt):
    x = leaf(lib, [1.0, 2.0], dt)
    x.add_(1)


def _leaf_augmented(lib, dt):
    x = leaf(lib, [1.0, 2.0], dt)
    x += 1


def _view_of_leaf(lib, dt):
    x = leaf(lib, [1.0, 2.0], dt)
    x[0:1].add_(1)


def _float_into_int(lib, dt):
    i = lib.tensor([1, 2])
    i.div_(2)


def _float_alpha_for_int(lib, dt):
    i = lib.tensor([1, 2])
    i.add_(lib.tensor([1, 1]), alpha=0.5)


def _broadcast_into_smaller(lib, dt):
    a = lib.ones(2, 1, dtype=dt)
    a.add_(lib.ones(2, 3, dtype=dt))


def _copy_wrong_shape(lib, dt):
    lib.ones(2, dtype=dt).copy_(lib.ones(3, dtype=dt))


def _fill_with_a_vector(lib, dt):
    lib.ones(2, dtype=dt).fill_(lib.ones(2, dtype=dt))


ERRORS = [_exp_then_add_under_no_grad, _sigmoid_changed_twice, _mul_input_changed,
          _leaf_changed_by_an_optimizer_step, _one_element_output_changed, _a_view_changes_the_saved_base,
          _leaf_in_graph, _leaf_augmented, _view_of_leaf, _float_into_int, _float_alpha_for_int,
          _broadcast_into_smaller, _copy_wrong_shape, _fill_with_a_vector]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("run", ERRORS, ids=lambda f: f.__name__.strip("_"))
def test_the_same_error_with_the_same_message(torch, run, dtype):
    mine, theirs = outcome(run, mg, dtype), outcome(run, torch, dtype)
    assert theirs[0] == "raises", theirs  # (the scenario is an error in torch)
    assert mine == theirs


def test_the_hint_changes_in_anomaly_mode(torch):
    def run(lib, dt):
        with lib.autograd.set_detect_anomaly(True):
            _exp_then_add_under_no_grad(lib, dt)
    with pytest.warns(UserWarning, match="Error detected in ExpBackward0"):
        mine = outcome(run, mg, "float64")
    theirs = outcome(run, torch, "float64")
    assert mine == theirs and "Good luck!" in mine[2]


def test_a_change_made_after_backward_is_harmless(torch):
    def run(lib, dt):
        x = leaf(lib, [1.0, 2.0], dt)
        y = x.exp()
        y.sum().backward(retain_graph=False)
        with lib.no_grad():
            y.add_(1)
        return x.grad, y
    assert_same_outcome(torch, run, "float64")


def test_clone_is_the_way_to_change_a_copy(torch):
    def run(lib, dt):
        x = leaf(lib, [1.0, 2.0], dt)
        y = x.exp()
        c = y.clone()
        c.mul_(3)                # y, which ExpBackward saved, is untouched
        (c + y).sum().backward()
        return c, y, x.grad, c.grad_fn.name(), y._version, c._version
    assert_same_outcome(torch, run, "float64")
