"""Spectral family: band powers, ratios, entropy, edge and peak frequency, 1/f slope.

Every function takes a PSD with frequencies on the last axis and any leading shape. The
family computes them per bipolar channel and per chain (on the chain's mean PSD, as the
Kaggle spectrograms do), at 50 s for channels and chains and at the labelled 10 s for chains.
"""

from __future__ import annotations

import functools

import numpy as np

from features.bands import BANDS, LOG_FLOOR, TOTAL_BAND, band_mask, band_weights
from features.context import CENTRE, FULL, WindowSet
from features.montage import BIPOLAR_NAMES, CHAINS, chain_mean
from features.naming import column_name

VERSION = "2"


def band_power(psd: np.ndarray, freqs: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """Absolute power in a band: the PSD integrated over ``[low, high)`` (uV^2).

    Examples
    --------
    A 10 Hz sine of amplitude 4 uV has power A^2 / 2 = 8 uV^2 in 8-13 Hz:

    >>> from features.spectra import welch_psd
    >>> t = np.arange(0, 50, 1 / 200)
    >>> freqs, psd = welch_psd(4 * np.sin(2 * np.pi * 10 * t), sfreq=200)
    >>> round(float(band_power(psd, freqs, (8, 13))), 3)
    8.0
    """
    df = freqs[1] - freqs[0]
    return psd[..., band_mask(freqs, band)].sum(axis=-1) * df


def spectral_entropy(psd: np.ndarray, freqs: np.ndarray, band=TOTAL_BAND) -> np.ndarray:
    """Shannon entropy of the normalised PSD in ``band``, divided by its maximum log(n_bins):
    near 1 for white noise, about 0.2 for a pure sine (the Hann taper spreads it over three
    bins). A zero PSD gives 0."""
    p = psd[..., band_mask(freqs, band)].astype(np.float64)
    total = p.sum(axis=-1, keepdims=True)
    p = np.divide(p, total, out=np.zeros_like(p), where=total > 0)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return -plogp.sum(axis=-1) / np.log(p.shape[-1])


def edge_frequency(
    psd: np.ndarray, freqs: np.ndarray, fraction: float = 0.95, band=TOTAL_BAND
) -> np.ndarray:
    """Spectral edge: the lowest frequency below which ``fraction`` of the power in ``band``
    lies (Hz)."""
    mask = band_mask(freqs, band)
    cum = np.cumsum(psd[..., mask], axis=-1)
    target = fraction * cum[..., -1:]
    index = np.argmax(cum >= target, axis=-1)
    return freqs[mask][index]


def peak_frequency(psd: np.ndarray, freqs: np.ndarray, band=(0.5, 20.0)) -> np.ndarray:
    """Frequency of the largest PSD value in ``band`` (Hz)."""
    mask = band_mask(freqs, band)
    return freqs[mask][np.argmax(psd[..., mask], axis=-1)]


def loglog_fit(freqs: np.ndarray) -> np.ndarray:
    """(n_freqs, 2) matrix taking ``log10 psd`` at ``freqs`` to the intercept and slope of
    its least-squares line against ``log10 f`` (built once per frequency grid)."""
    return _loglog_fit(np.asarray(freqs, dtype=np.float64).tobytes())


@functools.lru_cache(maxsize=64)
def _loglog_fit(freqs: bytes) -> np.ndarray:
    log_f = np.log10(np.frombuffer(freqs))
    design = np.stack([np.ones_like(log_f), log_f], axis=1)
    matrix = np.linalg.pinv(design).T
    matrix.flags.writeable = False
    return matrix


def aperiodic_slope(psd: np.ndarray, freqs: np.ndarray, band=(1.0, 40.0)) -> np.ndarray:
    """Slope of ``log10 psd`` against ``log10 f`` in ``band`` (least squares): about -1 for
    1/f (pink) noise, 0 for white noise, steeper for slow, suppressed records."""
    mask = band_mask(freqs, band)
    log_p = np.log10(psd[..., mask].astype(np.float64) + LOG_FLOOR)
    return (log_p @ loglog_fit(freqs[mask]))[..., 1]


def spectral_features(psd: np.ndarray, freqs: np.ndarray) -> dict[str, np.ndarray]:
    """All spectral features of a PSD (..., n_freqs) -> {feature: array (...)}."""
    # Every band's power and the total in one product.
    powers = psd @ band_weights(freqs, {**BANDS, "total": TOTAL_BAND}, psd.dtype)
    absolute = {name: powers[..., j] for j, name in enumerate(BANDS)}
    total = powers[..., -1]
    safe_total = np.where(total > 0, total, 1.0)
    out: dict[str, np.ndarray] = {}
    for name, power in absolute.items():
        out[f"abspow_{name}"] = np.log10(power + LOG_FLOOR)
    for name, power in absolute.items():
        out[f"relpow_{name}"] = np.where(total > 0, power / safe_total, 0.0)

    def log_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        return np.log10((num + LOG_FLOOR) / (den + LOG_FLOOR))

    out["ratio_theta_alpha"] = log_ratio(absolute["theta"], absolute["alpha"])
    out["ratio_delta_alpha"] = log_ratio(absolute["delta"] + absolute["hdelta"], absolute["alpha"])
    slow = absolute["delta"] + absolute["hdelta"] + absolute["theta"]
    out["ratio_slow_fast"] = log_ratio(slow, absolute["alpha"] + absolute["beta"])
    out["entropy"] = spectral_entropy(psd, freqs)
    out["sef95"] = edge_frequency(psd, freqs)
    out["peakfreq"] = peak_frequency(psd, freqs)
    out["slope"] = aperiodic_slope(psd, freqs)
    return out


def compute(ws: WindowSet) -> dict[str, np.ndarray]:
    """Spectral columns for every window of ``ws``: {name: (n_windows,)}."""
    out: dict[str, np.ndarray] = {}
    freqs = ws.freqs
    for scale, span, with_channels in (("50s", FULL, True), ("10s", CENTRE, False)):
        psd = ws.psd(span)
        units = [(chain_mean(psd, axis=-2), tuple(CHAINS))]
        if with_channels:
            units.append((psd, BIPOLAR_NAMES))
        for values, names in units:
            for feature, array in spectral_features(values, freqs).items():
                for j, unit in enumerate(names):
                    out[column_name("eeg", "spectral", feature, unit, scale)] = array[:, j]
    return out
