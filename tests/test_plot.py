"""minigrad.plot writes real PNG files (Agg backend: no display needed)."""
import os

import numpy as np
import pytest

pytest.importorskip("matplotlib")  # the `plot` extra; it is in `test`, so CI runs these

from minigrad import cli, plot  # noqa: E402
from minigrad.lessons import binary, regression, svm  # noqa: E402
from minigrad.lessons._common import quiet  # noqa: E402
from tests._missing_package import hide  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    assert os.path.getsize(path) > 1000
    with open(path, "rb") as f:
        assert f.read(8) == PNG_SIGNATURE


def test_training_plot_with_curves_and_boundaries(tmp_path):
    results = [regression.linear_regression(lr=0.1, out=quiet), binary.and_gate(epochs=20, out=quiet),
               svm.linear_svm(epochs=30, out=quiet)]
    assert_png(plot.training_figure(results, tmp_path / "run.png"))


def test_train_dash_dash_plot_writes_a_png(tmp_path, capsys):
    path = tmp_path / "svm.png"
    assert cli.main(["train", "svm", "--epochs", "50", "--plot", str(path)]) == 0
    assert f"Wrote {path}" in capsys.readouterr().out
    assert_png(path)


def test_plot_losses_command(tmp_path):
    path = tmp_path / "losses.png"
    assert cli.main(["plot", "losses", str(path)]) == 0
    assert_png(path)


def test_the_diagrams_curves_are_the_losses():
    z = np.array([-3.0, 0.0, 2.0])
    curves = plot.loss_curves(z)
    np.testing.assert_allclose(curves["hinge: max(0, 1 - z)"], [4.0, 1.0, 0.0])
    np.testing.assert_allclose(curves["cross-entropy: log(1 + exp(-z))"], np.log1p(np.exp(-z)))
    np.testing.assert_allclose(curves["MSE on sigmoid: (1 - sigmoid(z))^2"], (1 - 1 / (1 + np.exp(-z))) ** 2)


def test_missing_matplotlib_names_the_extra(monkeypatch):
    hide(monkeypatch, "matplotlib")
    with pytest.raises(ImportError, match=r'minigrad\[plot\]'):
        plot.losses_figure("unused.png")
