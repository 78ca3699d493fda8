"""The differentiable primitives: one `Function` per op, forward beside backward.

Each file is one family, in the order a reader meets them:
elementwise (arithmetic, exp, log, ...), activation (relu, sigmoid, tanh),
reduce (sum, mean, max), shape (reshape, transpose, indexing), matmul,
linear (nn.Linear's x W^T + b as one op), softmax (over the Cython kernels).
"""
