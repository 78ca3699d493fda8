"""Loss modules: the math of every loss, and its hyperparameters.

Each class is a docstring (the unreduced formula, its gradient, the reductions, the
shapes, a small example) and a one-line `forward` calling the function of the same loss
in minigrad.nn.functional, which checks the arguments. The computation itself is one
Function in minigrad/ops/loss.py over a fused kernel (minigrad/_kernels/_loss.pyx) that
returns the loss and its gradient in one pass.

Reductions, for every loss: 'mean' (the default) averages the per-sample losses, 'sum'
adds them, 'none' returns them all. Where PyTorch's number is a weighted average the
docstring says so. An empty batch gives NaN for 'mean' and 0 for 'sum'.

Notation: x is the input, y the target, z = x - y the error, n the number of elements
('mean' of an element-wise loss divides by n), N the batch size, C the number of classes.
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
    """Mean squared error, for regression.

        loss_i = (x_i - y_i)^2                 d loss_i / d x_i = 2 (x_i - y_i)

    The target gets the opposite gradient. 'mean' divides the sum by n.
    Shapes: input any shape, target the same shape (a mismatch is an error: PyTorch warns
    and broadcasts), output a scalar, or the input's shape for reduction='none'.

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

        loss_i = |x_i - y_i|                   d loss_i / d x_i = sign(x_i - y_i)

    At zero error the (sub)gradient is 0, as in PyTorch. The target gets the opposite
    gradient. 'mean' divides the sum by n. Shapes as MSELoss.

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

    With z = x - y and delta > 0:

        loss_i = z^2 / 2                       if |z| < delta
                 delta (|z| - delta / 2)       otherwise
        d loss_i / d x_i = z                   if |z| < delta
                           delta sign(z)       otherwise (so +-delta at |z| = delta)

    Both pieces meet with the same value and slope at |z| = delta. huber(delta) equals
    delta * smooth_l1(beta=delta). The target gets the opposite gradient. 'mean' divides by
    n. Shapes as MSELoss.

        >>> import minigrad
        >>> loss = HuberLoss(delta=1.0)(minigrad.tensor([0.5, 3.0]), minigrad.tensor([0.0, 0.0]))
        >>> loss.item()  # (0.5^2 / 2 + 1 (3 - 1 / 2)) / 2
        1.3125
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """Smooth L1 loss: Huber's shape, scaled so that the linear part has slope 1.

    With z = x - y and beta >= 0:

        loss_i = z^2 / (2 beta)                if |z| < beta
                 |z| - beta / 2                otherwise
        d loss_i / d x_i = z / beta            if |z| < beta
                           sign(z)             otherwise

    beta = 0 is exactly L1Loss. The target gets the opposite gradient. 'mean' divides by n.
    Shapes as MSELoss.

        >>> import minigrad
        >>> loss = SmoothL1Loss(beta=1.0)(minigrad.tensor([0.5, 3.0]), minigrad.tensor([0.0, 0.0]))
        >>> loss.item()  # (0.5^2 / 2 + (3 - 1 / 2)) / 2
        1.3125
    """

    def __init__(self, *, reduction="mean", beta=1.0):
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities p = input in [0, 1] (after a sigmoid).

        loss_i = -w_i (y_i log p_i + (1 - y_i) log(1 - p_i))
        d loss_i / d p_i = w_i (p_i - y_i) / (p_i (1 - p_i))

    As in PyTorch each log is clamped at -100 (so p = 0 or 1 gives a finite loss) and the
    denominator at 1e-12. Targets y in [0, 1] (soft labels allowed); input or target outside
    [0, 1] is an error. Prefer BCEWithLogitsLoss on the logits: it cannot saturate.
    `weight` (optional) broadcasts to the input's shape; 'mean' still divides by n, not by
    the sum of the weights. Shapes: input any shape, target the same, weight broadcastable.

        >>> import minigrad
        >>> loss = BCELoss()(minigrad.tensor([0.8, 0.4]), minigrad.tensor([1.0, 0.0]))
        >>> round(loss.item(), 4)  # -(log 0.8 + log 0.6) / 2
        0.367
    """

    def __init__(self, weight=None, *, reduction="mean"):
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of sigmoid(x), computed from the logits x: stable for any x.

    With pw = pos_weight (default 1) and c_i = 1 + (pw_i - 1) y_i:

        loss_i = w_i ((1 - y_i) x_i - c_i log sigmoid(x_i))
               = -w_i (pw_i y_i log sigmoid(x_i) + (1 - y_i) log(1 - sigmoid(x_i)))
        d loss_i / d x_i = w_i (c_i sigmoid(x_i) - pw_i y_i)      (= sigmoid(x) - y plainly)

    log sigmoid(x) = min(x, 0) - log(1 + exp(-|x|)) never overflows. pos_weight > 1 makes
    a missed positive cost more (recall over precision): one value per class, broadcast along
    the last dimension. `weight` broadcasts to the input's shape; 'mean' divides by n. The
    target gets a gradient too, as in PyTorch. Shapes: input any shape, target the same.

        >>> import minigrad
        >>> loss = BCEWithLogitsLoss()(minigrad.tensor([0.0, 2.0]), minigrad.tensor([1.0, 1.0]))
        >>> round(loss.item(), 4)  # -(log sigmoid(0) + log sigmoid(2)) / 2 = (0.6931 + 0.1269) / 2
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
    """Cross-entropy of raw scores (logits) x against classes: softmax + log + NLL, fused.

    Class-index targets t. For a sample with logp = log_softmax(x) and p = softmax(x):

        loss = -w_t logp_t                           d loss / d x = w_t (p - onehot(t))

    With label_smoothing eps the target becomes (1 - eps) onehot(t) + eps / C:

        loss = (1 - eps) w_t (-logp_t) + (eps / C) sum_c w_c (-logp_c)
        d loss / d x = (1 - eps) w_t (p - onehot(t)) + (eps / C) (sum_c w_c p - w)

    Samples whose target equals ignore_index count 0 and are left out of the mean. 'mean'
    is a weighted mean: the sum divided by the sum of w_t over the samples not ignored (NaN,
    with a zero gradient, when that is 0; PyTorch gives a NaN gradient when the weights are
    0). Without weights that is the number of samples kept.

    Class-probability targets t (a floating tensor of the input's shape), smoothed as
    t' = (1 - eps) t + eps / C:

        loss = -sum_c w_c t'_c logp_c                d loss / d x = p sum_c w_c t'_c - w t'

    'mean' then divides by the number of samples, whatever the weights; ignore_index must
    stay negative (the default).

    Shapes: input (N, C), target (N,) or (N, C); unbatched input (C,), target () or (C,);
    input (N, C, d1, ...) (e.g. one score per class per pixel), target (N, d1, ...) or the
    input's shape. weight (C,). Output a scalar, or the target's shape for 'none'.
    Warns (minigrad.warnings.SoftmaxTwiceWarning) when the input is already softmax output.

        >>> import minigrad
        >>> logits = minigrad.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
        >>> loss = CrossEntropyLoss()(logits, minigrad.tensor([0, 2]))
        >>> round(loss.item(), 4)  # (log(e^2 + 2) - 2 + log 3) / 2 = (0.2395 + 1.0986) / 2
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

        loss = -w_t logp_t                       d loss / d logp = -w_t at t, 0 elsewhere

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

    For a sample with scores x, target class t and, for each other class j,
    h_j = margin - x_t + x_j (how far class j is from being beaten by the margin):

        loss = sum_{j != t} w_t max(0, h_j)^p / C
        d loss / d x_j = w_t p h_j^(p-1) / C    for j != t with h_j > 0
        d loss / d x_t = -(the sum of those)

    A class exactly at the margin (h_j = 0) adds nothing to the loss or the gradient.
    'mean' divides by N. Deviation from PyTorch: an empty batch gives NaN for 'mean' (PyTorch
    returns an arbitrary number). Shapes: input (N, C) or (C,); target (N,) or ().

        >>> import minigrad
        >>> loss = MultiMarginLoss()(minigrad.tensor([[0.1, 0.2, 0.4, 0.8]]), minigrad.tensor([3]))
        >>> round(loss.item(), 4)  # ((1 - 0.8 + 0.1) + (1 - 0.8 + 0.2) + (1 - 0.8 + 0.4)) / 4
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

        loss_i = t_i log t_i - t_i x_i      (0 log 0 = 0)          d loss_i / d x_i = -t_i
        log_target=True (target given as log t):
        loss_i = exp(t_i) (t_i - x_i)                              d loss_i / d x_i = -exp(t_i)

    The target gets a gradient too (log t + 1 - x, or exp(t) (t - x + 1)), as in PyTorch.
    'batchmean' divides the sum by the batch size (input.shape[0]): the true KL divergence
    per sample. 'mean' divides by the number of elements, as PyTorch's 'mean' does (PyTorch
    also warns that this is not the KL divergence; minigrad only documents it here).
    Shapes: input any shape, target the same.

        >>> import minigrad
        >>> q = minigrad.tensor([[0.5, 0.5]]).log()
        >>> loss = KLDivLoss(reduction="batchmean")(q, minigrad.tensor([[0.25, 0.75]]))
        >>> round(loss.item(), 4)  # 0.25 log(0.25 / 0.5) + 0.75 log(0.75 / 0.5)
        0.1308
    """

    def __init__(self, *, reduction="mean", log_target=False):
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class HingeLoss(_Loss):
    """The binary SVM's hinge loss (minigrad's own: PyTorch has no exact equivalent).

    Scores s = input, labels y in {-1, +1} (anything else is an error):

        loss_i = max(0, margin - y_i s_i)
        d loss_i / d s_i = -y_i where y_i s_i < margin, else 0

    A sample exactly at the margin has gradient 0 (as torch.relu at 0); beyond it, none:
    only the samples inside the margin (the support vectors) move the boundary. 'mean'
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
