"""The Kaggle spectrogram slice: per chain and band, statistics of log power over the 10
minutes around the label, its central minute and its central 20 s.

The Kaggle files hold, every 2 s, the power of each chain (LL, RL, LP, RP: the mean over its
four bipolar derivations) in 100 bins from 0.59 to 19.92 Hz. Rows or bins may be NaN in the
files; statistics ignore NaN, and a value is NaN only when every row of its span is NaN.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from features.bands import SPECTROGRAM_BANDS, band_mask
from features.montage import KAGGLE_CHAINS, SPECTROGRAM_FREQS_HZ
from features.naming import column_name
from features.windows import SPECTROGRAM_ROW_SEC, SPECTROGRAM_ROWS

VERSION = "1"

POWER_FLOOR = 1e-4
"""Spectrogram power is clipped below at this value before log10 (files hold exact zeros)."""

SPANS: dict[str, tuple[float, float]] = {
    "600s": (0.0, 600.0),
    "60s": (270.0, 330.0),
    "20s": (290.0, 310.0),
}
"""Spans of the 10-minute slice, in seconds from its start, keyed by column suffix."""


def band_log_power(power: np.ndarray) -> np.ndarray:
    """Per row, chain and band: log10 of the mean power over the band's bins.

    Parameters
    ----------
    power : array, shape (..., 400)
        Raw spectrogram rows in the Kaggle column order (4 chains x 100 bins).

    Returns
    -------
    array, shape (..., 4, n_bands), float32
    """
    by_chain = power.reshape(*power.shape[:-1], len(KAGGLE_CHAINS), len(SPECTROGRAM_FREQS_HZ))
    bands = []
    for band in SPECTROGRAM_BANDS.values():
        mask = band_mask(SPECTROGRAM_FREQS_HZ, band)
        with warnings.catch_warnings(action="ignore", category=RuntimeWarning):
            bands.append(np.nanmean(by_chain[..., mask], axis=-1))
    stacked = np.stack(bands, axis=-1)
    return np.log10(np.clip(stacked, POWER_FLOOR, None)).astype(np.float32)


@dataclass
class SpectrogramSet:
    """Spectrogram slices of the label windows of one recording.

    Attributes
    ----------
    band_rows : array, shape (n_rows, 4, n_bands) or (n_windows, 300, 4, n_bands)
        ``band_log_power`` of every row, computed once per file.
    first_rows : array, shape (n_windows,)
        Index of each window's first row (all zero when ``stacked``).
    """

    band_rows: np.ndarray
    first_rows: np.ndarray
    stacked: bool

    @classmethod
    def from_file(cls, power: np.ndarray, rows: np.ndarray) -> SpectrogramSet:
        """``power`` (n_rows, 400) of a file and each window's row indices (n_windows, 300)
        from ``features.windows.spectrogram_slice_rows``."""
        return cls(band_log_power(power), np.asarray(rows)[:, 0], stacked=False)

    @classmethod
    def from_slices(cls, slices: np.ndarray) -> SpectrogramSet:
        """Slices already cut: (n_windows, 300, 400)."""
        return cls(band_log_power(slices), np.zeros(len(slices), dtype=np.int64), stacked=True)

    @property
    def n_windows(self) -> int:
        return len(self.first_rows)

    def span(self, span: tuple[float, float]) -> np.ndarray:
        """Rows of a span of each slice: (n_windows, n_span_rows, 4, n_bands)."""
        lo = int(round(span[0] / SPECTROGRAM_ROW_SEC))
        count = int(round((span[1] - span[0]) / SPECTROGRAM_ROW_SEC))
        if not 0 <= lo < lo + count <= SPECTROGRAM_ROWS:
            raise ValueError(f"span {span} is not inside the 600 s slice")
        if self.stacked:
            return self.band_rows[:, lo : lo + count]
        index = self.first_rows[:, None] + lo + np.arange(count)
        return self.band_rows[index]


def compute(ss: SpectrogramSet) -> dict[str, np.ndarray]:
    """Spectrogram columns for every window: {name: (n_windows,)}."""
    out: dict[str, np.ndarray] = {}
    for scale, span in SPANS.items():
        values = ss.span(span)
        with warnings.catch_warnings(action="ignore", category=RuntimeWarning):
            stats = {
                "mean": np.nanmean(values, axis=1),
                "std": np.nanstd(values, axis=1),
                "min": np.nanmin(values, axis=1),
                "max": np.nanmax(values, axis=1),
            }
        for stat, array in stats.items():  # (n_windows, 4, n_bands)
            for c, chain in enumerate(KAGGLE_CHAINS):
                for b, band in enumerate(SPECTROGRAM_BANDS):
                    out[
                        column_name("spec", "spectrogram", f"{stat}_{band}", chain.lower(), scale)
                    ] = array[:, c, b]
    return out
