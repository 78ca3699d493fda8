"""minigrad.data: datasets and loaders (the lessons' data sets are tested in test_lessons_datasets.py)."""
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


def test_the_lessons_data_sets_are_not_in_the_library_and_the_error_says_where_they_went():
    for name in ("toy", "load_real"):
        with pytest.raises(AttributeError, match=f"minigrad.lessons.datasets import {name}"):
            getattr(data, name)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        data.nothing
    assert not hasattr(data, "toy")


def test_data_and_metrics_are_reachable_from_the_package_as_in_torch(torch):
    """`import torch` gives torch.utils.data; `import minigrad` gives minigrad.data and
    minigrad.metrics (both failed with AttributeError before)."""
    import subprocess
    import sys
    code = ("import minigrad as mg, numpy as np\n"
            "x, y = mg.arange(6).reshape(3, 2).double(), mg.arange(3)\n"
            "batches = list(mg.data.DataLoader(mg.data.TensorDataset(x, y), batch_size=2))\n"
            "print([len(b[1]) for b in batches], mg.metrics.accuracy(mg.tensor([[0.1, 0.9], [0.8, 0.2]]), "
            "mg.tensor([1, 1])))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[2,", "1]", "0.5"]
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(3, 2), torch.arange(3)),
                                         batch_size=2)
    assert [len(b[1]) for b in loader] == [2, 1]   # torch's, the same batches
