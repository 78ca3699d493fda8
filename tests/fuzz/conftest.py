"""The fuzz suite's case counter: one line at the end of the session, per area.

Hypothesis runs each fuzz test body once per example; every body counts itself in
tests.fuzz._support.COUNTS (the raw-kernel cases run in a subprocess and report their count
back). The line reads, e.g.: `fuzz cases run: 1234 (losses 600, softmax 300, ...)`.
"""
from tests.fuzz._support import COUNTS


def pytest_terminal_summary(terminalreporter):
    if COUNTS:
        total = sum(COUNTS.values())
        parts = ", ".join(f"{area} {n}" for area, n in sorted(COUNTS.items()))
        terminalreporter.write_line(f"fuzz cases run: {total} ({parts})")
