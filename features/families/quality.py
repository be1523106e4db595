"""Quality and artefact family: missing data, flat channels, muscle, EKG rate and leakage.

- NaN fraction: the share of each window's samples that were NaN in the raw file (per channel
  and over all channels), from ``ws.nan_mask``.
- Flat channels: blocks whose standard deviation is below ``FLAT_STD_UV`` (the NaN policy
  sets all-NaN channels and long NaN runs to exactly zero, so these count too).
- Muscle: 20-70 Hz log power, and its ratio to 0.5-20 Hz, from the shared Welch PSD.
- EKG: R peaks are found once per recording (band-pass, rectify, ``find_peaks`` with a
  refractory distance and a threshold relative to the local maximum); each block records its
  beats and the RR intervals ending in it (implausible ones, from a missed or an extra beat,
  left out), so a window's heart rate and RR regularity are sums over its blocks. Without a
  usable EKG (flat, disconnected, or no clear QRS) the rate columns are 0 and ``ekg_ok`` is 0.
- EKG leakage: Pearson correlation of each channel with the raw EKG over the window, from
  per-block sums.

Every column is finite. Everything except the EKG peak columns is exactly additive over the
blocks (2 s); R peaks within about a second of a window's edge can differ between a window cut
out on its own and the same stretch of a recording (the band-pass filter's edge and the
interval that crosses the border).
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.ndimage import maximum_filter1d, median_filter
from scipy.signal import butter, find_peaks, sosfiltfilt

from features.bands import LOG_FLOOR
from features.context import SCALES, WindowSet, block_reduce
from features.families.spectral import band_power
from features.families.temporal import block_std, recording_moments, span_moments
from features.montage import BIPOLAR_NAMES, CHAINS, chain_mean
from features.naming import column_name

VERSION = "3"

FLAT_STD_UV = 0.5
"""A block whose standard deviation is below this (uV) is flat; EEG background is 5-100 uV."""

MOSTLY = 0.5
"""A channel counts as flat (or as missing) in a window when more than this share of it is."""

MUSCLE_BAND = (20.0, 70.0)
SLOW_BAND = (0.5, 20.0)

QRS_BAND_HZ = (5.0, 30.0)
"""The EKG is band-passed to this range before R peaks are sought (removes drift, T waves)."""

MIN_RR_SEC = 0.3
"""Refractory distance between R peaks (200 bpm at most)."""

MAX_RR_SEC = 2.0
"""Longer RR intervals (below 30 bpm) are taken as missed beats and left out of the rate."""

RR_LOCAL_BEATS = 9
RR_LOCAL_RANGE = (0.6, 1.5)
"""Kept RR intervals lie within these multiples of the median of the 9 around them."""

PEAK_REL_HEIGHT = 0.4
"""An R peak must reach this share of the largest rectified EKG value within ``LOCAL_SEC``."""

LOCAL_SEC = 3.0

EKG_MIN_UV = 5.0
"""An R peak must also exceed this absolute height (uV) of the band-passed EKG."""

EKG_MIN_SNR = 4.0
"""Mean R-peak height over mean rectified band-passed EKG above which the EKG is usable:
a real QRS gives 8-30, noise about 3."""

EKG_MIN_BEATS_PER_MIN = 30.0
"""Fewer RR intervals than this rate over the span mark the EKG unusable."""

_EKG_FIELDS = ("beats", "n_rr", "sum_rr", "sum_rr2", "sum_height", "mean_abs")


def nan_fraction(nan_mask: np.ndarray, *, block: int) -> np.ndarray:
    """Share of NaN samples in each block: (..., n_samples) -> (..., n_blocks), in [0, 1].

    >>> nan_fraction(np.array([True, False, False, False, True, True, True, True]), block=4)
    array([0.25, 1.  ])
    """
    return block_reduce(nan_mask, block, np.count_nonzero) / block


def r_peaks(ekg: np.ndarray, *, sfreq: float) -> tuple[np.ndarray, np.ndarray]:
    """R peaks of one EKG trace.

    The trace is band-passed to ``QRS_BAND_HZ`` (zero phase), rectified, and peaks are kept
    that are at least ``MIN_RR_SEC`` apart, exceed ``EKG_MIN_UV`` and reach
    ``PEAK_REL_HEIGHT`` of the largest value within ``LOCAL_SEC`` (so either QRS polarity and
    slow changes of amplitude are handled).

    Parameters
    ----------
    ekg : array, shape (n_samples,)
        Microvolts.

    Returns
    -------
    peaks : array of int
        Sample indices of the R peaks.
    rectified : array, shape (n_samples,)
        The rectified band-passed trace (uV).

    Examples
    --------
    Narrow QRS-like spikes every 0.8 s (75 bpm):

    >>> t = np.arange(0, 20, 1 / 200)
    >>> ekg = 500 * np.exp(-(((t % 0.8) - 0.4) ** 2) / (2 * 0.01**2))
    >>> peaks, _ = r_peaks(ekg, sfreq=200)
    >>> float(np.median(np.diff(peaks)) / 200)
    0.8
    """
    ekg = np.asarray(ekg, dtype=np.float64)
    sos = _qrs_filter(float(sfreq))
    # Pad by a mirrored second so the filter's edge transient is not taken for a beat.
    padlen = max(min(int(round(sfreq)), ekg.size - 1), 0)
    rectified = np.abs(sosfiltfilt(sos, ekg, padtype="even", padlen=padlen))
    local_max = maximum_filter1d(rectified, size=int(round(LOCAL_SEC * sfreq)), mode="nearest")
    height = np.maximum(PEAK_REL_HEIGHT * local_max, EKG_MIN_UV)
    peaks, _ = find_peaks(rectified, height=height, distance=int(round(MIN_RR_SEC * sfreq)))
    return peaks, rectified


@functools.cache
def _qrs_filter(sfreq: float) -> np.ndarray:
    """The ``QRS_BAND_HZ`` band-pass (designed once per rate: design costs more than use)."""
    return butter(3, QRS_BAND_HZ, btype="bandpass", fs=sfreq, output="sos")


def _plausible_rr(rr: np.ndarray) -> np.ndarray:
    """RR intervals within ``RR_LOCAL_RANGE`` times the median of the ``RR_LOCAL_BEATS``
    around them: a beat missed under an artefact (about 2x) or an extra detection (a T wave,
    a spike) does not enter the rate or its variability."""
    if rr.size == 0:
        return np.zeros(0, dtype=bool)
    local = median_filter(rr, size=RR_LOCAL_BEATS, mode="nearest")
    low, high = RR_LOCAL_RANGE
    return (rr >= low * local) & (rr <= high * local)


def ekg_blocks(ekg: np.ndarray, *, sfreq: float, block: int) -> np.ndarray:
    """Per-block R-peak sums of EKG trace(s): (..., n_samples) -> (..., n_blocks, 6).

    Fields (``_EKG_FIELDS``): beats, RR intervals ending in the block (between
    ``MIN_RR_SEC`` and ``MAX_RR_SEC`` and within ``RR_LOCAL_RANGE`` of the local median RR),
    their sum and sum of squares (s, s^2), the summed rectified height of the beats (uV),
    and the mean rectified band-passed EKG (uV).
    """
    rows = np.asarray(ekg).reshape(-1, ekg.shape[-1])
    n_blocks = rows.shape[-1] // block
    out = np.zeros((rows.shape[0], n_blocks, len(_EKG_FIELDS)))
    for i, row in enumerate(rows):
        peaks, rectified = r_peaks(row, sfreq=sfreq)
        peaks = peaks[peaks < n_blocks * block]
        where = peaks // block
        rr = np.diff(peaks) / sfreq
        good = (rr >= MIN_RR_SEC) & (rr <= MAX_RR_SEC) & _plausible_rr(rr)
        rr_block = where[1:][good]
        rr = rr[good]
        out[i, :, 0] = np.bincount(where, minlength=n_blocks)
        out[i, :, 1] = np.bincount(rr_block, minlength=n_blocks)
        out[i, :, 2] = np.bincount(rr_block, weights=rr, minlength=n_blocks)
        out[i, :, 3] = np.bincount(rr_block, weights=rr * rr, minlength=n_blocks)
        out[i, :, 4] = np.bincount(where, weights=rectified[peaks], minlength=n_blocks)
        out[i, :, 5] = block_reduce(rectified, block, np.mean)
    return out.reshape(*ekg.shape[:-1], n_blocks, len(_EKG_FIELDS))


def heart_rate(sums: np.ndarray, span_sec: float, block_sec: float = 1.0) -> dict[str, np.ndarray]:
    """Heart-rate columns from span means of :func:`ekg_blocks` (..., 6).

    Returns ``ekg_hr`` (bpm, 60 / mean RR), ``ekg_rrcv`` (RR standard deviation / mean: ~0 for
    a regular rhythm), ``ekg_snr`` (log10 of mean R height over mean rectified trace; 0 with
    no peaks) and ``ekg_ok`` (1 when the EKG is usable: at least ``EKG_MIN_BEATS_PER_MIN``
    worth of RR intervals and an SNR above ``EKG_MIN_SNR``). Rate and CV are 0 when not usable.

    Examples
    --------
    Twelve 0.5 s intervals (120 bpm), no variability, tall peaks:

    >>> s = np.array([13.0, 12.0, 6.0, 3.0, 13 * 400.0, 200.0]) / 10  # means over 10 blocks
    >>> {k: float(v) for k, v in heart_rate(s, span_sec=10).items()}
    {'ekg_hr': 120.0, 'ekg_rrcv': 0.0, 'ekg_snr': 1.3010299956639813, 'ekg_ok': 1.0}
    """
    beats, n_rr, sum_rr, sum_rr2, sum_height, mean_abs = np.moveaxis(sums, -1, 0)
    has_rr = n_rr > 0
    mean_rr = np.divide(sum_rr, n_rr, out=np.zeros_like(sum_rr), where=has_rr)
    var_rr = np.maximum(
        np.divide(sum_rr2, n_rr, out=np.zeros_like(sum_rr), where=has_rr) - mean_rr**2, 0.0
    )
    mean_height = np.divide(sum_height, beats, out=np.zeros_like(beats), where=beats > 0)
    snr = np.divide(mean_height, mean_abs, out=np.zeros_like(beats), where=mean_abs > 0)
    n_rr_total = n_rr * span_sec / block_sec  # block means -> totals over the span
    ok = (n_rr_total >= EKG_MIN_BEATS_PER_MIN * span_sec / 60) & (snr >= EKG_MIN_SNR)
    safe_rr = np.where(ok, mean_rr, 1.0)
    return {
        "ekg_hr": np.where(ok, 60.0 / safe_rr, 0.0),
        "ekg_rrcv": np.where(ok, np.sqrt(var_rr) / safe_rr, 0.0),
        "ekg_snr": np.log10(np.maximum(snr, 1.0)),
        "ekg_ok": ok.astype(np.float64),
    }


def _nan_blocks(ws: WindowSet) -> np.ndarray:
    return nan_fraction(ws.nan_mask, block=ws.block_samples)[..., None]


def _flat_blocks(ws: WindowSet) -> np.ndarray:
    return (block_std(recording_moments(ws)) < FLAT_STD_UV)[..., None].astype(np.float64)


def _ekg_blocks(ws: WindowSet) -> np.ndarray:
    return ekg_blocks(ws.ekg, sfreq=ws.sfreq, block=ws.block_samples)


def ekg_products(eeg: np.ndarray, ekg: np.ndarray, *, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-block means for the EEG-EKG correlation.

    Parameters
    ----------
    eeg : array, shape (..., n_channels, n_samples)
    ekg : array, shape (..., n_samples)
        Same leading shape as ``eeg`` without the channel axis.

    Returns
    -------
    cross : array, shape (..., n_channels, n_blocks, 1)
        Mean ``x * ekg`` per block, both about their mean over the whole last axis (the
        reference the temporal moments use; correlations do not depend on it). The products
        are float32 (summed pairwise; relative error about 1e-7).
    own : array, shape (..., n_blocks, 2)
        Mean ``ekg`` and ``ekg^2`` per block about the same reference.
    """
    n_blocks = eeg.shape[-1] // block
    n = n_blocks * block
    eeg = np.asarray(eeg)[..., :n]
    ekg = np.asarray(ekg, dtype=np.float64)[..., :n]
    ekg = ekg - ekg.mean(axis=-1, keepdims=True)
    eeg_ref = eeg.mean(axis=-1, keepdims=True, dtype=np.float64).astype(np.float32)
    products = (eeg - eeg_ref) * ekg.astype(np.float32)[..., None, :]
    by_block = products.reshape(*products.shape[:-1], n_blocks, block)
    cross = by_block.sum(axis=-1).astype(np.float64) / block
    ekg = ekg.reshape(*ekg.shape[:-1], n_blocks, block)
    own = np.stack([ekg.mean(axis=-1), (ekg * ekg).mean(axis=-1)], axis=-1)
    return cross[..., None], own


