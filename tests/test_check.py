"""`minigrad check`: the case table against PyTorch and finite differences."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

from minigrad import check, cli

ROOT = pathlib.Path(__file__).resolve().parents[1]
LOSSES = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
          "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "multi_margin_loss", "kl_div",
          "hinge_loss"]


def result_rows(text):
    return [line for line in text.splitlines()
            if line.endswith(("PASS", "FAIL")) and not line.startswith("minigrad check:")]


def test_full_check_passes_with_a_row_per_loss_option_dtype_and_reference(torch, capsys):
    assert cli.main(["check"]) == 0
    out = capsys.readouterr().out
    rows = result_rows(out)
    assert rows and all(row.endswith("PASS") for row in rows)
    for loss in LOSSES:
        mine = [row for row in rows if row.startswith(loss + " ")]
        assert any("float32" in r and "torch" in r for r in mine), loss
        assert any("float64" in r and "torch" in r for r in mine), loss
        assert any("finite diff" in r for r in mine), loss
    for option in ("reduction='none'", "pos_weight", "ignore_index=1", "label_smoothing=0.2",
                   "probability targets", "p=2, margin=2.0", "log_target=True", "reduction='batchmean'",
                   "delta=0.5", "beta=0.0", "weight"):
        assert any(option in row for row in rows), option
    assert out.strip().splitlines()[-1].endswith("all PASS")


def test_filter_dtype_seed_and_json(torch, tmp_path, capsys):
    path = tmp_path / "check.json"
    assert cli.main(["check", "--filter", "cross_entropy", "--dtype", "float32", "--seed", "3",
                     "--json", str(path)]) == 0
    rows = result_rows(capsys.readouterr().out)
    assert rows and all(row.startswith("cross_entropy ") and "float32" in row for row in rows)
    data = json.loads(path.read_text())
    assert data["seed"] == 3 and data["torch"] is True and data["summary"].endswith("all PASS")
    assert "against PyTorch:" in data["summary"]             # float32 only: no finite differences
    assert len(data["rows"]) == len(rows)
    assert {row["name"] for row in data["rows"]} == {"cross_entropy"}
    assert {"value_abs", "grad_rel", "status", "options", "against"} <= set(data["rows"][0])


def test_a_filter_that_matches_nothing_fails(capsys):
    assert cli.main(["check", "--filter", "no_such_op"]) == 1
    assert "no case matches" in capsys.readouterr().out


def test_without_torch_the_finite_difference_half_runs(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)      # makes `import torch` fail
    assert cli.main(["check", "--filter", "loss"]) == 0
    out = capsys.readouterr().out
    rows = result_rows(out)
    assert rows and all("finite diff" in row and row.endswith("PASS") for row in rows)
    assert 'pip install "minigrad[torch]"' in out


def test_a_wrong_case_fails_and_exits_1(torch, monkeypatch, capsys):
    wrong = check.Case("exp", "deliberately wrong in minigrad",
                       lambda lib, a: a.exp() if lib.__name__ == "torch" else a.exp() * 1.01,
                       check.many(check.normal(2, 2)))
    monkeypatch.setattr(check, "cases", lambda: [wrong])
    assert check.main() == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "output at" in out and out.strip().endswith("FAIL")


def test_python_dash_m_minigrad_check(torch):
    done = subprocess.run([sys.executable, "-m", "minigrad", "check", "--filter", "mse", "--dtype", "float64"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mse_loss" in done.stdout and "all PASS" in done.stdout


def test_the_table_covers_every_loss_of_nn_functional():
    import minigrad.nn.functional as F
    functional_losses = {name for name in dir(F) if name.endswith(("_loss", "cross_entropy", "_logits", "kl_div"))
                         and not name.startswith("_")}
    assert functional_losses <= {case.name for case in check.cases()} and set(LOSSES) == functional_losses


NN_CASES = ["leaky_relu", "softplus", "gelu", "batch_norm", "layer_norm", "embedding"]


def test_the_activations_and_layers_have_rows_against_torch_and_finite_differences(torch, capsys):
    for name in NN_CASES:
        assert cli.main(["check", "--filter", name]) == 0, name
        rows = result_rows(capsys.readouterr().out)
        assert all(row.startswith(name + " ") and row.endswith("PASS") for row in rows), name
        assert any("float32" in r and "torch" in r for r in rows) and any("float64" in r and "torch" in r for r in rows)
        assert any("finite diff" in r for r in rows), name
    for options in ("approximate='tanh'", "input (N, C, L)", "eval: running statistics", "beta=2, threshold=3"):
        assert any(options in case.options for case in check.cases()), options


def test_a_chosen_gradient_is_checked_against_torch_only(torch, monkeypatch):
    """embedding's padding row gets 0, which finite differences would call wrong: the case says
    derivative=False, and its rows are torch's; a wrong padding gradient still fails there."""
    rows, _ = check.run("embedding")
    padding = [row for row in rows if row.options == "padding_idx=1"]
    assert [row.against for row in padding] == ["torch", "torch"] and all(row.status == "PASS" for row in padding)
    from minigrad.ops import embedding
    backward = embedding.Embedding.backward

    def forgets_the_padding(ctx, grad):
        ctx.params["padding_idx"] = None
        return backward(ctx, grad)
    monkeypatch.setattr(embedding.Embedding, "backward", staticmethod(forgets_the_padding))
    rows, _ = check.run("embedding")
    assert {row.status for row in rows if row.options == "padding_idx=1"} == {"FAIL"}


