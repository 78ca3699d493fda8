"""The lessons' models on scikit-learn's bundled real data (pip install "minigrad[data]").

Run:  python examples/06_real_data.py   (about ten seconds)
Diabetes for regression, breast cancer for logistic regression and the SVM, digits for
softmax regression and a small MLP; each beside a scikit-learn baseline on the same split.
"""
from minigrad.lessons import binary, multiclass, regression, svm

regression.real_data()
binary.real_data()
svm.real_data()
multiclass.real_data()
multiclass.real_data(hidden=64)
