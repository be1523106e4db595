import numpy as np
import pytest
from scipy.signal import chirp

from features.context import WindowSet
from features.families import evolution, laterality
from features.montage import BIPOLAR_NAMES, CHAIN_OF_BIPOLAR

SFREQ = 200.0
T = np.arange(0, 50, 1 / SFREQ)


def _background(n_windows=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 5, size=(n_windows, 18, T.size)).astype(np.float32)


def test_left_rhythmic_delta_is_left_dominant_in_delta_not_in_beta():
    x = _background()
    left = np.isin(np.array(CHAIN_OF_BIPOLAR), ["ll", "lp"])
    x[:, left] += 40 * np.sin(2 * np.pi * 1.5 * T).astype(np.float32)
    cols = laterality.compute(WindowSet.from_windows(x, sfreq=SFREQ))
    for region in ("temporal", "parasag", "hemi"):
        assert np.all(cols[f"eeg_laterality_lr_delta_{region}_50s"] > 1.0)  # > 10x power
        assert np.all(np.abs(cols[f"eeg_laterality_lr_beta_{region}_50s"]) < 0.2)


def test_generalized_rhythm_is_coherent_and_correlated_across_hemispheres():
    lateral = _background()
    general = _background()
    general += 40 * np.sin(2 * np.pi * 1.5 * T).astype(np.float32)
    lat = laterality.compute(WindowSet.from_windows(lateral, sfreq=SFREQ))
    gen = laterality.compute(WindowSet.from_windows(general, sfreq=SFREQ))
    assert np.all(gen["eeg_laterality_coh_delta_temporal_50s"] > 0.9)
    assert np.all(lat["eeg_laterality_coh_delta_temporal_50s"] < 0.3)
    assert np.all(gen["eeg_laterality_homcorr_mean_hemi_50s"] > 0.9)
    assert np.all(np.abs(lat["eeg_laterality_homcorr_mean_hemi_50s"]) < 0.1)
    assert np.all(
        gen["eeg_laterality_globalcorr_all_50s"] > lat["eeg_laterality_globalcorr_all_50s"]
    )


def test_homologous_pairs_match_left_and_right_chains():
    left, right = laterality.homologous_pairs()
    assert [BIPOLAR_NAMES[i] for i in left["temporal"]] == ["fp1-f7", "f7-t3", "t3-t5", "t5-o1"]
    assert [BIPOLAR_NAMES[i] for i in right["temporal"]] == ["fp2-f8", "f8-t4", "t4-t6", "t6-o2"]


def test_chirp_has_positive_dominant_frequency_trend():
    x = _background(1)
    x += (30 * chirp(T, 3, 50, 12)).astype(np.float32)
    cols = evolution.compute(WindowSet.from_windows(x, sfreq=SFREQ))
    assert cols["eeg_evolution_domfreq_trend_ll_50s"][0] == pytest.approx(1.8, abs=0.3)
    steady = evolution.compute(
        WindowSet.from_windows(_background(1) + 30 * np.sin(2 * np.pi * 6 * T), sfreq=SFREQ)
    )
    assert steady["eeg_evolution_domfreq_trend_ll_50s"][0] == pytest.approx(0.0, abs=0.05)


def test_growing_amplitude_has_positive_power_trend():
    x = _background(1) + (np.linspace(1, 20, T.size) * np.sin(2 * np.pi * 5 * T)).astype(np.float32)
    cols = evolution.compute(WindowSet.from_windows(x, sfreq=SFREQ))
    assert cols["eeg_evolution_logpow_theta_trend_rp_50s"][0] > 0.1
    assert cols["eeg_evolution_logpow_theta_range_rp_50s"][0] > 0.5


def test_trend_known_answer():
    assert evolution.trend(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])) == pytest.approx([1, -1])
