"""minigrad.metrics.accuracy."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.metrics import accuracy


def test_multiclass_scores_use_the_argmax():
    logits = mg.tensor([[2.0, 1.0, 0.1], [0.0, 3.0, 1.0], [0.2, 0.1, 0.0], [0.0, 0.0, 5.0]])
    assert accuracy(logits, mg.tensor([0, 1, 2, 2])) == 0.75
    assert accuracy(logits.softmax(dim=1), [0, 1, 2, 2]) == 0.75


def test_binary_probabilities_logits_and_svm_scores():
    assert accuracy(mg.tensor([[0.9], [0.2], [0.6], [0.4]]), mg.tensor([[1.0], [0.0], [0.0], [0.0]])) == 0.75
    assert accuracy(np.array([2.0, -1.0, -0.5, 3.0]), np.array([1, 0, 1, 1])) == 0.75      # logits
    # Scores in [0, 1] are read as probabilities unless a threshold says otherwise (SVM scores: 0).
    assert accuracy(np.array([0.7, 0.2]), np.array([1, 1])) == 0.5
    assert accuracy(np.array([0.7, 0.2]), np.array([1, 1]), threshold=0.0) == 1.0
    assert accuracy(np.array([1.5, -2.0, 0.3]), np.array([1, -1, -1])) == pytest.approx(2 / 3)


def test_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="target"):
        accuracy(mg.zeros(4, 3), mg.zeros(3))
    with pytest.raises(ValueError, match="as many samples"):
        accuracy(np.zeros(4), np.zeros(3))
