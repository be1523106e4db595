"""Generated whole recordings for tests and the benchmark: demo-generator signal in blocks of
known pattern, exported as EDF the way a hospital system names its channels.

The signal of each block comes from the demo generator (``pipelines.demo``) with one
pattern drawn at full strength, so a timeline can be checked against where patterns were
drawn. ``write_edf_stream`` writes a plain EDF block by block (for a 24 h file that would not
fit in memory as an MNE ``Raw``); ``export_edf`` uses MNE's exporter (it needs ``edfio``).
"""

from __future__ import annotations

from pathlib import Path

import mne
import numpy as np

from features.montage import EEG_CHANNELS, RAW_COLUMNS, SFREQ
from models.labels import CLASSES
from pipelines.demo import calibration
from pipelines.demo.plan import RecordingPlan
from pipelines.demo.recording import recording_signal

HOSPITAL_NAMES: dict[str, str] = {
    **{c: f"EEG {c.upper()}-REF" for c in EEG_CHANNELS},
    "T3": "EEG T7-REF",
    "T4": "EEG T8-REF",
    "T5": "EEG P7-REF",
    "T6": "EEG P8-REF",
    "EKG": "ECG EKG-REF",
}
"""Kaggle column -> an EDF label as a clinical system writes it (10-10 temporal names)."""


STRENGTH = 1.0
"""Pattern amplitude of a block, in units of the demo generator's full strength (probability 1
of the pattern's class: the demo's patterns stand out of the background on their own)."""


def pattern_block(pattern: str, seconds: float, *, seed: int, sfreq: float = SFREQ) -> np.ndarray:
    """``seconds`` of demo signal carrying ``pattern`` (one of ``CLASSES``) at ``STRENGTH``.

    Returns
    -------
    array, shape (20, round(seconds * sfreq)), float64
        ``RAW_COLUMNS`` order, microvolts.
    """
    if pattern not in CLASSES:
        raise ValueError(f"pattern must be one of {CLASSES}, got {pattern!r}")
    truth = STRENGTH * np.array([c == pattern for c in CLASSES], dtype=float)
    n_rows = int(np.ceil(seconds / 2))
    plan = RecordingPlan(
        split="train",
        eeg_id=seed,
        spectrogram_id=seed,
        truth=truth,
        eeg_samples=0,
        eeg_start_sec=0,
        spectrogram_rows=n_rows,
        side=1 if seed % 2 else -1,
        spectrum=calibration.SPECTRUM_MEAN,  # the typical real background
        alpha_uv=0.0,
        ekg_rms_uv=calibration.EKG_RMS_UV[0],
        ekg_leak_corr=0.0,
        seed=np.random.SeedSequence([seed, 0x414E4E]),
    )
    x = recording_signal(plan, sfreq=sfreq)
    x[np.isnan(x)] = 0.0  # the demo's "missing channel" draw would drop an electrode
    return x[:, : int(round(seconds * sfreq))]


def pattern_recording(
    blocks: list[tuple[str, float]], *, seed: int = 0, sfreq: float = SFREQ
) -> np.ndarray:
    """Blocks of ``(pattern, seconds)`` one after the other: (20, n_samples) microvolts."""
    parts = [
        pattern_block(p, s, seed=seed * 1000 + i, sfreq=sfreq) for i, (p, s) in enumerate(blocks)
    ]
    return np.concatenate(parts, axis=1)


def raw_array(x: np.ndarray, sfreq: float, *, hospital_names: bool = True) -> mne.io.RawArray:
    """``x`` (20, n) in microvolts, ``RAW_COLUMNS`` order, as an MNE ``Raw`` in volts."""
    names = [HOSPITAL_NAMES[c] if hospital_names else c for c in RAW_COLUMNS]
    info = mne.create_info(names, sfreq, ["eeg"] * len(EEG_CHANNELS) + ["ecg"])
    return mne.io.RawArray(np.asarray(x, dtype=np.float64) * 1e-6, info, verbose="error")


def export_edf(raw: mne.io.BaseRaw, path: Path) -> Path:
    """Write ``raw`` as EDF with MNE's exporter (``edfio``)."""
    mne.export.export_raw(path, raw, fmt="edf", overwrite=True, verbose="error")
    return Path(path)


def _field(value, width: int) -> bytes:
    text = str(value)
    if len(text) > width:
        text = text[:width]
    return text.ljust(width).encode("ascii")


def write_edf_stream(
    path: Path, blocks, *, sfreq: int, n_records: int, labels: list[str], range_uv: float = 2048.0
) -> Path:
    """Write a plain EDF (1 s data records, int16, +-``range_uv`` microvolts) from an iterator
    of (n_channels, n_samples) microvolt blocks whose lengths are whole seconds; stops after
    ``n_records`` records."""
    n_ch = len(labels)
    head = b"".join(
        [
            _field("0", 8),
            _field("X X X X", 80),
            _field("Startdate 01-JAN-2026 X X X", 80),
            _field("01.01.26", 8),
            _field("00.00.00", 8),
            _field(256 * (n_ch + 1), 8),
            _field("", 44),
            _field(n_records, 8),
            _field(1, 8),
            _field(n_ch, 4),
        ]
    )
    fields = [
        (labels, 16),
        (["AgAgCl electrode"] * n_ch, 80),
        (["uV"] * n_ch, 8),
        ([f"{-range_uv:g}"] * n_ch, 8),
        ([f"{range_uv:g}"] * n_ch, 8),
        (["-32768"] * n_ch, 8),
        (["32767"] * n_ch, 8),
        ([""] * n_ch, 80),
        ([sfreq] * n_ch, 8),
        ([""] * n_ch, 32),
    ]
    signal_head = b"".join(_field(v, w) for values, w in fields for v in values)
    gain = 65535 / (2 * range_uv)
    written = 0
    with Path(path).open("wb") as handle:
        handle.write(head + signal_head)
        for block in blocks:
            n_sec = min(block.shape[1] // sfreq, n_records - written)
            digital = np.clip(
                np.rint((block[:, : n_sec * sfreq] + range_uv) * gain - 32768), -32768, 32767
            ).astype("<i2")
            records = digital.reshape(n_ch, n_sec, sfreq).transpose(1, 0, 2)
            handle.write(records.tobytes())
            written += n_sec
            if written >= n_records:
                break
    if written < n_records:
        raise ValueError(f"{path}: the blocks held {written} s, {n_records} s were asked for")
    return Path(path)
