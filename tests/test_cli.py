"""The `minigrad` command."""
import subprocess
import sys

import numpy as np
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
                                  ["train", "svm", "--dtype", "int64"], [],
                                  ["graph", "regression"], ["graph", "nonsense", "--out", "x.png"],
                                  ["graph", "svm", "--out", "x.png", "--renderer", "ascii"],
                                  ["check", "--order", "3"], ["check", "--order", "two"]])
def test_bad_arguments_exit_with_usage(argv):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2


def test_python_dash_m_minigrad_works():
    result = subprocess.run([sys.executable, "-m", "minigrad", "train", "binary", "--epochs", "1"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Epoch    0" in result.stdout and "Verdict: binary" in result.stdout


# ---- minigrad graph -------------------------------------------------------------------------
def test_graph_writes_a_png_of_a_lessons_step(tmp_path, capsys):
    out = tmp_path / "x.png"
    assert cli.main(["graph", "regression", "--out", str(out)]) == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert f"Wrote {out}: 5 tensors, loss = 24.75" in capsys.readouterr().out   # mean((0.5 x - 2 x)^2) = 2.25 * 11


def test_graph_shows_the_regression_gradient_of_the_lesson(tmp_path):
    """The weight's box holds dL/dw = 2 mean(x^2) (w - 2) at the lesson's start w = 0.5
    (the lesson module's docstring), once: not added to the gradient of an earlier step."""
    from minigrad.lessons import regression
    dot = tmp_path / "g.dot"
    cli.main(["graph", "regression", "--out", str(dot)])
    x = np.asarray(regression.X)
    expected = 2 * np.mean(x ** 2) * (regression.INITIAL_W - 2)
    assert expected == -33.0 and f"grad [[{expected:.4g}]]" in dot.read_text()


def test_graph_shows_the_binary_gradient_of_the_lesson(tmp_path):
    """BCE on sigmoid: dL/dw = (p - y)^T X / n and dL/db = mean(p - y), from the lesson's start."""
    from minigrad import lessons
    from minigrad.lessons import binary
    from minigrad.lessons._common import quiet
    dot = tmp_path / "g.dot"
    cli.main(["graph", "binary", "--out", str(dot)])
    w0 = lessons.TRAININGS["binary"](epochs=1, out=quiet).initial["weight"]
    x, y = np.asarray(binary.X), np.asarray(binary.Y)
    p = 1 / (1 + np.exp(-(x @ w0.ravel())))
    dw, db = (p - y) @ x / len(y), np.mean(p - y)
    source = dot.read_text()
    assert "grad [[" + ", ".join(f"{v:.4g}" for v in dw) + "]]" in source
    assert f"grad [{db:.4g}]" in source


@pytest.mark.parametrize("lesson, loss_op", [("regression", "MSELoss"), ("binary", "BinaryCrossEntropy"),
                                             ("multiclass", "CrossEntropy"), ("svm", "HingeLoss")])
def test_graph_of_every_lesson(lesson, loss_op, tmp_path):
    dot = tmp_path / "g.dot"
    assert cli.main(["graph", lesson, "--out", str(dot)]) == 0
    source = dot.read_text()
    assert f"<B>{loss_op}</B>" in source and "<B>Linear</B>" in source and "<B>weight</B>" in source
    assert "<B>x</B>" in source and "grad" in source


def test_graph_with_an_unknown_file_ending_exits_with_a_message(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["graph", "regression", "--out", str(tmp_path / "x.jpeg")])
    assert exit_info.value.code == 1 and ".png" in capsys.readouterr().err


def test_check_order_reaches_the_check(monkeypatch):
    """--order 2 is passed on to minigrad.check (default 1)."""
    from minigrad import check
    seen = []
    monkeypatch.setattr(check, "main", lambda *args, **kwargs: seen.append((args, kwargs)) or 0)
    assert cli.main(["check", "--filter", "exp", "--order", "2"]) == 0
    assert cli.main(["check", "--filter", "exp"]) == 0
    assert [kwargs["order"] for _, kwargs in seen] == [2, 1]
    assert seen[0][0][0] == "exp"
