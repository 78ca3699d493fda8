"""
Demos: why cross-entropy and not MSE on softmax, and why log_softmax
====================================================================

``python examples/05_demos.py [FILE.png]``   (a few seconds)

(a) the gradient at the logits as a prediction grows confidently wrong, (b) epochs to reach
90 % accuracy as the network gets deeper, (c) ``log(softmax(z))`` against ``log_softmax(z)``,
(d) what applying softmax twice does. The code is in ``minigrad/lessons/demos.py``. With a
file name, the script also draws 004's diagram: hinge, cross-entropy and MSE on the sigmoid
against the logit (needs matplotlib).
"""
from minigrad import plot
from minigrad.lessons import demos

plot_file = plot.requested_file("05_demos.png")  # python NAME.py FILE.png draws the plots (a notebook always)

# %%
# The four demos
# --------------
demos.run_all()

# %%
# The losses against the logit
# ----------------------------
# For a positive example with logit z: cross-entropy grows linearly as z goes confidently
# wrong, so its gradient stays near 1; MSE on the sigmoid flattens out, and its gradient
# vanishes exactly where the model most needs to learn.
if plot_file:
    print(f"Wrote {plot.losses_figure(plot_file)}")
