"""The domain edges and poles that docs/kinks.md lists beside the kinks proper, against
torch 2.13.0: the gradient there is an infinity or nan, and must be torch's, in the same
places with the same sign (the kinks proper: test_ops_parity.py::test_kink_matches_torch)."""
import numpy as np
import pytest

from tests.torch_parity.helpers import compare

DTYPES = [np.float64, np.float32]
EDGES = [
    ("log_at_0", lambda L, x: x.log(), [[0.0, -0.0, 2.0]]),
    ("div_by_0", lambda L, a, b: a / b, [[1.0, -1.0, 0.0, 2.0], [0.0, 0.0, 0.0, 4.0]]),
    ("where_at_the_flip", lambda L, x: L.where(x > 0, x * 2, x * -1), [[0.0, -0.0, 1.0, -1.0]]),
    ("pow_fractional_at_0", lambda L, a, b: a ** b, [[0.0, 0.0, 4.0], [0.5, -1.5, 0.5]]),
    ("log1p_at_minus_1", lambda L, x: x.log1p(), [[-1.0, -2.0, 0.0, 1e-10]]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, fn, arrays", EDGES, ids=[e[0] for e in EDGES])
def test_domain_edges_and_poles(torch, name, fn, arrays, dtype):
    compare(torch, fn, arrays, dtype=dtype)
