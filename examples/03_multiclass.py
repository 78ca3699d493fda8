"""
Lesson 3: three classes with softmax and cross-entropy
======================================================

``python examples/03_multiclass.py [FILE.png]``

The four points lie on one line with classes 0, 1, 2, 1 along it: no linear model gets more
than 3 of 4 right, however long it trains. 2000 epochs show the loss still falling at 75 %.
With a file name, the script also draws both runs' loss and accuracy (needs matplotlib).
"""
import sys

from minigrad.lessons import multiclass

images = [arg for arg in sys.argv[1:] if arg.endswith((".png", ".svg", ".pdf"))]
plot_file = images[0] if images else None   # python NAME.py FILE.png also draws the plots

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
    from minigrad import plot
    print(f"Wrote {plot.training_figure([short, long], plot_file)}")
