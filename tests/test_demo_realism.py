"""Tests of the realism check (pipelines.demo.realism): known answers and a tiny pair of folders."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.demo import realism
from pipelines.demo.dataset import write_demo_dataset
from pipelines.demo.realism_html import write_html


def test_outside_counts_known_answer():
    synthetic = np.arange(101, dtype=float)[:, None]  # 1% and 99% quantiles: 1 and 99
    real = np.array([0.5, 1.0, 50.0, 99.0, 99.5, np.nan])[:, None]
    outside, counted = realism.outside_counts(real, synthetic)
    assert outside.tolist() == [2] and counted.tolist() == [5]


def test_outside_counts_all_nan_synthetic_column_puts_every_real_value_outside():
    synthetic = np.array([[np.nan, 1.0], [np.nan, 2.0]])
    real = np.array([[3.0, 1.5], [4.0, 9.0]])
    outside, counted = realism.outside_counts(real, synthetic)
    assert outside.tolist() == [2, 1] and counted.tolist() == [2, 2]


def test_outside_counts_refuses_mismatched_tables():
    with pytest.raises(ValueError, match="equal columns"):
        realism.outside_counts(np.zeros((2, 3)), np.zeros((2, 4)))


def test_shares_by_family_pool_the_values_of_a_family():
    table = pd.DataFrame({"family": ["a", "a", "b"], "outside": [1, 0, 3], "counted": [4, 4, 4]})
    shares = realism.shares_by_family(table)
    assert shares == pytest.approx({"all": 4 / 12, "a": 1 / 8, "b": 3 / 4})


def test_family_of_reads_the_column_name():
    assert realism.family_of("eeg_spectral_relpow_alpha_ll_50s") == "spectral"
    assert realism.family_of("spec_spectrogram_mean_beta_ll_600s") == "spectrogram"
    with pytest.raises(ValueError, match="not named"):
        realism.family_of("patient_id")


def test_auc_known_answer():
    y = np.array([1, 1, 1, 0, 0, 0])
    score = np.array([0.9, 0.4, 0.3, 0.5, 0.1, 0.3])
    # positives 0.9, 0.4, 0.3 vs negatives 0.5, 0.1, 0.3: 0.9 wins 3, 0.4 wins 2, 0.3 wins 1
    # and ties 1 (half): 6.5 of 9 pairs
    assert realism.auc(y, score) == pytest.approx(6.5 / 9)
    with pytest.raises(ValueError, match="both classes"):
        realism.auc(np.ones(3), np.arange(3.0))


def test_group_folds_keep_groups_whole_and_spread_both_sides():
    groups = np.array(["r1", "r1", "r2", "r3", "s1", "s2", "s2", "s3"])
    labels = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    folds = realism.group_folds(groups, labels, 3)
    for g in np.unique(groups):
        assert len(set(folds[groups == g])) == 1
    for k in range(3):
        assert set(labels[folds == k]) == {0, 1}


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("realism")
    write_demo_dataset(root / "real", n_eegs=4, seed=11, n_jobs=1, progress=False)
    write_demo_dataset(root / "synthetic", n_eegs=6, seed=12, n_jobs=1, progress=False)
    return root


def _hand_count(real: pd.DataFrame, synthetic: pd.DataFrame, columns) -> tuple[int, int]:
    outside = counted = 0
    for c in columns:
        values = synthetic[c].dropna().to_numpy()
        for v in real[c]:
            if not np.isfinite(v):
                continue
            counted += 1
            if len(values) == 0 or not (
                np.quantile(values, 0.01) <= v <= np.quantile(values, 0.99)
            ):
                outside += 1
    return outside, counted


def test_check_on_a_tiny_pair_of_folders_matches_a_hand_count(pair):
    work = pair / "work"
    report = realism.compare_folders(pair / "real", pair / "synthetic", work, n_jobs=1)
    real = realism.feature_table(pair / "real", work, n_jobs=1)
    synthetic = realism.feature_table(pair / "synthetic", work, n_jobs=1)
    keys = {"eeg_id", "eeg_sub_id", "eeg_label_offset_seconds", "spectrogram_id"}
    columns = [c for c in real.columns if c.startswith(("eeg_", "spec_")) and c not in keys]
    outside, counted = _hand_count(real, synthetic, columns)
    assert report["n_columns"] == len(columns)
    assert report["n_real_rows"] == len(real) and report["n_synthetic_rows"] == len(synthetic)
    assert report["outside"]["all"] == pytest.approx(outside / counted)
    spectral = [c for c in columns if c.startswith("eeg_spectral_")]
    o, n = _hand_count(real, synthetic, spectral)
    assert report["outside"]["spectral"] == pytest.approx(o / n)
    assert 0.0 <= report["discriminator"]["auc"] <= 1.0
    assert report["discriminator"]["n_folds"] == 4  # min(5, 4 real recordings)
    s = report["sim_to_real"]["all"]
    assert s["n_rows"] == len(real) and s["uniform"] > 0
    assert set(report["spectra"]) == {"ll", "lp", "rp", "rl", "cz"}
    assert len(report["spectra"]["ll"]["real"]) == 40
    text = realism.format_report(report)
    assert "discriminator AUC" in text and "sim-to-real" in text
    write_html(report, text, pair / "report.html")
    assert (pair / "report.html").read_text().count("<svg") == 5
