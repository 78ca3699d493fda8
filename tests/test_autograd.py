"""The engine: graph recording, the backward pass, accumulation, freeing, no_grad."""
import threading
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg


def test_chain_of_100000_ops_backpropagates_without_recursion_error():
    x = mg.tensor(1.0, dtype=mg.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0001  # d y / d x = 1.0001 ** 100000
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.0001 ** 100_000, rtol=1e-9)


def test_diamond_graph_sums_both_paths():
    # y = a*b + a*c with b = c = x**2 ... d/dx of f = x*x^2 + x*x^3 at x = 2: 3x^2 + 4x^3
    x = mg.tensor(2.0, dtype=mg.float64, requires_grad=True)
    top = x * x
    left, right = top * x, top * x * x
    (left + right).backward()
    assert x.grad.item() == pytest.approx(3 * 2.0 ** 2 + 4 * 2.0 ** 3, rel=1e-15)


def test_gradients_accumulate_across_backward_calls_until_zeroed():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3 + 2 * 1.0, 3 + 2 * 2.0])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_grad_is_a_tensor_of_the_leaf_dtype_and_shape():
    x = mg.tensor(np.ones((2, 3), dtype=np.float64), requires_grad=True)
    (x * 2).mean().backward()
    assert isinstance(x.grad, mg.Tensor)
    assert x.grad.shape == (2, 3) and x.grad.dtype == mg.float64
    np.testing.assert_allclose(x.grad.data, np.full((2, 3), 2 / 6))


def test_second_backward_through_freed_graph_raises():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (x.exp() * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    loss = (x.exp() * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad.data, 2 * (np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0]))))


def test_backward_frees_saved_buffers():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    loss = (y * x).sum()
    assert y._ctx.saved_tensors  # Exp keeps its output for backward ...
    loss.backward()
    assert y._ctx.saved_tensors == ()  # ... and lets go of it afterwards


def test_backward_on_non_scalar_needs_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2).backward()
    (x * 2).backward(gradient=mg.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.data, [2.0, 20.0])


def test_backward_gradient_of_wrong_shape_is_an_error():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        (x * 2).backward(gradient=mg.tensor([1.0, 2.0, 3.0]))


def test_backward_without_any_requires_grad_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0]).sum().backward()


def test_no_grad_as_context_manager_records_nothing():
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        y = x * 2
    assert not y.requires_grad and y._ctx is None
    assert mg.is_grad_enabled()
    assert (x * 2).requires_grad


def test_no_grad_as_decorator_records_nothing_and_restores():
    x = mg.tensor([1.0], requires_grad=True)

    @mg.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    assert (x * 2).requires_grad


def test_no_grad_restores_state_after_exception():
    with pytest.raises(KeyError):
        with mg.no_grad():
            raise KeyError("boom")
    assert mg.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        with mg.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad


def test_set_grad_enabled_as_a_plain_call_switches_recording_now_as_in_torch(torch):
    """torch.set_grad_enabled(False) turns recording off at once (it used to do nothing in
    minigrad unless used with `with`); `with` and the decorator restore the previous mode."""
    x = mg.tensor([1.0], requires_grad=True)
    tx = torch.tensor([1.0], requires_grad=True)
    try:
        mg.set_grad_enabled(False)
        torch.set_grad_enabled(False)
        assert not mg.is_grad_enabled() and not (x * 2).requires_grad
        assert not torch.is_grad_enabled() and not (tx * 2).requires_grad
        mg.set_grad_enabled(True)
        torch.set_grad_enabled(True)
        assert (x * 2).requires_grad and (tx * 2).requires_grad
        for lib, t in ((mg, x), (torch, tx)):
            with lib.set_grad_enabled(False):
                assert not (t * 2).requires_grad
            assert lib.is_grad_enabled()
            with lib.no_grad():
                with lib.set_grad_enabled(True):
                    assert (t * 2).requires_grad
                assert not lib.is_grad_enabled()          # back to no_grad's mode, not to True

            @lib.set_grad_enabled(False)
            def double(u):
                return u * 2

            assert lib.is_grad_enabled()                  # decorating changes no mode ...
            assert not double(t).requires_grad            # ... until the function runs
            assert lib.is_grad_enabled()
    finally:
        mg.set_grad_enabled(True)
        torch.set_grad_enabled(True)


