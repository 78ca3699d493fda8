"""Random numbers: one global generator, and Generator objects for streams of their own.

Everything random in minigrad (rand, randn, nn.init, dropout, DataLoader shuffling and
random_split without a generator) draws from the global generator, `generator()`, so
`manual_seed(s)` makes every draw reproducible. A `Generator` is a separate stream, as
torch.Generator is: `DataLoader(..., shuffle=True, generator=mg.Generator().manual_seed(0))`
shuffles the same way in every run whatever else draws random numbers.

Both wrap a numpy Generator (PCG64): the numbers are minigrad's own, not torch's stream
(the same seed gives different numbers in the two frameworks).
"""
import numpy as np

# torch.Generator() starts from this seed, so a fresh Generator is reproducible there too.
DEFAULT_SEED = 67280421310721

_generator = np.random.default_rng()


def _check_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        # numpy refuses negative seeds; torch wraps them modulo 2**64.
        seed = int(seed) % 2**64
    return int(seed)


def manual_seed(seed):
    """Reseed minigrad's global generator; returns it (the numpy Generator).

    torch.manual_seed returns its default torch.Generator; minigrad's global stream is a
    numpy Generator, which `generator()` also returns.
    """
    global _generator
    _generator = np.random.default_rng(_check_seed(seed))
    return _generator


def generator():
    """The global numpy Generator that minigrad's random functions use."""
    return _generator


class Generator:
    """A stream of random numbers of its own, as torch.Generator (CPU only).

        g = mg.Generator().manual_seed(42)      # manual_seed returns the Generator
        loader = DataLoader(ds, shuffle=True, generator=g)

    A new Generator starts from torch's default seed (67280421310721), so it is
    reproducible without a manual_seed. `.numpy` is the numpy Generator the draws come from.
    """

    def __init__(self, device="cpu"):
        if str(device) != "cpu":
            raise ValueError(f"minigrad runs on the CPU only: device must be 'cpu', got {device!r}")
        self.device = "cpu"
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed):
        """Restart the stream from `seed` (an int); returns self."""
        self._initial_seed = _check_seed(seed)
        self.numpy = np.random.default_rng(self._initial_seed)
        return self

    def seed(self):
        """Restart the stream from a fresh non-deterministic seed; returns that seed."""
        seed = int(np.random.SeedSequence().entropy % 2**64)
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        """The seed the stream was last started from."""
        return self._initial_seed

    def get_state(self):
        """The stream's position (numpy's bit-generator state, a dict), for set_state."""
        return self.numpy.bit_generator.state

    def set_state(self, state):
        """Go back to a position that get_state returned; returns self."""
        self.numpy.bit_generator.state = state
        return self

    def __repr__(self):
        return f"<minigrad.Generator initial_seed={self._initial_seed}>"


def numpy_generator(generator, name="generator"):
    """The numpy Generator to draw from: `generator`'s (a minigrad Generator) or, for None,
    the global one. Anything else is a TypeError naming the argument."""
    if generator is None:
        return _generator
    if isinstance(generator, Generator):
        return generator.numpy
    hint = " (mg.Generator().manual_seed(seed) makes one from a seed)" if isinstance(generator, int) else ""
    raise TypeError(f"{name} must be a minigrad.Generator or None, got {type(generator).__name__}{hint}")
