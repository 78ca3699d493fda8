"""Loss modules: what each loss adds to its math, the hyperparameters.

Each class is a docstring (the hyperparameters, the reductions, the shapes, a small
example) and a one-line `forward` calling the function of the same loss in
minigrad.nn.functional, which checks the arguments. The math (the formula of the loss and
of its gradient) is written once, in the docstring of the loss's Function in
minigrad/ops/loss.py, named on each class below as "The math: ...". There it stands beside
the same formula in primitive Tensor ops (`composed`, read it first) and the fused kernel
that computes the loss and its gradient in one pass.

Reductions, for every loss: 'mean' (the default) averages the per-sample losses, 'sum'
adds them, 'none' returns them all. Where PyTorch's number is a weighted average the
docstring says so. An empty batch gives NaN for 'mean' and 0 for 'sum'. Where minigrad
deliberately differs from PyTorch is listed once, in minigrad/nn/functional.py (the
comment block before the losses).

Notation: n is the number of elements ('mean' of an element-wise loss divides by n), N
the batch size, C the number of classes.
"""
from minigrad.nn import functional as F
from minigrad.nn.module import Module


class _Loss(Module):
    """What every loss module holds: the reduction."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error, for regression. The math: minigrad.ops.loss.MSELoss.

    The target gets a gradient too. 'mean' divides the sum by n.
    Shapes: input any shape, target the same shape, output a scalar, or the input's shape
    for reduction='none'.

        >>> import minigrad
        >>> loss = MSELoss()(minigrad.tensor([1.0, 2.0, 4.0]), minigrad.tensor([1.0, 1.0, 1.0]))
        >>> round(loss.item(), 4)  # (0 + 1 + 9) / 3
        3.3333
    """

    def __init__(self, *, reduction="mean"):
        super().__init__(reduction)

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: robust to outliers, constant-size gradient.
    The math: minigrad.ops.loss.L1Loss.

    The target gets a gradient too. 'mean' divides the sum by n. Shapes as MSELoss.

        >>> import minigrad
        >>> loss = L1Loss()(minigrad.tensor([1.0, 2.0, 4.0]), minigrad.tensor([1.0, 1.0, 1.0]))
        >>> round(loss.item(), 4)  # (0 + 1 + 3) / 3
        1.3333
    """

    def __init__(self, *, reduction="mean"):
        super().__init__(reduction)

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Huber loss: squared error near the target, absolute error far from it.
    The math: minigrad.ops.loss.HuberLoss.

    delta > 0 is where the two meet. The target gets a gradient too. 'mean' divides by n.
    Shapes as MSELoss.

        >>> import minigrad
        >>> loss = HuberLoss(delta=1.0)(minigrad.tensor([0.5, 3.0]), minigrad.tensor([0.0, 0.0]))
        >>> loss.item()  # (0.125 + 2.5) / 2
        1.3125
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """Smooth L1 loss: Huber's shape, scaled so that the linear part has slope 1.
    The math: minigrad.ops.loss.SmoothL1Loss.

    beta >= 0 is where the quadratic part ends; beta = 0 is exactly L1Loss. The target gets
    a gradient too. 'mean' divides by n. Shapes as MSELoss.

        >>> import minigrad
        >>> loss = SmoothL1Loss(beta=1.0)(minigrad.tensor([0.5, 3.0]), minigrad.tensor([0.0, 0.0]))
        >>> loss.item()  # (0.125 + 2.5) / 2
        1.3125
    """

    def __init__(self, *, reduction="mean", beta=1.0):
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities p = input in [0, 1] (after a sigmoid).
    The math: minigrad.ops.loss.BinaryCrossEntropy (with PyTorch's clamps at p = 0 and 1).

    Targets in [0, 1] (soft labels allowed); input or target outside [0, 1] is an error.
    Prefer BCEWithLogitsLoss on the logits: it cannot saturate. `weight` (optional, a
    constant) broadcasts to the input's shape; 'mean' still divides by n, not by the sum of
    the weights. The target gets a gradient too. Shapes: input any shape, target the same,
    weight broadcastable.

        >>> import minigrad
        >>> loss = BCELoss()(minigrad.tensor([0.8, 0.4]), minigrad.tensor([1.0, 0.0]))
        >>> round(loss.item(), 4)  # (0.2231 + 0.5108) / 2
        0.367
    """

    def __init__(self, weight=None, *, reduction="mean"):
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of sigmoid(x), computed from the logits x: stable for any x.
    The math: minigrad.ops.loss.BinaryCrossEntropyWithLogits.

    pos_weight > 1 makes a missed positive cost more (recall over precision): one value per
    class, broadcast along the last dimension. `weight` broadcasts to the input's shape;
    both are constants. 'mean' divides by n. The target gets a gradient too, as in PyTorch.
    Shapes: input any shape, target the same.

        >>> import minigrad
        >>> loss = BCEWithLogitsLoss()(minigrad.tensor([0.0, 2.0]), minigrad.tensor([1.0, 1.0]))
        >>> round(loss.item(), 4)  # (0.6931 + 0.1269) / 2
        0.41
    """

    def __init__(self, weight=None, *, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.weight = weight
        self.pos_weight = pos_weight

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of raw scores (logits) against classes: softmax + log + NLL, fused.
    The math: minigrad.ops.loss.CrossEntropy (class indices) and
    minigrad.ops.loss.CrossEntropyProbs (class probabilities).

    Class-index targets: samples whose target equals ignore_index count 0 and are left out
    of the mean. 'mean' is a weighted mean: the sum divided by the sum of the target
    classes' weights over the samples not ignored (NaN, with a zero gradient, when that is
    0). Without weights that is the number of samples kept. label_smoothing in [0, 1] mixes the one-hot target with the
    uniform distribution.

    Class-probability targets (a floating tensor of the input's shape): 'mean' divides by
    the number of samples, whatever the weights; ignore_index must stay negative (the
    default). The target gets a gradient too.

    Shapes: input (N, C), target (N,) or (N, C); unbatched input (C,), target () or (C,);
    input (N, C, d1, ...) (e.g. one score per class per pixel), target (N, d1, ...) or the
    input's shape. weight (C,), a constant. Output a scalar, or the target's shape for
    'none'. Warns (minigrad.warnings.SoftmaxTwiceWarning) when the input is already
    softmax output.

        >>> import minigrad
        >>> logits = minigrad.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
        >>> loss = CrossEntropyLoss()(logits, minigrad.tensor([0, 2]))
        >>> round(loss.item(), 4)  # (0.2395 + 1.0986) / 2
        0.6691
    """

    def __init__(self, weight=None, *, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self.weight = weight
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (the output of log_softmax).
    The math: minigrad.ops.loss.NLLLoss.

    LogSoftmax followed by NLLLoss is CrossEntropyLoss (which is fused, and faster).
    ignore_index and the weighted 'mean' as in CrossEntropyLoss. Shapes: input (N, C),
    (C,) or (N, C, d1, ...); target (N,), () or (N, d1, ...), integer class indices.

        >>> import minigrad
        >>> loss = NLLLoss()(minigrad.tensor([[-0.5, -1.0], [-2.0, -0.1]]), minigrad.tensor([0, 1]))
        >>> round(loss.item(), 4)  # (0.5 + 0.1) / 2
        0.3
    """

    def __init__(self, weight=None, *, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.weight = weight
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MultiMarginLoss(_Loss):
    """Multi-class hinge loss (the multi-class SVM), p = 1 or 2.
    The math: minigrad.ops.loss.MultiMarginLoss.

    margin is how far the target's score must beat every other class's; weight (C,), a
    constant, weighs each sample by its target class. 'mean' divides by N.
    Shapes: input (N, C) or (C,); target (N,) or ().

        >>> import minigrad
        >>> loss = MultiMarginLoss()(minigrad.tensor([[0.1, 0.2, 0.4, 0.8]]), minigrad.tensor([3]))
        >>> round(loss.item(), 4)  # (0.3 + 0.4 + 0.6) / 4
        0.325
    """

    def __init__(self, p=1, margin=1.0, weight=None, *, reduction="mean"):
        super().__init__(reduction)
        self.p = p
        self.margin = margin
        self.weight = weight

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin, weight=self.weight,
                                   reduction=self.reduction)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence KL(target || q), with input = log q (log-probabilities).
    The math: minigrad.ops.loss.KLDiv.

    log_target=True takes the target as log-probabilities too. The target gets a gradient,
    as in PyTorch. 'batchmean' divides the sum by the batch size (input.shape[0]): the true
    KL divergence per sample. 'mean' divides by the number of elements, as PyTorch's 'mean'
    does (which is not the KL divergence). Shapes: input any shape, target the same.

        >>> import minigrad
        >>> q = minigrad.tensor([[0.5, 0.5]]).log()
        >>> loss = KLDivLoss(reduction="batchmean")(q, minigrad.tensor([[0.25, 0.75]]))
        >>> round(loss.item(), 4)  # -0.1733 + 0.3041
        0.1308
    """

    def __init__(self, *, reduction="mean", log_target=False):
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class HingeLoss(_Loss):
    """The binary SVM's hinge loss (minigrad's own: PyTorch has no exact equivalent).
    The math: minigrad.ops.loss.HingeLoss.

    Scores s = input, labels in {-1, +1} (anything else is an error; not differentiable).
    Only the samples inside the margin (the support vectors) move the boundary. 'mean'
    divides by n. Add the L2 penalty on the weights yourself (or with weight_decay) for the
    classic soft-margin SVM. Shapes: input any shape, target the same.

        >>> import minigrad
        >>> loss = HingeLoss()(minigrad.tensor([2.0, 0.5, -1.0]), minigrad.tensor([1, 1, 1]))
        >>> round(loss.item(), 4)  # (0 + 0.5 + 2) / 3
        0.8333
    """

    def __init__(self, margin=1.0, *, reduction="mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_loss(input, target, margin=self.margin, reduction=self.reduction)