def _ekg_products(ws: WindowSet) -> tuple[np.ndarray, np.ndarray]:
    return ekg_products(ws.eeg, ws.ekg, block=ws.block_samples)


def ekg_correlation(
    eeg_moments: np.ndarray, cross: np.ndarray, ekg_moments: np.ndarray
) -> np.ndarray:
    """|Pearson correlation| of EEG channels with the EKG from span-mean sums.

    Parameters
    ----------
    eeg_moments : array, shape (..., n_channels, >=2)
        Mean ``x`` and ``x^2`` (first two fields of the temporal moments).
    cross : array, shape (..., n_channels)
        Mean ``x * ekg``.
    ekg_moments : array, shape (..., 2)
        Mean ``ekg`` and ``ekg^2``.

    Returns
    -------
    array, shape (..., n_channels), in [0, 1]; 0 when either signal is flat.

    Examples
    --------
    >>> float(ekg_correlation(np.array([[0.0, 4.0]]), np.array([-2.0]), np.array([0.0, 1.0]))[0])
    1.0
    """
    mx, mx2 = eeg_moments[..., 0], eeg_moments[..., 1]
    me, me2 = ekg_moments[..., None, 0], ekg_moments[..., None, 1]
    cov = cross - mx * me
    denom = np.sqrt(np.maximum(mx2 - mx**2, 0.0) * np.maximum(me2 - me**2, 0.0))
    corr = np.divide(np.abs(cov), denom, out=np.zeros_like(cov), where=denom > 1e-6)
    return np.minimum(corr, 1.0)


