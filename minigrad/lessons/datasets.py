"""The lessons' data sets: the toy sets each lesson trains on, and scikit-learn's bundled
real sets for `minigrad train ... --data real`.

    REGRESSION_X, AND_X, ...  each lesson's data as the lesson prints it (the lesson's
                              module imports its own from here)
    toy(name)                 the same data sets by name, as tensors
    load_real(name, ...)      iris, digits, breast_cancer, diabetes: a fixed-seed train/test
                              split, standardised with the training split's mean and std
                              (scikit-learn, the `data` extra)

Part of the course, not of the library: minigrad.data (TensorDataset, DataLoader) knows
nothing of them.
"""
from dataclasses import dataclass

import numpy as np

from minigrad.creation import tensor
from minigrad.dtype import float64, int64


# ---- the lessons' toy data sets, as the lessons print them ---------------------------------
REGRESSION_X = [1.0, 2.0, 3.0, 4.0, 5.0]                        # lesson 1: y = 2x
REGRESSION_Y = [2.0, 4.0, 6.0, 8.0, 10.0]
AND_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]        # lesson 2: the AND gate
AND_Y = [0.0, 0.0, 0.0, 1.0]
MULTICLASS_X = [[1.0, 2.0, 3.0], [2.0, 3.0, 4.0], [3.0, 4.0, 5.0], [4.0, 5.0, 6.0]]  # lesson 3
MULTICLASS_CLASSES = [0, 1, 2, 1]                               # (four points on one line)
SVM_X = [[1.0, 2.0], [2.0, 3.0], [3.0, 3.0], [6.0, 5.0], [7.0, 8.0], [8.0, 7.0]]     # lesson 4
SVM_Y = [1.0, 1.0, 1.0, -1.0, -1.0, -1.0]                       # labels in {-1, +1}

# name -> (x, y) as the trainings use them: regression's x and y are columns, AND's y too.
TOY = {
    "regression": (np.reshape(REGRESSION_X, (-1, 1)), np.reshape(REGRESSION_Y, (-1, 1))),
    "and": (np.asarray(AND_X), np.reshape(AND_Y, (-1, 1))),
    "multiclass": (np.asarray(MULTICLASS_X), np.asarray(MULTICLASS_CLASSES, dtype=np.int64)),
    "svm": (np.asarray(SVM_X), np.asarray(SVM_Y)),
}
TOY_SETS = tuple(TOY)


def toy(name, dtype=None):
    """The lessons' data as (x, y) tensors: 'regression' (y = 2x), 'and' (the AND gate),
    'multiclass' (4 points, classes 0, 1, 2, 1) or 'svm' (6 points, labels -1/+1).
    x (and a float y) have `dtype`, float64 by default; class indices are int64."""
    if name not in TOY:
        raise ValueError(f"toy: unknown data set {name!r}; choose one of {', '.join(TOY_SETS)}")
    x, y = TOY[name]
    dtype = float64 if dtype is None else dtype
    y_dtype = int64 if y.dtype.kind == "i" else dtype
    return tensor(x, dtype=dtype), tensor(y, dtype=y_dtype)


# ---- scikit-learn's bundled real data sets (no download) ------------------------------------
REAL_SETS = {"iris": "load_iris", "digits": "load_digits", "breast_cancer": "load_breast_cancer",
             "diabetes": "load_diabetes"}


def require_sklearn():
    """scikit-learn, or an ImportError that names the extra to install."""
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
    sklearn = require_sklearn()
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
