"""50 s windows every ``step`` seconds over a whole recording, streamed in chunks, predicted.

Each window is a Kaggle label window: its features come from the project's feature engine
(``features.engine.extract_recording_matrix``) exactly as for a Kaggle EEG, and it predicts
its central 10 s. Such files have no Kaggle spectrogram, so one is computed from the EEG the
way the demo generator computes it (``features.kaggle_spectrogram``), over the 10
minutes centred on each window (rows past either end of the recording, or in its gaps, are
NaN, as in Kaggle's files). The recording is read in chunks of ``CHUNK_SEC`` of window starts
plus the context they need, so memory does not grow with its length; chunks run in parallel.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.engine import (
    MAX_BATCH_SPAN_SEC,
    MAX_WINDOWS_PER_BATCH,
    FeatureMatrix,
    extract_recording_matrix,
)
from features.kaggle_spectrogram import kaggle_spectrogram
from features.montage import EEG_CHANNELS, SFREQ
from features.windows import CENTRE_SEC, EEG_WINDOW_SEC, SPECTROGRAM_ROWS
from models.bundle import Bundle, load_bundle
from models.labels import CLASSES
from pipelines.demo.plan import EEG_START_IN_SLICE_SEC
from pipelines.recordings.reader import Recording, RecordingError, recording_from_raw

CHUNK_SEC = 1800.0
"""Window starts per chunk, in seconds of recording (rounded to whole engine batches)."""

FRAME_MARGIN_SEC = 4.0
"""Signal read beyond the spectrogram slices, so their edge frames see real samples."""

TREND_BINS = 20
"""Frequency bins of the compressed spectrogram trend (5 Kaggle bins, ~1 Hz, each)."""

QUALITY_FAMILY = "quality"
PATTERN_COLUMNS: tuple[str, ...] = tuple(f"p_{c}" for c in CLASSES)
"""Probability columns of a timeline, aligned with ``models.labels.CLASSES``."""


@dataclass
class Annotation:
    """A recording's timeline and what the outputs need besides it.

    Attributes
    ----------
    timeline : DataFrame
        One row per window: ``window_start_sec``, ``start_sec``/``end_sec`` (its central
        10 s), ``p_seizure`` ... ``p_other``, ``pattern`` (the most likely), and the quality
        flags ``nan_share`` (of the central 10 s), ``flat_channels`` (bipolar channels mostly
        flat over the 50 s) and ``muscle_ratio`` (log10 of 20-70 Hz over 0.5-4 Hz power, the
        worst chain, central 10 s).
    trend : array, shape (n_windows, TREND_BINS)
        log10 power of the chain-averaged spectrogram over each window's central 10 s.
    """

    name: str
    timeline: pd.DataFrame
    trend: np.ndarray
    trend_freqs_hz: np.ndarray
    duration_sec: float
    missing_channels: list[str]
    file_annotations: pd.DataFrame
    seconds: float


def window_offsets(duration_sec: float, step_sec: float) -> np.ndarray:
    """Start (s) of every 50 s window that fits, every ``step_sec`` from 0.

    >>> window_offsets(75.0, 10.0).tolist()
    [0.0, 10.0, 20.0]
    """
    n = int(np.floor((duration_sec - EEG_WINDOW_SEC) / step_sec + 1e-9)) + 1
    return np.arange(max(n, 0)) * float(step_sec)


def check_duration(recording: Recording) -> None:
    """Refuse a recording shorter than one 50 s window, naming it."""
    if recording.duration_sec < EEG_WINDOW_SEC:
        raise RecordingError(
            f"{recording.name}: the recording lasts {recording.duration_sec:.1f} s; hms "
            f"annotate needs at least one {EEG_WINDOW_SEC:g} s window"
        )


def _slice_first_row(offsets_sec: np.ndarray) -> np.ndarray:
    """Absolute spectrogram row (row r centred at 1 + 2 r s) that opens each window's slice."""
    return np.ceil((offsets_sec - EEG_START_IN_SLICE_SEC - 1) / 2).astype(np.int64)


