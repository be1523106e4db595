"""Evolution: how power and dominant frequency change across the 50 s (seizures evolve).

The window is split into five 10 s sub-epochs; per chain, each band's log power and the
dominant frequency are taken in every sub-epoch, and summarised by their least-squares
trend (change per 10 s) and their range.
"""

from __future__ import annotations

import numpy as np

from features.bands import BANDS, LOG_FLOOR, TOTAL_BAND
from features.context import WindowSet, sub_epochs
from features.families.spectral import band_power, peak_frequency
from features.montage import CHAINS, chain_mean
from features.naming import column_name

VERSION = "1"

DOMINANT_BAND = (1.0, 20.0)
"""The dominant frequency is the PSD peak in this range (seizure rhythms, 2.5-12 Hz, lie in
it; slow drifts below 1 Hz do not)."""


def trend(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """Least-squares slope of ``values`` against their index along ``axis`` (per step).

    >>> float(trend(np.array([1.0, 3.0, 5.0, 7.0])))
    2.0
    """
    values = np.moveaxis(np.asarray(values, dtype=np.float64), axis, -1)
    index = np.arange(values.shape[-1]) - (values.shape[-1] - 1) / 2
    return (values * index).sum(axis=-1) / (index**2).sum()


def compute(ws: WindowSet) -> dict[str, np.ndarray]:
    """Evolution columns for every window of ``ws``: {name: (n_windows,)}."""
    freqs = ws.freqs
    # (n_windows, n_sub, 5 chains, n_freqs)
    psd = np.stack(
        [chain_mean(ws.psd(span), axis=-2) for span in sub_epochs(ws.window_sec)], axis=1
    )
    series = {
        f"logpow_{name}": np.log10(band_power(psd, freqs, band) + LOG_FLOOR)
        for name, band in BANDS.items()
    }
    series["logpow_total"] = np.log10(band_power(psd, freqs, TOTAL_BAND) + LOG_FLOOR)
    series["domfreq"] = peak_frequency(psd, freqs, DOMINANT_BAND)
    out: dict[str, np.ndarray] = {}
    for feature, values in series.items():  # values: (n_windows, n_sub, 5)
        slope = trend(values, axis=1)
        spread = values.max(axis=1) - values.min(axis=1)
        for j, chain in enumerate(CHAINS):
            out[column_name("eeg", "evolution", f"{feature}_trend", chain, "50s")] = slope[:, j]
            out[column_name("eeg", "evolution", f"{feature}_range", chain, "50s")] = spread[:, j]
    return out
