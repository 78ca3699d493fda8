"""minigrad.utils.data (torch's path) and minigrad.Generator: datasets, samplers, collate,
the loader, random_split. Comparisons with torch.utils.data are in
tests/torch_parity/test_data_parity.py."""
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import data
from minigrad.random import Generator
from minigrad.utils import data as udata


def numbers(n=10):
    return udata.TensorDataset(mg.arange(n * 2).reshape(n, 2).double(), mg.arange(n))


def labels_of(loader):
    return np.concatenate([y.data for _, y in loader]).tolist()


def test_one_implementation_reachable_at_both_paths():
    import minigrad.utils.data as by_import
    assert mg.utils.data is by_import is udata
    for name in udata.__all__:
        assert getattr(data, name) is getattr(udata, name), name


# ---- Generator ----------------------------------------------------------------------------

def test_a_generator_is_its_own_reproducible_stream():
    g = Generator()
    assert g.manual_seed(42) is g and g.initial_seed() == 42
    first = g.numpy.permutation(20)
    again = Generator().manual_seed(42).numpy.permutation(20)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, g.numpy.permutation(20))          # the stream moves on
    # a fresh Generator starts from torch's default seed, so it is reproducible too
    assert Generator().initial_seed() == 67280421310721
    np.testing.assert_array_equal(Generator().numpy.random(3), Generator().numpy.random(3))
    # get_state / set_state go back to a position
    state = g.get_state()
    a = g.numpy.random(4)
    np.testing.assert_array_equal(g.set_state(state).numpy.random(4), a)
    # the global generator is not touched by a Generator's draws
    mg.manual_seed(7)
    expected = mg.rand(3).data
    mg.manual_seed(7)
    Generator().manual_seed(1).numpy.random(100)
    np.testing.assert_array_equal(mg.rand(3).data, expected)


def test_generator_bad_arguments():
    with pytest.raises(TypeError, match="seed must be an int"):
        Generator().manual_seed(1.5)
    with pytest.raises(TypeError, match="seed must be an int"):
        mg.manual_seed("3")
    with pytest.raises(ValueError, match="CPU only"):
        Generator("cuda")
    assert Generator().manual_seed(-1).initial_seed() == 2**64 - 1   # torch wraps negative seeds too
    seed = Generator().seed()
    assert isinstance(seed, int) and 0 <= seed < 2**64


# ---- datasets -------------------------------------------------------------------------------

def test_tensor_dataset_subset_and_concat_index_the_right_samples():
    ds = numbers(5)
    x, y = ds[3]
    assert x.tolist() == [6.0, 7.0] and y.item() == 3
    sub = udata.Subset(ds, [4, 0, 2])
    assert len(sub) == 3 and sub[0][1].item() == 4 and sub[-1][1].item() == 2
    both = ds + udata.Subset(ds, [1, 1])
    assert isinstance(both, udata.ConcatDataset) and len(both) == 7
    assert [both[i][1].item() for i in range(7)] == [0, 1, 2, 3, 4, 1, 1]
    assert both[-1][1].item() == 1 and both[-7][1].item() == 0
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        both[-8]
    with pytest.raises(IndexError, match="out of range"):
        both[7]
    with pytest.raises(ValueError, match="empty"):
        udata.ConcatDataset([])


def test_the_dataset_base_class_asks_for_getitem():
    class Squares(udata.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return np.float32(i * i)

    assert [b.tolist() for b in udata.DataLoader(Squares(), batch_size=3)] == [[0.0, 1.0, 4.0], [9.0]]
    with pytest.raises(NotImplementedError, match="__getitem__"):
        udata.Dataset()[0]


def test_random_split_partitions_the_dataset_reproducibly():
    ds = numbers(10)
    parts = udata.random_split(ds, [0.5, 0.3, 0.2], generator=Generator().manual_seed(0))
    assert [len(p) for p in parts] == [5, 3, 2]
    seen = [p[i][1].item() for p in parts for i in range(len(p))]
    assert sorted(seen) == list(range(10)) and seen != list(range(10))
    again = udata.random_split(ds, [5, 3, 2], generator=Generator().manual_seed(0))
    assert [p.indices for p in again] == [p.indices for p in parts]     # fractions give the same split
    mg.manual_seed(3)
    a = [p.indices for p in udata.random_split(ds, [7, 3])]
    mg.manual_seed(3)
    assert [p.indices for p in udata.random_split(ds, [7, 3])] == a     # the global generator by default
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sizes = [len(p) for p in udata.random_split(range(3), [0.9, 0.05, 0.05])]
    assert sizes == [3, 0, 0]
    assert [str(w.message) for w in caught] == [f"Length of split at index {i} is 0. This might result in an empty "
                                                "dataset." for i in (1, 2)]


def test_random_split_bad_lengths():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        udata.random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="lengths\\[0\\] must be a non-negative int"):
        udata.random_split(range(10), [-1, 11])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        udata.random_split(range(10), [1.5, -0.5])
    with pytest.raises(TypeError, match="lengths\\[1\\] must be an int or a fraction"):
        udata.random_split(range(10), [5, "5"])
    with pytest.raises(TypeError, match="minigrad.Generator.*manual_seed"):
        udata.random_split(range(10), [5, 5], generator=0)


