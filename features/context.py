"""The label windows of one recording, and the work they share.

Feature families never loop over windows. They ask a ``WindowSet`` for *additive* quantities
over a span of each window (a mean of per-segment spectra, a sum of per-block moments), and
the ``WindowSet`` computes the per-segment or per-block values once over the whole recording
and sums them per window with a cumulative sum. The same family code runs on windows cut
out directly (``WindowSet.from_windows``), which is the reference the tests compare against.

Two grids, both anchored at the recording's first sample:
- blocks: consecutive ``HOP_SEC`` (2 s) pieces; a span of a window is a run of whole blocks;
- segments: ``SEGMENT_SEC`` (4 s) Hann-tapered pieces, one starting on every block; a span
  holds the segments that lie entirely inside it (Welch's estimate over that span).
Windows must start on a whole block (every Kaggle offset is an even number of seconds); the
engine cuts any other window directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from features.spectra import (
    HOP_SEC,
    SEGMENT_SEC,
    power,
    rfft_freqs,
    segment_fft,
    segment_samples,
)
from features.windows import CENTRE_SEC, EEG_WINDOW_SEC

Span = tuple[float, float]
"""(start, stop) in seconds from the window's first sample, e.g. (20, 30) for the centre."""

FULL: Span = (0.0, EEG_WINDOW_SEC)
CENTRE: Span = ((EEG_WINDOW_SEC - CENTRE_SEC) / 2, (EEG_WINDOW_SEC + CENTRE_SEC) / 2)
SCALES: dict[str, Span] = {"50s": FULL, "10s": CENTRE}
"""The two time scales features are computed at, keyed by their column-name suffix."""

MAX_FREQ_HZ = 70.0
"""Spectra are kept up to here: EEG bands end at 40 Hz, muscle is measured up to 70 Hz."""

SUB_EPOCH_SEC = 10.0
"""Evolution features compare the five 10 s sub-epochs of the 50 s window."""


def sub_epochs(window_sec: float = EEG_WINDOW_SEC) -> list[Span]:
    n = int(round(window_sec / SUB_EPOCH_SEC))
    return [(i * SUB_EPOCH_SEC, (i + 1) * SUB_EPOCH_SEC) for i in range(n)]


def block_reduce(x: np.ndarray, block: int, reducer: Callable = np.sum) -> np.ndarray:
    """Reduce consecutive ``block``-sample pieces of the last axis (a trailing partial block
    is dropped). Shape (..., n_samples) -> (..., n_blocks)."""
    n_blocks = x.shape[-1] // block
    pieces = x[..., : n_blocks * block].reshape(*x.shape[:-1], n_blocks, block)
    return reducer(pieces, axis=-1)


