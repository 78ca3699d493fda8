"""Lesson 1: fit y = 2x with one weight and mean squared error.

Run:  python examples/01_regression.py
The lesson's learning rate 0.1 diverges (each step multiplies w - 2 by 1 - 22 lr = -1.2);
0.05 converges. The training loop itself is in minigrad/lessons/regression.py.
"""
from minigrad.lessons import regression

print("-- the lesson's lr = 0.1 --")
regression.linear_regression(lr=0.1)
print("\n-- lr = 0.05 --")
regression.linear_regression(lr=0.05)
