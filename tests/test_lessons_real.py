"""The trainings on scikit-learn's bundled real data sets reach their targets (a few seconds)."""
import pytest

pytest.importorskip("sklearn")  # the `data` extra; it is in `test`, so CI runs these

from minigrad import cli  # noqa: E402
from minigrad.lessons import binary, multiclass, regression, svm  # noqa: E402
from minigrad.lessons._common import quiet  # noqa: E402


def test_diabetes_linear_regression_matches_least_squares():
    result = regression.real_data(out=quiet)
    assert result.extra["test_r2"] == pytest.approx(result.extra["baseline_r2"], abs=0.01)
    assert result.status == "converged"


@pytest.mark.parametrize("train", [binary.real_data, svm.real_data, multiclass.real_data],
                         ids=["breast-cancer-logistic", "breast-cancer-svm", "digits-softmax"])
def test_within_two_points_of_scikit_learn(train):
    result = train(out=quiet)
    assert result.extra["test_accuracy"] >= result.extra["baseline_accuracy"] - 0.02
    assert result.status == "converged"


def test_digits_mlp_reaches_95_percent():
    result = multiclass.real_data(hidden=64, out=quiet)
    assert result.extra["test_accuracy"] >= 0.95 and result.status == "converged"


def test_cli_data_real(capsys):
    assert cli.main(["train", "binary", "--data", "real", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Verdict: binary (breast cancer): converged")
