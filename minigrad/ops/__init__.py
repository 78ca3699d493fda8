"""The differentiable primitives: one `Function` per op, forward beside backward.

Each file is one family, in the order a reader meets them:
elementwise (arithmetic, exp, log, sin, ...), activation (relu, sigmoid, tanh, gelu, ...),
reduce (sum, mean, max, min, var, norm, prod), shape (reshape, transpose, indexing, gather),
join (cat, stack, the pieces of split), matmul, linear (nn.Linear's x W^T + b as one op),
softmax and loss (over the Cython kernels), embedding (nn.Embedding's lookup), copy (clone,
and what in-place copy_/fill_ and changes through a view record: see minigrad/inplace.py).
"""
