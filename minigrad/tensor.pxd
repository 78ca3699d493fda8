# C types for tensor.py, which Cython compiles (see setup.py). The .py is the source; this
# file only declares types: a Tensor's fields become C struct members, read without a lookup
# by name. Without a compiler, tensor.py runs as it is.

cdef class Tensor:
    cdef public object data             # the numpy array
    cdef public object _grad            # what the `grad` property shows
    cdef public object _ctx             # the Function that made it, None for a leaf
    cdef public bint requires_grad
    cdef public object _hooks           # a hooks.TensorHooks, or None
    cdef public object _past            # (see inplace.py), or None
    cdef object __weakref__             # weakref.ref(tensor) works
