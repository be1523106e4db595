"""Tests that the demo's patterns are there to be learnt: they stand out of the calibrated
background, and background plus patterns keep the fitted spectrum."""

from __future__ import annotations

import numpy as np
import pytest

from features.montage import EEG_CHANNELS, SFREQ
from models.labels import CLASSES
from pipelines.demo import calibration
from pipelines.demo.fit import pattern_measures
from pipelines.demo.plan import RecordingPlan
from pipelines.demo.realism import window_log_spectra
from pipelines.demo.recording import bipolar_psd, recording_signal
from pipelines.demo.signals import BACKGROUND_FLOOR, background, spectrum_log_power


def test_bipolar_psd_of_white_noise_on_one_electrode():
    # white noise of variance s2 on F7: one-sided density 2 s2 / sfreq in the 2 derivations
    # with F7 (Fp1-F7, F7-T3), so 2 / 18 of that on the mean of the 18
    rng = np.random.default_rng(0)
    x = np.zeros((19, int(120 * SFREQ)))
    x[EEG_CHANNELS.index("F7")] = rng.normal(0.0, 10.0, x.shape[1])
    psd = bipolar_psd(x, sfreq=SFREQ)
    assert psd.shape == (x.shape[1] // 2 + 1,)
    assert np.median(psd) == pytest.approx(2 / 18 * 2 * 100.0 / SFREQ, rel=0.05)
    assert not bipolar_psd(np.zeros((19, 400)), sfreq=SFREQ).any()


def test_background_makes_room_for_the_patterns():
    n = int(300 * SFREQ)
    freqs = np.fft.rfftfreq(n, 1.0 / SFREQ)
    target = 10.0 ** spectrum_log_power(calibration.SPECTRUM_MEAN, freqs)
    # a pattern carrying half the target's power below 4 Hz and 3 times it at 6-12 Hz (bands
    # wider than the 2 s Welch window's leakage, about 1 Hz)
    pattern = np.where(freqs < 4.0, 0.5 * target, 0.0)
    pattern = np.where((freqs >= 6.0) & (freqs < 12.0), 3.0 * target, pattern)
    x = background(
        np.random.default_rng(2),
        n,
        sfreq=SFREQ,
        spectrum=calibration.SPECTRUM_MEAN,
        pattern_psd=pattern,
    )
    measured = np.mean(list(window_log_spectra(x).values()), axis=0)  # 1 Hz bins, log10
    expected = np.log10(np.mean(target[(freqs >= 2.0) & (freqs < 3.0)]) * 0.5)
    assert measured[2] == pytest.approx(expected, abs=0.12)  # half is left to the background
    expected = np.log10(np.mean(target[(freqs >= 8.0) & (freqs < 9.0)]) * BACKGROUND_FLOOR)
    assert measured[8] == pytest.approx(expected, abs=0.12)  # the floor
    expected = np.log10(np.mean(target[(freqs >= 20.0) & (freqs < 21.0)]))
    assert measured[20] == pytest.approx(expected, abs=0.12)  # untouched


def _plan(pattern: str, seed: int) -> RecordingPlan:
    truth = np.array([c == pattern for c in CLASSES], dtype=float)
    truth = 0.8 * truth + 0.2 / len(CLASSES)  # a typical consensus EEG: most mass on one class
    return RecordingPlan(
        split="train",
        eeg_id=seed,
        spectrogram_id=seed,
        truth=truth,
        eeg_samples=0,
        eeg_start_sec=0,
        spectrogram_rows=30,
        side=1,
        spectrum=calibration.SPECTRUM_MEAN,
        alpha_uv=0.0,
        ekg_rms_uv=calibration.EKG_RMS_UV[0],
        ekg_leak_corr=0.0,
        seed=np.random.SeedSequence([seed, 7]),
    )


def _measures(pattern: str, n_recordings: int = 5) -> dict[str, np.ndarray]:
    """``pattern_measures`` of the middle 50 s of ``n_recordings`` one-minute recordings."""
    from features.montage import to_bipolar

    rows = []
    for seed in range(n_recordings):
        x = np.nan_to_num(recording_signal(_plan(pattern, seed))[: len(EEG_CHANNELS)])
        x = x[:, int(5 * SFREQ) : int(55 * SFREQ)]
        spectrum = np.mean(list(window_log_spectra(x).values()), axis=0)
        rows.append(pattern_measures(to_bipolar(x).astype(np.float64), spectrum))
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def test_each_pattern_stands_out_of_the_background():
    # the figure that tells each family apart from "other" on 5 recordings of each, with a
    # margin: the demo is learnable only if a pattern changes what the features see
    other = _measures("other")
    rhythm = {p: _measures(p)["peak_excess"] for p in ("seizure", "grda")}
    for pattern, values in rhythm.items():
        assert np.median(values) > np.median(other["peak_excess"]) + 0.05, pattern
    assert np.median(_measures("gpd")["p99_ratio"]) > np.median(other["p99_ratio"]) + 0.15
    assert np.median(_measures("lrda")["focal_ratio"]) > np.median(other["focal_ratio"]) + 0.2
