"""minigrad.data: datasets, loaders, the toy sets and the real ones."""
import builtins

import numpy as np
import pytest

import minigrad as mg
from minigrad import data


def make_dataset(n=10):
    return data.TensorDataset(mg.arange(n * 2).reshape(n, 2).double(), mg.arange(n))


def test_tensor_dataset_indexes_every_tensor_together():
    ds = make_dataset()
    x, y = ds[3]
    assert len(ds) == 10 and x.tolist() == [6.0, 7.0] and y.item() == 3
    with pytest.raises(ValueError, match="same length"):
        data.TensorDataset(mg.zeros(3, 2), mg.zeros(4))
    with pytest.raises(TypeError):
        data.TensorDataset(np.zeros(3))


def test_loader_in_order_covers_every_sample_once_with_a_short_last_batch():
    batches = list(data.DataLoader(make_dataset(), batch_size=4))
    assert [len(y) for _, y in batches] == [4, 4, 2]
    assert np.concatenate([y.data for _, y in batches]).tolist() == list(range(10))
    assert len(data.DataLoader(make_dataset(), batch_size=4)) == 3
    assert len(list(data.DataLoader(make_dataset(), batch_size=4, drop_last=True))) == 2


def test_shuffling_is_a_permutation_reproducible_by_seed_and_new_each_epoch():
    loader = data.DataLoader(make_dataset(), batch_size=3, shuffle=True, seed=7)
    first = np.concatenate([y.data for _, y in loader])
    second = np.concatenate([y.data for _, y in loader])
    assert sorted(first) == list(range(10)) and not np.array_equal(first, second)
    again = np.concatenate([y.data for _, y in data.DataLoader(make_dataset(), 3, shuffle=True, seed=7)])
    assert np.array_equal(first, again)
    for x, y in data.DataLoader(make_dataset(), 3, shuffle=True, seed=1):
        np.testing.assert_array_equal(x.data[:, 0], 2 * y.data)   # rows stay with their labels


def test_loader_stacks_a_plain_dataset_and_rejects_bad_batch_sizes():
    items = [(np.array([i, i]), i) for i in range(5)]
    (x, y), = list(data.DataLoader(items, batch_size=5))
    assert x.shape == (5, 2) and y.tolist() == [0, 1, 2, 3, 4]
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            data.DataLoader(items, batch_size=bad)


def test_toy_sets_by_name():
    x, y = data.toy("regression")
    np.testing.assert_array_equal(y.data, 2 * x.data)
    x, y = data.toy("multiclass")
    assert x.shape == (4, 3) and y.dtype == mg.int64 and y.tolist() == [0, 1, 2, 1]
    assert data.toy("and")[1].data.ravel().tolist() == [0, 0, 0, 1]
    assert set(data.toy("svm")[1].tolist()) == {-1.0, 1.0}
    with pytest.raises(ValueError, match="regression, and, multiclass, svm"):
        data.toy("xor")


@pytest.mark.parametrize("name,n_features", [("iris", 4), ("digits", 64), ("breast_cancer", 30), ("diabetes", 10)])
def test_real_sets_are_split_and_standardised_on_the_training_split(name, n_features):
    pytest.importorskip("sklearn")
    split = data.load_real(name, seed=0)
    assert split.x_train.shape[1] == split.x_test.shape[1] == n_features
    assert len(split.x_test) == pytest.approx(0.25 * (len(split.x_train) + len(split.x_test)), abs=1)
    varying = split.std != 1.0
    np.testing.assert_allclose(split.x_train.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(split.x_train.std(axis=0)[varying], 1, rtol=1e-9)
    again = data.load_real(name, seed=0)
    np.testing.assert_array_equal(split.x_test, again.x_test)
    assert split.y_train.dtype == (np.float64 if name == "diabetes" else np.int64)


def test_missing_scikit_learn_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name == "sklearn" or name.startswith("sklearn."):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(ImportError, match=r"minigrad\[data\]"):
        data.load_real("iris")
    with pytest.raises(ValueError, match="unknown data set"):
        data.load_real("mnist")
