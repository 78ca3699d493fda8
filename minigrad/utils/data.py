"""minigrad.utils.data: datasets and mini-batches, at torch.utils.data's path and with its API.

A DataLoader is three small parts in a row, as in PyTorch:

    sampler        which sample comes next       SequentialSampler, or RandomSampler (shuffle=True)
    batch_sampler  groups the indices in batches  BatchSampler(sampler, batch_size, drop_last)
    collate_fn     turns a list of samples into   default_collate: stack the samples' tensors
                   one batch                      (a tuple sample (x, y) gives the list [X, Y])

    for indices in batch_sampler:                 e.g. [7, 2, 9]
        yield collate_fn([dataset[i] for i in indices])

Datasets: `Dataset` (the base class: `__getitem__` and `__len__`; `a + b` concatenates),
`TensorDataset(x, y)` (sample i is (x[i], y[i])), `Subset`, `ConcatDataset`, and
`random_split(dataset, [0.8, 0.2])`.

Randomness: shuffling and random_split draw from `generator` (a `minigrad.Generator`) when
given, else from minigrad's global generator (so `mg.manual_seed` fixes them). The orders
are minigrad's own: the same seed does not give torch's order.

Known differences from torch.utils.data (2.13):
- Loading runs in the main process: `num_workers`, `pin_memory`, `timeout`,
  `worker_init_fn`, `multiprocessing_context`, `prefetch_factor`, `persistent_workers`,
  `pin_memory_device` and `in_order` are accepted (and validated as torch does) so a torch
  script runs unchanged, but change nothing: the batches are the same ones torch's workers
  would give (worker_init_fn is never called).
- `seed=` (a minigrad extension) is a short way to write `generator=Generator().manual_seed(seed)`.
- No IterableDataset, WeightedRandomSampler or DistributedSampler.
- TensorDataset and random_split raise ValueError where torch raises AssertionError or
  quietly accepts a negative length.
"""
import bisect
import collections.abc
import copy
import itertools
import math
import re
import warnings

import numpy as np

from minigrad.creation import tensor
from minigrad.dtype import float64
from minigrad.random import Generator, numpy_generator
from minigrad.tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler",
           "default_collate", "default_convert", "DataLoader"]


def _is_positive_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0


# ---- datasets ---------------------------------------------------------------------------

class Dataset:
    """A map-style dataset: `dataset[i]` is sample i, `len(dataset)` how many there are.

    Subclass it and write `__getitem__` (and `__len__`, which samplers need).
    `a + b` is ConcatDataset([a, b]).
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__ (Dataset is a base class)")

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Tensors of the same length along dim 0; sample i is the tuple (t[i] for each t)."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: expected Tensors, got {type(t).__name__}")
            if t.ndim == 0:
                raise ValueError("TensorDataset: tensors need a batch dimension (dim 0), got a 0-d tensor")
        lengths = [len(t) for t in tensors]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: all tensors must have the same length along dim 0, got {lengths}")
        self.tensors = tensors

    def __len__(self):
        return len(self.tensors[0])

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order: subset[i] is dataset[indices[i]]."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices):
        """A batch of samples (the DataLoader asks for a batch at once where a dataset can)."""
        wanted = [self.indices[i] for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(wanted)
        return [self.dataset[i] for i in wanted]


class ConcatDataset(Dataset):
    """Several datasets one after the other: indices 0..len(a)-1 are a's, then b's, ..."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)   # the first dataset ending after index
        if which == len(self.datasets):
            raise IndexError(f"index {index} is out of range for a ConcatDataset of length {len(self)}")
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


def random_split(dataset, lengths, generator=None):
    """Split `dataset` at random into non-overlapping Subsets of the given lengths.

    `lengths` are sample counts summing to len(dataset), or fractions summing to 1: each
    split then gets floor(fraction * len(dataset)) samples, and the remainder is handed
    out one by one to the splits in order (torch's rule, so the sizes equal torch's).
    The permutation comes from `generator` (a minigrad.Generator), else the global one.
    """
    rng = numpy_generator(generator)
    lengths = list(lengths)
    for i, length in enumerate(lengths):
        if isinstance(length, bool) or not isinstance(length, (int, float, np.integer, np.floating)):
            raise TypeError(f"lengths[{i}] must be an int or a fraction, got {type(length).__name__}")
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            counts.append(math.floor(n * fraction))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.",
                              stacklevel=2)
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    for i, length in enumerate(lengths):   # torch would go on with these and slice nonsense
        if not isinstance(length, (int, np.integer)) or length < 0:
            raise ValueError(f"lengths[{i}] must be a non-negative int (or all lengths fractions summing to 1), "
                             f"got {length!r}")
    order = rng.permutation(n).tolist()
    ends = itertools.accumulate(lengths)
    return [Subset(dataset, order[end - length:end]) for end, length in zip(ends, lengths)]


# ---- samplers: which indices, in which order ---------------------------------------------

class Sampler:
    """Base class: an iterable of dataset indices (or of lists of them, for a batch sampler)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the indices, new at every pass (every `iter`).

    Without replacement: a permutation of range(len(data_source)), repeated (each pass a
    new one) when num_samples is larger. With replacement: num_samples independent draws.
    The draws come from `generator` (a minigrad.Generator) or the global generator.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        numpy_generator(generator)   # a TypeError now rather than at the first epoch
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if not _is_positive_int(self.num_samples):
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        # Drawn when the pass starts (not at construction), so each epoch gets a new order.
        rng = numpy_generator(self.generator)
        n = len(self.data_source)
        if self.replacement:
            yield from rng.integers(0, n, size=self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n).tolist()[:self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a new random order at every pass."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator
        numpy_generator(generator)

    def __iter__(self):
        rng = numpy_generator(self.generator)
        for i in rng.permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of `batch_size`; the last list is shorter
    unless drop_last=True, which leaves it out."""

    def __init__(self, sampler, batch_size, drop_last):
        if not _is_positive_int(batch_size):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self):
        indices = iter(self.sampler)
        while batch := list(itertools.islice(indices, self.batch_size)):
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


