"""One global random generator, so `manual_seed` makes every draw reproducible.

Everything random in minigrad (rand, randn, nn.init, DataLoader shuffling without an
explicit seed) draws from `generator()`.
"""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Reseed minigrad's global generator; returns it."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator():
    """The global numpy Generator that minigrad's random functions use."""
    return _generator
