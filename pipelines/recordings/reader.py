"""Any recording MNE reads, as the 19 Kaggle scalp electrodes + EKG at 200 Hz in microvolts.

``open_recording`` maps the file's channel names to ``RAW_COLUMNS`` (case-insensitively, with
the usual prefixes and reference suffixes stripped and the 10-10 names T7/T8/P7/P8 read as
T3/T4/T5/T6), finds the gaps of a discontinuous EDF+D/BDF+D file and keeps the file's
annotations; nothing is loaded yet. ``Recording.read`` then returns any stretch, resampled to
200 Hz with MNE's anti-aliased polyphase resampling, with NaN where the file has no data
(gaps, missing electrodes): the engine's NaN policy handles them. Unusable files raise
``RecordingError`` with one line naming the file and what is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import mne
import numpy as np
import pandas as pd

from features.montage import EEG_CHANNELS, EKG_CHANNEL, RAW_COLUMNS, SFREQ

MAX_MISSING_ELECTRODES = 4
"""A recording may lack at most this many of the 19 scalp electrodes (they become NaN
channels, zero after the NaN policy, and are flagged); with more, it is refused."""

RESAMPLE_PAD_SEC = 5.0
"""Extra signal read on each side of a stretch so resampling has no edge effects inside it."""

PREFIXES = ("eeg ", "pol ", "ecg ", "ekg ")
SUFFIXES = ("-ref", "-le", "-avg", "-ar", "-a1", "-a2", "-m1", "-m2")
ALIASES = {"t7": "T3", "t8": "T4", "p7": "T5", "p8": "T6"}
_CANONICAL = {name.lower(): name for name in EEG_CHANNELS} | ALIASES
_TIMEKEEPING = re.compile(r"^[+-]\d+(\.\d*)?$")


class RecordingError(ValueError):
    """A recording cannot be annotated; the message names the file and the reason."""


def normalise_name(name: str) -> str:
    """A channel name lower-cased without its system prefix and reference suffix.

    >>> [normalise_name(n) for n in ("EEG Fp1-Ref", "FP1-LE", "POL T7", "ECG ECG1", "Cz")]
    ['fp1', 'fp1', 't7', 'ecg1', 'cz']
    """
    text = name.strip().lower()
    for prefix in PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
            break
    for suffix in SUFFIXES:
        if text.endswith(suffix):
            text = text[: -len(suffix)]
            break
    return text.replace(" ", "")


def map_channels(names: list[str]) -> dict[str, int]:
    """Index of the file channel for each of ``RAW_COLUMNS`` found (first match wins).

    >>> m = map_channels(["EEG Fp1-Ref", "EEG T7-Ref", "ECG ECG1", "ECG ECG2"])
    >>> sorted(m.items())
    [('EKG', 2), ('Fp1', 0), ('T3', 1)]
    """
    found: dict[str, int] = {}
    for i, name in enumerate(names):
        key = normalise_name(name)
        target = _CANONICAL.get(key)
        if target is None and (key.startswith("ekg") or key.startswith("ecg")):
            target = EKG_CHANNEL
        if target is not None and target not in found:
            found[target] = i
    return found


def _bipolar_names(names: list[str]) -> list[str]:
    """Channels named like a bipolar derivation between two scalp electrodes (``Fp1-F7``)."""
    out = []
    for name in names:
        parts = normalise_name(name).split("-")
        if len(parts) == 2 and all(p in _CANONICAL for p in parts):
            out.append(name)
    return out


@dataclass(frozen=True)
class Segment:
    """A stretch of contiguous samples: ``n`` samples of the file from ``first`` (in MNE's
    concatenation of the data records), starting ``onset_sec`` after the recording's start."""

    first: int
    n: int
    onset_sec: float


