"""minigrad's own warning classes, so that each can be silenced on its own:

    import warnings, minigrad
    warnings.filterwarnings("ignore", category=minigrad.warnings.SoftmaxTwiceWarning)

and `warn_user`, which shows a warning at the user's line, whichever minigrad function raised it.
"""
import os
import sys
import warnings

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
_COURSE = os.path.join(_PACKAGE, "lessons")  # the course is user code here: its lines are shown


class SoftmaxTwiceWarning(UserWarning):
    """cross_entropy got probabilities (rows in [0, 1] summing to 1) where it expects logits.

    cross_entropy applies log-softmax itself. Feeding it softmax(logits) applies softmax
    twice: the loss still decreases, but its gradients are squashed and training crawls.
    Pass the raw scores (the output of the last Linear layer) instead.
    """


def in_library(filename):
    """True for a file of minigrad's library (not the course's lessons)."""
    return filename.startswith(_PACKAGE) and not filename.startswith(_COURSE)


def warn_user(message, category=UserWarning):
    """warnings.warn, shown at the innermost line of the user's code. (A fixed stacklevel
    would not do: compiled, minigrad's functions leave no frame on the stack; interpreted,
    each one does.)"""
    frame, level = sys._getframe(0), 1
    while frame is not None and in_library(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
