import numpy as np
import pytest

from features.context import WindowSet
from features.families import periodicity
from features.montage import BIPOLAR_NAMES
from features.windows import cut_eeg_windows

SFREQ = 200.0
T = np.arange(0, 50, 1 / SFREQ)
OFFSETS = np.array([0.0, 2.0, 16.0, 40.0, 70.0])

# Envelope-peak columns depend on peaks near a window's edges (see the module docstring): a
# window cut alone and the same stretch of a recording may differ by an edge peak (0.02/s).
PEAK_TOLERANCE = {"peak_rate": 0.1, "peak_cv": 0.1}


def _discharges(t: np.ndarray, times: np.ndarray, amplitude: float = 150.0) -> np.ndarray:
    """Sharp ~100 ms discharges (a 15 ms-wide spike and a slow after-wave) at ``times``."""
    lag = t[None, :] - times[:, None]
    spike = np.exp(-(lag**2) / (2 * 0.015**2)) - 0.3 * np.exp(-((lag - 0.08) ** 2) / (2 * 0.04**2))
    return amplitude * spike.sum(axis=0)


def _pink(rng: np.random.Generator, shape: tuple[int, ...], sd: float) -> np.ndarray:
    spectrum = np.fft.rfft(rng.normal(size=shape), axis=-1)
    freqs = np.fft.rfftfreq(shape[-1], 1 / SFREQ)
    spectrum[..., 1:] /= np.sqrt(freqs[1:])
    spectrum[..., 0] = 0
    x = np.fft.irfft(spectrum, n=shape[-1], axis=-1)
    return sd * x / x.std(axis=-1, keepdims=True)


def _compute(x: np.ndarray) -> dict[str, np.ndarray]:
    x = np.broadcast_to(np.asarray(x, dtype=np.float32), (2, 18, T.size))
    return periodicity.compute(WindowSet.from_windows(x, sfreq=SFREQ))


