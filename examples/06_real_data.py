"""
The lessons' models on real data
================================

``python examples/06_real_data.py``   (about ten seconds; needs ``pip install "minigrad[data]"``)

scikit-learn's bundled data sets: diabetes for regression, breast cancer for logistic
regression and the SVM, digits for softmax regression and a small MLP; each beside a
scikit-learn baseline on the same split.
"""
from minigrad.lessons import binary, multiclass, regression, svm

# %%
# Regression on diabetes
# ----------------------
regression.real_data()

# %%
# Logistic regression and the SVM on breast cancer
# ------------------------------------------------
binary.real_data()
svm.real_data()

# %%
# Softmax regression and an MLP on the digits
# -------------------------------------------
multiclass.real_data()
multiclass.real_data(hidden=64)
