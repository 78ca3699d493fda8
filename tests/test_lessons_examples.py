"""Every script in examples/ runs to the end and ends with a verdict."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("[0-9][0-9]_*.py"))


def test_examples_are_numbered_in_reading_order():
    names = [p.name for p in EXAMPLES]
    assert names[:4] == ["01_regression.py", "02_binary.py", "03_multiclass.py", "04_svm.py"]


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                            cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "Verdict:" in result.stdout or "lesson" in result.stdout.lower()
