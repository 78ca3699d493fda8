"""Data: datasets, mini-batches, the lessons' toy sets and scikit-learn's bundled real sets.

    TensorDataset(x, y)                   sample i is (x[i], y[i])
    DataLoader(ds, batch_size, shuffle, seed)   iterate over mini-batches
    toy(name)                             the lessons' small data sets, as tensors
    load_real(name, ...)                  iris, digits, breast_cancer, diabetes: a fixed-seed
                                          train/test split, standardised with the training
                                          split's mean and std (scikit-learn, the `data` extra)
"""
from dataclasses import dataclass

import numpy as np

import minigrad as mg
from minigrad.tensor import Tensor


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
            rng = self._rng if self._rng is not None else mg.random.generator()
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
        return tuple(mg.tensor(np.stack([c.data if isinstance(c, Tensor) else np.asarray(c) for c in col]))
                     for col in columns)


# ---- the lessons' toy data sets ----------------------------------------------------------------
def _toy_sets():
    from minigrad.lessons import binary, multiclass, regression, svm
    return {
        "regression": (np.reshape(regression.X, (-1, 1)), np.reshape(regression.Y, (-1, 1))),  # y = 2x
        "and": (np.asarray(binary.X), np.reshape(binary.Y, (-1, 1))),
        "multiclass": (np.asarray(multiclass.X), np.asarray(multiclass.CLASSES, dtype=np.int64)),
        "svm": (np.asarray(svm.X), np.asarray(svm.Y)),                                          # y in {-1, +1}
    }


TOY_SETS = ("regression", "and", "multiclass", "svm")


def toy(name, dtype=None):
    """The lessons' data as (x, y) tensors: 'regression' (y = 2x), 'and' (the AND gate),
    'multiclass' (4 points, classes 0, 1, 2, 1) or 'svm' (6 points, labels -1/+1)."""
    sets = _toy_sets()
    if name not in sets:
        raise ValueError(f"toy: unknown data set {name!r}; choose one of {', '.join(TOY_SETS)}")
    x, y = sets[name]
    dtype = mg.float64 if dtype is None else dtype
    y_dtype = mg.int64 if y.dtype.kind == "i" else dtype
    return mg.tensor(x, dtype=dtype), mg.tensor(y, dtype=y_dtype)


# ---- scikit-learn's bundled real data sets (no download) ------------------------------------
REAL_SETS = {"iris": "load_iris", "digits": "load_digits", "breast_cancer": "load_breast_cancer",
             "diabetes": "load_diabetes"}


def _sklearn():
    try:
        import sklearn.datasets
        import sklearn.model_selection
    except ImportError:
        raise ImportError('the real data sets come from scikit-learn, in the "data" extra: '
                          'pip install "minigrad[data]"') from None
    return sklearn


@dataclass
class Split:
    """A train/test split as numpy arrays (x standardised with the training split's statistics)."""
    name: str
    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray
    std: np.ndarray


def load_real(name, test_size=0.25, seed=0, standardize=True):
    """One of scikit-learn's bundled sets, split with a fixed seed (stratified for classes).

    Standardisation uses the mean and std of the training split only, so nothing about the
    test split leaks into training; constant features (std 0) are left centred, not divided.
    Classification targets are int64 class indices; diabetes' target is float.
    """
    if name not in REAL_SETS:
        raise ValueError(f"load_real: unknown data set {name!r}; choose one of {', '.join(REAL_SETS)}")
    sklearn = _sklearn()
    bunch = getattr(sklearn.datasets, REAL_SETS[name])()
    x = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target)
    classification = name != "diabetes"
    y = y.astype(np.int64) if classification else y.astype(np.float64)
    x_train, x_test, y_train, y_test = sklearn.model_selection.train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y if classification else None)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    if standardize:
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    return Split(name, x_train, x_test, y_train, y_test, mean, std)
