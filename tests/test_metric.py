import numpy as np
import pytest

from models.labels import votes_to_probabilities
from models.metric import kl_divergence, kl_divergence_rows, kl_report


def test_published_example_two_classes():
    # The competition metric's docstring example: columns ham, spam.
    solution = np.array([[0, 1], [1, 0], [1, 0], [0, 1]])
    prediction = np.array([[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]])
    assert kl_divergence(solution, prediction) == pytest.approx(0.216161, abs=1e-6)


def test_published_example_three_classes():
    solution = np.array([[0, 0.1, 0.9], [0.5, 0.5, 0], [0.5, 0.5, 0]])
    prediction = np.array([[0.2, 0.1, 0.7], [0.3, 0.5, 0.2], [0.5, 0.5, 0]])
    assert kl_divergence(solution, prediction) == pytest.approx(0.160531, abs=1e-6)


def test_perfect_prediction_scores_zero_and_zero_targets_are_skipped():
    y = np.array([[0.0, 0.25, 0.75]])
    assert kl_divergence(y, y) == pytest.approx(0.0, abs=1e-12)
    # A zero prediction where the target is zero costs nothing; where it is positive, it is
    # clipped to 1e-15 and costs y * log(y / 1e-15).
    exact = kl_divergence_rows(np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]]))[0]
    assert exact == pytest.approx(0.0, abs=1e-12)
    cost = kl_divergence_rows(np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]]))[0]
    assert cost == pytest.approx(0.5 * np.log(0.5 / (1 - 1e-15)) + 0.5 * np.log(0.5 / 1e-15))


def test_uniform_prediction_of_one_hot_is_log_six():
    y = np.eye(6)
    assert kl_divergence(y, np.full((6, 6), 1 / 6)) == pytest.approx(np.log(6))


def test_shape_mismatch_and_nan_are_refused():
    with pytest.raises(ValueError, match="same shape"):
        kl_divergence(np.ones((2, 6)) / 6, np.ones((2, 5)) / 5)
    with pytest.raises(ValueError, match="NaN"):
        kl_divergence(np.ones((1, 2)) / 2, np.array([[np.nan, 1.0]]))


def test_report_splits_reliable_rows_and_one_row_per_eeg():
    votes = np.array([[3, 0, 0, 0, 0, 0], [0, 12, 0, 0, 0, 0], [0, 0, 10, 0, 0, 5]])
    pred = np.full((3, 6), 1 / 6)
    eeg = np.array([5, 5, 9])
    report = kl_report(votes, pred, eeg)
    per_row = kl_divergence_rows(votes_to_probabilities(votes), pred)
    assert report["kl_all"] == pytest.approx(per_row.mean())
    assert report["n_reliable"] == 2
    assert report["kl_reliable"] == pytest.approx(per_row[1:].mean())
    assert report["n_one_per_eeg"] == 2
    assert report["kl_one_per_eeg"] == pytest.approx(per_row[[0, 2]].mean())


def test_report_without_reliable_rows_is_nan():
    report = kl_report(np.array([[1, 0, 0, 0, 0, 0]]), np.full((1, 6), 1 / 6))
    assert np.isnan(report["kl_reliable"]) and report["n_reliable"] == 0


def test_votes_to_probabilities_refuses_bad_rows():
    with pytest.raises(ValueError):
        votes_to_probabilities(np.zeros((1, 6)))
    with pytest.raises(ValueError):
        votes_to_probabilities(np.array([[-1, 2, 0, 0, 0, 0]]))
