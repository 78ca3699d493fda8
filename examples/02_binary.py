"""Lesson 2: the AND gate with a sigmoid and binary cross-entropy.

Run:  python examples/02_binary.py
The same training twice: sigmoid then binary_cross_entropy, and the logits straight into
binary_cross_entropy_with_logits. Same loss, same gradient p - y, same weights.
"""
import numpy as np

from minigrad.lessons import binary

plain = binary.and_gate(lr=0.5, epochs=100)
print("\n-- with binary_cross_entropy_with_logits --")
fused = binary.and_gate(lr=0.5, epochs=100, with_logits=True)
gap = np.max(np.abs(plain.model.weight.data - fused.model.weight.data))
print(f"\nLargest difference between the two runs' final weights: {gap:.1e}")
