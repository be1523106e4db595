"""Label rows -> EEG windows and spectrogram slices; the NaN policy applied to a recording, and
the one cleaning step every reader of signals calls (:func:`clean_bipolar`).

Geometry (Kaggle): a label row's EEG window is samples ``[sfreq * offset_sec, +50 s)`` and its
labelled centre is the middle 10 s of that window; its spectrogram slice is the rows whose
``time`` lies in ``[offset_sec, offset_sec + 600)``, 300 rows of 2 s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.montage import (
    CLIP_UV,
    EEG_CHANNELS,
    MAX_INTERP_GAP_SEC,
    SFREQ,
    bipolar_index,
    to_bipolar,
)

EEG_WINDOW_SEC = 50.0
CENTRE_SEC = 10.0
SPECTROGRAM_WINDOW_SEC = 600.0
SPECTROGRAM_ROW_SEC = 2.0
SPECTROGRAM_ROWS = int(SPECTROGRAM_WINDOW_SEC / SPECTROGRAM_ROW_SEC)


class WindowError(ValueError):
    """A label window does not fit its recording. ``index`` is the offending window."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


def window_starts(offsets_sec: np.ndarray, *, sfreq: float = SFREQ) -> np.ndarray:
    """First sample of each window: ``round(offset_sec * sfreq)``, as int64."""
    return np.rint(np.asarray(offsets_sec, dtype=np.float64) * sfreq).astype(np.int64)


def check_eeg_windows(
    n_samples: int,
    offsets_sec: np.ndarray,
    *,
    sfreq: float = SFREQ,
    window_sec: float = EEG_WINDOW_SEC,
) -> None:
    """Raise ``WindowError`` for the first window that starts or ends past the recording."""
    n_window = int(round(window_sec * sfreq))
    starts = window_starts(offsets_sec, sfreq=sfreq)
    for i, start in enumerate(starts):
        if start < 0 or start >= n_samples:
            raise WindowError(
                f"offset {offsets_sec[i]:g} s is past the end of the recording "
                f"({n_samples} samples = {n_samples / sfreq:g} s)",
                i,
            )
        if start + n_window > n_samples:
            raise WindowError(
                f"the recording is shorter than its window: offset {offsets_sec[i]:g} s needs "
                f"samples {start}..{start + n_window} but the recording has {n_samples} "
                f"({n_samples / sfreq:g} s)",
                i,
            )


def cut_eeg_windows(
    x: np.ndarray,
    offsets_sec: np.ndarray,
    *,
    sfreq: float = SFREQ,
    window_sec: float = EEG_WINDOW_SEC,
) -> np.ndarray:
    """Cut the label windows of one recording.

    Parameters
    ----------
    x : array, shape (n_channels, n_samples)
        One recording.
    offsets_sec : array, shape (n_windows,)
        ``eeg_label_offset_seconds`` of each label row.

    Returns
    -------
    array, shape (n_windows, n_channels, n_window)
        A copy, in the dtype of ``x``; ``n_window = window_sec * sfreq`` (10,000 at 200 Hz).
    """
    offsets_sec = np.atleast_1d(np.asarray(offsets_sec, dtype=np.float64))
    check_eeg_windows(x.shape[-1], offsets_sec, sfreq=sfreq, window_sec=window_sec)
    n_window = int(round(window_sec * sfreq))
    index = window_starts(offsets_sec, sfreq=sfreq)[:, None] + np.arange(n_window)
    return np.moveaxis(x[:, index], 0, 1)


