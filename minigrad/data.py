"""Data: datasets and mini-batches, as torch.utils.data has them.

    TensorDataset(x, y)                         sample i is (x[i], y[i])
    DataLoader(ds, batch_size, shuffle, seed)   iterate over mini-batches

The lessons' data sets (`toy`, `load_real`) are the course's, in minigrad.lessons.datasets.
"""
import numpy as np

from minigrad.creation import tensor
from minigrad.random import generator
from minigrad.tensor import Tensor

# Names that lived here before the course moved out of the library, and where they are now.
_MOVED_TO_THE_COURSE = {name: "minigrad.lessons.datasets"
                        for name in ("toy", "TOY_SETS", "load_real", "REAL_SETS", "Split")}


def __getattr__(name):
    """An AttributeError that says where a moved name went (without importing the course)."""
    if name in _MOVED_TO_THE_COURSE:
        where = _MOVED_TO_THE_COURSE[name]
        raise AttributeError(f"minigrad.data.{name} moved to the course: use `from {where} import {name}`")
    raise AttributeError(f"module 'minigrad.data' has no attribute {name!r}")


class TensorDataset:
    """Tensors of the same length along dim 0; sample i is the tuple (t[i] for each t)."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: expected Tensors, got {type(t).__name__}")
            if t.ndim == 0:
                raise ValueError("TensorDataset: tensors need a batch dimension (dim 0), got a 0-d tensor")
        lengths = {len(t) for t in tensors}
        if len(lengths) != 1:
            raise ValueError(f"TensorDataset: all tensors must have the same length along dim 0, "
                             f"got {[len(t) for t in tensors]}")
        self.tensors = tensors

    def __len__(self):
        return len(self.tensors[0])

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)


class DataLoader:
    """Mini-batches of `batch_size` samples, in order or shuffled.

    shuffle=True draws a new order every epoch (every `iter`): from its own generator seeded
    with `seed` when given (reproducible, independent of other draws), else from minigrad's
    global generator (so `mg.manual_seed` fixes it). The last batch may be smaller unless
    drop_last=True. A TensorDataset is sliced directly; any other dataset (len + getitem,
    items being tuples of arrays/tensors) is stacked item by item.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, seed=None, drop_last=False):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            rng = self._rng if self._rng is not None else generator()
            order = rng.permutation(n)
        else:
            order = np.arange(n)
        for start in range(0, n, self.batch_size):
            index = order[start:start + self.batch_size]
            if self.drop_last and len(index) < self.batch_size:
                return
            yield self._batch(index)

    def _batch(self, index):
        if isinstance(self.dataset, TensorDataset):
            return self.dataset[index]
        items = [self.dataset[int(i)] for i in index]
        columns = zip(*(item if isinstance(item, tuple) else (item,) for item in items))
        return tuple(tensor(np.stack([c.data if isinstance(c, Tensor) else np.asarray(c) for c in col]))
                     for col in columns)
