"""nn.Embedding without torch: lookup, the scatter-add gradient, padding_idx, max_norm,
scale_grad_by_freq. (Against torch: tests/torch_parity/test_nn_parity.py.)"""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F


def test_lookup_shape_values_and_init():
    mg.manual_seed(0)
    emb = nn.Embedding(1000, 8)
    assert emb.weight.shape == (1000, 8) and emb.weight.dtype == np.float32
    assert abs(emb.weight.data.mean()) < 0.02 and abs(emb.weight.data.std() - 1) < 0.02  # N(0, 1)
    ids = mg.tensor([[3, 1], [999, 3]])
    out = emb(ids)
    assert out.shape == (2, 2, 8)
    np.testing.assert_array_equal(out.data[1, 1], emb.weight.data[3])


def test_the_gradient_is_a_scatter_add_and_gradcheck_agrees():
    w = mg.tensor(np.random.default_rng(1).normal(size=(4, 3)), requires_grad=True)
    ids = mg.tensor([0, 2, 2, 3])
    F.embedding(ids, w).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [[1, 1, 1], [0, 0, 0], [2, 2, 2], [1, 1, 1]])
    assert mg.gradcheck(lambda t: F.embedding(ids, t) ** 2, [mg.tensor(w.data, requires_grad=True)])


def test_padding_row_starts_at_zero_and_gets_no_gradient():
    emb = nn.Embedding(5, 2, padding_idx=-2)
    assert emb.padding_idx == 3 and not np.any(emb.weight.data[3]) and np.all(emb.weight.data[[0, 1, 2, 4]] != 0)
    (emb(mg.tensor([3, 3, 1])) * 2).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data[3], [0, 0])
    np.testing.assert_array_equal(emb.weight.grad.data[1], [2, 2])


def test_scale_grad_by_freq_divides_by_the_count():
    w = mg.tensor(np.zeros((3, 1)), requires_grad=True)
    F.embedding(mg.tensor([1, 1, 1, 2]), w, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(w.grad.data[:, 0], [0, 1, 1])


def test_max_norm_rescales_the_picked_rows_in_place():
    w = mg.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]], dtype=mg.float64)
    F.embedding(mg.tensor([0, 1]), w, max_norm=1.0)
    np.testing.assert_allclose(w.data[0], [0.6, 0.8], rtol=1e-6)  # norm 5 -> 1 (torch divides by 5 + 1e-7)
    np.testing.assert_array_equal(w.data[1:], [[0.3, 0.4], [6.0, 8.0]])  # within the norm; not picked


def test_errors():
    with pytest.raises(NotImplementedError, match="sparse=True"):
        nn.Embedding(3, 2, sparse=True)(mg.tensor([1]))
    with pytest.raises(AssertionError, match="Shape of weight does not match"):
        nn.Embedding(3, 2, _weight=mg.zeros(2, 2))
    with pytest.raises(TypeError, match="weight must be a minigrad.Tensor"):
        F.embedding(mg.tensor([0]), np.zeros((2, 2)))
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar types: Long, Int"):
        nn.Embedding(3, 2)(mg.tensor([True]))
    frozen = nn.Embedding.from_pretrained(mg.ones(2, 2), freeze=False)
    assert frozen.weight.requires_grad