@dataclass
class Recording:
    """A recording mapped to ``RAW_COLUMNS``; ``read`` resamples stretches to 200 Hz.

    Attributes
    ----------
    name : str
        File name (or the name given to an MNE ``Raw``), for messages and output folders.
    picks : list
        For each of the 20 ``RAW_COLUMNS``, the index of its channel in ``raw`` or None.
    scale : array, shape (20,)
        Factor to microvolts of each picked channel (1e6 for channels stored in volts).
    """

    name: str
    raw: mne.io.BaseRaw
    picks: list[int | None]
    scale: np.ndarray
    segments: list[Segment]
    annotations: pd.DataFrame = field(repr=False)

    @property
    def sfreq_in(self) -> float:
        return float(self.raw.info["sfreq"])

    @property
    def duration_sec(self) -> float:
        last = self.segments[-1]
        return last.onset_sec + last.n / self.sfreq_in

    @property
    def missing(self) -> list[str]:
        """``RAW_COLUMNS`` the file does not have (NaN channels)."""
        return [c for c, p in zip(RAW_COLUMNS, self.picks, strict=True) if p is None]

    def read(self, start_sec: float, stop_sec: float) -> np.ndarray:
        """The stretch ``[start_sec, stop_sec)`` at 200 Hz.

        Returns
        -------
        array, shape (20, round((stop_sec - start_sec) * 200)), float32
            ``RAW_COLUMNS`` order, microvolts; NaN in gaps and missing channels.
        """
        n_out = int(round((stop_sec - start_sec) * SFREQ))
        if self.sfreq_in == SFREQ:
            return self._read_native(start_sec, n_out)
        pad = RESAMPLE_PAD_SEC
        n_in = int(round((stop_sec - start_sec + 2 * pad) * self.sfreq_in))
        native = self._read_native(start_sec - pad, n_in)
        resampled = resample_with_nans(native, self.sfreq_in, SFREQ)
        lo = int(round(pad * SFREQ))
        out = np.full((len(RAW_COLUMNS), n_out), np.nan, dtype=np.float32)
        part = resampled[:, lo : lo + n_out]
        out[:, : part.shape[1]] = part
        return out

    def _read_native(self, start_sec: float, n: int) -> np.ndarray:
        """``n`` samples at the file's rate from ``start_sec`` (NaN outside the data)."""
        sfreq = self.sfreq_in
        out = np.full((len(RAW_COLUMNS), n), np.nan, dtype=np.float32)
        rows = [i for i, p in enumerate(self.picks) if p is not None]
        picks = [self.picks[i] for i in rows]
        first_out = int(round(start_sec * sfreq))
        for seg in self.segments:
            seg_lo = int(round(seg.onset_sec * sfreq))
            lo, hi = max(first_out, seg_lo), min(first_out + n, seg_lo + seg.n)
            if hi <= lo:
                continue
            data = self.raw.get_data(
                picks=picks, start=seg.first + lo - seg_lo, stop=seg.first + hi - seg_lo
            )
            out[rows, lo - first_out : hi - first_out] = data * self.scale[rows, None]
        return out


def resample_with_nans(x: np.ndarray, sfreq_in: float, sfreq_out: float) -> np.ndarray:
    """MNE's polyphase (anti-aliased) resampling of ``x`` (n_channels, n_samples); NaN samples
    are resampled as zeros and the output samples that fall on them are NaN again."""
    ratio = Fraction(sfreq_out / sfreq_in).limit_denominator(1000)
    nan = np.isnan(x)
    filled = np.where(nan, 0.0, x).astype(np.float64)
    y = mne.filter.resample(
        filled, up=ratio.numerator, down=ratio.denominator, method="polyphase", verbose="error"
    ).astype(np.float32)
    if nan.any():
        source = np.floor(np.arange(y.shape[-1]) * sfreq_in / sfreq_out).astype(np.int64)
        y[nan[:, np.minimum(source, x.shape[-1] - 1)]] = np.nan
    return y


def edf_record_onsets(path: Path) -> tuple[np.ndarray, float] | None:
    """Onsets (s) of the data records of a discontinuous EDF+D/BDF+D file and the record
    duration, from each record's time-keeping annotation; None for any other file."""
    path = Path(path)
    with path.open("rb") as handle:
        head = handle.read(256)
        if len(head) < 256 or head[192:197].decode("latin-1") not in ("EDF+D", "BDF+D"):
            return None
        n_signals = int(head[252:256])
        signal_head = handle.read(256 * n_signals)
        labels = [
            signal_head[16 * i : 16 * i + 16].decode("latin-1").strip() for i in range(n_signals)
        ]
        at = 216 * n_signals
        n_samples = [int(signal_head[at + 8 * i : at + 8 * i + 8]) for i in range(n_signals)]
        width = 3 if head[0] == 0xFF else 2
        try:
            k = next(i for i, lab in enumerate(labels) if lab.endswith("Annotations"))
        except StopIteration:
            return None
        record_bytes = sum(n_samples) * width
        inside = sum(n_samples[:k]) * width
        n_records, duration = int(head[236:244]), float(head[244:252])
        onsets = []
        for r in range(n_records):
            handle.seek(256 * (n_signals + 1) + r * record_bytes + inside)
            tal = handle.read(n_samples[k] * width).decode("latin-1")
            onsets.append(float(tal.split("\x14", 1)[0]))
    return np.asarray(onsets), duration


