"""Tests of the label statistics, on a handmade table and (when present) on the real labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.labels import VOTE_COLUMNS
from pipelines.demo import calibration, label_stats

REAL_LABELS = (
    Path(__file__).resolve().parents[2] / "shared" / "hms_labels" / "train_labels_reconstructed.csv"
)
needs_real = pytest.mark.skipif(not REAL_LABELS.exists(), reason="../shared/hms_labels not present")


@pytest.fixture
def tiny() -> pd.DataFrame:
    # eeg 1 (patient 7): 2 identical rows of 3 votes; eeg 2 (patient 7): 1 row of 12 votes;
    # eeg 3 (patient 8): 2 different rows of 1 vote
    votes = [
        [0, 3, 0, 0, 0, 0],
        [0, 3, 0, 0, 0, 0],
        [6, 0, 0, 0, 0, 6],
        [1, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 1],
    ]
    frame = pd.DataFrame(votes, columns=list(VOTE_COLUMNS))
    frame.insert(0, "eeg_id", [1, 1, 2, 3, 3])
    frame.insert(1, "eeg_label_offset_seconds", [0.0, 2.0, 0.0, 0.0, 6.0])
    frame.insert(2, "patient_id", [7, 7, 7, 8, 8])
    return frame


def test_histograms(tiny):
    hist = label_stats.votes_per_row_histogram(tiny, max_votes=12)
    assert hist.tolist() == [0, 2, 0, 2] + [0] * 8 + [1]
    assert label_stats.reliable_share(tiny) == pytest.approx(0.2)
    assert label_stats.rows_per_eeg(tiny).tolist() == [2, 1, 2]
    assert label_stats.eegs_per_patient(tiny).to_dict() == {7: 2, 8: 1}
    assert sorted(label_stats.offset_gaps(tiny).tolist()) == [2.0, 6.0]


def test_identical_votes_and_regimes(tiny):
    assert label_stats.identical_votes(tiny).to_dict() == {1: True, 2: True, 3: False}
    assert label_stats.eeg_regimes(tiny).to_dict() == {1: "low", 2: "high", 3: "low"}
    assert label_stats.first_rows(tiny)["eeg_label_offset_seconds"].tolist() == [0.0, 0.0, 0.0]


def test_baseline_kl_known_answer(tiny):
    # one-hot rows: KL to uniform = log 6; the (6, 6) row: log 6 - log 2 = log 3
    kl = label_stats.baseline_kl(tiny)
    assert kl["uniform"] == pytest.approx((4 * np.log(6) + np.log(3)) / 5)
    reliable = label_stats.baseline_kl(tiny, min_votes=10)
    assert reliable["uniform"] == pytest.approx(np.log(3))
    assert reliable["prior"] == pytest.approx(0.0, abs=1e-12)  # the prior of that one row
    with pytest.raises(ValueError, match="at least 100 votes"):
        label_stats.baseline_kl(tiny, min_votes=100)


def test_missing_column_and_empty_row(tiny):
    with pytest.raises(ValueError, match="lacks column"):
        label_stats.vote_totals(tiny.drop(columns="gpd_vote"))
    bad = tiny.copy()
    bad.loc[0, list(VOTE_COLUMNS)] = 0
    with pytest.raises(ValueError, match="row 0 has no votes"):
        label_stats.vote_fractions(bad)


def test_dirichlet_fit_recovers_concentration():
    rng = np.random.default_rng(0)
    alpha = np.array([4.0, 1.0, 0.5, 0.5, 0.3, 2.0])
    p = rng.dirichlet(alpha, size=4000)
    votes = np.stack([rng.multinomial(12, row) for row in p])
    fitted = label_stats.fit_dirichlet_multinomial(votes)
    np.testing.assert_allclose(fitted, alpha, rtol=0.15)


def test_consensus_ties_go_to_the_first_class():
    assert label_stats.consensus(np.array([[0, 0, 2, 0, 2, 0]])).tolist() == ["GPD"]


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return pd.read_csv(REAL_LABELS)


@needs_real
def test_published_figures(real):
    summary = label_stats.label_summary(real)
    assert summary["uniform_kl_all"] == pytest.approx(1.402, abs=5e-4)
    assert summary["uniform_kl_reliable"] == pytest.approx(1.089, abs=5e-4)
    assert summary["prior_kl_all"] == pytest.approx(1.380, abs=5e-4)
    assert summary["prior_kl_reliable"] == pytest.approx(0.974, abs=5e-4)
    assert summary["reliable_share"] == pytest.approx(0.374, abs=5e-4)
    assert summary["modal_votes"] == 3
    assert summary["rows_per_eeg_median"] == 3 and summary["n_patients"] == 1950
    hist = label_stats.votes_per_row_histogram(real)
    assert hist[1:8].sum() / hist.sum() == pytest.approx(0.626, abs=5e-4)


@needs_real
def test_embedded_tables_match_the_real_labels(real):
    tables = label_stats.calibration_tables(real)
    assert calibration.HIGH_REGIME_SHARE == pytest.approx(tables["high_regime_share"], abs=1e-4)
    assert calibration.OFFSET_GAPS == tuple(tables["offset_gaps"])
    assert calibration.EEGS_PER_PATIENT == tuple(tables["eegs_per_patient"])
    for regime in label_stats.REGIMES:
        assert calibration.VOTES_PER_ROW[regime] == tuple(tables["votes_per_row"][regime])
        assert calibration.ROWS_PER_EEG[regime] == tuple(tables["rows_per_eeg"][regime])
        np.testing.assert_allclose(
            calibration.CLASS_PRIOR[regime], tables["class_prior"][regime], atol=1e-4
        )
        np.testing.assert_allclose(
            calibration.DIRICHLET_ALPHA[regime], tables["dirichlet_alpha"][regime], rtol=1e-3
        )
        assert calibration.IDENTICAL_VOTES_SHARE[regime] == pytest.approx(
            tables["identical_votes_share"][regime], abs=1e-4
        )
