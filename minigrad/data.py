"""minigrad.data: the short name of minigrad.utils.data (torch's path), where the code is.

    TensorDataset(x, y)                              sample i is (x[i], y[i])
    DataLoader(ds, batch_size, shuffle, seed=...)    iterate over mini-batches

Every name of minigrad.utils.data is here too (Dataset, Subset, random_split, ...).
The lessons' data sets (`toy`, `load_real`) are the course's, in minigrad.lessons.datasets.
"""
from minigrad.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, RandomSampler, Sampler,
                                 SequentialSampler, Subset, SubsetRandomSampler, TensorDataset, default_collate,
                                 default_convert, random_split)

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler",
           "default_collate", "default_convert", "DataLoader"]

# Names that lived here before the course moved out of the library, and where they are now.
_MOVED_TO_THE_COURSE = {name: "minigrad.lessons.datasets"
                        for name in ("toy", "TOY_SETS", "load_real", "REAL_SETS", "Split")}


def __getattr__(name):
    """An AttributeError that says where a moved name went (without importing the course)."""
    if name in _MOVED_TO_THE_COURSE:
        where = _MOVED_TO_THE_COURSE[name]
        raise AttributeError(f"minigrad.data.{name} moved to the course: use `from {where} import {name}`")
    raise AttributeError(f"module 'minigrad.data' has no attribute {name!r}")
