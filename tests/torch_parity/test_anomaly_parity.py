"""Anomaly mode against torch: detect_anomaly / set_detect_anomaly as context managers,
decorator and plain call; the NaN error's message; check_nan=False; and, minigrad's own
addition, the line that created the failing op on the error itself.
"""
import warnings

import numpy as np
import pytest

import minigrad as mg


def nan_in_backward(lib):
    """sqrt at 0: the forward is fine (0), the backward is 0 * inf = nan."""
    x = lib.tensor([0.0, 1.0], dtype=lib.float64, requires_grad=True)
    y = x.sqrt()
    (y * 0).sum().backward()
    return x


def error_of(fn):
    with pytest.raises(Exception) as caught:
        fn()
    return type(caught.value).__name__, str(caught.value), caught.value


def test_a_backward_that_returns_nan_raises_torch_error(torch):
    for lib in (mg, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly():
                kind, message, _ = error_of(lambda: nan_in_backward(lib))
        assert (kind, message) == ("RuntimeError", "Function 'SqrtBackward0' returned nan values in its 0th output.")


def test_the_error_names_the_line_that_created_the_op():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with mg.autograd.detect_anomaly():
            _, _, error = error_of(lambda: nan_in_backward(mg))
    notes = getattr(error, "__notes__", [])
    assert len(notes) == 1 and "y = x.sqrt()" in notes[0] and __file__ in notes[0]
    messages = [str(w.message) for w in caught]
    assert messages[0].startswith("Anomaly Detection has been enabled.")
    detected = [m for m in messages if m.startswith("Error detected in SqrtBackward0. Traceback of forward call")]
    assert len(detected) == 1 and "y = x.sqrt()" in detected[0]
    assert "minigrad/tensor.py" not in detected[0]  # the user's frames, not the library's


def test_without_anomaly_mode_or_with_check_nan_off_the_nan_goes_through(torch):
    for lib in (mg, torch):
        assert np.isnan(nan_in_backward(lib).grad.detach().numpy()[0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly(check_nan=False):
                assert np.isnan(nan_in_backward(lib).grad.detach().numpy()[0])


def test_modes_are_switched_and_restored_as_torch_switches_them(torch):
    def states(lib):
        out = [lib.is_anomaly_enabled()]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly(check_nan=False):
                out += [lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()]
            out += [lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()]
            lib.autograd.set_detect_anomaly(True)          # a plain call switches it on
            out.append(lib.is_anomaly_enabled())
            with lib.autograd.set_detect_anomaly(False):
                out.append(lib.is_anomaly_enabled())
            out.append(lib.is_anomaly_enabled())            # back to the mode before the with
            lib.autograd.set_detect_anomaly(False)
            out.append(lib.is_anomaly_enabled())
        return out
    mg_states = states(mg)
    assert mg_states == states(torch)
    assert mg_states == [False, True, False, False, True, True, False, True, False]


def test_detect_anomaly_is_also_a_decorator():
    # (torch 2.13's detect_anomaly object is not callable; minigrad's is, as no_grad is)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        @mg.autograd.detect_anomaly(check_nan=False)
        def inside():
            return mg.is_anomaly_enabled(), mg.is_anomaly_check_nan_enabled()
    assert inside() == (True, False)
    assert (mg.is_anomaly_enabled(), mg.is_anomaly_check_nan_enabled()) == (False, True)
    with pytest.raises(RuntimeError, match="SqrtBackward0"):
        mg.autograd.detect_anomaly()(nan_in_backward)(mg)


def test_the_lesson_that_diverges_shows_where_the_nan_appeared(capsys):
    from minigrad import cli
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = cli.main(["train", "regression", "--lr", "0.1", "--epochs", "4000", "--detect-anomaly", "--quiet"])
    out = capsys.readouterr().out
    assert code == 1
    assert "Function 'MSELossBackward0' returned nan values in its 0th output." in out
    assert "minigrad/lessons/regression.py" in out and "mse_loss(model(x), y)" in out
