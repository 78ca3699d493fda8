"""The lessons' worked numbers, recomputed by minigrad and checked against torch and the formulas;
where a lesson printed something else, the output says WRONG."""
import math

import numpy as np
import pytest

from minigrad.lessons import binary, multiclass, regression
from minigrad.lessons._common import check_printed, quiet


def test_check_printed_flags_only_numbers_that_disagree_at_the_digits_shown():
    lines = []
    check_printed("a", 0.35667, "0.357", "000", lines.append)
    check_printed("b", 0.022, "0.04", "001", lines.append)
    check_printed("c", 1.0, None, "001", lines.append)
    assert lines[0].endswith("right)") and lines[1].endswith("WRONG)") and "lesson" not in lines[2]


@pytest.mark.parametrize("name", list(regression.LOSS_TABLE_CASES))
def test_regression_loss_tables_match_torch(torch, name):
    predicted, actual, _, _ = regression.LOSS_TABLE_CASES[name]
    p, a = torch.tensor(predicted, dtype=torch.float64), torch.tensor(actual, dtype=torch.float64)
    F = torch.nn.functional
    expected = (F.mse_loss(p, a).item(), F.l1_loss(p, a).item(), F.huber_loss(p, a, delta=1.0).item())
    np.testing.assert_allclose(regression.regression_losses(predicted, actual), expected, rtol=1e-12)


def test_regression_loss_tables_true_values_and_the_wrong_lesson_numbers():
    lines = []
    values = regression.loss_tables(out=lines.append)
    assert values["001's set"] == pytest.approx((0.375, 0.5, 0.1875))
    assert values["001's set with the outlier 50"] == pytest.approx((462.375, 11.0, 10.6875))
    assert values["house prices (003)"][0] == pytest.approx(250.0)      # 003 prints 350.0
    assert values["exam scores (000)"][0] == pytest.approx(15.75)
    text = "\n".join(lines)
    assert text.count("WRONG") == 7 and "prints 350.0: WRONG" in text and "prints 42.625: WRONG" in text


def test_bce_confidence_table_and_medical_case_match_torch(torch):
    for p, _, _ in binary.CONFIDENCE_CASES:
        assert binary.bce(p, 1) == pytest.approx(-math.log(p), rel=1e-12)
    values = binary.medical_case(pos_weight=10.0, out=quiet)
    z = torch.tensor([math.log(0.05 / 0.95)], dtype=torch.float64)
    fn = torch.nn.functional.binary_cross_entropy_with_logits
    weighted = fn(z, torch.ones(1, dtype=torch.float64), pos_weight=torch.tensor([10.0], dtype=torch.float64))
    assert values["weighted false negative"] == pytest.approx(weighted.item(), rel=1e-12)
    assert values["false negative"] == pytest.approx(values["false positive"]) == pytest.approx(-math.log(0.05))
    assert values["weighted false negative"] == pytest.approx(10 * values["false negative"])
    assert values["weighted false positive"] == pytest.approx(values["false positive"])


def test_bce_and_bce_with_logits_give_the_same_gradient():
    assert binary.same_gradient(out=quiet) < 1e-15


def test_cross_entropy_worked_numbers_match_torch(torch):
    lines = []
    values = multiclass.worked_numbers(out=lines.append)
    ce = torch.nn.functional.cross_entropy
    for name, (z, _) in multiclass.SCENARIOS_001.items():
        expected = ce(torch.tensor([z], dtype=torch.float64), torch.tensor([0])).item()
        assert values[name] == pytest.approx(expected, rel=1e-12)
    assert [round(values[n], 3) for n in multiclass.SCENARIOS_001] == [0.022, 0.912, 4.522]
    assert values["logits"] == pytest.approx(0.4170, abs=5e-5)
    assert [round(values[tuple(p)], 3) for p, _ in multiclass.CAT_DOG_BIRD] == [0.357, 0.105, 2.303]
    digit = torch.softmax(torch.tensor(multiclass.DIGIT_LOGITS_002, dtype=torch.float64), 0).numpy()
    np.testing.assert_allclose(values["digit softmax"], digit, rtol=1e-12)
    text = "\n".join(lines)
    assert text.count("WRONG") == 3 + 4          # the three scenarios and the digit softmax column
