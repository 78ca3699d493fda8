"""minigrad's own warning classes, so that each can be silenced on its own:

    import warnings, minigrad
    warnings.filterwarnings("ignore", category=minigrad.warnings.SoftmaxTwiceWarning)
"""


class SoftmaxTwiceWarning(UserWarning):
    """cross_entropy got probabilities (rows in [0, 1] summing to 1) where it expects logits.

    cross_entropy applies log-softmax itself. Feeding it softmax(logits) applies softmax
    twice: the loss still decreases, but its gradients are squashed and training crawls.
    Pass the raw scores (the output of the last Linear layer) instead.
    """
