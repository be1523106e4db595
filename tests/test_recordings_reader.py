"""The recording reader: channel mapping, units, resampling, EDF+D gaps, clear refusals, on
the three real clinical files of ``../shared/real_edf`` and on generated EDF files."""

from __future__ import annotations

from pathlib import Path

import mne
import numpy as np
import pytest

from features.montage import EEG_CHANNELS, RAW_COLUMNS
from pipelines.cli import main
from pipelines.recordings.annotate import check_duration
from pipelines.recordings.reader import (
    RecordingError,
    map_channels,
    open_recording,
    recording_from_raw,
)
from pipelines.recordings.synthetic import export_edf, raw_array
from tests.conftest import SHARED

REAL_EDF = SHARED / "real_edf"


@pytest.fixture
def real_edf() -> Path:
    if not REAL_EDF.is_dir():
        pytest.skip(f"real EDF files not present at {REAL_EDF}")
    return REAL_EDF


def test_nihon_kohden_edf_plus_d_is_mapped_in_microvolts_and_refused_as_too_short(real_edf):
    rec = open_recording(real_edf / "MB0400FU.EDF")
    names = rec.raw.ch_names
    # every scalp electrode found under its "EEG Xx-Ref" name; no EKG channel in this file
    for column, pick in zip(RAW_COLUMNS, rec.picks, strict=True):
        if column == "EKG":
            assert pick is None
        else:
            assert names[pick].lower() == f"eeg {column.lower()}-ref"
    assert rec.missing == ["EKG"]
    # an EDF+D whose 29 one-second records follow each other: one stretch, no gap
    assert len(rec.segments) == 1 and rec.duration_sec == pytest.approx(29.0)
    x = rec.read(0, rec.duration_sec)
    assert x.shape == (20, 5800) and x.dtype == np.float32
    assert np.isnan(x[-1]).all() and not np.isnan(x[:19]).any()
    # volts in MNE, microvolts here: a scalp EEG's spread is tens of microvolts
    spread = np.median(np.std(x[:19], axis=1))
    assert 5 < spread < 500
    np.testing.assert_allclose(x[0], rec.raw.get_data(picks=[rec.picks[0]])[0] * 1e6, rtol=1e-5)
    descriptions = list(rec.annotations["description"])
    assert "A1+A2 OFF" in descriptions
    assert not any(d.startswith("+") for d in descriptions)  # EDF+ time-keeping dropped
    with pytest.raises(RecordingError, match=r"MB0400FU.EDF: the recording lasts 29.0 s"):
        check_duration(rec)


def test_edf_with_10_10_names_maps_t7_t8_p7_p8_and_the_ecg(real_edf):
    rec = open_recording(real_edf / "chtypes_edf.edf")
    names = rec.raw.ch_names
    picked = {c: names[p] for c, p in zip(RAW_COLUMNS, rec.picks, strict=True)}
    assert picked["T3"] == "EEG T7-Ref" and picked["T4"] == "EEG T8-Ref"
    assert picked["T5"] == "EEG P7-Ref" and picked["T6"] == "EEG P8-Ref"
    assert picked["EKG"] == "ECG ECG1"
    assert rec.missing == []
    assert rec.read(0, 5.0).shape == (20, 1000)
    assert "high amp RDA F4, C4" in list(rec.annotations["description"])


def test_bdf_with_ten_scalp_electrodes_is_refused_naming_what_is_missing(
    real_edf, tmp_path, capsys
):
    path = real_edf / "multiple_annotation_chans.bdf"
    with pytest.raises(RecordingError) as err:
        open_recording(path)
    message = str(err.value)
    assert message.startswith(f"{path}: only 10 of the 19 scalp electrodes")
    for electrode in ("Fp1", "F7", "T3", "T5", "Cz", "Fp2", "F8", "T4", "T6"):
        assert electrode in message
    code = main(["annotate", str(path), "--model", "no-model-needed", "--out", str(tmp_path)])
    out = capsys.readouterr()
    assert code == 2
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and "only 10 of the 19" in lines[0] and "Traceback" not in out.err


def test_short_recording_is_refused_by_the_cli_in_one_line(real_edf, tmp_path, capsys):
    code = main(["annotate", str(real_edf / "MB0400FU.EDF"), "--model", str(tmp_path),
                 "--out", str(tmp_path / "out")])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "the recording lasts 29.0 s" in err[0] and "50 s window" in err[0]


def test_bipolar_recording_is_refused():
    names = ["Fp1-F7", "F7-T3", "T3-T5", "T5-O1", "Fp2-F8", "F8-T4", "T4-T6", "T6-O2"]
    info = mne.create_info(names, 200.0, "eeg")
    raw = mne.io.RawArray(np.zeros((len(names), 20_000)), info, verbose="error")
    with pytest.raises(RecordingError, match="already in bipolar derivations"):
        recording_from_raw(raw, name="bipolar.edf")