def _recording(seed: int = 0, seconds: int = 120):
    """Random background; irregular discharges (0.4-1.4 s apart) on every other channel."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SFREQ)
    t = np.arange(n) / SFREQ
    eeg = np.cumsum(rng.normal(0, 2, (18, n)), axis=1) + rng.normal(0, 8, (18, n))
    times = np.cumsum(rng.uniform(0.4, 1.4, 200))
    eeg[::2] += _discharges(t, times[times < seconds - 1])
    return eeg.astype(np.float32), np.zeros(n, np.float32), np.zeros((18, n), bool)


# --- known answers --------------------------------------------------------------------------


def test_one_hertz_discharges_have_rate_one_and_high_regularity():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 10, T.size) + _discharges(T, np.arange(0.5, 50, 1.0))
    cols = _compute(x)
    for unit in ("fp1-f7_50s", "ll_50s", "rp_10s"):
        assert cols[f"eeg_periodicity_acf_rate_{unit}"] == pytest.approx([1, 1], abs=0.03)
        assert np.all(cols[f"eeg_periodicity_acf_peak_{unit}"] > 0.8)
        assert cols[f"eeg_periodicity_peak_rate_{unit}"] == pytest.approx([1, 1], abs=0.05)
        assert np.all(cols[f"eeg_periodicity_peak_cv_{unit}"] < 0.1)


def test_two_hertz_discharges_are_not_reported_at_a_subharmonic():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 10, T.size) + _discharges(T, np.arange(0.25, 50, 0.5))
    cols = _compute(x)
    assert cols["eeg_periodicity_acf_rate_lp_50s"] == pytest.approx([2, 2], abs=0.05)
    assert cols["eeg_periodicity_peak_rate_lp_50s"] == pytest.approx([2, 2], abs=0.1)


def test_white_noise_has_weak_acf_peak_and_few_envelope_peaks():
    rng = np.random.default_rng(2)
    x = rng.normal(0, 10, (2, 18, T.size))
    cols = _compute(x)
    for name in BIPOLAR_NAMES:
        assert np.all(cols[f"eeg_periodicity_acf_peak_{name}_50s"] < 0.2)
        assert np.all(cols[f"eeg_periodicity_peak_rate_{name}_50s"] < 0.2)
        assert np.all(np.abs(cols[f"eeg_periodicity_delta_prom_{name}_50s"]) < 0.5)


def test_irregular_discharges_have_a_higher_interval_cv():
    rng = np.random.default_rng(3)
    regular = _discharges(T, np.arange(0.5, 50, 1.0))
    irregular = _discharges(T, np.cumsum(rng.uniform(0.4, 1.6, 60))[:45])
    noise = rng.normal(0, 10, (2, T.size))
    x = np.stack([np.tile(regular + noise[0], (18, 1)), np.tile(irregular + noise[1], (18, 1))])
    cols = _compute(x)
    cv = cols["eeg_periodicity_peak_cv_fp1-f7_50s"]
    strength = cols["eeg_periodicity_acf_peak_fp1-f7_50s"]
    assert cv[0] < 0.1 < 0.25 < cv[1]
    assert strength[0] > 0.8 > 0.5 > strength[1]


def test_rhythmic_delta_has_a_prominent_delta_peak_and_pink_noise_does_not():
    rng = np.random.default_rng(4)
    pink = _pink(rng, (18, T.size), 20)
    rhythmic = pink + 40 * np.sin(2 * np.pi * 1.5 * T)
    cols = _compute(np.stack([pink, rhythmic]))
    for unit in ("t3-t5_50s", "rl_50s", "cz_10s"):
        prom = cols[f"eeg_periodicity_delta_prom_{unit}"]
        sharp = cols[f"eeg_periodicity_delta_sharp_{unit}"]
        assert prom[0] < 0.5 < 1.0 < prom[1]
        assert sharp[0] < 0.5 < 1.0 < sharp[1]
        assert cols[f"eeg_periodicity_delta_hz_{unit}"][1] == 1.5


def test_autocorrelation_peak_without_a_maximum_in_range():
    lags = np.arange(69) / 20
    strength, rate = periodicity.autocorrelation_peak(np.exp(-lags), lags)  # monotone decay
    assert strength == 0 and rate == 0


# --- structure ------------------------------------------------------------------------------

# The contract every family keeps is in test_family_contract.py; here what is this family's.


def test_discharges_are_seen_in_every_window_of_a_recording():
    eeg, ekg, mask = _recording()
    ws = WindowSet.from_recording(eeg, ekg, mask, (OFFSETS * SFREQ).astype(int), sfreq=SFREQ)
    assert np.all(periodicity.compute(ws)["eeg_periodicity_peak_rate_fp1-f7_50s"] > 0.5)


def test_column_count_and_an_all_zero_window():
    eeg, _, _ = _recording(seed=3)
    windows = cut_eeg_windows(eeg, OFFSETS)
    windows[1] = 0.0
    cols = periodicity.compute(WindowSet.from_windows(windows, sfreq=SFREQ))
    assert len(cols) == 7 * (18 + 5 + 5)
    assert cols["eeg_periodicity_acf_peak_fp1-f7_50s"][1] == 0
    assert cols["eeg_periodicity_peak_rate_fp1-f7_50s"][1] == 0


def _peaks_of_one_row(env: np.ndarray) -> np.ndarray:
    """The reference: scipy's find_peaks on one envelope alone, with the family's settings."""
    from scipy.ndimage import uniform_filter1d
    from scipy.signal import find_peaks

    fs = periodicity.ENVELOPE_SFREQ
    level = uniform_filter1d(env, size=int(round(periodicity.LEVEL_SEC * fs)), mode="nearest")
    peaks, _ = find_peaks(
        env,
        prominence=np.maximum(periodicity.PEAK_PROMINENCE * level, periodicity.ENVELOPE_FLOOR),
        distance=int(np.floor(fs / periodicity.RATE_BAND_HZ[1])),
        wlen=int(round(periodicity.PEAK_WLEN_SEC * fs)) | 1,
    )
    return peaks


def test_batched_envelope_peaks_equal_one_search_per_row():
    rng = np.random.default_rng(3)
    x = _recording(seed=4, seconds=60)[0]
    real_like = periodicity.line_length_envelope(x, sfreq=SFREQ, block_sec=2.0)
    noise = rng.gamma(2.0, 1.0, size=(6, 400))
    plateaus = np.repeat(rng.integers(0, 5, size=(4, 80)), 5, axis=1).astype(float)
    edge_peaks = np.ones((3, 100))
    edge_peaks[0, 1] = edge_peaks[1, -2] = edge_peaks[2, [1, 50, 98]] = 30.0
    flat = np.zeros((2, 100))
    for env in (real_like, noise, plateaus, edge_peaks, flat):
        rows, peaks = periodicity.envelope_peaks_rows(env, env_sfreq=periodicity.ENVELOPE_SFREQ)
        for i, row in enumerate(env):
            np.testing.assert_array_equal(peaks[rows == i], _peaks_of_one_row(row))
    assert len(peaks) == 0  # the flat rows