def test_no_grad_is_thread_local():
    x = mg.tensor([1.0], requires_grad=True)
    seen = {}
    entered, release = threading.Event(), threading.Event()

    def other_thread():
        entered.wait()
        seen["other"] = (x * 2).requires_grad
        release.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with mg.no_grad():
        entered.set()
        release.wait(timeout=10)
        seen["here"] = (x * 2).requires_grad
    worker.join()
    assert seen == {"other": True, "here": False}


def test_detach_cuts_the_graph():
    x = mg.tensor([3.0], requires_grad=True)
    y = (x * x).detach() * x  # d/dx = x*x (the detached factor is a constant)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [9.0])


def test_custom_function_with_save_for_backward():
    class Cube(mg.Function):
        """y = x^3;  dy/dx = 3x^2."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    x = mg.tensor([1.0, -2.0], dtype=mg.float64, requires_grad=True)
    Cube.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 12.0])
    assert mg.gradcheck(lambda t: Cube.apply(t), [mg.tensor([0.5, 1.5], requires_grad=True)])


def test_only_floating_tensors_can_require_grad():
    with pytest.raises(TypeError, match="floating"):
        mg.tensor([1, 2], requires_grad=True)


def test_integer_inputs_get_no_gradient_but_float_ones_do():
    w = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    idx = mg.tensor([1, 1, 0])
    w[idx].sum().backward()
    np.testing.assert_allclose(w.grad.data, [[1.0, 1.0], [2.0, 2.0]])
    assert idx.grad is None


def test_in_place_add_on_a_tensor_that_requires_grad_is_refused():
    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        x += 1
    with mg.no_grad():
        x += 1
    np.testing.assert_allclose(x.data, [2.0])


def test_input_reached_by_paths_of_different_lengths_gets_all_its_gradient():
    # x feeds the product both directly and through a transpose: the order of the
    # backward pass must still process x after everything that uses it.
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=mg.float64, requires_grad=True)
    (x @ x.T).sum().backward()
    # d/dx sum(x x^T) = (1 1^T) x + (1 1^T) x  (each row of x gets both column sums of x)
    expected = 2 * np.ones((2, 2)) @ x.data
    np.testing.assert_allclose(x.grad.data, expected)


def test_leaf_gradients_never_alias_arrays_someone_else_holds():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = mg.tensor([3.0, 4.0], requires_grad=True)
    upstream = np.array([1.0, 1.0], dtype=np.float32)
    (x + y).backward(gradient=upstream)  # Add hands the same array to both inputs
    assert x.grad.data is not upstream and y.grad.data is not upstream
    assert not np.shares_memory(x.grad.data, y.grad.data)
    x.grad.data[0] = 100.0  # a user editing one gradient in place touches nothing else
    assert y.grad.data[0] == 1.0 and upstream[0] == 1.0


# ---- who owns a gradient array (the engine's bookkeeping, not sys.getrefcount) ---------

def _grads_alias(*tensors):
    """True when two of the tensors' .grad arrays share memory."""
    arrays = [t.grad.data for t in tensors]
    return any(np.shares_memory(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1:])


def test_no_two_grads_alias_with_a_shared_upstream_a_repeated_input_and_a_caller_gradient():
    x, y, z = (mg.tensor(np.arange(3.0) + k, dtype=mg.float64, requires_grad=True) for k in range(3))
    upstream = np.array([1.0, 10.0, 100.0])
    # Add hands its upstream to both inputs; x + x gives x two gradients; y and z get the
    # same array through two Adds; the caller's `upstream` arrives first at x + x.
    ((x + x) + (y + z)).backward(gradient=upstream)
    assert not _grads_alias(x, y, z)
    assert not any(np.shares_memory(t.grad.data, upstream) for t in (x, y, z))
    np.testing.assert_array_equal(x.grad.data, 2 * upstream)
    np.testing.assert_array_equal(y.grad.data, upstream)
    np.testing.assert_array_equal(z.grad.data, upstream)
    y.grad.data[0] = -1.0  # editing one gradient in place (as an optimizer may) touches nothing else
    assert z.grad.data[0] == 1.0 and upstream[0] == 1.0 and x.grad.data[0] == 2.0