# ---- samplers ------------------------------------------------------------------------------

def test_samplers():
    assert list(udata.SequentialSampler(range(4))) == [0, 1, 2, 3]
    g = Generator().manual_seed(0)
    sampler = udata.RandomSampler(range(6), generator=g)
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(6)) and first != second and len(sampler) == 6
    long = list(udata.RandomSampler(range(4), num_samples=10, generator=g))
    assert len(long) == 10 and sorted(long[:4]) == sorted(long[4:8]) == [0, 1, 2, 3] and set(long[8:]) <= {0, 1, 2, 3}
    drawn = list(udata.RandomSampler(range(3), replacement=True, num_samples=300, generator=g))
    assert len(drawn) == 300 and set(drawn) == {0, 1, 2} and sorted(drawn) != drawn
    assert sorted(udata.SubsetRandomSampler([5, 7, 9], generator=g)) == [5, 7, 9]
    batches = udata.BatchSampler(range(7), 3, drop_last=False)
    assert list(batches) == [[0, 1, 2], [3, 4, 5], [6]] and len(batches) == 3
    batches = udata.BatchSampler(range(7), 3, drop_last=True)
    assert list(batches) == [[0, 1, 2], [3, 4, 5]] and len(batches) == 2
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        udata.RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        udata.RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        udata.BatchSampler(range(3), 2, drop_last=None)


# ---- collate -------------------------------------------------------------------------------

