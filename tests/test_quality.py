import numpy as np
import pytest

from features.context import WindowSet
from features.families import quality
from features.montage import BIPOLAR_NAMES, CHAIN_OF_BIPOLAR
from features.windows import apply_nan_policy, cut_eeg_windows

SFREQ = 200.0
T = np.arange(0, 50, 1 / SFREQ)
OFFSETS = np.array([0.0, 2.0, 16.0, 40.0, 70.0])

# Columns that depend on R peaks near the window's edges (see the module docstring): a window
# cut alone and the same stretch of a recording may differ by an edge beat or interval.
EKG_TOLERANCE = {"ekg_hr": 1.0, "ekg_rrcv": 0.02, "ekg_snr": 0.02, "ekg_ok": 0.0}


def _qrs(t: np.ndarray, bpm: float, amplitude: float = 800.0) -> np.ndarray:
    period = 60.0 / bpm
    return amplitude * np.exp(-(((t % period) - period / 2) ** 2) / (2 * 0.012**2))


def _recording(seed: int = 0, seconds: int = 120, bpm: float = 72.0):
    """Random EEG with NaN runs (policy applied), a dead channel, and a clean EKG."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SFREQ)
    t = np.arange(n) / SFREQ
    raw = np.cumsum(rng.normal(0, 2, (18, n)), axis=1) + rng.normal(0, 8, (18, n))
    raw[2, 5000:5100] = np.nan  # interpolated
    raw[7, 9000:12_000] = np.nan  # too long: zeroed
    raw[11] = np.nan  # dead
    raw[15, rng.random(n) < 0.01] = np.nan
    clean = apply_nan_policy(raw, sfreq=SFREQ)
    ekg = (_qrs(t, bpm) + rng.normal(0, 20, n)).astype(np.float32)
    return clean.x, ekg, clean.nan_mask


def _ws(x: np.ndarray, **kwargs) -> WindowSet:
    return WindowSet.from_windows(np.asarray(x, dtype=np.float32), sfreq=SFREQ, **kwargs)


def _eeg(n_windows: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0, 10, (n_windows, 18, T.size)).astype(np.float32)


# --- known answers --------------------------------------------------------------------------


def test_nan_fraction_is_exact():
    mask = np.zeros((2, 18, T.size), dtype=bool)
    mask[0, 3, 100:1334] = True  # 1234 samples
    mask[1, :, :5000] = True  # half of everything
    cols = quality.compute(_ws(_eeg(), nan_mask=mask))
    name = BIPOLAR_NAMES[3]
    assert cols[f"eeg_quality_nanfrac_{name}_50s"] == pytest.approx([0.1234, 0.5])
    assert cols["eeg_quality_nanfrac_all_50s"] == pytest.approx([1234 / (18 * 10_000), 0.5])
    assert cols["eeg_quality_nanfrac_all_10s"] == pytest.approx([0.0, 0.5])  # 4000..6000
    assert cols["eeg_quality_nanchans_all_50s"].tolist() == [0.0, 0.0]  # not more than half
    assert cols["eeg_quality_nanchans_all_10s"].tolist() == [0.0, 0.0]


def test_flat_channel_is_counted():
    x = _eeg()
    x[0, 5] = 0.0  # dead (zeroed by the NaN policy)
    x[1, 6, :6000] = 17.0  # constant for 60% of the window, then live
    x[1, 7, 4000:6000] = 0.0  # flat only in the centre
    cols = quality.compute(_ws(x))
    assert cols["eeg_quality_flatchans_all_50s"].tolist() == [1.0, 1.0]
    assert cols["eeg_quality_flatchans_all_10s"].tolist() == [1.0, 2.0]
    assert cols[f"eeg_quality_flatfrac_{BIPOLAR_NAMES[5]}_50s"] == pytest.approx([1.0, 0.0])
    assert cols[f"eeg_quality_flatfrac_{BIPOLAR_NAMES[6]}_50s"] == pytest.approx([0.0, 0.6])
    assert cols[f"eeg_quality_flatfrac_{BIPOLAR_NAMES[0]}_50s"] == pytest.approx([0.0, 0.0])


def test_ekg_at_72_bpm_and_without_ekg():
    rng = np.random.default_rng(0)
    ekg = np.stack([_qrs(T, 72) + rng.normal(0, 20, T.size), np.zeros(T.size)])
    cols = quality.compute(_ws(_eeg(), ekg=ekg.astype(np.float32)))
    for scale in ("50s", "10s"):
        assert cols[f"eeg_quality_ekg_hr_{scale}"] == pytest.approx([72, 0], abs=0.5)
        assert cols[f"eeg_quality_ekg_ok_{scale}"].tolist() == [1.0, 0.0]
        assert cols[f"eeg_quality_ekg_rrcv_{scale}"][0] < 0.02
        assert cols[f"eeg_quality_ekg_rrcv_{scale}"][1] == 0.0
        assert cols[f"eeg_quality_ekg_snr_{scale}"][0] > np.log10(quality.EKG_MIN_SNR)


def test_noise_ekg_is_not_usable_and_irregular_rhythm_has_high_rr_cv():
    rng = np.random.default_rng(1)
    beats = np.cumsum(rng.uniform(0.5, 1.1, 100))  # irregular RR, 0.5-1.1 s
    irregular = sum(800 * np.exp(-((T - b) ** 2) / (2 * 0.012**2)) for b in beats[beats < 50])
    ekg = np.stack([rng.normal(0, 50, T.size), irregular]).astype(np.float32)
    cols = quality.compute(_ws(_eeg(), ekg=ekg))
    assert cols["eeg_quality_ekg_ok_50s"].tolist() == [0.0, 1.0]
    assert cols["eeg_quality_ekg_hr_50s"][0] == 0.0
    assert cols["eeg_quality_ekg_rrcv_50s"][1] > 0.1  # uniform(0.5, 1.1): CV ~0.22
    assert cols["eeg_quality_ekg_hr_50s"][1] == pytest.approx(60 / 0.8, rel=0.1)


def test_r_peaks_of_either_polarity():
    ekg = -_qrs(T, 90)
    peaks, _ = quality.r_peaks(ekg, sfreq=SFREQ)
    assert np.median(np.diff(peaks)) / SFREQ == pytest.approx(60 / 90, abs=0.01)


def test_muscle_power_and_ekg_leakage_where_they_are():
    rng = np.random.default_rng(2)
    x = _eeg()
    ekg = (_qrs(T, 60) + rng.normal(0, 5, T.size)).astype(np.float32)
    chains = np.array(CHAIN_OF_BIPOLAR)
    x[:, chains == "rl"] += (20 * np.sin(2 * np.pi * 45 * T)).astype(np.float32)
    x[:, chains == "lp"] += 0.1 * ekg  # EKG artefact on the left parasagittal chain
    cols = quality.compute(_ws(x, ekg=np.tile(ekg, (2, 1))))
    muscle = {c: cols[f"eeg_quality_muscle_{c}_50s"] for c in ("ll", "lp", "rp", "rl", "cz")}
    assert np.all(muscle["rl"] > muscle["ll"] + 0.5)
    assert np.all(cols["eeg_quality_musclerel_rl_10s"] > cols["eeg_quality_musclerel_ll_10s"])
    assert np.all(cols["eeg_quality_ekgcorr_lp_50s"] > 0.5)
    assert np.all(cols["eeg_quality_ekgcorr_rl_50s"] < 0.1)
    assert np.all(cols["eeg_quality_ekgcorr_max_50s"] >= cols["eeg_quality_ekgcorr_lp_50s"])


# --- structure ------------------------------------------------------------------------------

# The contract every family keeps is in test_family_contract.py; here what is this family's.


def test_recording_heart_rate_and_dead_channel():
    eeg, ekg, mask = _recording()
    ws = WindowSet.from_recording(eeg, ekg, mask, (OFFSETS * SFREQ).astype(int), sfreq=SFREQ)
    cols = quality.compute(ws)
    assert np.all(cols["eeg_quality_ekg_hr_50s"] == pytest.approx(72, abs=0.5))
    assert cols["eeg_quality_flatchans_all_50s"].min() >= 1  # the dead channel


def test_column_count_an_all_zero_window_and_a_dead_ekg():
    eeg, ekg, mask = _recording(seed=5)
    windows = cut_eeg_windows(eeg, OFFSETS)
    windows[1] = 0.0
    ekgs = cut_eeg_windows(ekg[None], OFFSETS)[:, 0]
    ekgs[2] = 0.0
    masks = cut_eeg_windows(mask, OFFSETS)
    cols = quality.compute(WindowSet.from_windows(windows, sfreq=SFREQ, ekg=ekgs, nan_mask=masks))
    assert len(cols) == 94
    assert cols["eeg_quality_flatchans_all_50s"][1] == 18
    assert cols["eeg_quality_ekg_ok_50s"][2] == 0


def test_heart_rate_counts_intervals_on_two_second_blocks():
    from features.families.quality import heart_rate

    # 50 s at 40 bpm: 33 intervals of 1.5 s, means over the 25 blocks of 2 s; 30 bpm (25
    # intervals in 50 s) is the least a usable EKG shows.
    sums = np.array([34.0, 33.0, 33 * 1.5, 33 * 2.25, 34 * 400.0, 200.0]) / 25
    out = heart_rate(sums, span_sec=50, block_sec=2.0)
    assert out["ekg_ok"] == 1.0 and out["ekg_hr"] == pytest.approx(40.0)
    halved = sums * np.array([0.5, 0.5, 0.5, 0.5, 0.5, 1.0])  # 16.5 intervals: too few
    halved = heart_rate(halved, span_sec=50, block_sec=2.0)
    assert halved["ekg_ok"] == 0.0
