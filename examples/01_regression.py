"""
Lesson 1: fit y = 2x with one weight and mean squared error
===========================================================

``python examples/01_regression.py [FILE.png]``

The model is ``prediction = w x`` on the five points ``x = 1..5``, ``y = 2x``, trained by
gradient descent on the mean squared error. Its gradient is ``dL/dw = 2 mean(x^2) (w - 2) =
22 (w - 2)``, so each step multiplies ``w - 2`` by ``1 - 22 lr``: the lesson's learning rate
0.1 gives a factor of -1.2 and diverges; 0.05 gives -0.1 and converges. The training loop
itself is in ``minigrad/lessons/regression.py``. With a file name, the script also draws both
loss curves (needs matplotlib).
"""
from minigrad import plot
from minigrad.lessons import regression

plot_file = plot.requested_file("01_regression.png")  # python NAME.py FILE.png draws the plots (a notebook always)

# %%
# The lesson's learning rate, 0.1
# -------------------------------
# ``|1 - 22 * 0.1| = 1.2 > 1``: every step overshoots w = 2 by more than the last.
print("-- the lesson's lr = 0.1 --")
diverging = regression.linear_regression(lr=0.1)

# %%
# Half of it, 0.05
# ----------------
# ``|1 - 22 * 0.05| = 0.1``: each step removes 90 % of the remaining error.
print("\n-- lr = 0.05 --")
converging = regression.linear_regression(lr=0.05)

# %%
# The two loss curves
# -------------------
# On a log scale: the diverging run's loss grows by a factor 1.2^2 = 1.44 per epoch, the
# converging run's shrinks by 0.1^2 = 0.01.
if plot_file:
    print(f"Wrote {plot.training_figure([diverging, converging], plot_file)}")
