"""Tensor construction, dtypes, attributes, repr, and clear errors for bad input."""
import re

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


# ---- joining, gathering, statistics: methods, function forms, float16 and argument checks ----
def test_every_new_op_is_a_method_and_a_function():
    x = mg.tensor([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
    for name, args in [("min", ()), ("var", ()), ("std", (1,)), ("norm", ()), ("prod", (0,)), ("t", ()),
                       ("log1p", ()), ("expm1", ()), ("sin", ()), ("cos", ()), ("square", ()), ("sign", ()),
                       ("all", ()), ("any", (1,)), ("argmin", (1,))]:
        method, function = getattr(x, name)(*args), getattr(mg, name)(x, *args)
        np.testing.assert_array_equal(method.data, function.data, err_msg=name)
    assert [p.tolist() for p in mg.split(x, 2, 1)] == [p.tolist() for p in x.split(2, 1)] == [
        [[1.0, -2.0], [0.5, 4.0]], [[3.0], [-1.0]]]
    assert [p.shape for p in mg.chunk(x, 2, dim=1)] == [(2, 2), (2, 1)]
    assert mg.gather(x, 1, mg.tensor([[2], [0]])).tolist() == [[3.0], [0.5]]
    assert mg.index_select(x, 0, mg.tensor([1, 1])).tolist() == [[0.5, 4.0, -1.0]] * 2
    assert mg.cat([x, x]).shape == (4, 3) and mg.stack([x, x], dim=2).shape == (2, 3, 2)


def test_values_of_new_reductions_by_hand():
    x = mg.tensor([[1.0, 2.0, 4.0], [3.0, 3.0, 0.0]])
    assert x.min().item() == 0.0 and x.min(dim=1).indices.tolist() == [0, 2]
    assert x.min(dim=0, keepdim=True).values.tolist() == [[1.0, 2.0, 0.0]]
    assert x.var(dim=1, correction=0).tolist() == pytest.approx([14 / 9, 2.0])
    assert x.var(dim=1).tolist() == pytest.approx([7 / 3, 3.0])                 # Bessel's n - 1
    assert x.std(dim=1, unbiased=False).tolist() == pytest.approx([np.sqrt(14 / 9), np.sqrt(2.0)])
    assert x.norm().item() == pytest.approx(np.sqrt(39.0)) and x.norm(p=1).item() == 13.0
    assert x.norm(p=float("inf"), dim=1).tolist() == [4.0, 3.0] and x.norm(p=0).item() == 5.0
    assert x.prod().item() == 0.0 and x.prod(dim=1).tolist() == [8.0, 0.0]
    assert x.all().item() is False and x.any(dim=1).tolist() == [True, True]
    assert x.sign().tolist() == [[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]] and x.square().tolist()[0] == [1.0, 4.0, 16.0]


def test_split_pieces_are_views_and_differentiable():
    x = mg.tensor(np.arange(6.0), requires_grad=True)
    a, b = x.split([2, 4])
    assert np.shares_memory(a.data, x.data)        # a view, as torch's split gives
    (a.sum() * 2 + (b * b).sum()).backward()
    assert x.grad.tolist() == [2.0, 2.0, 4.0, 6.0, 8.0, 10.0]


def test_cat_and_stack_send_each_input_its_part_of_the_gradient():
    a = mg.tensor([[1.0, 2.0]], requires_grad=True)
    b = mg.tensor([[3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    (mg.cat([a, b]) * mg.tensor([[1.0], [2.0], [3.0]])).sum().backward()
    assert a.grad.tolist() == [[1.0, 1.0]] and b.grad.tolist() == [[2.0, 2.0], [3.0, 3.0]]
    c = mg.tensor([1.0, 2.0], requires_grad=True)
    (mg.stack([c, c * 3], dim=1) * mg.tensor([[1.0, 10.0], [1.0, 10.0]])).sum().backward()
    assert c.grad.tolist() == [31.0, 31.0]


def test_float16_is_storage_and_the_other_ops_name_the_dtypes():
    h = mg.tensor([1.0, 2.0], dtype=mg.float16)
    assert h.dtype == mg.float16 == np.float16 and mg.tensor([1.0]).half().dtype == mg.float16
    assert (h * 2 + h).tolist() == [3.0, 6.0] and h.to(mg.float32).dtype == mg.float32
    h.requires_grad_()
    with pytest.raises(TypeError, match=r"exp supports float32 and float64 .* not float16.*\.float\(\)"):
        h.exp()
    with pytest.raises(TypeError, match="sum supports float32 and float64"):
        h.sum()
    with pytest.raises(TypeError, match="float16"):
        mg.tensor([1.0], dtype="complex64")


@pytest.mark.parametrize("call, error, words", [
    (lambda: mg.tensor([1.0, 2.0]).var(0, True, correction=1), TypeError, "unbiased or correction"),
    (lambda: mg.tensor([1.0, 2.0]).var(correction="1"), TypeError, "correction must be a number"),
    (lambda: mg.tensor([1.0, 2.0]).std(0, unbiased=1), TypeError, "unbiased must be a bool"),
    (lambda: mg.tensor([1.0, 2.0]).norm(p=None), TypeError, "p must be a number"),
    (lambda: mg.tensor([1.0, 2.0]).norm(p="nuc"), ValueError, "p='nuc' is not supported"),
    (lambda: mg.tensor([1.0, 2.0]).prod(dim=(0,)), TypeError, "dim must be an int"),
    (lambda: mg.tensor([1.0, 2.0]).split([1.5, 0.5]), TypeError, "split_sizes must be ints"),
    (lambda: mg.tensor([1.0, 2.0]).chunk(2.0), TypeError, "chunks must be an int"),
    (lambda: mg.tensor([1.0, 2.0]).gather(0, [0]), TypeError, "argument 'index' must be Tensor"),
    (lambda: mg.cat([mg.tensor([1.0]), [2.0]]), TypeError, "expected Tensor as element 1"),
    (lambda: mg.stack(mg.tensor([1.0])), TypeError, "must be tuple of Tensors"),
    (lambda: mg.isclose(mg.tensor([1.0]), mg.tensor([1.0]), rtol=-1), RuntimeError, "non-negative"),
    (lambda: mg.linspace(0, "1", 3), TypeError, "end must be a number"),
    (lambda: mg.randint(0, 5, size=3), TypeError, "'size' must be tuple of ints"),
    (lambda: mg.randint(0.5, 5, size=(3,)), TypeError, "low must be an int"),
    (lambda: mg.full_like([1.0], 2.0), TypeError, "argument 'input' must be Tensor"),
    (lambda: mg.full_like(mg.tensor([1.0]), "2"), TypeError, "fill_value must be a number"),
    (lambda: mg.rand_like(mg.tensor([1.0]), generator=3), TypeError, "generator must be a minigrad.Generator"),
])
def test_bad_arguments_of_new_functions_name_the_argument(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call()
