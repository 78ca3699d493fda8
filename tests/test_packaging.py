"""What the wheel ships: the kernel sources learners read, and every file those sources include."""
import fnmatch
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNELS = ROOT / "minigrad" / "_kernels"
# `include "x.pyx"`, `cdef extern from "x.h"`, `from ...x cimport` (of a .pxd when x is a sibling)
INCLUDED = re.compile(r'^\s*(?:include\s+"([^"]+)"'
                      r'|cdef\s+extern\s+from\s+"([^"]+)"'
                      r'|from\s+[\w.]*?(\w+)\s+cimport)', re.M)


def shipped(name):
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    included = config["package-data"]["minigrad._kernels"]
    excluded = config.get("exclude-package-data", {}).get("minigrad._kernels", [])
    return any(fnmatch.fnmatch(name, p) for p in included) and not any(fnmatch.fnmatch(name, p) for p in excluded)


def test_the_wheel_ships_the_kernel_sources_and_every_file_they_include():
    sources = sorted(p.name for p in KERNELS.iterdir() if p.suffix in (".pyx", ".pxd"))
    assert sources and all(shipped(name) for name in sources), sources
    needed = set()
    for name in sources:
        for include, header, pxd in INCLUDED.findall((KERNELS / name).read_text()):
            needed.add(include or header or f"{pxd}.pxd")
    needed = {name for name in needed if (KERNELS / name).exists()}  # not numpy's or libc's headers
    assert "_simd_math.h" in needed  # _math.pxd includes it (the wheel used to leave it out)
    assert [name for name in sorted(needed) if not shipped(name)] == []
    assert not shipped("_loss.c") and not shipped("_softmax.html")  # generated, never shipped
