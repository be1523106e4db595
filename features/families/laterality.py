"""Laterality and spread: lateralized (LPD, LRDA) versus generalized (GPD, GRDA) patterns.

Left/right log power ratios per band and region, inter-hemispheric correlation and coherence
of homologous derivations (Fp1-F7 with Fp2-F8, ...), and how correlated the whole montage
is. Sign convention: a positive ratio means more power on the left.
"""

from __future__ import annotations

import numpy as np

from features.bands import BANDS, LOG_FLOOR, band_matrix
from features.context import SCALES, WindowSet, block_reduce
from features.montage import BIPOLAR_NAMES, CHAINS, REGIONS
from features.naming import column_name

VERSION = "1"


def homologous_pairs() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Indices into ``BIPOLAR_NAMES`` of the left and right derivations of each region."""
    index = {name: i for i, name in enumerate(BIPOLAR_NAMES)}
    left, right = {}, {}
    for region, (lc, rc) in REGIONS.items():
        left[region] = np.array([index[f"{a}-{b}".lower()] for a, b in CHAINS[lc]])
        right[region] = np.array([index[f"{a}-{b}".lower()] for a, b in CHAINS[rc]])
    return left, right


def log_ratio(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``log10(left / right)`` with a floor, so silent channels give a finite 0-ish ratio.

    >>> round(float(log_ratio(np.array(100.0), np.array(10.0))), 6)
    1.0
    """
    return np.log10((left + LOG_FLOOR) / (right + LOG_FLOOR))


def coherence(cross: np.ndarray, power_a: np.ndarray, power_b: np.ndarray) -> np.ndarray:
    """Magnitude-squared coherence ``|Sab|^2 / (Saa Sbb)`` from averaged spectra (in [0, 1]);
    0 where either power is 0."""
    den = power_a * power_b
    return np.divide(np.abs(cross) ** 2, den, out=np.zeros(den.shape), where=den > 0)


def correlation_from_moments(
    s_xy: np.ndarray, s_x: np.ndarray, s_y: np.ndarray, s_xx: np.ndarray, s_yy: np.ndarray
) -> np.ndarray:
    """Pearson correlation from per-sample means of x, y, x^2, y^2 and xy; 0 where a
    variance is 0."""
    cov = s_xy - s_x * s_y
    den = np.sqrt(np.clip(s_xx - s_x**2, 0, None) * np.clip(s_yy - s_y**2, 0, None))
    return np.divide(cov, den, out=np.zeros(np.broadcast(cov, den).shape), where=den > 1e-12)


def _block_moments(ws: WindowSet) -> np.ndarray:
    """Per-block means of x and of every product x_i x_j: (..., n_blocks, 18 + 18 * 18)."""
    hop = ws.block_samples
    x = ws.eeg.astype(np.float64)
    n_blocks = x.shape[-1] // hop
    blocks = x[..., : n_blocks * hop].reshape(*x.shape[:-1], n_blocks, hop)
    blocks = np.moveaxis(blocks, -3, -2)  # (..., n_blocks, 18, hop)
    products = blocks @ np.swapaxes(blocks, -1, -2) / hop  # (..., n_blocks, 18, 18)
    means = block_reduce(x, hop, np.mean)  # (..., 18, n_blocks)
    return np.concatenate(
        [np.swapaxes(means, -1, -2), products.reshape(*products.shape[:-2], -1)], axis=-1
    )


def compute(ws: WindowSet) -> dict[str, np.ndarray]:
    """Laterality and spread columns for every window of ``ws``: {name: (n_windows,)}."""
    out: dict[str, np.ndarray] = {}
    freqs = ws.freqs
    left, right = homologous_pairs()
    n = ws.n_channels
    for scale, span in SCALES.items():
        psd = ws.psd(span)
        moments = ws.block_mean("moments", _block_moments, span)
        mean = moments[:, :n]
        second = moments[:, n:].reshape(-1, n, n)
        diag = np.diagonal(second, axis1=1, axis2=2)
        corr = correlation_from_moments(
            second, mean[:, :, None], mean[:, None, :], diag[:, :, None], diag[:, None, :]
        )
        off_diagonal = ~np.eye(n, dtype=bool)
        out[column_name("eeg", "laterality", "globalcorr", "all", scale)] = np.abs(
            corr[:, off_diagonal]
        ).mean(1)

        left_all = np.concatenate(list(left.values()))
        right_all = np.concatenate(list(right.values()))
        # Band sums are linear, so a region's band power (of its mean PSD) is the mean of its
        # derivations' band powers, and band-summed spectra give the band's coherence.
        weights = band_matrix(freqs, BANDS)
        band_psd = psd @ weights  # (n_windows, 18, n_bands)
        band_cross = ws.cross_spectrum(left_all, right_all, span) @ weights  # (n_w, 8, n_b)
        regions = {**{r: (left[r], right[r]) for r in REGIONS}, "hemi": (left_all, right_all)}
        for region, (li, ri) in regions.items():
            lr = log_ratio(band_psd[:, li].mean(axis=1), band_psd[:, ri].mean(axis=1))
            in_region = np.isin(left_all, li)
            coh = coherence(band_cross[:, in_region], band_psd[:, li], band_psd[:, ri])
            coh = coh.mean(axis=1)
            for b, band_name in enumerate(BANDS):
                out[column_name("eeg", "laterality", f"lr_{band_name}", region, scale)] = lr[:, b]
            out[column_name("eeg", "laterality", "homcorr_mean", region, scale)] = corr[
                :, li, ri
            ].mean(axis=1)
            for b, band_name in enumerate(BANDS):
                out[column_name("eeg", "laterality", f"coh_{band_name}", region, scale)] = coh[:, b]
    return out
