"""minigrad.utils.data against torch.utils.data: the same batches, sizes, errors and training.

Random orders are each framework's own (the same seed gives different permutations), so
the shuffled cases compare structure; the orders themselves are fed to both as a sampler.
"""
import collections
import math
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.random import Generator
from minigrad.utils import data as udata

Pair = collections.namedtuple("Pair", "left right")


def samples(lib, n=7):
    """The same samples in both frameworks (lib.tensor builds each framework's tensors)."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        out.append({
            "tensor": lib.tensor(rng.standard_normal(3).astype(np.float32)),
            "f64": rng.standard_normal((2, 2)),
            "f32": rng.standard_normal(2).astype(np.float32),
            "i64": rng.integers(-5, 5, size=3),
            "mask": rng.random(2) > 0.5,
            "np_scalar": np.float32(i / 3),
            "np_0d": np.array(i * 1.5),
            "float": i / 7,
            "int": i,
            "bool": i % 2 == 0,
            "mixed": [i, i + 0.5][i % 2],
            "str": f"sample {i}",
            "tuple": (i, float(i)),
            "list": [np.int64(i), np.array([i, i])],
            "pair": Pair(i, np.float64(i)),
        })
    return out


def assert_same(mine, theirs, torch, where="batch"):
    """The same structure, container types, dtypes, shapes and values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(mine, mg.Tensor), f"{where}: {type(mine).__name__}, torch has a Tensor"
        assert mine.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")), \
            f"{where}: dtype {mine.dtype} vs torch's {theirs.dtype}"
        assert mine.shape == tuple(theirs.shape), f"{where}: shape {mine.shape} vs {tuple(theirs.shape)}"
        np.testing.assert_array_equal(mine.data, theirs.numpy(), err_msg=where)
        return
    assert type(mine) is type(theirs), f"{where}: {type(mine).__name__} vs torch's {type(theirs).__name__}"
    if isinstance(theirs, dict):
        assert list(mine) == list(theirs), where
        for key in theirs:
            assert_same(mine[key], theirs[key], torch, f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert len(mine) == len(theirs), where
        for i, (a, b) in enumerate(zip(mine, theirs)):
            assert_same(a, b, torch, f"{where}[{i}]")
    else:
        assert mine == theirs, f"{where}: {mine!r} vs {theirs!r}"


def test_default_collate_builds_torch_s_batch_for_every_kind_of_sample(torch):
    from torch.utils.data import default_collate
    assert_same(udata.default_collate(samples(mg)), default_collate(samples(torch)), torch)
    # tuples of samples become lists of batches, in both
    pairs = [(np.arange(3) * i, float(i)) for i in range(4)]
    assert_same(udata.default_collate(pairs), default_collate(pairs), torch)


def test_default_convert_matches_torch(torch):
    from torch.utils.data import default_convert
    for sample in samples(mg, 2):
        sample = {k: v for k, v in sample.items() if k != "tensor"}
        assert_same(udata.default_convert(sample), default_convert(sample), torch)
    for value in [(np.ones(2), 1), [np.zeros(1), "a"], np.float32(2), 3.5, "text", Pair(np.ones(1), 2)]:
        assert_same(udata.default_convert(value), default_convert(value), torch)


def test_integer_arrays_narrower_than_int64_are_widened_where_torch_keeps_them(torch):
    """A known difference: minigrad has one integer dtype, int64 (as mg.tensor)."""
    from torch.utils.data import default_collate
    batch = [np.array([1, 2], np.int32), np.array([3, 4], np.int32)]
    theirs = default_collate(batch)
    mine = udata.default_collate(batch)
    assert theirs.dtype == torch.int32 and mine.dtype == mg.int64
    np.testing.assert_array_equal(mine.data, theirs.numpy())


class ListDataset:
    """A map-style dataset that is not a TensorDataset: the general (sample by sample) path."""

    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


@pytest.mark.parametrize("batch_size", [1, 3, 7, 10])
@pytest.mark.parametrize("drop_last", [False, True])
def test_loader_batches_and_lengths_equal_torch_s(torch, batch_size, drop_last):
    from torch.utils import data as tdata
    x = np.random.default_rng(1).standard_normal((7, 3))
    y = np.arange(7)
    cases = [
        (udata.TensorDataset(mg.tensor(x), mg.tensor(y)), tdata.TensorDataset(torch.tensor(x), torch.tensor(y))),
        (ListDataset(samples(mg)), ListDataset(samples(torch))),
        (ListDataset(list(zip(x, y.tolist()))), ListDataset(list(zip(x, y.tolist())))),
    ]
    for mine, theirs in cases:
        ours = udata.DataLoader(mine, batch_size=batch_size, drop_last=drop_last)
        reference = tdata.DataLoader(theirs, batch_size=batch_size, drop_last=drop_last)
        assert len(ours) == len(reference)
        assert_same(list(ours), list(reference), torch)


def test_unbatched_sampler_and_batch_sampler_loaders_equal_torch_s(torch):
    from torch.utils import data as tdata
    items = [(np.array([i, -i]), i, f"s{i}") for i in range(6)]
    for kwargs in [dict(batch_size=None), dict(batch_size=None, sampler=[5, 1]), dict(batch_size=2, sampler=[4, 0, 3]),
                   dict(batch_sampler=[[1, 2, 3], [0], [5, 5]]), dict(batch_size=4, sampler=range(5), drop_last=True)]:
        ours = udata.DataLoader(ListDataset(items), **kwargs)
        reference = tdata.DataLoader(ListDataset(items), **kwargs)
        assert len(ours) == len(reference), kwargs
        assert_same(list(ours), list(reference), torch, str(kwargs))


def test_shuffled_loaders_have_torch_s_batch_sizes_and_cover_every_sample(torch):
    from torch.utils import data as tdata
    for n, batch_size, drop_last in [(10, 3, False), (10, 3, True), (4, 8, False), (9, 3, True)]:
        ours = udata.DataLoader(list(range(n)), batch_size=batch_size, shuffle=True, drop_last=drop_last,
                                generator=Generator().manual_seed(0))
        reference = tdata.DataLoader(list(range(n)), batch_size=batch_size, shuffle=True, drop_last=drop_last,
                                     generator=torch.Generator().manual_seed(0))
        mine, theirs = list(ours), list(reference)
        assert [len(b) for b in mine] == [len(b) for b in theirs]
        ours_seen = np.concatenate([b.data for b in mine]).tolist()
        assert len(set(ours_seen)) == len(ours_seen) and set(ours_seen) <= set(range(n))
        if not drop_last:
            assert sorted(ours_seen) == sorted(torch.cat(theirs).tolist()) == list(range(n))


def test_the_option_errors_are_torch_s(torch):
    from torch.utils import data as tdata
    cases = [dict(batch_size=0), dict(batch_size=-2), dict(batch_size=2.0), dict(batch_size=True),
             dict(shuffle=True, sampler=[0]), dict(batch_sampler=[[0]], batch_size=2),
             dict(batch_sampler=[[0]], drop_last=True), dict(batch_size=None, drop_last=True),
             dict(num_workers=-1), dict(prefetch_factor=2), dict(persistent_workers=True), dict(timeout=-1),
             dict(drop_last=1)]
    for kwargs in cases:
        with pytest.raises(Exception) as theirs:
            tdata.DataLoader(list(range(4)), **kwargs)
        with pytest.raises(type(theirs.value)) as mine:
            udata.DataLoader(list(range(4)), **kwargs)
        assert str(mine.value) == str(theirs.value), kwargs


def _sizes(splits):
    return [len(s) for s in splits]


def test_random_split_sizes_equal_torch_s_for_fractions_and_counts(torch):
    from torch.utils import data as tdata
    fraction_lists = [[0.5, 0.5], [0.8, 0.2], [0.7, 0.2, 0.1], [1 / 3] * 3, [0.25] * 4, [0.9, 0.05, 0.05], [1.0],
                      [0.6, 0.4, 0.0]]
    for n in range(0, 40):
        for fractions in fraction_lists:
            with warnings.catch_warnings(record=True) as torch_warnings:
                warnings.simplefilter("always")
                theirs = tdata.random_split(range(n), fractions, generator=torch.Generator().manual_seed(0))
            with warnings.catch_warnings(record=True) as our_warnings:
                warnings.simplefilter("always")
                mine = udata.random_split(range(n), fractions, generator=Generator().manual_seed(0))
            assert _sizes(mine) == _sizes(theirs), (n, fractions)
            assert [str(w.message) for w in our_warnings] == [str(w.message) for w in torch_warnings]
            assert sorted(i for s in mine for i in s) == list(range(n))
    counts = [3, 0, 4]
    assert _sizes(udata.random_split(range(7), counts)) == _sizes(tdata.random_split(range(7), counts)) == counts
    for bad in ([3, 3], [0.5, 0.6], [1.2, -0.2]):
        with pytest.raises(ValueError) as theirs:
            tdata.random_split(range(10), bad)
        with pytest.raises(ValueError) as mine:
            udata.random_split(range(10), bad)
        assert str(mine.value) == str(theirs.value), bad
    assert math.isclose(sum([0.1] * 10), 1)   # fractions whose float sum is not exactly 1 still count
    assert _sizes(udata.random_split(range(10), [0.1] * 10)) == _sizes(tdata.random_split(range(10), [0.1] * 10))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_through_the_loader_follows_torch_s_trajectory(torch, dtype):
    """SGD with momentum over three epochs of mini-batches in the same order (one
    permutation per epoch, fed to both loaders as the sampler): the same weights."""
    from torch.utils import data as tdata
    rng = np.random.default_rng(3)
    x = rng.standard_normal((23, 4)).astype(dtype)
    y = (x @ rng.standard_normal((4, 2)) + 0.1 * rng.standard_normal((23, 2))).astype(dtype)
    w0 = rng.standard_normal((2, 4)).astype(dtype) * 0.3
    b0 = np.zeros(2, dtype)

    ours = mg.nn.Linear(4, 2) if dtype == np.float32 else mg.nn.Linear(4, 2).double()
    theirs = torch.nn.Linear(4, 2).to(getattr(torch, np.dtype(dtype).name))
    ours.load_state_dict({"weight": w0, "bias": b0})
    theirs.load_state_dict({"weight": torch.tensor(w0), "bias": torch.tensor(b0)})
    our_opt = mg.optim.SGD(ours.parameters(), lr=0.05, momentum=0.9)
    their_opt = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9)
    our_data = udata.TensorDataset(mg.tensor(x), mg.tensor(y))
    their_data = tdata.TensorDataset(torch.tensor(x), torch.tensor(y))
    for epoch in range(3):
        order = np.random.default_rng(epoch).permutation(23).tolist()
        for (xb, yb), (xt, yt) in zip(udata.DataLoader(our_data, batch_size=5, sampler=order),
                                      tdata.DataLoader(their_data, batch_size=5, sampler=order), strict=True):
            our_opt.zero_grad()
            mg.nn.functional.mse_loss(ours(xb), yb).backward()
            our_opt.step()
            their_opt.zero_grad()
            torch.nn.functional.mse_loss(theirs(xt), yt).backward()
            their_opt.step()
    rtol = {np.float32: 1e-5, np.float64: 1e-12}[dtype]
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), rtol=rtol, atol=rtol, err_msg=name)
    assert not np.allclose(ours.state_dict()["weight"], w0)   # it did train