def chunk_spectrogram(
    x: np.ndarray, lo_sec: float, offsets_sec: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The Kaggle-style spectrogram rows the windows' slices need, NaN where there is no data.

    Parameters
    ----------
    x : array, shape (20, n_samples)
        The chunk's signal from ``lo_sec`` (an even second), 200 Hz, NaN in gaps.
    offsets_sec : array, shape (n_windows,)
        Window starts, absolute seconds.

    Returns
    -------
    power : array, shape (n_rows, 400), float32
    rows : array, shape (n_windows, 300), int64
        Each window's slice as row indices into ``power``.
    """
    first = _slice_first_row(offsets_sec)
    r_min, r_max = int(first.min()), int(first.max()) + SPECTROGRAM_ROWS
    power = np.full((r_max - r_min, 400), np.nan, dtype=np.float32)
    _, computed = kaggle_spectrogram(x[: len(EEG_CHANNELS)], sfreq=SFREQ)
    hop = int(2 * SFREQ)
    n_rows = computed.shape[0]
    blocks = np.isnan(x[: len(EEG_CHANNELS), : n_rows * hop]).reshape(
        len(EEG_CHANNELS), n_rows, hop
    )
    computed[blocks.mean(axis=(0, 2)) > 0.5] = np.nan
    r0 = int(lo_sec) // 2
    a, b = max(r_min, r0), min(r_max, r0 + n_rows)
    if b > a:
        power[a - r_min : b - r_min] = computed[a - r0 : b - r0]
    rows = (first - r_min)[:, None] + np.arange(SPECTROGRAM_ROWS)
    return power, rows


def _trend(power: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """log10 power over each window's central 10 s, averaged over the 4 chains, in
    ``TREND_BINS`` bins: (n_windows, TREND_BINS)."""
    start = (EEG_START_IN_SLICE_SEC + (EEG_WINDOW_SEC - CENTRE_SEC) / 2) / 2
    centre = rows[:, int(start) : int(start) + int(CENTRE_SEC / 2)]
    by_chain = power[centre].reshape(*centre.shape, 4, 100)
    with warnings.catch_warnings(action="ignore", category=RuntimeWarning):
        mean = np.nanmean(np.nanmean(by_chain, axis=2), axis=1)  # (n_windows, 100)
        binned = mean.reshape(len(mean), TREND_BINS, -1).mean(axis=2)
        return np.log10(np.clip(binned, 1e-4, None)).astype(np.float32)


def chunk_features(
    recording: Recording, offsets_sec: np.ndarray, families: list[str], with_spectrogram: bool
) -> tuple[FeatureMatrix, np.ndarray]:
    """Features (and the spectrogram trend) of the windows at ``offsets_sec`` (absolute s,
    consecutive), reading only the stretch they need."""
    before = EEG_START_IN_SLICE_SEC + FRAME_MARGIN_SEC
    after = SPECTROGRAM_ROWS * 2 - EEG_START_IN_SLICE_SEC + FRAME_MARGIN_SEC
    lo = max(0.0, 2 * np.floor((offsets_sec[0] - before) / 2))
    end = 2 * np.ceil(recording.duration_sec / 2)
    hi = min(end, offsets_sec[-1] + after)
    hi = max(hi, offsets_sec[-1] + EEG_WINDOW_SEC)
    x = recording.read(lo, hi)
    power, rows = chunk_spectrogram(x, lo, offsets_sec)
    matrix = extract_recording_matrix(
        x,
        offsets_sec - lo,
        sfreq=SFREQ,
        families=families,
        spectrogram_power=power if with_spectrogram else None,
        spectrogram_rows=rows if with_spectrogram else None,
    )
    return matrix, _trend(power, rows)


def _quality(matrix: FeatureMatrix) -> dict[str, np.ndarray]:
    index = {n: i for i, n in enumerate(matrix.names)}
    muscle = [
        i for n, i in index.items() if n.startswith("eeg_quality_musclerel_") and n.endswith("_10s")
    ]
    return {
        "nan_share": matrix.values[:, index["eeg_quality_nanfrac_all_10s"]],
        "flat_channels": matrix.values[:, index["eeg_quality_flatchans_all_50s"]],
        "muscle_ratio": matrix.values[:, muscle].max(axis=1),
    }


def _families(bundle: Bundle) -> tuple[list[str], bool]:
    families = list(bundle.meta["feature_config"]["families"])
    with_spectrogram = "spectrogram" in families
    if QUALITY_FAMILY not in families:
        families.append(QUALITY_FAMILY)
    return families, with_spectrogram


def _predict(bundle: Bundle, matrix: FeatureMatrix) -> np.ndarray:
    index = {n: i for i, n in enumerate(matrix.names)}
    columns = [c for c in bundle.feature_columns if c in index]
    bundle.check_columns(columns)
    return bundle.predict(matrix.values[:, [index[c] for c in columns]])


def chunk_windows(step_sec: float) -> int:
    """Windows per chunk: about ``CHUNK_SEC`` of starts, in whole batches of the engine.

    The engine computes a recording's windows in batches (``features.engine.window_batches``)
    whose features differ slightly (probabilities by ~1e-3) with the batch's composition, so a
    chunk holds whole batches and the timeline does not depend on the chunk size.

    >>> chunk_windows(10.0), chunk_windows(2.0)
    (182, 896)
    """
    span = MAX_BATCH_SPAN_SEC - EEG_WINDOW_SEC
    per_batch = min(MAX_WINDOWS_PER_BATCH, int(np.floor(span / step_sec + 1e-9)) + 1)
    return per_batch * max(1, int(round(CHUNK_SEC / (per_batch * step_sec))))


def _chunks(offsets: np.ndarray, step_sec: float) -> list[np.ndarray]:
    n = chunk_windows(step_sec)
    return [offsets[i : i + n] for i in range(0, len(offsets), n)]


def _run_chunks(
    recording: Recording, chunks: list[np.ndarray], families: list[str], spec: bool, n_jobs: int
) -> Iterator[tuple[FeatureMatrix, np.ndarray]]:
    if n_jobs == 1 or len(chunks) == 1:
        for offsets in chunks:
            yield chunk_features(recording, offsets, families, spec)
        return
    from joblib import Parallel, delayed

    # A recording already in memory (an MNE Raw loaded with preload, or a RawArray) is shared by
    # threads rather than copied to each worker process; a file-backed one is read by each
    # worker process itself.
    backend = "threading" if getattr(recording.raw, "preload", False) else "loky"
    runner = Parallel(n_jobs=n_jobs, backend=backend, return_as="generator")
    yield from runner(delayed(chunk_features)(recording, c, families, spec) for c in chunks)


def annotate_recording(
    recording: Recording, bundle: Bundle, *, step_sec: float = 10.0, n_jobs: int = 1
) -> Annotation:
    """Predict every window of ``recording`` (see the module docstring).

    Raises
    ------
    RecordingError
        The recording is shorter than one 50 s window.
    """
    start = time.perf_counter()
    if not step_sec > 0:
        raise ValueError(f"step must be positive, got {step_sec}")
    check_duration(recording)
    offsets = window_offsets(recording.duration_sec, step_sec)
    families, spec = _families(bundle)
    parts, trends = [], []
    chunks = _chunks(offsets, step_sec)
    for matrix, trend in _run_chunks(recording, chunks, families, spec, n_jobs):
        probs = _predict(bundle, matrix)
        frame = pd.DataFrame(probs.astype(np.float32), columns=list(PATTERN_COLUMNS))
        for name, values in _quality(matrix).items():
            frame[name] = values
        parts.append(frame)
        trends.append(trend)
    timeline = pd.concat(parts, ignore_index=True)
    half = (EEG_WINDOW_SEC - CENTRE_SEC) / 2
    timeline.insert(0, "window_start_sec", offsets)
    timeline.insert(1, "start_sec", offsets + half)
    timeline.insert(2, "end_sec", offsets + half + CENTRE_SEC)
    best = timeline[list(PATTERN_COLUMNS)].to_numpy().argmax(axis=1)
    timeline.insert(3 + len(CLASSES), "pattern", np.asarray(CLASSES)[best])
    freqs = np.arange(3, 103).reshape(TREND_BINS, -1).mean(axis=1) * SFREQ / 1024
    return Annotation(
        recording.name,
        timeline,
        np.concatenate(trends),
        freqs,
        recording.duration_sec,
        recording.missing,
        recording.annotations,
        time.perf_counter() - start,
    )


def annotate(raw, bundle: Bundle | Path | str, step: float = 10.0, n_jobs: int = 1) -> pd.DataFrame:
    """Pattern probabilities every ``step`` seconds over a whole MNE ``Raw``.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        Any recording with referential 10-20 scalp electrodes (names such as ``Fp1``,
        ``EEG FP1-REF``, ``T7``); any sampling rate; loaded or not.
    bundle : Bundle or path
        A model bundle (``hms train``) or its folder.
    step : float
        Seconds between windows (10 = the Kaggle labelled centre; 2 also works).
    n_jobs : int
        Chunks computed in parallel (a loaded ``Raw`` is copied to each worker).

    Returns
    -------
    DataFrame
        One row per 50 s window, see ``Annotation.timeline``.
    """
    if not isinstance(bundle, Bundle):
        bundle = load_bundle(Path(bundle))
    filenames = [f for f in getattr(raw, "filenames", ()) if f]
    path = Path(filenames[0]) if filenames else None
    name = str(path) if path else "recording"
    recording = recording_from_raw(raw, name=name, path=path)
    return annotate_recording(recording, bundle, step_sec=step, n_jobs=n_jobs).timeline