def test_a_leaf_that_is_the_root_copies_the_callers_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    upstream = np.array([3.0, 4.0], dtype=np.float32)
    x.backward(gradient=upstream)
    assert not np.shares_memory(x.grad.data, upstream)
    np.testing.assert_array_equal(x.grad.data, upstream)


def test_an_array_the_op_saved_never_becomes_a_grad():
    class Twice(mg.Function):
        """y = 2x with a gradient it keeps from the forward: backward hands back its own array."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(np.full_like(x, 2.0))
            return 2 * x

        @staticmethod
        def backward(ctx, grad):
            (two,) = ctx.saved_tensors
            return two  # right only for grad = 1, which is what this test sends

    x = mg.tensor([1.0, 2.0], requires_grad=True)
    out = Twice.apply(x)
    saved = out.grad_fn.saved_tensors[0]
    out.backward(gradient=np.ones(2, np.float32), retain_graph=True)
    assert not np.shares_memory(x.grad.data, saved)
    x.grad.data[:] = 0.0  # e.g. zero_grad(set_to_none=False) done in place
    out.backward(gradient=np.ones(2, np.float32))
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])  # the saved array was not zeroed with it


def test_what_a_hook_keeps_or_returns_is_not_a_grad():
    x, y = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0, 4.0], requires_grad=True)
    kept, replacement = [], mg.tensor([5.0, 6.0])
    s = x + y
    s.register_hook(lambda g: kept.append(g))
    y.register_hook(lambda g: replacement)
    s.sum().backward()
    assert not _grads_alias(x, y)
    assert not np.shares_memory(x.grad.data, kept[0].data)
    assert not np.shares_memory(y.grad.data, replacement.data)
    np.testing.assert_array_equal(y.grad.data, [5.0, 6.0])


def test_grad_never_returns_the_callers_array_or_one_array_twice():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    upstream = np.array([1.0, -1.0], dtype=np.float32)
    y = x * 1.0
    gx, gy, gx2 = mg.autograd.grad(y + x, [x, y, x], grad_outputs=upstream)
    assert not np.shares_memory(gy.data, upstream)
    assert not np.shares_memory(gx.data, gx2.data) and not np.shares_memory(gx.data, gy.data)
    np.testing.assert_array_equal(gx.data, [2.0, -2.0])


def test_the_engine_does_not_count_references():
    source = (Path(mg.__file__).parent / "autograd.py").read_text()  # (the source: the module may be compiled)
    assert "def backward(" in source and "getrefcount" not in source


def test_an_op_that_hands_back_an_input_it_saved_gives_no_grad_that_aliases_the_input():
    from minigrad.ops.elementwise import Mul

    class Scale(Mul):
        """Mul (which saves both inputs) whose backward hands back the saved arrays themselves."""

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors[:2]
            return b, a  # d/da = b, d/db = a: right for grad = 1, which this test sends

    a, b = mg.tensor([3.0], requires_grad=True), mg.tensor([5.0], requires_grad=True)
    Scale.apply(a, b).backward()
    assert not np.shares_memory(a.grad.data, b.data) and not np.shares_memory(b.grad.data, a.data)
    np.testing.assert_array_equal(a.grad.data, [5.0])
    b.grad.data[0] = 0.0  # an in-place edit of a gradient leaves the input alone
    assert a.data[0] == 3.0


def test_the_anomaly_warning_points_at_the_line_that_called_backward():
    """Compiled or not, the warning names the user's line, not a line inside minigrad."""
    import warnings
    x = mg.tensor([-1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with mg.autograd.detect_anomaly():
            y = x.sqrt()
            with pytest.raises(RuntimeError, match="nan"):
                y.sum().backward()
    [warning] = [w for w in caught if "Error detected in SqrtBackward0" in str(w.message)]
    assert warning.filename == __file__


def test_the_engine_s_warnings_point_at_the_user_s_line():
    """The same for the other warnings of the engine (a non-leaf's .grad, create_graph's
    cycle, var() without degrees of freedom), compiled or not."""
    import warnings
    x = mg.tensor([1.0], requires_grad=True)
    y = x * 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y.grad
        (y * y).sum().backward(create_graph=True)
        x.var(dim=0)
    assert len(caught) == 3
    assert [w.filename for w in caught] == [__file__] * 3, [(w.filename, w.lineno) for w in caught]
