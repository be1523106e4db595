"""One recording in, every label window's features out.

``extract_recording`` applies the NaN policy and the bipolar montage once, builds one
``WindowSet`` for all of the recording's label windows (so overlapping windows share their
spectra and sums) and runs the selected families. ``extract_windows`` is the pure entry point
on windows cut beforehand; both give the same numbers for windows on the whole-second grid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from features.context import WindowSet
from features.families.spectrogram import SpectrogramSet
from features.montage import MAX_INTERP_GAP_SEC, SFREQ
from features.registry import Family, select_families
from features.spectra import segment_samples
from features.windows import (
    EEG_WINDOW_SEC,
    BipolarRecording,
    check_eeg_windows,
    clean_bipolar,
    cut_eeg_windows,
    window_starts,
)

ENGINE_VERSION = "3"
"""Bump when the engine's own processing (NaN policy, montage, grids) changes numbers."""

MAX_WINDOWS_PER_BATCH = 64
MAX_BATCH_SPAN_SEC = 300.0
"""A recording's label windows are processed in batches of consecutive windows (in time), at
most ``MAX_WINDOWS_PER_BATCH`` windows covering at most ``MAX_BATCH_SPAN_SEC`` of signal, so
the working memory is bounded by the batch, not by the recording."""


def window_batches(offsets_sec: np.ndarray, window_sec: float = EEG_WINDOW_SEC) -> list:
    """Indices of ``offsets_sec`` in batches: by start time, a new batch when the current one
    holds ``MAX_WINDOWS_PER_BATCH`` windows or the next window would stretch it past
    ``MAX_BATCH_SPAN_SEC``.

    >>> [b.tolist() for b in window_batches(np.array([0.0, 400.0, 2.0, 100.0]))]
    [[0, 2, 3], [1]]
    """
    order = np.argsort(offsets_sec, kind="stable")
    batches, current, first = [], [], 0.0
    for i in order:
        too_long = offsets_sec[i] + window_sec - first > MAX_BATCH_SPAN_SEC
        if current and (len(current) == MAX_WINDOWS_PER_BATCH or too_long):
            batches.append(np.array(current))
            current = []
        if not current:
            first = offsets_sec[i]
        current.append(i)
    batches.append(np.array(current))
    return batches


@dataclass(frozen=True)
class FeatureMatrix:
    """Every selected column for a set of windows: ``values[:, j]`` is column ``names[j]``."""

    names: list[str]
    values: np.ndarray  # (n_windows, n_columns), float32

    def columns(self) -> dict[str, np.ndarray]:
        """Column name -> float32 array (n_windows,), in registry order."""
        by_column = np.ascontiguousarray(self.values.T)
        return dict(zip(self.names, by_column, strict=True))


def _selected(families: Iterable[str] | None, has_spectrogram: bool) -> tuple[Family, ...]:
    """The requested families; by default, the spectrogram family only when there is one."""
    selected = select_families(families)
    if families is None and not has_spectrogram:
        selected = tuple(f for f in selected if f.source != "spectrogram")
    return selected


def _run(
    families: tuple[Family, ...], eeg_set: WindowSet | None, spec_set: SpectrogramSet | None
) -> FeatureMatrix:
    out: dict[str, np.ndarray] = {}
    for family in families:
        context = eeg_set if family.source == "eeg" else spec_set
        if context is None:
            raise ValueError(f"family {family.name} needs {family.source} input, none given")
        columns = family.compute(context)
        clash = out.keys() & columns.keys()
        if clash:
            raise ValueError(f"family {family.name} repeats column(s) {sorted(clash)[:3]}")
        out.update(columns)
    # One conversion of all columns (equal lengths) is several times faster than casting
    # and stacking them one by one.
    return FeatureMatrix(list(out), np.array(list(out.values()), dtype=np.float32).T)


