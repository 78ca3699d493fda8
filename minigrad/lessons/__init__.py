"""The lessons' trainings, run through minigrad's autograd (no hand-written gradients).

One module per lesson, in reading order:

    regression.py   y = 2x with one weight and MSE (and why lr = 0.1 diverges)
    binary.py       the AND gate: sigmoid + binary cross-entropy
    multiclass.py   3 classes: softmax + cross-entropy (and its 75 % ceiling)
    svm.py          a linear SVM: hinge loss + L2 penalty
    demos.py        004's demos: CE vs MSE on softmax, log_softmax, softmax twice
    curvature.py    the losses' second derivatives: why lr < 2/22, Newton's step, the softmax
                    Hessian and its null space, Newton (IRLS) on the AND gate
    datasets.py     each lesson's data, and scikit-learn's real sets for `--data real`

Each function trains with the lesson's data and hyperparameters, prints progress the way the
lesson does, ends with a one-line verdict (converged / diverged / stalled) and returns a
`Result` that tests and plots inspect. Each module also prints its lesson's worked
numbers (marking the lesson's wrong ones) and has `real_data()` for `--data real`.
"""
from minigrad.lessons._common import Result
from minigrad.lessons.binary import and_gate
from minigrad.lessons.multiclass import softmax_regression
from minigrad.lessons.regression import linear_regression
from minigrad.lessons.svm import linear_svm

# `minigrad train NAME` runs TRAININGS[NAME]; `all` runs them in this order.
TRAININGS = {
    "regression": linear_regression,
    "binary": and_gate,
    "multiclass": softmax_regression,
    "svm": linear_svm,
}

__all__ = ["Result", "TRAININGS", "linear_regression", "and_gate", "softmax_regression", "linear_svm"]
