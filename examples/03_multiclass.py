"""Lesson 3: three classes with softmax and cross-entropy.

Run:  python examples/03_multiclass.py
The four points lie on one line with classes 0, 1, 2, 1 along it: no linear model gets more
than 3 of 4 right, however long it trains. 2000 epochs show the loss still falling at 75 %.
"""
from minigrad.lessons import multiclass

multiclass.softmax_regression(lr=0.1, epochs=100)
print("\n-- 2000 epochs: the loss keeps falling, the accuracy stays at the ceiling --")
multiclass.softmax_regression(lr=0.1, epochs=2000, report_every=500)