def test_hooks_retained_gradients_and_autograd_grad_have_rows_against_torch_and_finite_differences(torch):
    for name in ("register_hook", "retain_grad", "autograd.grad"):
        rows, _ = check.run(name)
        assert [(r.dtype, r.against) for r in rows] == [("float64", "torch"), ("float32", "torch"),
                                                        ("float64", "finite diff")], name
        assert all(r.status == "PASS" and r.grad_abs < 1e-5 for r in rows), rows


def test_a_probe_that_sees_a_wrong_gradient_fails_against_both(torch, monkeypatch):
    def look(lib, a):   # the hook's gradient, 1% off in minigrad only
        seen = check._hook_probe(lib, a)
        return [seen[0] * (1.01 if lib.__name__ == "minigrad" else 1.0), seen[1]]
    probe = check.probe_cases()[0]
    wrong = check.Probe("register_hook", "deliberately wrong", look, probe.numeric)
    monkeypatch.setattr(check, "cases", lambda: [wrong])
    rows, _ = check.run()
    assert [r.status for r in rows] == ["FAIL", "FAIL", "FAIL"]
    assert "seen 0 at" in rows[0].detail


# ---- --order 2: second derivatives -------------------------------------------------------------------
def test_order_2_checks_every_op_and_loss_against_torch_and_finite_differences(torch, capsys, tmp_path):
    path = tmp_path / "order2.json"
    assert cli.main(["check", "--order", "2", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    rows = result_rows(out)
    assert rows and all(row.endswith("PASS") for row in rows)
    assert "hvp abs" in out.splitlines()[0]
    names = {case.name for case in check.cases() if not isinstance(case, check.Probe)}
    for name in names:
        mine = [row for row in rows if row.startswith(name + " ")]
        assert any("float64" in r and "torch" in r for r in mine) and any("float32" in r and "torch" in r for r in mine)
    for loss in LOSSES:
        assert any(row.startswith(loss + " ") and "finite diff" in row for row in rows), loss
    assert not any(row.startswith(("register_hook ", "retain_grad ", "autograd.grad ")) for row in rows)
    data = json.loads(path.read_text())
    assert data["order"] == 2 and {row["order"] for row in data["rows"]} == {2}
    cases = {(case.name, case.options) for case in check.cases() if not isinstance(case, check.Probe)}
    assert data["summary"].startswith(f"minigrad check: {len(cases)} cases (second derivatives)")


def test_order_2_rows_measure_the_second_derivatives(torch):
    rows, _ = check.run("tanh", order=2)
    assert [(r.dtype, r.against, r.order) for r in rows] == [("float64", "torch", 2), ("float32", "torch", 2),
                                                             ("float64", "finite diff", 2)]
    assert rows[0].grad_abs < 1e-14 and 0 < rows[2].grad_abs < 1e-6          # torch: rounding; central differences
    assert all(r.status == "PASS" for r in rows)


def test_order_2_fails_a_wrong_backward_with_graph_against_both(torch, monkeypatch):
    from minigrad.ops import elementwise
    monkeypatch.setattr(elementwise.Exp, "backward_with_graph",
                        staticmethod(lambda ctx, grad, inputs, output: grad * output.detach()))
    rows, _ = check.run("exp", order=2)
    assert [r.status for r in rows] == ["FAIL", "FAIL", "FAIL"]
    assert "hvp of a" in rows[0].detail and "gradgradcheck: d(gradient of input 0" in rows[2].detail
    first, _ = check.run("exp")                # first derivatives come from backward(): still right
    assert {r.status for r in first} == {"PASS"}


def test_order_2_reports_an_op_without_a_second_derivative_as_a_failed_row(torch, monkeypatch):
    from minigrad.ops import elementwise

    def missing(ctx, grad, inputs, output):
        raise NotImplementedError("create_graph=True: Exp has no backward written with Tensor ops")
    monkeypatch.setattr(elementwise.Exp, "backward_with_graph", staticmethod(missing))
    rows, _ = check.run("exp", order=2)
    assert [r.status for r in rows] == ["FAIL", "FAIL", "FAIL"]
    assert all(r.detail.startswith("NotImplementedError: create_graph=True: Exp") for r in rows)


def test_torchs_multi_margin_loss_has_no_second_derivative_so_order_2_uses_its_formula(torch):
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0, 2, 1, 2])
    (g,) = torch.autograd.grad(torch.nn.functional.multi_margin_loss(x, t, p=2), x, create_graph=True)
    with pytest.raises(RuntimeError, match="derivative for aten::multi_margin_loss_backward is not implemented"):
        torch.autograd.grad(g.sum(), x)
    for p, margin in ((1, 1.0), (2, 0.5)):
        composed = check._multi_margin_composed(torch, x, t, p=p, margin=margin, reduction="none")
        fused = torch.nn.functional.multi_margin_loss(x, t, p=p, margin=margin, reduction="none")
        assert torch.allclose(composed, fused, rtol=1e-14, atol=0)
    rows, _ = check.run("multi_margin_loss", order=2)
    assert rows and all(r.status == "PASS" for r in rows)


def test_order_must_be_1_or_2():
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        check.run("exp", order=3)
