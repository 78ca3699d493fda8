"""Lesson 4: a linear SVM, hinge loss plus 0.01 ||w||^2.

Run:  python examples/04_svm.py
The lesson's 100 epochs at lr 0.01 leave the data unseparated; training on until every
sample is on its side takes a few hundred epochs.
"""
from minigrad.lessons import svm

print("-- the lesson's 100 epochs --")
svm.linear_svm(epochs=100, lr=0.01)
print("\n-- until separated --")
svm.linear_svm(lr=0.01)
