"""The lessons' data sets (minigrad.lessons.datasets): the toy sets and scikit-learn's real ones."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons import binary, datasets, multiclass, regression, svm
from tests._missing_package import hide


def test_toy_sets_by_name():
    x, y = datasets.toy("regression")
    np.testing.assert_array_equal(y.data, 2 * x.data)
    x, y = datasets.toy("multiclass")
    assert x.shape == (4, 3) and y.dtype == mg.int64 and y.tolist() == [0, 1, 2, 1]
    assert datasets.toy("and")[1].data.ravel().tolist() == [0, 0, 0, 1]
    assert set(datasets.toy("svm")[1].tolist()) == {-1.0, 1.0}
    with pytest.raises(ValueError, match="regression, and, multiclass, svm"):
        datasets.toy("xor")


@pytest.mark.parametrize("name,n_features", [("iris", 4), ("digits", 64), ("breast_cancer", 30), ("diabetes", 10)])
def test_real_sets_are_split_and_standardised_on_the_training_split(name, n_features):
    split = datasets.load_real(name, seed=0)  # (scikit-learn is in the test extra)
    assert split.x_train.shape[1] == split.x_test.shape[1] == n_features
    assert len(split.x_test) == pytest.approx(0.25 * (len(split.x_train) + len(split.x_test)), abs=1)
    varying = split.std != 1.0
    np.testing.assert_allclose(split.x_train.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(split.x_train.std(axis=0)[varying], 1, rtol=1e-9)
    again = datasets.load_real(name, seed=0)
    np.testing.assert_array_equal(split.x_test, again.x_test)
    assert split.y_train.dtype == (np.float64 if name == "diabetes" else np.int64)


def test_missing_scikit_learn_names_the_extra(monkeypatch):
    hide(monkeypatch, "sklearn")
    with pytest.raises(ImportError, match=r"minigrad\[data\]"):
        datasets.load_real("iris")
    with pytest.raises(ValueError, match="unknown data set"):
        datasets.load_real("mnist")


def test_each_lesson_trains_on_its_data_set():
    assert regression.X is datasets.REGRESSION_X and binary.Y is datasets.AND_Y
    assert multiclass.CLASSES is datasets.MULTICLASS_CLASSES and svm.X is datasets.SVM_X
    x, y = datasets.toy("and", dtype=mg.float32)
    assert x.dtype == y.dtype == mg.float32 and x.tolist() == binary.X
