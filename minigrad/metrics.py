"""Metrics: numbers that say how good a model is, computed without gradients."""
import numpy as np

from minigrad.tensor import Tensor


def _as_array(x, name):
    if isinstance(x, Tensor):
        return x.data
    try:
        return np.asarray(x)
    except Exception:  # pragma: no cover - numpy accepts almost anything
        raise TypeError(f"accuracy: {name} must be a Tensor or an array, got {type(x).__name__}") from None


def accuracy(logits_or_probs, target, threshold=None):
    """Fraction of samples predicted right, as a float in [0, 1].

    - (N, C) scores with C >= 2 (logits or probabilities): the prediction is the argmax
      over classes; `target` holds class indices (N,).
    - (N,) or (N, 1) binary scores: a prediction is positive when the score is > 0.5 if
      every score lies in [0, 1] (probabilities) and > 0 otherwise (logits, SVM scores).
      `target` holds 0/1 or -1/+1 labels.
    Ambiguous case: all-in-[0, 1] logits are read as probabilities; pass probabilities, or
    sigmoid(logits), when it matters, or give `threshold` (0 for logits and SVM scores).
    """
    scores = _as_array(logits_or_probs, "logits_or_probs")
    target = _as_array(target, "target")
    if scores.ndim == 2 and scores.shape[1] >= 2:
        if target.shape != (scores.shape[0],):
            raise ValueError(f"accuracy: target must have shape ({scores.shape[0]},) for scores of shape "
                             f"{scores.shape}, got {target.shape}")
        predicted = scores.argmax(axis=1)
        return float(np.mean(predicted == target)) if len(target) else float("nan")
    scores = scores.reshape(-1)
    target = target.reshape(-1)
    if scores.shape != target.shape:
        raise ValueError(f"accuracy: logits_or_probs and target must hold as many samples, got "
                         f"{scores.size} and {target.size}")
    if scores.size == 0:
        return float("nan")
    if threshold is None:
        threshold = 0.5 if scores.min() >= 0 and scores.max() <= 1 else 0.0
    predicted_positive = scores > threshold
    return float(np.mean(predicted_positive == (target > 0)))
