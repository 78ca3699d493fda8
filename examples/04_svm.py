"""
Lesson 4: a linear SVM, hinge loss plus 0.01 ‖w‖²
=================================================

``python examples/04_svm.py [FILE.png]``

The lesson's 100 epochs at lr 0.01 leave the data unseparated; training on until every
sample is on its side takes a few hundred epochs. With a file name, the script also draws
both runs' loss curves, decision boundaries and margins (needs matplotlib).
"""
from minigrad import plot
from minigrad.lessons import svm

plot_file = plot.requested_file("04_svm.png")  # python NAME.py FILE.png draws the plots (a notebook always)

# %%
# The lesson's 100 epochs
# -----------------------
print("-- the lesson's 100 epochs --")
lesson = svm.linear_svm(epochs=100, lr=0.01)

# %%
# Until every sample is on its side
# ---------------------------------
print("\n-- until separated --")
separated = svm.linear_svm(lr=0.01)

# %%
# Loss curves, boundaries and margins
# -----------------------------------
# The solid line is the boundary (score 0), the dashed lines the margins (score -1 and +1);
# the circled points are the support vectors, on or inside the margins.
if plot_file:
    print(f"Wrote {plot.training_figure([lesson, separated], plot_file)}")
