"""Known answers of the fine-spectrum and hemisphere-symmetric families."""

import itertools

import numpy as np
import pytest

from features.context import WindowSet
from features.families import finespec, symmetry
from features.families.finespec import FINE_BINS, dominant_rhythm, fine_bin_power
from features.montage import CHAIN_OF_BIPOLAR
from features.spectra import welch_psd

SFREQ = 200.0
T = np.arange(0, 50, 1 / SFREQ)


def _background(n_windows=2, seed=0, sd=5.0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, sd, size=(n_windows, 18, T.size)).astype(np.float32)


def test_pure_6_hz_sine_peaks_at_6_hz_with_its_power_in_the_6_hz_bin():
    x = np.broadcast_to(4 * np.sin(2 * np.pi * 6 * T), (1, 18, T.size)).astype(np.float32)
    cols = finespec.compute(WindowSet.from_windows(x, sfreq=SFREQ))
    for chain in ("ll", "lp", "rp", "rl", "cz"):
        for scale in ("50s", "10s"):
            logpow = [cols[f"eeg_finespec_logpow_{k}_{chain}_{scale}"][0] for k in FINE_BINS]
            assert list(FINE_BINS)[int(np.argmax(logpow))] == "06hz"
            assert 10 ** logpow[5] == pytest.approx(8.0, rel=1e-3)  # A^2 / 2
            assert cols[f"eeg_finespec_rhythm_hz_{chain}_{scale}"][0] == 6.0
            assert cols[f"eeg_finespec_rhythm_prom_{chain}_{scale}"][0] > 3.0


def test_bins_tile_0_5_to_20_5_hz_in_1_hz_steps():
    edges = list(FINE_BINS.values())
    assert edges[0] == (0.5, 1.5) and edges[-1] == (19.5, 20.5)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(edges))


def test_white_noise_has_a_flat_fine_spectrum_and_a_weak_rhythm():
    rng = np.random.default_rng(1)
    freqs, psd = welch_psd(rng.normal(0, 10, (4, T.size)), sfreq=SFREQ)
    logpow = fine_bin_power(psd, freqs)
    # white noise of variance 100 over 0-100 Hz: 1 uV^2 per Hz, so 0 in log10 per 1 Hz bin
    np.testing.assert_allclose(logpow, 0.0, atol=0.2)  # a 4-periodogram bin scatters
    assert abs(logpow.mean()) < 0.03
    _, prominence = dominant_rhythm(psd, freqs)
    assert np.all(prominence < 0.6)


def test_rhythm_is_found_above_a_pink_background():
    rng = np.random.default_rng(2)
    pink = np.cumsum(rng.normal(0, 3, T.size))  # 1/f^2, much larger at low frequencies
    pink -= pink.mean()
    x = pink + 15 * np.sin(2 * np.pi * 9 * T)
    freqs, psd = welch_psd(x, sfreq=SFREQ)
    peak_hz, prominence = dominant_rhythm(psd, freqs)
    assert float(peak_hz) == 9.0 and float(prominence) > 1.0


def test_vectorised_fine_spectrum_equals_a_loop():
    x = _background(3, seed=4)
    freqs, psd = welch_psd(x, sfreq=SFREQ)
    whole = fine_bin_power(psd, freqs)
    peak_hz, prominence = dominant_rhythm(psd, freqs)
    for i in range(3):
        for c in (0, 17):
            np.testing.assert_allclose(whole[i, c], fine_bin_power(psd[i, c], freqs))
            one_hz, one_prom = dominant_rhythm(psd[i, c], freqs)
            assert peak_hz[i, c] == one_hz and prominence[i, c] == pytest.approx(one_prom)


def test_left_only_rhythm_has_positive_signed_difference_and_left_is_the_larger():
    x = _background()
    left = np.isin(np.array(CHAIN_OF_BIPOLAR), ["ll", "lp"])
    x[:, left] += 40 * np.sin(2 * np.pi * 1.5 * T).astype(np.float32)
    ws = WindowSet.from_windows(x, sfreq=SFREQ)
    sym = symmetry.compute(ws)
    fine = finespec.compute(ws)
    for region, lc in (("temporal", "ll"), ("parasag", "lp")):
        for scale in ("50s", "10s"):
            rel = f"eeg_symmetry_relpow_delta_{{}}_{region}_{scale}"
            assert np.all(sym[rel.format("diff")] > 0.5)
            np.testing.assert_allclose(sym[rel.format("absdiff")], sym[rel.format("diff")])
            prom = f"eeg_symmetry_rhythm_prom_{{}}_{region}_{scale}"
            np.testing.assert_allclose(
                sym[prom.format("hi")], fine[f"eeg_finespec_rhythm_prom_{lc}_{scale}"], rtol=1e-6
            )
            assert np.all(sym[prom.format("diff")] > 1.0)
            assert np.all(sym[f"eeg_symmetry_rhythm_hz_hi_{region}_{scale}"] >= 1.5)
            assert np.all(sym[f"eeg_symmetry_abspow_delta_absdiff_{region}_{scale}"] > 1.0)
            assert np.all(sym[f"eeg_symmetry_abspow_delta_pairmax_{region}_{scale}"] > 1.0)
            assert np.all(sym[f"eeg_symmetry_abspow_beta_absdiff_{region}_{scale}"] < 0.3)


def test_generalized_rhythm_is_symmetric_and_mirroring_swaps_only_the_sign():
    x = _background(seed=5)
    x += 40 * np.sin(2 * np.pi * 1.5 * T).astype(np.float32)
    mirrored = x.copy()
    # ll (0-3) <-> rl (12-15), lp (4-7) <-> rp (8-11): swap left and right derivations
    mirrored[:, np.r_[0:4, 4:8]] = x[:, np.r_[12:16, 8:12]]
    mirrored[:, np.r_[12:16, 8:12]] = x[:, np.r_[0:4, 4:8]]
    a = symmetry.compute(WindowSet.from_windows(x, sfreq=SFREQ))
    b = symmetry.compute(WindowSet.from_windows(mirrored, sfreq=SFREQ))
    for name, value in a.items():
        expected = -value if "_diff_" in name else value
        np.testing.assert_allclose(b[name], expected, rtol=1e-5, atol=1e-6, err_msg=name)
    assert np.all(a["eeg_symmetry_abspow_delta_absdiff_temporal_50s"] < 0.2)


def test_symmetric_pair_known_answer():
    out = symmetry.symmetric_pair(np.array([1.0, -2.0]), np.array([3.0, -5.0]))
    assert out["hi"].tolist() == [3.0, -2.0] and out["lo"].tolist() == [1.0, -5.0]
    assert out["diff"].tolist() == [-2.0, 3.0] and out["absdiff"].tolist() == [2.0, 3.0]
