"""Frequency bands, defined once. Edges in Hz, ``[low, high)``."""

from __future__ import annotations

import functools

import numpy as np

BANDS: dict[str, tuple[float, float]] = {
    "delta": (0.5, 2.0),  # where LPD/GPD repeat and LRDA/GRDA oscillate
    "hdelta": (2.0, 4.0),  # high delta
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 20.0),
    "fast": (20.0, 40.0),  # fast beta and muscle
}

SPECTROGRAM_BANDS: dict[str, tuple[float, float]] = {k: v for k, v in BANDS.items() if v[1] <= 20.0}
"""The bands the Kaggle spectrograms cover (0.59-19.92 Hz)."""

TOTAL_BAND: tuple[float, float] = (0.5, 40.0)
"""Relative powers, entropy and edge frequency are taken over this range."""

LOG_FLOOR = 1e-6
"""Added before taking log10 of a power, so a flat channel gives -6 rather than -inf."""


def band_mask(freqs: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """Boolean mask of the frequencies in ``[low, high)``."""
    low, high = band
    return (freqs >= low) & (freqs < high)


def band_matrix(freqs: np.ndarray, bands: dict[str, tuple[float, float]]) -> np.ndarray:
    """Integration weights: ``psd @ band_matrix(freqs, bands)`` gives every band's absolute
    power (uV^2) in one product, shape (..., n_bands).

    >>> freqs = np.arange(0, 10, 0.5)
    >>> (np.ones_like(freqs) @ band_matrix(freqs, {"a": (1.0, 2.0)})).tolist()
    [1.0]
    """
    df = freqs[1] - freqs[0]
    return np.stack([band_mask(freqs, band) * df for band in bands.values()], axis=1)


def band_weights(
    freqs: np.ndarray, bands: dict[str, tuple[float, float]], dtype=np.float64
) -> np.ndarray:
    """:func:`band_matrix`, built once per frequency grid, bands and dtype (read-only)."""
    key = (np.asarray(freqs, dtype=np.float64).tobytes(), tuple(bands.items()), np.dtype(dtype))
    return _band_weights(*key)


@functools.lru_cache(maxsize=64)
def _band_weights(freqs: bytes, bands: tuple, dtype: np.dtype) -> np.ndarray:
    weights = band_matrix(np.frombuffer(freqs), dict(bands)).astype(dtype)
    weights.flags.writeable = False
    return weights
