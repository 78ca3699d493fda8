"""
Lesson 2: the AND gate with a sigmoid and binary cross-entropy
==============================================================

``python examples/02_binary.py [FILE.png]``

The same training twice: ``sigmoid`` then ``binary_cross_entropy``, and the logits straight
into ``binary_cross_entropy_with_logits``. Same loss, same gradient ``p - y`` at the logit,
same weights. With a file name, the script also draws the loss curve and the decision
boundary (needs matplotlib).
"""
import numpy as np

from minigrad import plot
from minigrad.lessons import binary

plot_file = plot.requested_file("02_binary.png")  # python NAME.py FILE.png draws the plots (a notebook always)

# %%
# Sigmoid, then binary cross-entropy on the probability
# -----------------------------------------------------
plain = binary.and_gate(lr=0.5, epochs=100)

# %%
# The logits straight into ``binary_cross_entropy_with_logits``
# --------------------------------------------------------------
# One fused, numerically stable op: ``log(1 + e^-z)`` never takes the log of a probability
# that rounded to 0.
print("\n-- with binary_cross_entropy_with_logits --")
fused = binary.and_gate(lr=0.5, epochs=100, with_logits=True)
gap = np.max(np.abs(plain.model.weight.data - fused.model.weight.data))
print(f"\nLargest difference between the two runs' final weights: {gap:.1e}")

# %%
# The loss curve and the decision boundary
# ----------------------------------------
# The line where the model's probability is 0.5 separates (1, 1) from the three other corners.
if plot_file:
    print(f"Wrote {plot.training_figure([plain], plot_file)}")
