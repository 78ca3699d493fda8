"""
The curvature lesson: the lessons' second derivatives, and what they predict
============================================================================

``python examples/09_curvature.py [FILE.png]``

The regression loss curves by ``H = d^2L/dw^2 = 22`` at every w, so gradient descent
multiplies ``w - 2`` by ``1 - 22 lr`` each step: stable only for ``lr < 2/22 = 0.0909`` (the
lesson's 0.1 is past it). Newton's step ``w - g/H`` lands on w = 2 at once; the softmax +
cross-entropy Hessian is singular along the all-ones direction; Newton's method (IRLS) fits
the AND gate in a few steps. Every number is a minigrad Hessian
(``mg.autograd.functional.hessian``); the code is in ``minigrad/lessons/curvature.py``. With a
file name, the script also draws the loss surface and the stable-lr band (needs matplotlib).
"""
from minigrad import plot
from minigrad.lessons import curvature

plot_file = plot.requested_file("09_curvature.png")  # python NAME.py FILE.png draws the plots (a notebook always)

# %%
# The Hessians and what they predict
# ----------------------------------
result = curvature.curvature()

# %%
# The pictures
# ------------
# Left: the regression's loss against w, with gradient-descent steps at lr 0.05 and 0.1 and
# Newton's single step. Middle: the factor ``1 - lr H`` per step; training is stable where
# its size is below 1. Right: Newton's method against gradient descent on the AND gate.
if plot_file:
    print(f"Wrote {plot.curvature_figure(result, plot_file)}")
