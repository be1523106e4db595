"""Properties every registered family must have, checked through the engine."""

from __future__ import annotations

import numpy as np
import pytest

from features.engine import extract_recording, extract_windows
from features.montage import to_bipolar
from features.registry import DEFAULT_FAMILIES, FAMILIES, select_families
from features.windows import apply_nan_policy, cut_eeg_windows, spectrogram_slice_rows
from pipelines.kaggle_io import KaggleLayout, read_eeg, read_spectrogram, read_train_labels
from tests.conftest import needs_real_mini

SFREQ = 200.0
OFFSETS = np.array([0.0, 2.0, 4.0, 10.0, 31.0])


def _recording(seed: int = 0, seconds: int = 100) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SFREQ)
    t = np.arange(n) / SFREQ
    raw = rng.normal(0, 20, size=(20, n))
    raw[:8] += 30 * np.sin(2 * np.pi * 1.2 * t)  # a left-ish rhythm, so features vary
    raw[19] = 200 * (np.sin(2 * np.pi * 1.2 * t) > 0.995)  # an EKG-like spike train
    return raw.astype(np.float32)


def _windows_of(raw: np.ndarray, offsets: np.ndarray):
    clean = apply_nan_policy(raw[:19])
    eeg = cut_eeg_windows(to_bipolar(clean.x), offsets)
    ekg = cut_eeg_windows(apply_nan_policy(raw[19:]).x, offsets)[:, 0]
    return eeg, ekg


def _spectrogram(seed: int = 0, n_rows: int = 330):
    rng = np.random.default_rng(seed)
    times = np.arange(1, 2 * n_rows, 2, dtype=float)
    return times, rng.gamma(2.0, 1.0, size=(n_rows, 400)).astype(np.float32)


# Documented edge effects (features/periodicity.py, features/quality.py): envelope peaks and
# EKG beats near a window's edge fall differently when the window is cut out of its recording.
EDGE_TOLERANCE = {"_peak_rate_": 0.1, "_peak_cv_": 0.1, "_ekg_hr": 1.0, "_ekg_rrcv": 0.02,
                  "_ekg_snr": 0.02}  # fmt: skip


def _assert_close(a: dict, b: dict, rtol=1e-3, atol=1e-3):
    assert list(a) == list(b)
    for name in a:
        tol = next((t for key, t in EDGE_TOLERANCE.items() if key in name), atol)
        np.testing.assert_allclose(a[name], b[name], rtol=rtol, atol=tol, err_msg=name)


def test_recording_batch_equals_windows_cut_directly():
    raw = _recording()
    eeg, ekg = _windows_of(raw, OFFSETS)
    from_recording = extract_recording(raw, OFFSETS)
    direct = extract_windows(eeg, ekg=ekg)
    _assert_close(from_recording, direct)


def test_vectorised_equals_one_window_at_a_time():
    eeg, ekg = _windows_of(_recording(1), OFFSETS[:3])
    together = extract_windows(eeg, ekg=ekg)
    for i in range(3):
        alone = extract_windows(eeg[i : i + 1], ekg=ekg[i : i + 1])
        for name, values in alone.items():
            assert values[0] == pytest.approx(together[name][i], rel=1e-4, abs=1e-5), name


def test_off_grid_offsets_give_the_same_as_alone():
    raw = _recording(2)
    mixed = extract_recording(raw, np.array([0.0, 3.5, 6.0]))
    alone = extract_recording(raw, np.array([3.5]))
    for name in mixed:
        assert mixed[name][1] == pytest.approx(alone[name][0], rel=1e-5, abs=1e-5), name


def test_float32_and_read_only_inputs_work():
    raw = _recording(3)
    raw.setflags(write=False)
    cols = extract_recording(raw, OFFSETS[:2])
    eeg, ekg = _windows_of(raw, OFFSETS[:2])
    eeg.setflags(write=False)
    cols64 = extract_windows(eeg.astype(np.float64), ekg=ekg)
    _assert_close(extract_windows(eeg, ekg=ekg), cols64)
    assert all(v.dtype == np.float32 for v in cols.values())


def test_every_column_unique_lowercase_and_shaped():
    raw = _recording(4)
    times, power = _spectrogram()
    rows = spectrogram_slice_rows(times, OFFSETS)
    cols = extract_recording(raw, OFFSETS, spectrogram_power=power, spectrogram_rows=rows)
    names = list(cols)
    assert len(names) == len(set(names))
    for name in names:
        assert name == name.lower() and " " not in name
        assert name.split("_")[0] in {"eeg", "spec"}
        assert cols[name].shape == (len(OFFSETS),)
        assert np.isfinite(cols[name]).all(), name
    for family in FAMILIES:
        prefix = f"{'spec' if family.source == 'spectrogram' else 'eeg'}_{family.name}_"
        # the default set holds every family but the opt-in ones
        assert any(n.startswith(prefix) for n in names) == family.default, family.name


