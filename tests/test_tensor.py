"""Tensor construction, dtypes, attributes, repr, and clear errors for bad input."""
import numpy as np
import pytest

import minigrad as mg


def test_python_floats_default_to_float32_and_ints_to_int64():
    assert mg.tensor([1.0, 2.0]).dtype == mg.float32
    assert mg.tensor([1, 2]).dtype == mg.int64
    assert mg.tensor(3.5).dtype == mg.float32
    assert mg.tensor([True, False]).dtype == np.bool_
    assert mg.tensor([1, 2.5]).dtype == mg.float32


def test_numpy_arrays_keep_their_dtype_and_tensor_copies():
    a = np.array([1.0, 2.0])
    t = mg.tensor(a)
    assert t.dtype == mg.float64
    a[0] = 100.0
    assert t.data[0] == 1.0  # tensor() copies ...
    shared = mg.from_numpy(a)
    a[1] = 7.0
    assert shared.data[1] == 7.0  # ... from_numpy shares memory
    assert mg.tensor(np.array([1, 2], dtype=np.int32)).dtype == mg.int64
    assert mg.tensor(np.array([1, 2], dtype=np.float16)).dtype == mg.float32


def test_explicit_dtype_converts():
    t = mg.tensor([1, 2], dtype=mg.float64)
    assert t.dtype == mg.float64 and t.tolist() == [1.0, 2.0]
    assert mg.tensor([1.7], dtype="float32").dtype == mg.float32


@pytest.mark.parametrize("bad", ["abc", ["a", "b"], None, {"a": 1}, [1 + 2j], object()])
def test_non_numeric_data_is_a_type_error(bad):
    with pytest.raises(TypeError, match="numbers"):
        mg.tensor(bad)


def test_ragged_data_is_a_value_error():
    with pytest.raises(ValueError, match="rectangular"):
        mg.tensor([[1.0, 2.0], [3.0]])


def test_unsupported_dtype_argument_is_a_type_error():
    with pytest.raises(TypeError, match="dtype"):
        mg.tensor([1.0], dtype=np.complex64)


def test_creation_functions_shapes_and_dtypes():
    assert mg.zeros(2, 3).shape == (2, 3) and mg.zeros(2, 3).dtype == mg.float32
    assert mg.ones((4,), dtype=mg.float64).data.sum() == 4.0
    assert mg.zeros_like(mg.tensor([1, 2])).dtype == mg.int64
    assert mg.ones_like(mg.tensor([[1.0]])).tolist() == [[1.0]]
    assert mg.arange(5).tolist() == [0, 1, 2, 3, 4] and mg.arange(5).dtype == mg.int64
    assert mg.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75] and mg.arange(0, 1, 0.25).dtype == mg.float32
    assert mg.full((2,), 7.0).tolist() == [7.0, 7.0]


def test_manual_seed_makes_random_draws_reproducible():
    mg.manual_seed(123)
    a, b = mg.rand(3, 2), mg.randn(4)
    mg.manual_seed(123)
    np.testing.assert_array_equal(a.data, mg.rand(3, 2).data)
    np.testing.assert_array_equal(b.data, mg.randn(4).data)
    assert a.dtype == mg.float32 and np.all((a.data >= 0) & (a.data < 1))
    assert not np.array_equal(mg.rand(3, 2).data, a.data)


def test_attributes_and_conversions():
    t = mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3) and t.ndim == 2 and len(t) == 2 and t.numel() == 6
    assert t.T.shape == (3, 2) and t.T.tolist() == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    assert t.sum().item() == 21.0
    assert isinstance(t.numpy(), np.ndarray)
    with pytest.raises(ValueError, match="one element"):
        t.item()
    with pytest.raises(RuntimeError, match="detach"):
        mg.tensor([1.0], requires_grad=True).numpy()


