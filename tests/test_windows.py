import numpy as np
import pandas as pd
import pytest

from features.montage import BIPOLAR_NAMES, CHAIN_OF_BIPOLAR, EEG_CHANNELS, to_bipolar
from features.windows import (
    WindowError,
    apply_nan_policy,
    centre,
    cut_eeg_windows,
    spectrogram_slice_rows,
)
from pipelines.kaggle_io import KaggleLayout, read_eeg, read_spectrogram, read_train_labels
from tests.conftest import needs_real_mini


def test_bipolar_montage_is_anode_minus_cathode():
    x = np.zeros((19, 4), dtype=np.float32)
    x[EEG_CHANNELS.index("Fp1")] = 5.0
    x[EEG_CHANNELS.index("F7")] = 2.0
    bip = to_bipolar(x)
    assert bip.shape == (18, 4) and bip.dtype == np.float32
    assert bip[BIPOLAR_NAMES.index("fp1-f7")][0] == 3.0
    assert bip[BIPOLAR_NAMES.index("fp1-f3")][0] == 5.0
    assert bip[BIPOLAR_NAMES.index("f7-t3")][0] == 2.0
    assert len(set(BIPOLAR_NAMES)) == 18 and CHAIN_OF_BIPOLAR.count("cz") == 2


def test_bipolar_refuses_wrong_channel_count():
    with pytest.raises(ValueError, match="19 referential channels"):
        to_bipolar(np.zeros((20, 10)))


def test_cut_windows_known_positions():
    x = np.arange(3 * 20_000, dtype=np.float32).reshape(3, 20_000)
    w = cut_eeg_windows(x, np.array([0.0, 2.0, 50.0]))
    assert w.shape == (3, 3, 10_000)
    assert w[1, 0, 0] == 400 and w[2, 2, -1] == 2 * 20_000 + 10_000 + 9_999
    c = centre(w)
    assert c.shape == (3, 3, 2_000) and c[0, 0, 0] == 4_000


def test_window_past_end_and_too_short_are_distinct_errors():
    x = np.zeros((2, 12_000), dtype=np.float32)
    with pytest.raises(WindowError, match="shorter than its window") as err:
        cut_eeg_windows(x, np.array([0.0, 12.0]))
    assert err.value.index == 1
    with pytest.raises(WindowError, match="past the end"):
        cut_eeg_windows(x, np.array([60.0]))


def test_spectrogram_slice_is_300_rows_from_offset():
    times = np.arange(1, 2 * 320, 2, dtype=float)
    rows = spectrogram_slice_rows(times, np.array([0.0, 10.0]))
    assert rows.shape == (2, 300)
    assert times[rows[0, 0]] == 1 and times[rows[0, -1]] == 599
    assert times[rows[1, 0]] == 11 and times[rows[1, -1]] == 609
    with pytest.raises(WindowError, match="has 295 rows; expected 300"):
        spectrogram_slice_rows(times, np.array([50.0]))
    with pytest.raises(WindowError, match="past the end"):
        spectrogram_slice_rows(times, np.array([700.0]))


def test_nan_policy_interpolates_short_runs_zeroes_long_runs_and_dead_channels():
    n = 2_000
    ramp = np.linspace(0, 100, n, dtype=np.float32)
    x = np.stack([ramp, ramp, ramp, np.full(n, np.nan, np.float32), ramp * 30])
    x[0, 500:550] = np.nan  # 0.25 s: interpolated
    x[1, 500:900] = np.nan  # 2 s: too long, zeroed
    x[2, :10] = np.nan  # touches the edge: zeroed
    x.setflags(write=False)
    clean = apply_nan_policy(x)
    assert clean.x.dtype == np.float32 and not np.isnan(clean.x).any()
    np.testing.assert_allclose(clean.x[0, 500:550], ramp[500:550], rtol=1e-5)
    assert np.all(clean.x[1, 500:900] == 0) and clean.x[1, 499] == ramp[499]
    assert np.all(clean.x[2, :10] == 0)
    assert clean.dead.tolist() == [False, False, False, True, False]
    assert np.all(clean.x[3] == 0)
    assert clean.x[4].max() == 1024.0  # clipped to +-1024 uV
    assert clean.nan_mask[0].sum() == 50 and clean.nan_mask[3].all()
    assert np.isnan(x[0, 500])  # the input is untouched


@needs_real_mini
def test_all_real_rows_cut_with_expected_shapes(real_mini):
    layout = KaggleLayout(real_mini)
    labels = read_train_labels(layout.train_csv)
    assert len(labels) == 91
    n_windows = 0
    for (eeg_id, spec_id), rows in labels.groupby(["eeg_id", "spectrogram_id"]):
        raw = read_eeg(layout.eeg_path("train", eeg_id))
        assert raw.shape[0] == 20 and raw.dtype == np.float32
        clean = apply_nan_policy(raw[:19])
        windows = cut_eeg_windows(to_bipolar(clean.x), rows["eeg_label_offset_seconds"])
        assert windows.shape == (len(rows), 18, 10_000)
        assert np.isfinite(windows).all()
        times, power = read_spectrogram(layout.spectrogram_path("train", spec_id))
        assert power.shape == (len(times), 400) and power.dtype == np.float32
        slices = power[spectrogram_slice_rows(times, rows["spectrogram_label_offset_seconds"])]
        assert slices.shape == (len(rows), 300, 400)
        n_windows += len(rows)
    assert n_windows == 91


@needs_real_mini
def test_real_test_row_cuts_at_offset_zero(real_mini):
    layout = KaggleLayout(real_mini)
    test = pd.read_csv(layout.test_csv)
    raw = read_eeg(layout.eeg_path("test", test.eeg_id[0]))
    assert raw.shape == (20, 10_000)
    windows = cut_eeg_windows(to_bipolar(apply_nan_policy(raw[:19]).x), np.array([0.0]))
    assert windows.shape == (1, 18, 10_000)
    times, power = read_spectrogram(layout.spectrogram_path("test", test.spectrogram_id[0]))
    assert power[spectrogram_slice_rows(times, np.array([0.0]))].shape == (1, 300, 400)