def _segments(raw: mne.io.BaseRaw, path: Path | None) -> list[Segment]:
    """The recording's contiguous stretches (one, unless an EDF+D/BDF+D has gaps)."""
    whole = [Segment(0, raw.n_times, 0.0)]
    found = edf_record_onsets(path) if path is not None else None
    if found is None:
        return whole
    onsets, duration = found
    per_record = int(round(duration * raw.info["sfreq"]))
    if per_record * len(onsets) != raw.n_times:
        return whole  # not the file's own records (e.g. a cropped Raw)
    onsets = onsets - onsets[0]
    segments: list[Segment] = []
    for r, onset in enumerate(onsets):
        if segments:
            last = segments[-1]
            if abs(last.onset_sec + last.n / raw.info["sfreq"] - onset) < 0.5 / raw.info["sfreq"]:
                segments[-1] = Segment(last.first, last.n + per_record, last.onset_sec)
                continue
        segments.append(Segment(r * per_record, per_record, float(onset)))
    return segments


def _annotations(raw: mne.io.BaseRaw) -> pd.DataFrame:
    """The file's annotations (onset s from the start, duration s, description), without the
    EDF+ time-keeping entries."""
    ann = raw.annotations
    onset = np.asarray(ann.onset, dtype=np.float64)
    if ann.orig_time is not None:
        onset = onset - raw.first_time
    frame = pd.DataFrame(
        {"onset": onset, "duration": np.asarray(ann.duration), "description": ann.description}
    )
    keep = ~frame["description"].astype(str).str.match(_TIMEKEEPING)
    return frame[keep].reset_index(drop=True)


def _check_montage(name: str, ch_names: list[str], found: dict[str, int]) -> None:
    missing = [c for c in EEG_CHANNELS if c not in found]
    bipolar = _bipolar_names(ch_names)
    if len(bipolar) >= 2 and len(missing) > MAX_MISSING_ELECTRODES:
        raise RecordingError(
            f"{name}: the recording is already in bipolar derivations (e.g. "
            f"{', '.join(bipolar[:3])}); hms annotate needs referential channels, one per "
            "10-20 electrode"
        )
    if len(missing) > MAX_MISSING_ELECTRODES:
        present = len(EEG_CHANNELS) - len(missing)
        raise RecordingError(
            f"{name}: only {present} of the 19 scalp electrodes of the 10-20 montage were "
            f"found (missing: {', '.join(missing)}); hms annotate needs at least "
            f"{len(EEG_CHANNELS) - MAX_MISSING_ELECTRODES}"
        )


def recording_from_raw(
    raw: mne.io.BaseRaw, *, name: str = "recording", path: Path | None = None
) -> Recording:
    """Map an MNE ``Raw`` to ``RAW_COLUMNS`` (see the module docstring).

    Raises
    ------
    RecordingError
        Too few scalp electrodes, or already bipolar derivations.
    """
    found = map_channels(list(raw.ch_names))
    _check_montage(name, list(raw.ch_names), found)
    picks = [found.get(c) for c in RAW_COLUMNS]
    volts = mne.io.constants.FIFF.FIFF_UNIT_V
    scale = np.array(
        [1.0 if p is None or raw.info["chs"][p]["unit"] != volts else 1e6 for p in picks]
    )
    return Recording(name, raw, picks, scale, _segments(raw, path), _annotations(raw))


def _raw_from_parquet(path: Path) -> mne.io.RawArray:
    from pipelines.kaggle_io import read_eeg

    data = read_eeg(path).astype(np.float64) * 1e-6
    types = ["eeg"] * len(EEG_CHANNELS) + ["ecg"]
    info = mne.create_info(list(RAW_COLUMNS), SFREQ, types)
    return mne.io.RawArray(data, info, verbose="error")


def open_recording(path: Path) -> Recording:
    """Open any file ``mne.io.read_raw`` reads (EDF/EDF+/BDF/BrainVision/EEGLAB/FIF) or a
    Kaggle EEG parquet file, without loading its data.

    Raises
    ------
    RecordingError
        The file is missing, unreadable or unusable; the message names it.
    """
    path = Path(path)
    if not path.is_file():
        raise RecordingError(f"{path}: no such file")
    if path.suffix.lower() == ".parquet":
        return recording_from_raw(_raw_from_parquet(path), name=str(path), path=None)
    try:
        raw = mne.io.read_raw(path, preload=False, verbose="error")
    except Exception as err:  # MNE raises many types for unreadable files
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise RecordingError(f"{path}: MNE cannot read this file ({first})") from err
    return recording_from_raw(raw, name=str(path), path=path)
