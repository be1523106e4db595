import numpy as np
import pytest

from features.context import WindowSet
from features.families import spectral
from features.spectra import rfft_freqs, welch_psd

SFREQ = 200.0
T = np.arange(0, 50, 1 / SFREQ)


def _sine(freq_hz, amplitude=1.0):
    return amplitude * np.sin(2 * np.pi * freq_hz * T)


def test_sine_band_power_is_half_amplitude_squared_and_dominates_alpha():
    freqs, psd = welch_psd(_sine(10, amplitude=30), sfreq=SFREQ)
    assert spectral.band_power(psd, freqs, (8, 13)) == pytest.approx(30**2 / 2, rel=1e-3)
    feats = spectral.spectral_features(psd, freqs)
    assert feats["relpow_alpha"] > 0.95
    assert feats["peakfreq"] == pytest.approx(10.0)
    assert feats["abspow_alpha"] == pytest.approx(np.log10(450), abs=1e-3)


def test_white_noise_entropy_near_one_and_sine_near_zero():
    rng = np.random.default_rng(0)
    freqs, noise = welch_psd(rng.normal(size=T.size), sfreq=SFREQ)
    _, sine = welch_psd(_sine(10), sfreq=SFREQ)
    assert spectral.spectral_entropy(noise, freqs) > 0.95
    assert spectral.spectral_entropy(sine, freqs) < 0.25


def test_edge_frequency_and_slope_known_answers():
    freqs = rfft_freqs(SFREQ)
    flat = np.ones_like(freqs)
    # Flat PSD over 0.5-40 Hz: 95% of the power lies below about 0.5 + 0.95 * 39.5 Hz.
    assert spectral.edge_frequency(flat, freqs) == pytest.approx(0.5 + 0.95 * 39.5, abs=0.3)
    pink = np.where(freqs > 0, 1 / np.maximum(freqs, 1e-9), 0)
    assert spectral.aperiodic_slope(pink, freqs) == pytest.approx(-1.0, abs=1e-3)
    assert spectral.aperiodic_slope(flat, freqs) == pytest.approx(0.0, abs=1e-6)


def test_flat_channel_is_finite():
    freqs = rfft_freqs(SFREQ)
    feats = spectral.spectral_features(np.zeros((2, freqs.size)), freqs)
    for name, value in feats.items():
        assert np.all(np.isfinite(value)), name


def test_compute_names_and_alpha_on_every_channel():
    x = np.tile(_sine(10, 20).astype(np.float32), (2, 18, 1))
    cols = spectral.compute(WindowSet.from_windows(x, sfreq=SFREQ))
    assert cols["eeg_spectral_relpow_alpha_fp1-f7_50s"] == pytest.approx([1, 1], abs=0.05)
    assert cols["eeg_spectral_relpow_alpha_ll_10s"] == pytest.approx([1, 1], abs=0.05)
    assert "eeg_spectral_relpow_alpha_fp1-f7_10s" not in cols  # channels only at 50 s