@dataclass
class WindowSet:
    """Label windows of one recording (or a stack of directly cut windows).

    Attributes
    ----------
    eeg : array, shape (18, n_samples) or (n_windows, 18, n_samples), float32
        Bipolar EEG after the NaN policy.
    ekg : array, shape (n_samples,) or (n_windows, n_samples), float32
    nan_mask : array, shape like ``eeg``, bool
        Where either electrode of a bipolar derivation was NaN in the raw file.
    starts : array, shape (n_windows,), int
        First sample of each window (all zero for stacked windows).
    stacked : bool
        True when the arrays carry a leading window axis (``from_windows``).
    """

    eeg: np.ndarray
    ekg: np.ndarray
    nan_mask: np.ndarray
    starts: np.ndarray
    sfreq: float
    stacked: bool
    window_sec: float = EEG_WINDOW_SEC
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_recording(
        cls,
        eeg: np.ndarray,
        ekg: np.ndarray,
        nan_mask: np.ndarray,
        starts: np.ndarray,
        *,
        sfreq: float,
    ) -> WindowSet:
        """Windows starting at ``starts`` (samples, multiples of one block) of a recording."""
        _, hop = segment_samples(sfreq)
        starts = np.asarray(starts, dtype=np.int64)
        if np.any(starts % hop):
            raise ValueError(f"window starts must be multiples of {hop} samples")
        return cls(eeg, ekg, nan_mask, starts, sfreq, stacked=False)

    @classmethod
    def from_windows(
        cls,
        eeg: np.ndarray,
        *,
        sfreq: float,
        ekg: np.ndarray | None = None,
        nan_mask: np.ndarray | None = None,
    ) -> WindowSet:
        """Windows already cut: ``eeg`` shaped (n_windows, n_channels, n_samples)."""
        eeg = np.asarray(eeg)
        if eeg.ndim != 3:
            raise ValueError(f"expected (n_windows, n_channels, n_samples), got {eeg.shape}")
        if ekg is None:
            ekg = np.zeros((eeg.shape[0], eeg.shape[-1]), dtype=np.float32)
        if nan_mask is None:
            nan_mask = np.zeros(eeg.shape, dtype=bool)
        window_sec = eeg.shape[-1] / sfreq
        starts = np.zeros(eeg.shape[0], dtype=np.int64)
        return cls(eeg, ekg, nan_mask, starts, sfreq, stacked=True, window_sec=window_sec)

    # --- geometry -------------------------------------------------------------------------

    @property
    def n_windows(self) -> int:
        return len(self.starts)

    @property
    def n_channels(self) -> int:
        return self.eeg.shape[-2]

    @property
    def freqs(self) -> np.ndarray:
        """Frequencies (Hz) of every spectrum this set returns (0 to ``MAX_FREQ_HZ``)."""
        freqs = rfft_freqs(self.sfreq)
        return freqs[freqs <= MAX_FREQ_HZ]

    def _block_range(self, span: Span) -> tuple[int, int]:
        """First block of the span (relative to the window start) and its number of blocks."""
        lo, hi = span
        if not 0 <= lo < hi <= self.window_sec + 1e-9:
            raise ValueError(f"span {span} is not inside the {self.window_sec:g} s window")
        return int(round(lo / HOP_SEC)), int(round((hi - lo) / HOP_SEC))

    def _gather_mean(
        self, key: str, per_piece: np.ndarray, first_rel: int, count: int
    ) -> np.ndarray:
        """Mean over ``count`` pieces (blocks or segments) from ``first_rel`` of each window.

        ``per_piece`` is shaped (..., n_pieces, k) for a recording, (n_windows, ..., n_pieces,
        k) for stacked windows; the result is (n_windows, ..., k). The prefix sum of a
        recording's pieces is cached under ``key``, so every span reuses it.
        """
        if count < 1:
            raise ValueError("a span must hold at least one piece")
        if self.stacked:
            return per_piece[..., first_rel : first_rel + count, :].mean(axis=-2)
        wide = np.complex128 if np.iscomplexobj(per_piece) else np.float64
        first = self.starts // self.block_samples + first_rel
        n_pieces = per_piece.shape[-2]
        if self.n_windows * count <= n_pieces and f"prefix:{key}" not in self._cache:
            # Few windows (a third of Kaggle's EEGs have one): summing their spans directly
            # touches no more pieces than a prefix sum would, without building it.
            sums = [
                np.add.reduce(per_piece[..., f : f + count, :], axis=-2, dtype=wide)
                for f in first.tolist()
            ]
            return np.stack(sums) / count

        def prefix_sum() -> np.ndarray:
            # Pieces first and contiguous, then one vector add per piece: several times
            # faster than np.cumsum along an inner axis.
            moved = np.moveaxis(per_piece, -2, 0)
            csum = np.empty((moved.shape[0] + 1, *moved.shape[1:]), dtype=wide)
            csum[0] = 0
            csum[1:] = moved
            for i in range(1, len(csum)):
                csum[i] += csum[i - 1]
            return csum

        csum = self.cached(f"prefix:{key}", prefix_sum)
        return (csum[first + count] - csum[first]) / count

    def cached(self, key: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """Memoise per-recording work shared by several families."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    # --- shared quantities ----------------------------------------------------------------

    def segment_spectra(self) -> np.ndarray:
        """Scaled FFT of every segment: (..., 18, n_segments, n_freqs), complex64."""
        n_freqs = len(self.freqs)
        return self.cached("fft", lambda: segment_fft(self.eeg, sfreq=self.sfreq, n_bins=n_freqs))

    def psd(self, span: Span = FULL) -> np.ndarray:
        """Welch PSD over a span of each window: (n_windows, 18, n_freqs), uV^2/Hz."""

        periodogram = self.cached("power", lambda: power(self.segment_spectra()))
        first, n_blocks = self._block_range(span)
        count = n_blocks - int(round(SEGMENT_SEC / HOP_SEC)) + 1
        return self.cached(
            f"psd{span}", lambda: self._gather_mean("power", periodogram, first, count)
        )

    def cross_spectrum(self, left: np.ndarray, right: np.ndarray, span: Span = FULL):
        """Mean cross-spectrum ``X_left * conj(X_right)`` over a span, per channel pair:
        (n_windows, n_pairs, n_freqs), complex."""
        spectrum = self.segment_spectra()
        key = f"cross{tuple(left)}{tuple(right)}"
        per_segment = self.cached(
            key, lambda: spectrum[..., left, :, :] * np.conj(spectrum[..., right, :, :])
        )
        first, n_blocks = self._block_range(span)
        count = n_blocks - int(round(SEGMENT_SEC / HOP_SEC)) + 1
        return self._gather_mean(key, per_segment, first, count)

    def block_mean(
        self, key: str, per_block: Callable[[WindowSet], np.ndarray], span: Span = FULL
    ) -> np.ndarray:
        """Mean over a span's blocks of a per-block quantity.

        ``per_block(self)`` returns (..., n_blocks, k) computed on ``self``'s arrays (the
        whole recording, or the stacked windows); it is computed once per recording.
        Returns (n_windows, ..., k).
        """
        values = self.cached(f"block:{key}", lambda: per_block(self))
        first, count = self._block_range(span)
        return self._gather_mean(f"block:{key}", values, first, count)

    def block_values(
        self, key: str, per_block: Callable[[WindowSet], np.ndarray], span: Span = FULL
    ) -> np.ndarray:
        """The per-block values of each window's span, not averaged:
        (n_windows, ..., n_blocks_in_span, k), for order statistics such as medians."""
        values = self.cached(f"block:{key}", lambda: per_block(self))
        first, count = self._block_range(span)
        return self._take_pieces(values, first, count)

    def segment_values(
        self, key: str, per_segment: Callable[[WindowSet], np.ndarray], span: Span = FULL
    ) -> np.ndarray:
        """The per-segment values of each window's span, not averaged: (n_windows, ...,
        n_segments_in_span, k). ``per_segment(self)`` returns (..., n_segments, k) on the grid
        of ``segment_spectra`` (one segment every block, ``SEGMENT_SEC`` long), computed once
        per recording; a span holds the segments that lie wholly inside it."""
        values = self.cached(f"segment:{key}", lambda: per_segment(self))
        first, n_blocks = self._block_range(span)
        count = n_blocks - int(round(SEGMENT_SEC / HOP_SEC)) + 1
        return self._take_pieces(values, first, count)

    def _take_pieces(self, values: np.ndarray, first_rel: int, count: int) -> np.ndarray:
        """``count`` pieces from ``first_rel`` of each window: (..., n_pieces, k) ->
        (n_windows, ..., count, k)."""
        if self.stacked:
            return values[..., first_rel : first_rel + count, :]
        index = (self.starts // self.block_samples + first_rel)[:, None] + np.arange(count)
        return np.moveaxis(np.take(values, index, axis=-2), -3, 0)

    @property
    def block_samples(self) -> int:
        return segment_samples(self.sfreq)[1]