# ---- collate: a list of samples -> one batch ---------------------------------------------

_COLLATE_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
_STRINGS_OR_OBJECTS = re.compile(r"[SaUO]")   # numpy dtype codes that are not numbers


def _stack(arrays):
    """np.stack with torch.stack's error for samples of different shapes."""
    for i, a in enumerate(arrays):
        if a.shape != arrays[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(arrays[0].shape)} "
                               f"at entry 0 and {list(a.shape)} at entry {i}")
    return np.stack(arrays)


def default_collate(batch):
    """Merge a list of samples into a batch, the way torch's default_collate does.

        Tensors, numpy arrays   -> stacked along a new dim 0 (one Tensor)
        Python floats           -> a float64 Tensor (torch's rule: not the default float32)
        ints, bools             -> an int64 / bool Tensor
        strings                 -> left as they are (the batch's list, or a tuple column)
        dicts                   -> a dict of batches, key by key
        tuples, lists           -> a list of batches, position by position (a namedtuple stays one)

    So samples (x_i, y_i) become the list [X, Y] with X = stack(x_i), Y = stack(y_i).
    Samples of different shapes are a RuntimeError (as torch.stack's).
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        for i, b in enumerate(batch):
            if not isinstance(b, Tensor):
                raise TypeError(f"expected Tensor as element {i} of the batch, but got {type(b).__name__}")
        return Tensor._wrap(_stack([b.data for b in batch]))
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        if _STRINGS_OR_OBJECTS.search(elem.dtype.str):
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return Tensor(_stack([np.asarray(b) for b in batch]))   # Tensor() applies minigrad's dtype rules
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, int):   # bool is an int: [True, False] becomes a bool tensor, as in torch
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        merged = {key: default_collate([d[key] for d in batch]) for key in elem}
        if isinstance(elem, collections.abc.MutableMapping):
            out = copy.copy(elem)   # keeps an OrderedDict or a dict subclass
            out.update(merged)
            return out
        return merged
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):   # a namedtuple keeps its type
        return type(elem)(*(default_collate(column) for column in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        # Each column is a tuple (from zip), as in torch, where a column of strings stays one.
        return [default_collate(column) for column in zip(*batch)]
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def default_convert(data):
    """What a DataLoader with batch_size=None does to each sample: numpy arrays become
    Tensors (inside dicts, tuples and lists too); everything else stays as it is."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (np.str_, np.bytes_)):
        return data if _STRINGS_OR_OBJECTS.search(data.dtype.str) else Tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(value) for key, value in data.items()}
        if isinstance(data, collections.abc.MutableMapping):
            out = copy.copy(data)
            out.update(converted)
            return out
        return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]   # torch's rule, as in default_collate
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data


# ---- the loader ---------------------------------------------------------------------------

class DataLoader:
    """Iterate over `dataset` in mini-batches, as torch.utils.data.DataLoader.

        DataLoader(dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                   num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                   timeout=0, worker_init_fn=None, multiprocessing_context=None,
                   generator=None, *, prefetch_factor=None, persistent_workers=False,
                   pin_memory_device='', in_order=True, seed=None)

    batch_size     samples per batch (torch's default is 1); None: no batching, each sample
                   is passed through `default_convert` on its own
    shuffle        a new random order every epoch (every `iter`), from `generator` or
                   minigrad's global generator (so `mg.manual_seed` fixes it)
    sampler        an iterable of indices instead (exclusive with shuffle)
    batch_sampler  an iterable of lists of indices (exclusive with batch_size, shuffle,
                   sampler and drop_last)
    drop_last      leave out the last batch when it is smaller than batch_size
    collate_fn     list of samples -> batch (default: default_collate)
    generator      a minigrad.Generator for the shuffling; `seed=s` (minigrad's shortcut)
                   is generator=Generator().manual_seed(s)
    The worker options change nothing: minigrad loads in the main process (module docstring).
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True, seed=None):
        # The worker options, validated as torch does though minigrad uses no worker.
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        if seed is not None:
            if generator is not None:
                raise ValueError("DataLoader: give either generator or seed, not both")
            generator = Generator().manual_seed(seed)
        numpy_generator(generator)   # a TypeError naming `generator` for anything but a Generator
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)   # validates batch_size and drop_last

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self._auto_collation = batch_sampler is not None
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if self._auto_collation else default_convert)
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.worker_init_fn, self.multiprocessing_context = worker_init_fn, multiprocessing_context
        self.prefetch_factor, self.persistent_workers = prefetch_factor, persistent_workers
        self.pin_memory_device, self.in_order = pin_memory_device, in_order

    def __len__(self):
        return len(self.batch_sampler if self._auto_collation else self.sampler)

    def __iter__(self):
        if not self._auto_collation:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        for indices in self.batch_sampler:
            yield self._fetch(indices)

    def _fetch(self, indices):
        if self.collate_fn is default_collate and type(self.dataset).__getitem__ is TensorDataset.__getitem__:
            # The batch default_collate would stack from the samples, in one indexing per tensor.
            index = np.asarray(indices, dtype=np.int64)
            return [t[index] for t in self.dataset.tensors]
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(indices) if callable(getitems) else [self.dataset[i] for i in indices]
        return self.collate_fn(samples)
