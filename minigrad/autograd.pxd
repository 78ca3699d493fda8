# C types for autograd.py, which Cython compiles (see setup.py). The .py is the source; this
# file only declares types, so that the compiled engine reads a ctx's and a Tensor's fields
# as C struct members instead of looking them up by name, and calls its helpers as C
# functions. Without a compiler, autograd.py runs as it is.
cimport cython

# Tensor's C layout. (The compiled modules load in the order minigrad/__init__.py imports
# them: tensor before autograd, since this module takes the Tensor type from tensor's.)
from minigrad.tensor cimport Tensor


cdef class Function:
    cdef public tuple parents           # the input Tensors
    cdef public dict params             # the keyword parameters
    cdef public tuple needs_input_grad  # one bool per input
    cdef public object saved_tensors    # what forward saved for backward
    cdef public bint freed              # backward ran and dropped saved_tensors
    cdef public Py_ssize_t seq          # creation order
    cdef public object trace            # where the op was created (anomaly mode), else None
    cdef object __weakref__             # weakref.ref(ctx) works (graph viewers take them)


cdef class _Changes:
    cdef public Py_ssize_t version
    cdef public object times


cpdef _memory_of(array)

@cython.locals(record=_Changes)
cpdef bump_version(Tensor tensor)

@cython.locals(record=_Changes)
cpdef version_of(Tensor tensor)

cpdef tuple inputs_of(Function ctx)

@cython.locals(past=tuple)
cpdef Tensor _as_of(Tensor tensor, Py_ssize_t time)

@cython.locals(leaves=list, ops=list, seen=set, stack=list, node=Tensor, parent=Tensor, ctx=Function)
cpdef tuple _sorted_graph(Tensor root, more_roots, bint as_they_were=*)

@cython.locals(node=Tensor, parent=Tensor, ctx=Function, parents=tuple, last_change=Py_ssize_t,
               checking_nan=cython.bint)
cpdef _chain_rule(list nodes, dict grads, dict claimed, bint retain_graph, bint slow, reach, targets, captured)

@cython.locals(parent=Tensor)
cpdef bint _is_data_of(array, Tensor node, tuple parents)

cpdef bint _is_one_of(array, values)

cpdef _fresh(array, dict claimed)

cpdef _accumulate(Tensor tensor, grad, dict claimed)
