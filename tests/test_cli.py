"""The `minigrad` command."""
import subprocess
import sys

import pytest

from minigrad import cli


def test_train_binary_runs_a_real_training(capsys):
    assert cli.main(["train", "binary", "--epochs", "41"]) == 0
    out = capsys.readouterr().out
    assert "AND gate" in out and "Epoch   40" in out and "Final probabilities" in out


def test_train_all_runs_every_training(capsys):
    assert cli.main(["train", "all"]) == 0
    assert "Final probabilities" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["train", "nonsense"], ["train", "binary", "--epochs", "0"],
                                  ["train", "binary", "--lr", "-1"], []])
def test_bad_arguments_exit_with_usage(argv):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2


def test_python_dash_m_minigrad_works():
    result = subprocess.run([sys.executable, "-m", "minigrad", "train", "binary", "--epochs", "1"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Epoch    0" in result.stdout