def test_opt_in_families_are_asked_by_name():
    assert [f.name for f in FAMILIES if not f.default] == ["robust"]
    assert "robust" not in [f.name for f in DEFAULT_FAMILIES]
    assert [f.name for f in select_families(["robust", "spectral"])] == ["spectral", "robust"]


def test_all_zero_and_nan_recordings_are_finite():
    zero = np.zeros((20, 12_000), dtype=np.float32)
    nan = np.full((20, 12_000), np.nan, dtype=np.float32)
    for raw in (zero, nan):
        cols = extract_recording(raw, np.array([0.0, 2.0]))
        bad = [n for n, v in cols.items() if not np.isfinite(v).all()]
        assert not bad, bad[:5]


def test_family_selection_and_unknown_family():
    cols = extract_recording(_recording(5), OFFSETS[:1], families=["spectral"])
    assert all(n.startswith("eeg_spectral_") for n in cols)
    with pytest.raises(ValueError, match="unknown feature family nope"):
        select_families(["nope"])
    with pytest.raises(ValueError, match="needs spectrogram input"):
        extract_recording(_recording(5), OFFSETS[:1], families=["spectrogram"])


def test_same_input_same_bytes():
    raw = _recording(6)
    a = extract_recording(raw, OFFSETS)
    b = extract_recording(raw.copy(), OFFSETS)
    assert all(a[n].tobytes() == b[n].tobytes() for n in a)


@needs_real_mini
def test_real_recordings_give_finite_features(real_mini):
    layout = KaggleLayout(real_mini)
    labels = read_train_labels(layout.train_csv)
    n = 0
    for (eeg_id, spec_id), rows in labels.groupby(["eeg_id", "spectrogram_id"]):
        times, power = read_spectrogram(layout.spectrogram_path("train", spec_id))
        slice_rows = spectrogram_slice_rows(times, rows["spectrogram_label_offset_seconds"])
        cols = extract_recording(
            read_eeg(layout.eeg_path("train", eeg_id)),
            rows["eeg_label_offset_seconds"].to_numpy(),
            spectrogram_power=power,
            spectrogram_rows=slice_rows,
        )
        bad = [name for name, v in cols.items() if not np.isfinite(v).all()]
        assert not bad, f"eeg {eeg_id}: {bad[:5]}"
        n += len(rows)
    assert n == 91


def test_long_recordings_are_batched_with_the_same_result(monkeypatch):
    import features.engine as engine

    raw = _recording(7, seconds=120)
    offsets = np.arange(0, 70, 2.0)[::-1]  # 35 windows, in reverse order
    whole = extract_recording(raw, offsets)
    monkeypatch.setattr(engine, "MAX_WINDOWS_PER_BATCH", 8)
    batched = extract_recording(raw, offsets)
    _assert_close(whole, batched, rtol=1e-4, atol=1e-4)
    monkeypatch.setattr(engine, "MAX_WINDOWS_PER_BATCH", 64)
    monkeypatch.setattr(engine, "MAX_BATCH_SPAN_SEC", 60.0)  # batches of 6 windows
    assert [len(b) for b in engine.window_batches(offsets)] == [6] * 5 + [5]
    _assert_close(whole, extract_recording(raw, offsets), rtol=1e-4, atol=1e-4)


def test_one_window_sums_its_span_directly_and_matches_the_prefix_sums():
    from features.context import CENTRE, WindowSet
    from features.families.temporal import span_moments

    rng = np.random.default_rng(11)
    eeg = rng.normal(0, 20, (18, 120 * int(SFREQ))).astype(np.float32)
    ekg = np.zeros(eeg.shape[-1], np.float32)
    mask = np.zeros(eeg.shape, bool)
    starts = np.arange(0, 70, 2) * int(SFREQ)  # 35 windows: prefix sums
    many = WindowSet.from_recording(eeg, ekg, mask, starts, sfreq=SFREQ)
    for i in (0, 17, 34):
        one = WindowSet.from_recording(eeg, ekg, mask, starts[i : i + 1], sfreq=SFREQ)
        for span in ((0.0, 50.0), CENTRE):
            np.testing.assert_allclose(one.psd(span), many.psd(span)[i : i + 1], rtol=1e-5)
            np.testing.assert_allclose(
                span_moments(one, span), span_moments(many, span)[i : i + 1], rtol=1e-9
            )
        assert not any(key.startswith("prefix:") for key in one._cache)