def centre(windows: np.ndarray, *, sfreq: float = SFREQ, centre_sec: float = CENTRE_SEC):
    """The labelled middle ``centre_sec`` of each window (a view), samples 4000..6000 at 200 Hz."""
    n = windows.shape[-1]
    half = int(round(centre_sec * sfreq)) // 2
    return windows[..., n // 2 - half : n // 2 + half]


def spectrogram_slice_rows(
    times_sec: np.ndarray, offsets_sec: np.ndarray, *, window_sec: float = SPECTROGRAM_WINDOW_SEC
) -> np.ndarray:
    """Row indices of each label row's spectrogram slice.

    Parameters
    ----------
    times_sec : array, shape (n_rows,)
        The spectrogram's ``time`` column (increasing).
    offsets_sec : array, shape (n_windows,)
        ``spectrogram_label_offset_seconds`` of each label row.

    Returns
    -------
    array, shape (n_windows, 300), int64
        Rows with ``time`` in ``[offset, offset + 600)``.
    """
    times_sec = np.asarray(times_sec, dtype=np.float64)
    offsets_sec = np.atleast_1d(np.asarray(offsets_sec, dtype=np.float64))
    n_rows = int(round(window_sec / SPECTROGRAM_ROW_SEC))
    first = np.searchsorted(times_sec, offsets_sec, side="left")
    stop = np.searchsorted(times_sec, offsets_sec + window_sec, side="left")
    for i, (a, b) in enumerate(zip(first, stop, strict=True)):
        if a >= len(times_sec):
            raise WindowError(
                f"offset {offsets_sec[i]:g} s is past the end of the spectrogram "
                f"(last time {times_sec[-1]:g} s)",
                i,
            )
        if b - a != n_rows:
            raise WindowError(
                f"the 10-minute slice from offset {offsets_sec[i]:g} s has {b - a} rows; "
                f"expected {n_rows} rows of {SPECTROGRAM_ROW_SEC:g} s",
                i,
            )
    return first[:, None] + np.arange(n_rows)


@dataclass(frozen=True)
class CleanRecording:
    """A recording after the NaN policy.

    Attributes
    ----------
    x : array, shape (n_channels, n_samples), float32
        NaN-free, clipped to +-CLIP_UV.
    nan_mask : array, shape (n_channels, n_samples), bool
        Where the raw recording was NaN or infinite (the source of the NaN-fraction features).
    dead : array, shape (n_channels,), bool
        Channels that were entirely NaN or infinite (set to zero).
    """

    x: np.ndarray
    nan_mask: np.ndarray
    dead: np.ndarray


def apply_nan_policy(
    x: np.ndarray,
    *,
    sfreq: float = SFREQ,
    max_gap_sec: float = MAX_INTERP_GAP_SEC,
    clip_uv: float = CLIP_UV,
) -> CleanRecording:
    """The project's one NaN policy (infinite samples count as NaN).

    NaN runs of at most ``max_gap_sec`` with valid samples on both sides are linearly
    interpolated; longer runs, runs touching either end, and all-NaN channels are set to zero
    (all-NaN channels are flagged in ``dead``). Values are then clipped to ``+-clip_uv``.
    Empty or NaN-filled channels are not errors.

    Parameters
    ----------
    x : array, shape (n_channels, n_samples)
        Raw recording in microvolts (not modified; may be read-only).

    Returns
    -------
    CleanRecording
    """
    # An infinite sample is no measurement either: missing like NaN, never clipped to a
    # full-scale value (which would read as a huge artefact).
    nan_mask = ~np.isfinite(x)
    out = np.array(x, dtype=np.float32, copy=True)
    dead = nan_mask.all(axis=1)
    max_gap = int(round(max_gap_sec * sfreq))
    positions = np.arange(x.shape[-1])
    for ch in np.flatnonzero(nan_mask.any(axis=1) & ~dead):
        bad = nan_mask[ch]
        good = ~bad
        out[ch, bad] = np.interp(positions[bad], positions[good], out[ch, good])
        # Zero the runs too long (or too close to an edge) to interpolate honestly.
        edges = np.diff(np.concatenate(([0], bad.astype(np.int8), [0])))
        run_starts = np.flatnonzero(edges == 1)
        run_stops = np.flatnonzero(edges == -1)
        for a, b in zip(run_starts, run_stops, strict=True):
            if b - a > max_gap or a == 0 or b == x.shape[-1]:
                out[ch, a:b] = 0.0
    out[dead] = 0.0
    np.clip(out, -clip_uv, clip_uv, out=out)
    return CleanRecording(x=out, nan_mask=nan_mask, dead=dead)


@dataclass(frozen=True)
class BipolarRecording:
    """A recording ready for the feature families.

    Attributes
    ----------
    eeg : array, shape (18, n_samples), float32
        The bipolar derivations of the scalp channels after the NaN policy.
    ekg : array, shape (n_samples,), float32
        The EKG after the NaN policy (zeros when the recording has none).
    nan_mask : array, shape (18, n_samples), bool
        Where either electrode of a derivation was NaN before the policy.
    """

    eeg: np.ndarray
    ekg: np.ndarray
    nan_mask: np.ndarray


def clean_bipolar(raw: np.ndarray, *, sfreq: float = SFREQ) -> BipolarRecording:
    """Raw referential channels -> NaN policy -> bipolar montage -> NaN mask, in one call.

    Parameters
    ----------
    raw : array, shape (19 or 20, n_samples)
        The scalp channels in ``EEG_CHANNELS`` order, then (optionally) the EKG; microvolts,
        NaNs as read; not modified.

    >>> raw = np.zeros((20, 400), np.float32); raw[0, 10:20] = np.nan
    >>> rec = clean_bipolar(raw)
    >>> rec.eeg.shape, rec.ekg.shape, int(rec.nan_mask.sum())
    ((18, 400), (400,), 20)
    """
    n_scalp = len(EEG_CHANNELS)
    scalp = apply_nan_policy(raw[:n_scalp], sfreq=sfreq)
    if raw.shape[0] > n_scalp:
        ekg = apply_nan_policy(raw[n_scalp : n_scalp + 1], sfreq=sfreq).x[0]
    else:
        ekg = np.zeros(raw.shape[-1], dtype=np.float32)
    anode, cathode = bipolar_index()
    nan_mask = scalp.nan_mask[anode] | scalp.nan_mask[cathode]
    return BipolarRecording(to_bipolar(scalp.x), ekg, nan_mask)