def test_mapping_strips_prefixes_and_suffixes_case_insensitively():
    names = ["EEG FP1-LE", "fp2-avg", "POL T7", "EEG P8-REF", "Cz", "EKG1", "EEG A1-REF"]
    found = map_channels(names)
    assert found == {"Fp1": 0, "Fp2": 1, "T3": 2, "T6": 3, "Cz": 4, "EKG": 5}


def test_missing_electrodes_become_nan_channels():
    x = np.random.default_rng(0).normal(0, 20, (20, 200 * 60))
    raw = raw_array(x, 200.0, hospital_names=False).drop_channels(["Fz", "Pz"])
    rec = recording_from_raw(raw, name="two-missing")
    assert rec.missing == ["Fz", "Pz"]
    out = rec.read(0, 60)
    rows = [RAW_COLUMNS.index(c) for c in ("Fz", "Pz")]
    assert np.isnan(out[rows]).all()
    keep = [i for i in range(20) if i not in rows]
    np.testing.assert_allclose(out[keep], x[keep], atol=1e-3)


def test_resampling_256_hz_keeps_a_sine_amplitude_and_frequency(tmp_path):
    sfreq = 256
    t = np.arange(sfreq * 120) / sfreq
    x = np.tile(50 * np.sin(2 * np.pi * 7.0 * t), (20, 1))
    rec = open_recording(export_edf(raw_array(x, sfreq), tmp_path / "sine.edf"))
    assert rec.sfreq_in == sfreq and rec.missing == []
    y = rec.read(10.0, 110.0)  # 100 s from 10 s, at 200 Hz
    assert y.shape == (20, 20_000)
    expected = 50 * np.sin(2 * np.pi * 7.0 * (10.0 + np.arange(20_000) / 200))
    np.testing.assert_allclose(y[5], expected, atol=0.5)


def with_gap(path: Path, gap_after_sec: int, gap_sec: int) -> Path:
    """Turn an EDF+C of 1 s records into an EDF+D whose records from ``gap_after_sec`` on
    start ``gap_sec`` later (rewriting their time-keeping annotations in place)."""
    data = bytearray(path.read_bytes())
    n_signals = int(data[252:256])
    at = 256 + 216 * n_signals
    n_samples = [int(data[at + 8 * i : at + 8 * i + 8]) for i in range(n_signals)]
    record, inside = 2 * sum(n_samples), 2 * sum(n_samples[:-1])
    data[192:197] = b"EDF+D"
    for r in range(gap_after_sec, int(data[236:244])):
        start = 256 * (n_signals + 1) + r * record + inside
        tal = f"+{r + gap_sec}\x14\x14\x00".encode().ljust(2 * n_samples[-1], b"\x00")
        if len(tal) > 2 * n_samples[-1]:
            raise ValueError(f"{path}: the time-keeping annotation {tal!r} does not fit")
        data[start : start + len(tal)] = tal
    path.write_bytes(bytes(data))
    return path


def test_edf_plus_d_gap_is_nan_in_the_recording(tmp_path):
    x = np.random.default_rng(1).normal(0, 20, (20, 200 * 60))
    path = with_gap(export_edf(raw_array(x, 200.0), tmp_path / "gap.edf"), 40, 30)
    rec = open_recording(path)
    assert [(s.first, s.n, s.onset_sec) for s in rec.segments] == [
        (0, 8_000, 0.0), (8_000, 4_000, 70.0)
    ]  # fmt: skip
    assert rec.duration_sec == pytest.approx(90.0)
    y = rec.read(0, 90)
    n = len(EEG_CHANNELS)
    assert np.isnan(y[:n, 8_000:14_000]).all()
    assert not np.isnan(y[:n, :8_000]).any() and not np.isnan(y[:n, 14_000:]).any()
    np.testing.assert_allclose(y[:n, 14_000:], x[:n, 8_000:], atol=0.05)


def test_fif_and_kaggle_parquet_are_read_alike(tmp_path):
    import pandas as pd

    x = np.random.default_rng(2).normal(0, 20, (20, 200 * 60)).astype(np.float32)
    fif = tmp_path / "rec_raw.fif"
    raw_array(x, 200.0, hospital_names=False).save(fif, verbose="error")
    parquet = tmp_path / "rec.parquet"
    pd.DataFrame(x.T, columns=list(RAW_COLUMNS)).to_parquet(parquet, index=False)
    for path in (fif, parquet):
        rec = open_recording(path)
        assert rec.missing == [] and rec.duration_sec == pytest.approx(60.0)
        np.testing.assert_allclose(rec.read(0, 60), x, atol=1e-3)


def test_unreadable_file_is_refused_in_one_line(tmp_path):
    bad = tmp_path / "notes.edf"
    bad.write_text("not an EDF file")
    with pytest.raises(RecordingError, match=r"notes.edf: MNE cannot read this file"):
        open_recording(bad)
    with pytest.raises(RecordingError, match="no such file"):
        open_recording(tmp_path / "absent.edf")
