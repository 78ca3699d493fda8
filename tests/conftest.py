"""Shared test fixtures.

`torch` is the independent oracle for most tests. Where it is absent the comparisons
are skipped, unless MINIGRAD_REQUIRE_TORCH=1 (set by .ci/run), which turns that skip
into a failure so CI can never pass by comparing against nothing.
"""
import os

import pytest
from hypothesis import settings

# In CI (CI=true) hypothesis draws the same examples every run, so a red CI is reproducible
# and never a coin toss; on a developer's machine it keeps exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _import_torch():
    try:
        import torch
    except ImportError:
        if os.environ.get("MINIGRAD_REQUIRE_TORCH") == "1":
            pytest.fail("MINIGRAD_REQUIRE_TORCH=1 but torch is not installed "
                        "(pip install torch==2.13.0)")
        pytest.skip("torch is not installed; pip install torch==2.13.0 to run the parity tests")  # only when MINIGRAD_REQUIRE_TORCH is unset
    torch.set_num_threads(1)  # the second core is unreliable here, and results must not depend on it
    return torch


@pytest.fixture(scope="session")
def torch():
    """The torch module, for parity tests (skipped without torch unless CI requires it)."""
    return _import_torch()
