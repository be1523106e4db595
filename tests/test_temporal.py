import numpy as np
import pytest

from features.context import WindowSet
from features.families import temporal
from features.montage import BIPOLAR_NAMES
from features.windows import cut_eeg_windows

SFREQ = 200.0
T = np.arange(0, 50, 1 / SFREQ)
OFFSETS = np.array([0.0, 2.0, 16.0, 40.0, 70.0])


def _windows(signal: np.ndarray, n_windows: int = 2) -> WindowSet:
    x = np.tile(np.asarray(signal, dtype=np.float32), (n_windows, 18, 1))
    return WindowSet.from_windows(x, sfreq=SFREQ)


def _recording(seed: int = 0, seconds: int = 120):
    """Random EEG with drift, offsets and a few bursts; EKG noise; no NaNs."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SFREQ)
    eeg = np.cumsum(rng.normal(0, 2, (18, n)), axis=1) + rng.normal(0, 8, (18, n))
    eeg += rng.uniform(-300, 300, (18, 1))
    eeg[4, 3000:3400] += 200 * np.sin(2 * np.pi * 3 * np.arange(400) / SFREQ)
    ekg = rng.normal(0, 30, n)
    return eeg.astype(np.float32), ekg.astype(np.float32), np.zeros((18, n), bool)


# --- known answers --------------------------------------------------------------------------


def test_sine_hjorth_zero_crossings_and_moments():
    cols = temporal.compute(_windows(4 * np.sin(2 * np.pi * 5 * T + 0.3)))
    for unit in ("fp1-f7_50s", "ll_50s", "cz_10s"):
        assert cols[f"eeg_temporal_mobility_{unit}"] == pytest.approx([5, 5], abs=0.05)
        assert cols[f"eeg_temporal_complexity_{unit}"] == pytest.approx([1, 1], abs=0.02)
        assert cols[f"eeg_temporal_zcr_{unit}"] == pytest.approx([10, 10], abs=0.1)
        assert cols[f"eeg_temporal_activity_{unit}"] == pytest.approx(np.log10([8, 8]), abs=1e-3)
        assert cols[f"eeg_temporal_skew_{unit}"] == pytest.approx([0, 0], abs=1e-3)
        assert cols[f"eeg_temporal_kurt_{unit}"] == pytest.approx([-1.5, -1.5], abs=1e-3)
        # Every 1 s block holds whole cycles: block std is A / sqrt 2 everywhere.
        assert cols[f"eeg_temporal_amp_median_{unit}"] == pytest.approx(4 / np.sqrt(2), rel=1e-3)
        assert cols[f"eeg_temporal_amp_iqr_{unit}"] == pytest.approx([0, 0], abs=1e-3)


def test_line_length_of_a_ramp_is_its_slope():
    cols = temporal.compute(_windows(3.0 * T))  # 3 uV/s
    assert cols["eeg_temporal_linelen_fp1-f7_50s"] == pytest.approx([3, 3], rel=1e-4)
    assert cols["eeg_temporal_linelen_rl_10s"] == pytest.approx([3, 3], rel=1e-4)


def test_gaussian_noise_has_no_skew_no_excess_kurtosis_and_its_std_as_amplitude():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 20, (3, 18, T.size)).astype(np.float32)
    cols = temporal.compute(WindowSet.from_windows(x, sfreq=SFREQ))
    for name in BIPOLAR_NAMES:
        assert np.all(np.abs(cols[f"eeg_temporal_skew_{name}_50s"]) < 0.1)
        assert np.all(np.abs(cols[f"eeg_temporal_kurt_{name}_50s"]) < 0.2)
        assert cols[f"eeg_temporal_amp_median_{name}_50s"] == pytest.approx(20, rel=0.05)
        # Activity is the variance.
        assert 10 ** cols[f"eeg_temporal_activity_{name}_50s"] == pytest.approx(
            x[:, BIPOLAR_NAMES.index(name)].var(axis=-1), rel=1e-4
        )


def test_bursts_raise_the_amplitude_spread_and_the_kurtosis():
    rng = np.random.default_rng(1)
    steady = rng.normal(0, 10, T.size)
    burst = steady * np.where((T % 10) < 3, 6.0, 1.0)  # 3 s bursts every 10 s
    x = np.stack([np.tile(steady, (18, 1)), np.tile(burst, (18, 1))]).astype(np.float32)
    cols = temporal.compute(WindowSet.from_windows(x, sfreq=SFREQ))
    iqr = cols["eeg_temporal_amp_iqr_fp1-f7_50s"]
    kurt = cols["eeg_temporal_kurt_fp1-f7_50s"]
    assert iqr[0] < 0.2 < 1.0 < iqr[1]
    assert kurt[0] < 0.3 < 2.0 < kurt[1]


def test_flat_window_gives_zero_shape_features():
    cols = temporal.compute(_windows(np.zeros(T.size)))
    for name, value in cols.items():
        if "_activity_" in name:
            assert value == pytest.approx([-6, -6])  # log10 of the floor
        else:
            assert np.all(value == 0), name


def test_offset_does_not_change_the_moments():
    rng = np.random.default_rng(2)
    x = rng.normal(0, 5, (1, 18, T.size))
    shifted = x + 1000.0
    a = temporal.compute(WindowSet.from_windows(x, sfreq=SFREQ))
    b = temporal.compute(WindowSet.from_windows(shifted, sfreq=SFREQ))
    for name in a:
        assert b[name] == pytest.approx(a[name], rel=1e-6, abs=1e-8), name


# --- structure ------------------------------------------------------------------------------

# The contract every family keeps is in test_family_contract.py; here what is this family's.


def test_column_count():
    eeg, _, _ = _recording(seed=5)
    cols = temporal.compute(WindowSet.from_windows(cut_eeg_windows(eeg, OFFSETS), sfreq=SFREQ))
    assert len(cols) == 9 * (18 + 5 + 5)


def test_block_moments_computes_a_subset_of_fields_exactly():
    x = np.random.default_rng(5).normal(size=(3, 2000)).astype(np.float32)
    full = temporal.block_moments(x, sfreq=200, block_sec=2.0)
    fields = ("absdx", "x2", "zcr")
    part = temporal.block_moments(x, sfreq=200, block_sec=2.0, fields=fields)
    np.testing.assert_array_equal(part, full[..., [temporal.MOMENTS.index(f) for f in fields]])
    with pytest.raises(ValueError, match="unknown moment"):
        temporal.block_moments(x, sfreq=200, fields=("x5",))
