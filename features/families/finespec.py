"""Fine spectra: log power in 1 Hz bins from 0.5 to 20.5 Hz per chain, and the dominant rhythm.

The band powers of ``spectral`` lump 4-8 Hz or 8-13 Hz together; a seizure's 3 Hz rhythm, an
LRDA at 1.5 Hz and a 6 Hz theta run differ inside those bands. Every bin is read off the
shared Welch PSD of the window (``WindowSet.psd``, no second FFT pass), averaged over each
chain's derivations as the Kaggle spectrograms are. The dominant rhythm is the largest excess
of the log PSD over its aperiodic (1/f) line in 0.5-20 Hz: its frequency and its prominence.
"""

from __future__ import annotations

import numpy as np

from features.bands import LOG_FLOOR, band_mask, band_weights
from features.context import SCALES, WindowSet
from features.families.spectral import loglog_fit
from features.montage import CHAINS, chain_mean
from features.naming import column_name

VERSION = "1"

FINE_BINS: dict[str, tuple[float, float]] = {f"{k:02d}hz": (k - 0.5, k + 0.5) for k in range(1, 21)}
"""1 Hz bins centred on 1, 2, ..., 20 Hz (``[k - 0.5, k + 0.5)``), keyed by their column name
part (``06hz``); at the 0.25 Hz resolution of the segment spectra each holds 4 PSD bins, and a
sine at a whole frequency k falls wholly inside bin k (the Hann taper spreads it over k +- 0.25)."""

RHYTHM_BAND: tuple[float, float] = (0.5, 20.0)
"""The dominant rhythm is looked for here (the Kaggle spectrogram's range)."""


def fine_bin_power(psd: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """log10 power (uV^2) in each of :data:`FINE_BINS`: (..., n_freqs) -> (..., 20).

    Examples
    --------
    A 6 Hz sine of amplitude 4 uV puts its power A^2 / 2 = 8 uV^2 in the 6 Hz bin:

    >>> from features.spectra import welch_psd
    >>> t = np.arange(0, 50, 1 / 200)
    >>> freqs, psd = welch_psd(4 * np.sin(2 * np.pi * 6 * t), sfreq=200)
    >>> logpow = fine_bin_power(psd, freqs)
    >>> int(np.argmax(logpow)), round(float(10 ** logpow[5]), 3)
    (5, 8.0)
    """
    return np.log10(psd @ band_weights(freqs, FINE_BINS, psd.dtype) + LOG_FLOOR)


def dominant_rhythm(
    psd: np.ndarray, freqs: np.ndarray, band: tuple[float, float] = RHYTHM_BAND
) -> tuple[np.ndarray, np.ndarray]:
    """Frequency and prominence of the largest spectral peak above the 1/f background.

    The log10 PSD in ``band`` is fitted by a line against log10 f (least squares, the
    aperiodic part); the dominant rhythm is the frequency where the log PSD exceeds that line
    the most, and its prominence is that excess (log10 units: 1 means ten times the
    background). White or pink noise gives a prominence near its scatter (about 0.3-0.5 for a
    50 s Welch estimate); a clear rhythm gives several units.

    Parameters
    ----------
    psd : array, shape (..., n_freqs)
    freqs : array, shape (n_freqs,), Hz

    Returns
    -------
    peak_hz, prominence : arrays, shape (...)

    Examples
    --------
    >>> from features.spectra import welch_psd
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(0, 50, 1 / 200)
    >>> x = 20 * np.sin(2 * np.pi * 6 * t) + rng.normal(0, 5, t.size)
    >>> freqs, psd = welch_psd(x, sfreq=200)
    >>> peak_hz, prominence = dominant_rhythm(psd, freqs)
    >>> float(peak_hz), bool(prominence > 1.5)
    (6.0, True)
    """
    mask = band_mask(freqs, band)
    in_band = freqs[mask]
    log_p = np.log10(psd[..., mask].astype(np.float64) + LOG_FLOOR)
    line = log_p @ loglog_fit(in_band)  # (..., 2): intercept, slope
    background = line[..., :1] + line[..., 1:] * np.log10(in_band)
    excess = log_p - background
    index = np.argmax(excess, axis=-1)
    prominence = np.take_along_axis(excess, index[..., None], axis=-1)[..., 0]
    return in_band[index], prominence


def compute(ws: WindowSet) -> dict[str, np.ndarray]:
    """Fine-spectrum columns for every window of ``ws``: {name: (n_windows,)}."""
    out: dict[str, np.ndarray] = {}
    freqs = ws.freqs
    for scale, span in SCALES.items():
        psd = chain_mean(ws.psd(span), axis=-2)  # (n_windows, 5 chains, n_freqs)
        logpow = fine_bin_power(psd, freqs)
        peak_hz, prominence = dominant_rhythm(psd, freqs)
        for j, chain in enumerate(CHAINS):
            for b, key in enumerate(FINE_BINS):
                out[column_name("eeg", "finespec", f"logpow_{key}", chain, scale)] = logpow[:, j, b]
            out[column_name("eeg", "finespec", "rhythm_hz", chain, scale)] = peak_hz[:, j]
            out[column_name("eeg", "finespec", "rhythm_prom", chain, scale)] = prominence[:, j]
    return out
