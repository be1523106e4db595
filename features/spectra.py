"""Short-segment spectra shared by every label window of a recording.

A window's power spectral density is Welch's estimate: the mean of the periodograms of its
Hann-tapered segments (``SEGMENT_SEC`` long, one every ``HOP_SEC``). Label windows of one
recording overlap (they start 2 s apart), so the engine computes each segment's spectrum once
per recording and averages it into every window that contains it (a cumulative sum makes
each window's mean O(1)). ``welch_psd`` computes the same estimate from windows directly;
the tests check the two agree.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

SEGMENT_SEC = 4.0
"""Segment length: 0.25 Hz resolution, enough to separate 0.5-2 Hz discharges from delta."""

HOP_SEC = 2.0
"""Segment hop (50% overlap). Windows starting on any even second share one segment grid:
every Kaggle label offset is an even number of seconds."""


def segment_samples(sfreq: float) -> tuple[int, int]:
    """Segment length and hop in samples."""
    return int(round(SEGMENT_SEC * sfreq)), int(round(HOP_SEC * sfreq))


def rfft_freqs(sfreq: float) -> np.ndarray:
    """Frequencies (Hz) of the segment spectra, shape (n_freqs,)."""
    n_seg, _ = segment_samples(sfreq)
    return np.fft.rfftfreq(n_seg, d=1.0 / sfreq)


def _taper(n: int) -> np.ndarray:
    return np.hanning(n + 1)[:-1].astype(np.float32)  # periodic Hann, as scipy's welch uses


def segment_fft(x: np.ndarray, *, sfreq: float, n_bins: int | None = None) -> np.ndarray:
    """Scaled FFT of every Hann-tapered segment along the last axis.

    Parameters
    ----------
    x : array, shape (..., n_samples)
        Signal(s), microvolts. Segments start at samples 0, hop, 2*hop, ...
    n_bins : int, optional
        Keep only the first ``n_bins`` frequencies (all by default).

    Returns
    -------
    array, shape (..., n_segments, n_bins), complex64
        Scaled so that ``|X|^2`` is a one-sided PSD in uV^2/Hz (sums to the variance).
    """
    n_seg, hop = segment_samples(sfreq)
    if x.shape[-1] < n_seg:
        raise ValueError(f"need at least {n_seg} samples for one segment, got {x.shape[-1]}")
    n_freqs = n_seg // 2 + 1
    n_bins = n_freqs if n_bins is None else n_bins
    frames = np.lib.stride_tricks.sliding_window_view(x, n_seg, axis=-1)[..., ::hop, :]
    # The one-sided scaling (x2 for every bin but DC and Nyquist) is folded into the taper,
    # and DC and Nyquist are scaled back: one pass fewer over the spectra.
    taper = _taper(n_seg).astype(np.float64)
    scaled_taper = (taper * np.sqrt(2.0 / (sfreq * np.sum(taper**2)))).astype(np.float32)
    # scipy's pocketfft transforms float32 natively: ~2.7x numpy's speed here.
    spectrum = scipy.fft.rfft(frames * scaled_taper, axis=-1, overwrite_x=True)[..., :n_bins]
    spectrum[..., 0] *= np.float32(np.sqrt(0.5))
    if n_seg % 2 == 0 and n_bins == n_freqs:
        spectrum[..., -1] *= np.float32(np.sqrt(0.5))
    return spectrum.astype(np.complex64, copy=False)


def power(spectrum: np.ndarray) -> np.ndarray:
    """``|X|^2`` of a complex64 spectrum, float32."""
    out = np.abs(np.asarray(spectrum, dtype=np.complex64))
    out *= out
    return out


def welch_psd(x: np.ndarray, *, sfreq: float) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD of each window directly (Hann, ``SEGMENT_SEC`` segments, ``HOP_SEC`` hop).

    Parameters
    ----------
    x : array, shape (..., n_samples)

    Returns
    -------
    freqs : array, shape (n_freqs,)
    psd : array, shape (..., n_freqs), float64, uV^2/Hz
    """
    spectrum = segment_fft(x, sfreq=sfreq)
    return rfft_freqs(sfreq), np.mean(power(spectrum), axis=-2, dtype=np.float64)