def test_default_collate_stacks_each_position_and_key():
    batch = [(np.array([i, i + 1], np.float32), i, 0.5 * i, {"id": i, "name": f"s{i}"}) for i in range(3)]
    x, ints, floats, info = udata.default_collate(batch)
    assert x.dtype == mg.float32 and x.tolist() == [[0, 1], [1, 2], [2, 3]]
    assert ints.dtype == mg.int64 and ints.tolist() == [0, 1, 2]
    assert floats.dtype == mg.float64 and floats.tolist() == [0.0, 0.5, 1.0]   # torch's rule for Python floats
    assert info["id"].tolist() == [0, 1, 2] and info["name"] == ["s0", "s1", "s2"]
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 "
                                           r"and \[3\] at entry 1"):
        udata.default_collate([mg.zeros(2), mg.zeros(3)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        udata.default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError, match="default_collate: batch must contain .*found <class 'object'>"):
        udata.default_collate([object()])


# ---- the loader ----------------------------------------------------------------------------

def test_the_defaults_are_torch_s_one_sample_per_batch_in_order():
    loader = udata.DataLoader(numbers(3))
    batches = list(loader)
    assert len(loader) == 3 and [type(b) for b in batches] == [list] * 3
    assert [b[0].shape for b in batches] == [(1, 2)] * 3 and labels_of(loader) == [0, 1, 2]


def test_the_tensor_dataset_fast_path_gives_what_collating_the_samples_gives():
    ds = numbers(11)
    fast = list(udata.DataLoader(ds, batch_size=4, shuffle=True, seed=3))
    slow = list(udata.DataLoader(ds, batch_size=4, shuffle=True, seed=3, collate_fn=udata.default_collate))
    slow_too = list(udata.DataLoader(udata.Subset(ds, range(11)), batch_size=4, shuffle=True, seed=3))
    assert len(fast) == len(slow) == 3
    for a, b, c in zip(fast, slow, slow_too):
        for ta, tb, tc in zip(a, b, c):
            assert ta.dtype == tb.dtype == tc.dtype
            np.testing.assert_array_equal(ta.data, tb.data)
            np.testing.assert_array_equal(ta.data, tc.data)


def test_shuffling_draws_from_the_generator_the_seed_or_the_global_stream():
    ds = numbers(12)
    by_generator = udata.DataLoader(ds, batch_size=5, shuffle=True, generator=Generator().manual_seed(4))
    by_seed = udata.DataLoader(ds, batch_size=5, shuffle=True, seed=4)
    epochs = [labels_of(by_generator) for _ in range(3)]
    assert epochs == [labels_of(by_seed) for _ in range(3)]
    assert all(sorted(e) == list(range(12)) for e in epochs) and epochs[0] != epochs[1]
    mg.manual_seed(9)
    a = labels_of(udata.DataLoader(ds, batch_size=5, shuffle=True))
    mg.manual_seed(9)
    assert labels_of(udata.DataLoader(ds, batch_size=5, shuffle=True)) == a != list(range(12))
    # the lessons' loader: DataLoader(..., seed=s) shuffles as numpy's default_rng(s).permutation
    np.testing.assert_array_equal(labels_of(udata.DataLoader(ds, 12, shuffle=True, seed=0)),
                                  np.random.default_rng(0).permutation(12))


def test_batch_size_none_sampler_and_batch_sampler():
    items = [(np.array([i, -i]), i) for i in range(5)]
    unbatched = list(udata.DataLoader(items, batch_size=None))
    assert len(unbatched) == 5 and unbatched[2][0].tolist() == [2, -2] and unbatched[2][1] == 2
    assert isinstance(unbatched[2][0], mg.Tensor)
    (x, y), = list(udata.DataLoader(items, batch_size=5))
    assert x.tolist() == [[i, -i] for i in range(5)] and y.tolist() == [0, 1, 2, 3, 4]
    picked = udata.DataLoader(items, batch_size=2, sampler=[4, 0, 3])
    assert [b[1].tolist() for b in picked] == [[4, 0], [3]] and len(picked) == 2
    grouped = udata.DataLoader(items, batch_sampler=[[1, 2, 3], [0]])
    assert [b[1].tolist() for b in grouped] == [[1, 2, 3], [0]] and len(grouped) == 2
    assert list(udata.DataLoader(items, batch_size=2, collate_fn=lambda s: [i for _, i in s])) == [[0, 1], [2, 3], [4]]


def test_loader_bad_arguments_are_errors_naming_the_option():
    items = list(range(4))
    cases = [
        (dict(batch_size=0), ValueError, "batch_size should be a positive integer value, but got batch_size=0"),
        (dict(batch_size=2.5), ValueError, "batch_size should be a positive integer"),
        (dict(shuffle=True, sampler=[0]), ValueError, "sampler option is mutually exclusive with shuffle"),
        (dict(batch_sampler=[[0]], batch_size=2), ValueError, "batch_sampler option is mutually exclusive"),
        (dict(batch_size=None, drop_last=True), ValueError, "mutually exclusive with drop_last"),
        (dict(num_workers=-1), ValueError, "num_workers option should be non-negative"),
        (dict(prefetch_factor=2), ValueError, "prefetch_factor option could only be specified in multiprocessing"),
        (dict(persistent_workers=True), ValueError, "persistent_workers option needs num_workers > 0"),
        (dict(timeout=-1), ValueError, "timeout option should be non-negative"),
        (dict(shuffle=True, generator=3), TypeError, "generator must be a minigrad.Generator"),
        (dict(shuffle=True, seed=1, generator=Generator()), ValueError, "either generator or seed"),
        (dict(drop_last="yes"), ValueError, "drop_last should be a boolean"),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error, match=message):
            udata.DataLoader(items, **kwargs)
    # the worker options are accepted and change nothing
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loader = udata.DataLoader(items, batch_size=3, num_workers=2, pin_memory=True, prefetch_factor=4,
                                  persistent_workers=True, worker_init_fn=print)
        assert [b.tolist() for b in loader] == [[0, 1, 2], [3]]


def test_a_training_loop_over_a_random_split_sees_each_training_sample_once_per_epoch():
    mg.manual_seed(0)
    x = mg.randn(20, 3)
    y = (x.data[:, 0] > 0).astype(np.int64)
    train, val = udata.random_split(udata.TensorDataset(x, mg.tensor(y)), [0.75, 0.25],
                                    generator=Generator().manual_seed(1))
    assert (len(train), len(val)) == (15, 5) and not set(train.indices) & set(val.indices)
    loader = udata.DataLoader(train, batch_size=4, shuffle=True, generator=Generator().manual_seed(2))
    for _ in range(2):
        seen = []
        for xb, yb in loader:
            rows = [int(np.flatnonzero((x.data == row).all(axis=1))[0]) for row in xb.data]
            assert yb.tolist() == y[rows].tolist()               # rows stay with their labels
            seen += rows
        assert sorted(seen) == sorted(train.indices)