def test_repr_looks_like_pytorch():
    assert repr(mg.tensor([1.0, 2.0, 3.0])) == "tensor([1., 2., 3.])"
    assert repr(mg.tensor([0.5, 2.0])) == "tensor([0.5000, 2.0000])"
    assert repr(mg.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(mg.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(mg.tensor([1.0], dtype=mg.float64)) == "tensor([1.], dtype=minigrad.float64)"
    x = mg.tensor([1.5], requires_grad=True)
    assert repr(x.exp().sum()).endswith("grad_fn=<SumBackward0>)")  # torch: <SumBackward0>


def test_matmul_with_mismatched_shapes_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4, 5\)"):
        mg.ones(2, 3) @ mg.ones(4, 5)
    with pytest.raises(ValueError, match="at least 1 dimension"):
        mg.tensor(2.0) @ mg.ones(2)


@pytest.mark.parametrize("call", [lambda t: t.sum(dim=2), lambda t: t.softmax(dim=-3), lambda t: t.mean(dim=5),
                                  lambda t: t.max(dim=2), lambda t: t.squeeze(2), lambda t: t.transpose(0, 2),
                                  lambda t: t.log_softmax(dim=2), lambda t: t.argmax(dim=-3)])
def test_dim_out_of_range_is_an_index_error(call):
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\]"):
        call(mg.ones(2, 3))


def test_unsqueeze_accepts_one_more_dim_than_the_tensor_has():
    assert mg.ones(2, 3).unsqueeze(2).shape == (2, 3, 1)
    with pytest.raises(IndexError, match=r"\[-3, 2\], but got 3"):
        mg.ones(2, 3).unsqueeze(3)


def test_dim_must_be_an_int():
    with pytest.raises(TypeError, match="dim must be an int"):
        mg.ones(2, 3).sum(dim=1.0)


def test_reshape_to_incompatible_shape_is_an_error():
    with pytest.raises(ValueError, match="cannot"):
        mg.ones(2, 3).reshape(4, 2)
    with pytest.raises(ValueError, match="at most one -1"):
        mg.ones(2, 3).reshape(-1, -1)


def test_broadcasting_mismatch_is_a_value_error():
    with pytest.raises(ValueError):
        mg.ones(2, 3) + mg.ones(4)


def test_softmax_of_integer_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="floating-point"):
        mg.tensor([1, 2]).softmax(dim=0)


def test_index_out_of_range_is_an_index_error():
    with pytest.raises(IndexError):
        mg.ones(2, 3)[5]
    with pytest.raises(IndexError, match="integer or bool"):
        mg.ones(3)[mg.tensor([0.0, 1.0])]


def test_comparisons_return_bool_tensors_without_grad():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == np.bool_ and not mask.requires_grad
    assert mask.tolist() == [False, True, True]
    assert (x == 2.0).tolist() == [False, True, False]
    assert {x: 1}[x] == 1  # still hashable by identity


def test_softmax_and_log_softmax_handle_any_rank_and_empty():
    x = mg.tensor(np.zeros((0, 3)))
    assert x.softmax(dim=1).shape == (0, 3)
    assert mg.tensor(np.zeros((2, 0))).log_softmax(dim=1).shape == (2, 0)
    assert mg.tensor(2.0).softmax(dim=0).item() == 1.0


def test_mean_of_empty_is_nan_like_torch():
    assert np.isnan(mg.tensor(np.zeros(0)).mean().item())


# torch 2.13's own __array__ lacks the copy keyword; numpy warns about torch, not minigrad.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_np_array_copies_and_np_asarray_shares_as_with_torch(torch):
    """numpy 2's __array__(dtype, copy) protocol: np.array(t) is a copy, so writing to it
    leaves the tensor alone (it used to return the tensor's own buffer); np.asarray(t)
    shares the memory. torch behaves the same way."""
    values = [1.0, 2.0, 3.0]
    for make, buffer_of in ((lambda: mg.tensor(values, dtype=mg.float64), lambda t: t.data),
                            (lambda: torch.tensor(values, dtype=torch.float64), lambda t: t.numpy())):
        t = make()
        copied = np.array(t)
        copied[0] = 100.0
        assert buffer_of(t)[0] == 1.0 and not np.shares_memory(copied, buffer_of(t))
        shared = np.asarray(t)
        assert np.shares_memory(shared, buffer_of(t))
        shared[1] = 7.0
        assert buffer_of(t)[1] == 7.0
    t = mg.tensor(values, dtype=mg.float64)
    converted = np.array(t, dtype=np.float32)                # a conversion is always a copy
    assert converted.dtype == np.float32 and converted.tolist() == values
    assert not np.shares_memory(np.asarray(t, dtype=np.float32), t.data)


def test_np_array_with_copy_false_shares_or_refuses_a_conversion():
    t = mg.tensor([1.0, 2.0], dtype=mg.float64)
    assert np.shares_memory(np.array(t, copy=False), t.data)
    with pytest.raises(ValueError, match="without a copy"):
        np.array(t, dtype=np.float32, copy=False)
