"""004's demos: the numbers they print are right (checked against torch) and say what 004 says."""
import numpy as np
import pytest

from minigrad import cli
from minigrad.lessons import demos
from minigrad.lessons._common import quiet


def test_gradient_table_matches_torch_and_shows_mse_vanishing(torch):
    rows = demos.gradient_table(out=quiet)
    for m, p_true, ce_grad, mse_grad, _, _ in rows:
        z = torch.tensor([[0.0, 0.0, float(m)]], dtype=torch.float64, requires_grad=True)
        torch.nn.functional.cross_entropy(z, torch.tensor([0])).backward()
        assert ce_grad == pytest.approx(z.grad[0, 0].item(), rel=1e-12)
        z2 = torch.tensor([[0.0, 0.0, float(m)]], dtype=torch.float64, requires_grad=True)
        (0.5 * ((torch.softmax(z2, 1) - torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64)) ** 2).sum()).backward()
        assert mse_grad == pytest.approx(z2.grad[0, 0].item(), rel=1e-9)
    assert rows[-1][2] == pytest.approx(-1.0, abs=1e-4)      # CE's push stays ~1 ...
    assert abs(rows[-1][3]) < 1e-3 * abs(rows[0][3])         # ... MSE's vanishes


def test_depth_table_cross_entropy_reaches_the_target_first():
    rows = demos.depth_table(depths=(1, 3), max_epochs=200, out=quiet)
    for depth, ce, mse in rows:
        assert ce is not None and (mse is None or ce < mse)


def test_stability_table():
    rows = {(d, dtype): (naive, fused) for d, dtype, naive, fused in demos.stability_table(out=quiet)}
    assert rows[(1000.0, "float64")][0] == -np.inf and rows[(1000.0, "float64")][1] == pytest.approx(-1000.0)
    assert rows[(200.0, "float32")][0] == -np.inf and rows[(200.0, "float32")][1] == pytest.approx(-200.0)
    assert rows[(10.0, "float64")][0] == pytest.approx(-10 - np.log1p(np.exp(-10)), rel=1e-12)


def test_softmax_twice_squashes_the_loss_and_warns():
    right, wrong, right_grad, wrong_grad, warned = demos.softmax_twice(out=quiet)
    assert warned and wrong < np.log(np.e + 2) < right
    assert np.abs(wrong_grad).max() < 0.1 * np.abs(right_grad).max()


def test_cli_demos(capsys, monkeypatch):
    monkeypatch.setattr(demos, "depth_table", lambda out=print, **kw: [(1, 10, 20)])   # keep the test fast
    assert cli.main(["train", "demos"]) == 0
    out = capsys.readouterr().out
    assert "(a) Gradient" in out and "(c) log(softmax(z))" in out and "Verdict: demos:" in out
