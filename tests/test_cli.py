"""The `minigrad` command."""
import subprocess
import sys

import pytest

from minigrad import cli


def test_train_binary_runs_a_real_training(capsys):
    assert cli.main(["train", "binary", "--epochs", "41"]) == 0
    out = capsys.readouterr().out
    assert "AND gate" in out and "Epoch   40" in out and "Final probabilities" in out
    assert "Verdict: binary: " in out


def test_train_all_runs_every_training_with_a_verdict_each(capsys):
    assert cli.main(["train", "all"]) == 0
    out = capsys.readouterr().out
    verdicts = [line for line in out.splitlines() if line.startswith("Verdict: ")]
    # regression at the lesson's lr (diverges) and at a stable one; the SVM at 100 epochs and until separated
    assert [v.split(":")[1].strip() for v in verdicts] == ["regression", "regression", "binary", "multiclass",
                                                          "svm", "svm"]
    assert "regression: diverged" in verdicts[0] and "regression: converged" in verdicts[1]
    assert "svm: converged" in verdicts[-1]


def test_quiet_prints_only_the_verdicts(capsys):
    assert cli.main(["train", "all", "--quiet", "--optimizer", "adam", "--dtype", "float32", "--seed", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.startswith("Verdict: ") for line in lines)


def test_lr_flag_reaches_the_training(capsys):
    assert cli.main(["train", "regression", "--lr", "0.1"]) == 0
    out = capsys.readouterr().out
    assert out.count("Verdict:") == 1 and "regression: diverged" in out and "2/22" in out


@pytest.mark.parametrize("argv", [["train", "nonsense"], ["train", "binary", "--epochs", "0"],
                                  ["train", "binary", "--lr", "-1"], ["train", "svm", "--optimizer", "lbfgs"],
                                  ["train", "svm", "--dtype", "int64"], []])
def test_bad_arguments_exit_with_usage(argv):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2


def test_python_dash_m_minigrad_works():
    result = subprocess.run([sys.executable, "-m", "minigrad", "train", "binary", "--epochs", "1"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Epoch    0" in result.stdout and "Verdict: binary" in result.stdout
