"""
Lesson 3: three classes with softmax and cross-entropy
======================================================

``python examples/03_multiclass.py [FILE.png]``

The four points lie on one line with classes 0, 1, 2, 1 along it: no linear model gets more
than 3 of 4 right, however long it trains. 2000 epochs show the loss still falling at 75 %.
With a file name, the script also draws both runs' loss and accuracy (needs matplotlib).
"""
from minigrad import plot
from minigrad.lessons import multiclass

plot_file = plot.requested_file("03_multiclass.png")  # python NAME.py FILE.png draws the plots (a notebook always)

# %%
# The lesson's 100 epochs
# -----------------------
short = multiclass.softmax_regression(lr=0.1, epochs=100)

# %%
# 2000 epochs
# -----------
# The loss keeps falling (the logits of the three points it gets right keep growing); the
# accuracy stays at the linear model's ceiling, 75 %.
print("\n-- 2000 epochs: the loss keeps falling, the accuracy stays at the ceiling --")
long = multiclass.softmax_regression(lr=0.1, epochs=2000, report_every=500)

# %%
# Loss and accuracy per epoch
# ---------------------------
if plot_file:
    print(f"Wrote {plot.training_figure([short, long], plot_file)}")