def extract_windows(
    x: np.ndarray,
    *,
    sfreq: float = SFREQ,
    families: Iterable[str] | None = None,
    ekg: np.ndarray | None = None,
    nan_mask: np.ndarray | None = None,
    spectrogram_slices: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Features of windows cut beforehand (the pure, reference entry point).

    Parameters
    ----------
    x : array, shape (n_windows, 18, n_samples)
        Bipolar EEG windows (``features.montage.to_bipolar``), NaN-free, microvolts.
    families : names, optional
        Families to compute (default: all registered).
    ekg : array, shape (n_windows, n_samples), optional
    nan_mask : array, shape like ``x``, optional
        Where the raw bipolar signal was NaN before the NaN policy.
    spectrogram_slices : array, shape (n_windows, 300, 400), optional
        Needed by the spectrogram family.

    Returns
    -------
    dict
        Column name -> float32 array of shape (n_windows,), in registry order.
    """
    selected = _selected(families, spectrogram_slices is not None)
    eeg_set = WindowSet.from_windows(x, sfreq=sfreq, ekg=ekg, nan_mask=nan_mask)
    spec_set = None
    if spectrogram_slices is not None:
        spec_set = SpectrogramSet.from_slices(spectrogram_slices)
    return _run(selected, eeg_set, spec_set).columns()


def extract_recording(
    raw: np.ndarray,
    eeg_offsets_sec: np.ndarray,
    *,
    sfreq: float = SFREQ,
    families: Iterable[str] | None = None,
    spectrogram_power: np.ndarray | None = None,
    spectrogram_rows: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Features of every label window of one recording, computed in one batch.

    Parameters
    ----------
    raw : array, shape (20, n_samples)
        The EEG file's columns in ``RAW_COLUMNS`` order (19 scalp channels, then EKG), with
        NaNs as read; not modified.
    eeg_offsets_sec : array, shape (n_windows,)
        Each label row's ``eeg_label_offset_seconds``.
    spectrogram_power, spectrogram_rows : arrays, optional
        The spectrogram file's power (n_rows, 400) and each window's slice rows
        (n_windows, 300), from ``features.windows.spectrogram_slice_rows``.

    Returns
    -------
    dict
        Column name -> float32 array (n_windows,), rows in the order of ``eeg_offsets_sec``.
    """
    return extract_recording_matrix(
        raw,
        eeg_offsets_sec,
        sfreq=sfreq,
        families=families,
        spectrogram_power=spectrogram_power,
        spectrogram_rows=spectrogram_rows,
    ).columns()


def extract_recording_matrix(
    raw: np.ndarray,
    eeg_offsets_sec: np.ndarray,
    *,
    sfreq: float = SFREQ,
    families: Iterable[str] | None = None,
    spectrogram_power: np.ndarray | None = None,
    spectrogram_rows: np.ndarray | None = None,
) -> FeatureMatrix:
    """:func:`extract_recording` as one (n_windows, n_columns) float32 matrix."""
    has_spectrogram = spectrogram_power is not None and spectrogram_rows is not None
    selected = _selected(families, has_spectrogram)
    offsets = np.atleast_1d(np.asarray(eeg_offsets_sec, dtype=np.float64))
    check_eeg_windows(raw.shape[-1], offsets, sfreq=sfreq)
    batches = window_batches(offsets)
    if len(batches) > 1:
        parts = []
        for batch in batches:
            part = extract_recording_matrix(
                raw,
                offsets[batch],
                sfreq=sfreq,
                families=[f.name for f in selected],
                spectrogram_power=spectrogram_power,
                spectrogram_rows=None if spectrogram_rows is None else spectrogram_rows[batch],
            )
            parts.append((batch, part))
        return _merge(parts, len(offsets))
    starts = window_starts(offsets, sfreq=sfreq)
    stretch, lo = _clean_stretch(raw, starts, sfreq)
    spec_set = None
    if has_spectrogram:
        spec_set = SpectrogramSet.from_file(spectrogram_power, spectrogram_rows)
    return _run_on_stretch(selected, stretch, starts - lo, sfreq, spec_set)


def _clean_stretch(
    raw: np.ndarray, starts: np.ndarray, sfreq: float
) -> tuple[BipolarRecording, int]:
    """The cleaned stretch the windows cover, and the sample it starts at.

    Only that stretch is processed; the NaN policy sees a margin around it, so a short gap
    straddling the stretch's edge is interpolated as in the whole recording.
    """
    n_window = int(round(EEG_WINDOW_SEC * sfreq))
    lo, hi = int(starts.min()), int(starts.max()) + n_window
    margin = int(round(2 * MAX_INTERP_GAP_SEC * sfreq))
    pad_lo, pad_hi = max(0, lo - margin), min(raw.shape[-1], hi + margin)
    inner = slice(lo - pad_lo, hi - pad_lo)
    clean = clean_bipolar(raw[:, pad_lo:pad_hi], sfreq=sfreq)
    stretch = BipolarRecording(clean.eeg[:, inner], clean.ekg[inner], clean.nan_mask[:, inner])
    return stretch, lo


def _run_on_stretch(
    selected: tuple[Family, ...],
    stretch: BipolarRecording,
    rel: np.ndarray,
    sfreq: float,
    spec_set: SpectrogramSet | None,
) -> FeatureMatrix:
    """The families on windows starting at samples ``rel`` of ``stretch``. Windows on the
    whole-second block grid share one ``WindowSet``; windows off it are cut out and computed
    directly."""
    eeg, ekg, nan_mask = stretch.eeg, stretch.ekg, stretch.nan_mask
    hop = segment_samples(sfreq)[1]  # the WindowSet block grid
    on_grid = rel % hop == 0
    if on_grid.all():
        eeg_set = WindowSet.from_recording(eeg, ekg, nan_mask, rel, sfreq=sfreq)
        return _run(selected, eeg_set, spec_set)
    parts = []
    for mask in (on_grid, ~on_grid):
        if not mask.any():
            continue
        if mask is on_grid:
            part_set = WindowSet.from_recording(eeg, ekg, nan_mask, rel[mask], sfreq=sfreq)
        else:
            cut_offsets = rel[mask] / sfreq
            part_set = WindowSet.from_windows(
                cut_eeg_windows(eeg, cut_offsets, sfreq=sfreq),
                sfreq=sfreq,
                ekg=cut_eeg_windows(ekg[None], cut_offsets, sfreq=sfreq)[:, 0],
                nan_mask=cut_eeg_windows(nan_mask, cut_offsets, sfreq=sfreq),
            )
        part_spec = None
        if spec_set is not None:
            part_spec = SpectrogramSet(spec_set.band_rows, spec_set.first_rows[mask], False)
        parts.append((np.flatnonzero(mask), _run(selected, part_set, part_spec)))
    return _merge(parts, len(rel))


def _merge(parts: list[tuple[np.ndarray, FeatureMatrix]], n_windows: int) -> FeatureMatrix:
    """Put the rows of partial matrices (``rows``, matrix) back in window order."""
    names = parts[0][1].names
    values = np.empty((n_windows, len(names)), dtype=np.float32)
    for rows, part in parts:
        values[rows] = part.values
    return FeatureMatrix(names, values)