def compute(ws: WindowSet) -> dict[str, np.ndarray]:
    """Quality columns for every window of ``ws``: {name: (n_windows,)}."""
    out: dict[str, np.ndarray] = {}
    freqs = ws.freqs
    products = ws.cached("quality:ekg-products", lambda: _ekg_products(ws))
    for scale, span in SCALES.items():
        span_sec = span[1] - span[0]
        full = scale == "50s"

        nan = ws.block_mean("quality:nan", _nan_blocks, span)[..., 0]  # (n_w, 18)
        if full:
            for j, name in enumerate(BIPOLAR_NAMES):
                out[column_name("eeg", "quality", "nanfrac", name, scale)] = nan[:, j]
        out[column_name("eeg", "quality", "nanfrac", "all", scale)] = nan.mean(axis=1)
        out[column_name("eeg", "quality", "nanchans", "all", scale)] = (
            (nan > MOSTLY).sum(axis=1).astype(float)
        )

        flat = ws.block_mean("quality:flat", _flat_blocks, span)[..., 0]  # (n_w, 18)
        if full:
            for j, name in enumerate(BIPOLAR_NAMES):
                out[column_name("eeg", "quality", "flatfrac", name, scale)] = flat[:, j]
        out[column_name("eeg", "quality", "flatchans", "all", scale)] = (
            (flat > MOSTLY).sum(axis=1).astype(float)
        )

        psd = ws.psd(span)
        units = [(chain_mean(psd, axis=-2), tuple(CHAINS))]
        if full:
            units.append((psd, BIPOLAR_NAMES))
        for values, names in units:
            muscle = band_power(values, freqs, MUSCLE_BAND)
            logpow = np.log10(muscle + LOG_FLOOR)
            for j, unit in enumerate(names):
                out[column_name("eeg", "quality", "muscle", unit, scale)] = logpow[:, j]
            if names is BIPOLAR_NAMES:
                continue
            slow = band_power(values, freqs, SLOW_BAND)
            ratio = np.log10((muscle + LOG_FLOOR) / (slow + LOG_FLOOR))
            for j, unit in enumerate(names):
                out[column_name("eeg", "quality", "musclerel", unit, scale)] = ratio[:, j]

        sums = ws.block_mean("quality:ekg", _ekg_blocks, span)
        for feature, values in heart_rate(sums, span_sec, ws.block_samples / ws.sfreq).items():
            out[column_name("eeg", "quality", feature, scale=scale)] = values

        if full:
            moments = span_moments(ws, span)
            cross = ws.block_mean("quality:ekg-cross", lambda w: products[0], span)[..., 0]
            own = ws.block_mean("quality:ekg-own", lambda w: products[1], span)
            corr = ekg_correlation(moments, cross, own)  # (n_w, 18)
            chain_corr = chain_mean(corr)
            for j, chain in enumerate(CHAINS):
                out[column_name("eeg", "quality", "ekgcorr", chain, scale)] = chain_corr[:, j]
            out[column_name("eeg", "quality", "ekgcorr", "max", scale)] = corr.max(axis=1)
    return out
