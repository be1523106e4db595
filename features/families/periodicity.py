"""Periodicity family: what separates periodic discharges (LPD/GPD), rhythmic delta (LRDA/GRDA)
and background.

- Envelope: each channel's line-length envelope, the mean absolute slope (over 20 ms) in
  50 ms bins (``ENVELOPE_SFREQ`` = 20 Hz; slopes taken inside each 1 s block). Sharp
  discharges stand out in it; slow background, muscle and line noise move it much less.
- Discharge rate and regularity: the autocorrelation of the mean-removed envelope, averaged
  over ``ACF_SEGMENT_SEC`` segments starting on every block (a Welch-style estimate, additive
  over segments, so overlapping windows share it). ``acf_peak`` is the height of its first
  dominant local maximum at a lag between 1/3 and 1/0.3 s; ``acf_rate`` = 1 / that lag (Hz).
- Envelope peaks: prominent envelope peaks per second (``peak_rate``) and the coefficient
  of variation of the intervals between successive peaks (``peak_cv``: ~0 for a regular
  train, ~1 for random peaks; 1 when a window holds fewer than 3 intervals).
- Rhythmic delta: from the shared Welch PSD of the raw signal, the largest excess of
  ``log10 PSD`` over a 1/f (log-log linear) fit in 0.5-3 Hz (``delta_prom``, in log10 units),
  that excess against the excess 1 Hz either side (``delta_sharp``: a narrow rhythm, not
  broad slowing) and its frequency (``delta_hz``).

Per channel at 50 s; per chain at 50 s and 10 s (chain ACF and PSD are the means over the
chain's channels; peak columns the mean of the channels' values). All values are finite.
The ACF and PSD columns are exactly additive over blocks; envelope peaks within about 2.5 s of
a window's edge can differ between a window cut out alone and the same stretch of a
recording (peak prominence and the local level look that far around).
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import find_peaks

from features.bands import LOG_FLOOR
from features.context import SCALES, Span, WindowSet
from features.families.spectral import loglog_fit
from features.montage import BIPOLAR_NAMES, CHAINS, chain_mean
from features.naming import column_name

VERSION = "1"

ENVELOPE_SFREQ = 20.0
"""Sampling rate of the envelope, Hz (bins of 10 samples at 200 Hz)."""

SLOPE_LAG_SEC = 0.02
"""The envelope's slope is taken over this lag (4 samples at 200 Hz)."""

ACF_SEGMENT_SEC = 8.0
"""Segment length of the envelope autocorrelation: lags up to 3.4 s keep >= 4.6 s of overlap."""

RATE_BAND_HZ = (0.3, 3.0)
"""Discharge and rhythm rates sought: ACF lags 1/3..1/0.3 s, envelope peaks >= 1/3 s apart."""

HARMONIC_SHARE = 0.85
"""The ACF peak reported is the shortest-lag local maximum reaching this share of the highest
one, so a train at 1 Hz is not reported at its 0.5 Hz subharmonic."""

PEAK_PROMINENCE = 1.5
"""An envelope peak must rise this many times the local envelope level above its
surroundings (``PEAK_WLEN_SEC`` around it); the level is the envelope's ``LEVEL_SEC`` mean."""

PEAK_WLEN_SEC = 2.0
LEVEL_SEC = 5.0
MAX_INTERVAL_SEC = 1 / RATE_BAND_HZ[0]
"""Longer gaps between envelope peaks are not discharge intervals and are left out."""

DELTA_PEAK_BAND = (0.5, 3.0)
APERIODIC_BAND = (0.5, 30.0)
FLANK_HZ = (0.75, 1.25)
"""``delta_sharp`` compares the peak with the mean PSD this far either side of it."""

ENVELOPE_FLOOR = 1e-3
"""Smallest envelope prominence (uV/s) that counts, so a flat channel has no peaks."""

CHUNK_ROWS = 256
"""Rows (blocks, segments) processed at a time: small temporaries are reused by the
allocator instead of being paged in afresh, which costs more than the arithmetic."""

_ENV_KEY = "periodicity:envelope"


def line_length_envelope(
    x: np.ndarray,
    *,
    sfreq: float,
    env_sfreq: float = ENVELOPE_SFREQ,
    lag_sec: float = SLOPE_LAG_SEC,
    block_sec: float = 1.0,
) -> np.ndarray:
    """Mean absolute slope per bin (uV/s), bins of ``sfreq / env_sfreq`` samples.

    The slope is ``(x[t + k] - x[t]) / lag_sec`` with ``k = lag_sec * sfreq`` samples: a
    derivative smoothed over ``lag_sec``, whose gain peaks at ``1 / (2 lag_sec)`` Hz (25 Hz)
    and vanishes at multiples of ``1 / lag_sec`` (50 Hz), so spikes and sharp waves dominate
    it rather than muscle or line noise. Slopes are taken inside each block (edge values
    repeated to fill the block), so the envelope of a block depends on that block alone.

    Parameters
    ----------
    x : array, shape (..., n_samples)

    Returns
    -------
    array, shape (..., n_blocks * block_sec * env_sfreq), float32

    Examples
    --------
    A ramp of 3 uV/s has a constant envelope of 3:

    >>> line_length_envelope(3 * np.arange(400) / 200, sfreq=200)[[0, 39]].round(3).tolist()
    [3.0, 3.0]
    """
    block = int(round(block_sec * sfreq))
    per_bin = int(round(sfreq / env_sfreq))
    lag = max(1, int(round(lag_sec * sfreq)))
    if block % per_bin:
        raise ValueError(f"a {block}-sample block does not hold whole {per_bin}-sample bins")
    n_blocks = x.shape[-1] // block
    rows = np.asarray(x)[..., : n_blocks * block].reshape(-1, block)  # one row per block
    binning = _binning_matrix(block, per_bin, lag) * np.float32(sfreq / lag)
    out = np.empty((rows.shape[0], block // per_bin), dtype=np.float32)
    for lo in range(0, rows.shape[0], CHUNK_ROWS):  # small temporaries are reused, not paged in
        xb = rows[lo : lo + CHUNK_ROWS].astype(np.float32)
        slope = xb[:, lag:] - xb[:, :-lag]
        np.abs(slope, out=slope)
        out[lo : lo + CHUNK_ROWS] = slope @ binning
    return out.reshape(*x.shape[:-1], -1)


@functools.cache
def _binning_matrix(block: int, per_bin: int, lag: int) -> np.ndarray:
    """(block - lag, block // per_bin) float32 matrix: slope ``t`` (between samples ``t`` and
    ``t + lag``) stands at sample ``t + lag // 2``; the first and last slopes of the block
    also stand in for the samples before and after; each bin averages its samples."""
    position = np.arange(block)
    source = np.clip(position - lag // 2, 0, block - lag - 1)
    matrix = np.zeros((block - lag, block // per_bin), dtype=np.float32)
    np.add.at(matrix, (source, position // per_bin), 1.0 / per_bin)
    return matrix


def segment_acf(
    env: np.ndarray, *, env_sfreq: float, max_lag: int, hop_sec: float = 1.0
) -> np.ndarray:
    """Autocorrelation (lags 0..max_lag, not normalised) of each mean-removed envelope segment.

    Segments are ``ACF_SEGMENT_SEC`` long and start every ``hop_sec``; returns
    (..., n_segments, max_lag + 1), with ``acf[..., k] = sum_t e[t] e[t + k]`` over each
    segment (float64).
    """
    n_seg = int(round(ACF_SEGMENT_SEC * env_sfreq))
    hop = int(round(hop_sec * env_sfreq))
    n_fft = 1 << int(np.ceil(np.log2(n_seg + max_lag + 1)))  # no circular wrap-around
    cosine = _cosine_matrix(n_fft, max_lag)
    signals = env.reshape(-1, env.shape[-1])
    n_frames = (env.shape[-1] - n_seg) // hop + 1
    frames = np.lib.stride_tricks.sliding_window_view(signals, n_seg, axis=-1)[:, ::hop]
    out = np.empty((signals.shape[0], n_frames, max_lag + 1))
    # Work on about CHUNK_ROWS frames at a time: several short signals, or part of a long one.
    per_signal = min(n_frames, CHUNK_ROWS)
    n_signals = max(1, CHUNK_ROWS // n_frames)
    for first in range(0, signals.shape[0], n_signals):
        rows = slice(first, first + n_signals)
        for lo in range(0, n_frames, per_signal):
            chunk = frames[rows, lo : lo + per_signal]
            chunk = chunk - chunk.mean(axis=-1, keepdims=True, dtype=np.float64)
            spectrum = np.fft.rfft(chunk, n=n_fft, axis=-1)
            # The inverse FFT of the (real, even) power spectrum at the few lags wanted, as a
            # product with a cosine matrix: several times faster than irfft of a real array.
            out[rows, lo : lo + per_signal] = (spectrum.real**2 + spectrum.imag**2) @ cosine
    return out.reshape(*env.shape[:-1], n_frames, max_lag + 1)


@functools.cache
def _cosine_matrix(n_fft: int, max_lag: int) -> np.ndarray:
    """(n_fft // 2 + 1, max_lag + 1) matrix taking a one-sided power spectrum to its
    circular autocorrelation at lags 0..max_lag (``irfft`` restricted to those lags)."""
    j = np.arange(n_fft // 2 + 1)[:, None]
    weight = np.where((j == 0) | (j == n_fft // 2), 1.0, 2.0) / n_fft
    return weight * np.cos(2 * np.pi * j * np.arange(max_lag + 1)[None, :] / n_fft)


def normalised_acf(acf: np.ndarray, *, n_seg: int) -> np.ndarray:
    """Divide by lag 0 and undo the triangular bias of a ``n_seg``-sample estimate: a lag-k
    value is the mean product of ``n_seg - k`` pairs. Zero where lag 0 is zero."""
    lags = np.arange(acf.shape[-1])
    r0 = acf[..., :1]
    r = np.divide(acf, r0, out=np.zeros_like(acf), where=r0 > 0)
    return r * (n_seg / (n_seg - lags))


def autocorrelation_peak(
    acf: np.ndarray, lags_sec: np.ndarray, band_hz: tuple[float, float] = RATE_BAND_HZ
) -> tuple[np.ndarray, np.ndarray]:
    """Strongest periodicity in a normalised ACF.

    The ACF's local maxima at lags in ``[1 / high, 1 / low]`` are found; among those within
    ``HARMONIC_SHARE`` of the highest, the shortest lag is taken (refined by a parabola
    through its neighbours).

    Parameters
    ----------
    acf : array, shape (..., n_lags)
        Normalised autocorrelation (1 at lag 0).
    lags_sec : array, shape (n_lags,)

    Returns
    -------
    strength : array (...)
        The ACF value at that peak (0 when there is no local maximum in range).
    rate_hz : array (...)
        1 / its lag (0 when there is no peak).

    Examples
    --------
    The ACF of a 1 Hz oscillation, sampled at 20 Hz:

    >>> lags = np.arange(70) / 20
    >>> strength, rate = autocorrelation_peak(np.cos(2 * np.pi * 1.0 * lags), lags)
    >>> round(float(strength), 3), round(float(rate), 3)
    (1.0, 1.0)
    """
    low, high = band_hz
    left, inner, right = acf[..., :-2], acf[..., 1:-1], acf[..., 2:]
    in_band = (lags_sec[1:-1] >= 1 / high - 1e-9) & (lags_sec[1:-1] <= 1 / low + 1e-9)
    local_max = (inner >= left) & (inner > right) & in_band
    # A parabola through each maximum and its neighbours gives its height and lag between
    # the sampled lags (a 3 Hz rhythm peaks between two lags at 20 Hz).
    curvature = left - 2 * inner + right
    shift = np.divide(
        0.5 * (left - right), curvature, out=np.zeros_like(inner), where=curvature < 0
    )
    shift = np.clip(shift, -0.5, 0.5)
    height = inner - 0.25 * (left - right) * shift
    candidates = np.where(local_max, height, -np.inf)
    best = candidates.max(axis=-1, keepdims=True)
    found = np.isfinite(best[..., 0])
    chosen = local_max & (height >= HARMONIC_SHARE * np.where(best > 0, best, 0.0))
    k = np.argmax(chosen, axis=-1)[..., None]
    step = lags_sec[1] - lags_sec[0]
    lag = lags_sec[1:-1][k[..., 0]] + np.take_along_axis(shift, k, axis=-1)[..., 0] * step
    strength = np.where(found, np.take_along_axis(height, k, axis=-1)[..., 0], 0.0)
    rate = np.where(found, 1.0 / np.where(found, lag, 1.0), 0.0)
    return strength, rate


def envelope_peaks(env: np.ndarray, *, env_sfreq: float) -> np.ndarray:
    """Prominent peaks of one envelope (sample indices).

    A peak rises at least ``PEAK_PROMINENCE`` times the local level (the envelope's
    ``LEVEL_SEC`` moving mean) above the surroundings within ``PEAK_WLEN_SEC``, and peaks are
    at least ``1 / RATE_BAND_HZ[1]`` s apart.

    Examples
    --------
    One sharp bump per second on a flat background:

    >>> env = np.ones(200)
    >>> env[10::20] = 10.0
    >>> envelope_peaks(env, env_sfreq=20)[:3].tolist()
    [10, 30, 50]
    """
    _, peaks = envelope_peaks_rows(np.asarray(env)[None], env_sfreq=env_sfreq)
    return peaks


def envelope_peaks_rows(env: np.ndarray, *, env_sfreq: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`envelope_peaks` of every row of ``env`` (n_rows, n_bins) in one search.

    The rows are laid end to end with a run of ``+inf`` between them, at least as long as
    the prominence window: a search stops at a higher sample as it stops at the end of a
    row, so every row's peaks are exactly those found in it alone, at a fraction of the cost
    of one ``find_peaks`` call per row. Returns the row and the bin of each peak, sorted.
    """
    env = np.asarray(env, dtype=np.float64)
    n_rows, n = env.shape
    wlen = int(round(PEAK_WLEN_SEC * env_sfreq)) | 1
    distance = max(1, int(np.floor(env_sfreq / RATE_BAND_HZ[1])))
    level = uniform_filter1d(env, size=int(round(LEVEL_SEC * env_sfreq)), axis=-1, mode="nearest")
    # A separator is a plateau, hence a "peak" of its own: it is never prominent (its
    # threshold is NaN) and its middle lies beyond ``distance`` of every real sample.
    gap = max(wlen, 2 * distance + 2)
    stride = gap + n
    signal = np.full((n_rows + 1) * stride, np.inf)
    signal.reshape(n_rows + 1, stride)[:n_rows, gap:] = env
    threshold = np.full((n_rows + 1) * stride, np.nan)
    threshold.reshape(n_rows + 1, stride)[:n_rows, gap:] = np.maximum(
        PEAK_PROMINENCE * level, ENVELOPE_FLOOR
    )
    signal, threshold = signal[: n_rows * stride + gap], threshold[: n_rows * stride + gap]
    found, _ = find_peaks(signal, prominence=threshold, distance=distance, wlen=wlen)
    row, position = np.divmod(found, stride)
    real = position >= gap
    return row[real], position[real] - gap


def peak_blocks(env: np.ndarray, *, env_sfreq: float, block_sec: float = 1.0) -> np.ndarray:
    """Per-block envelope-peak sums: (..., n_bins) -> (..., n_blocks, 4).

    Fields: peaks in the block; intervals ending in the block (from the previous peak, at
    most ``MAX_INTERVAL_SEC``), their sum (s) and sum of squares (s^2).
    """
    per_block = int(round(block_sec * env_sfreq))
    rows = env.reshape(-1, env.shape[-1])
    n_blocks = rows.shape[-1] // per_block
    row, peaks = envelope_peaks_rows(rows, env_sfreq=env_sfreq)
    where_all = row * n_blocks + peaks // per_block
    gaps = np.diff(peaks) / env_sfreq
    keep = (row[1:] == row[:-1]) & (gaps <= MAX_INTERVAL_SEC + 1e-9)
    iw = where_all[1:][keep]
    gaps_all = gaps[keep]
    size = rows.shape[0] * n_blocks
    out = np.stack(
        [
            np.bincount(where_all, minlength=size),
            np.bincount(iw, minlength=size),
            np.bincount(iw, weights=gaps_all, minlength=size),
            np.bincount(iw, weights=gaps_all**2, minlength=size),
        ],
        axis=-1,
    ).astype(np.float64)
    return out.reshape(*env.shape[:-1], n_blocks, 4)


def peak_statistics(
    sums: np.ndarray, span_sec: float, block_sec: float = 1.0
) -> dict[str, np.ndarray]:
    """``peak_rate`` (peaks per second) and ``peak_cv`` (interval std / mean; 1 when fewer
    than 3 intervals) from span means of :func:`peak_blocks` over ``block_sec`` blocks
    (..., 4).

    >>> s = np.array([10.0, 9.0, 9.0, 9.0]) / 10  # ten peaks 1 s apart in 10 blocks
    >>> {k: float(v) for k, v in peak_statistics(s, span_sec=10).items()}
    {'peak_rate': 1.0, 'peak_cv': 0.0}
    """
    count, n_int, sum_int, sum_int2 = np.moveaxis(sums, -1, 0)
    n_blocks = span_sec / block_sec
    enough = n_int * n_blocks >= 3 - 1e-9
    safe_n = np.where(enough, n_int, 1.0)
    mean = sum_int / safe_n
    var = np.maximum(sum_int2 / safe_n - mean**2, 0.0)
    cv = np.divide(np.sqrt(var), mean, out=np.ones_like(mean), where=enough & (mean > 0))
    return {"peak_rate": count / block_sec, "peak_cv": cv}


def delta_peak(psd: np.ndarray, freqs: np.ndarray) -> dict[str, np.ndarray]:
    """Rhythmic delta peak of a PSD (..., n_freqs).

    Returns ``delta_prom``: the largest excess of ``log10 psd`` over its least-squares line
    against ``log10 f`` in ``APERIODIC_BAND`` (the 1/f trend), within ``DELTA_PEAK_BAND``
    (log10 units; ~0 for 1/f noise); ``delta_sharp``: that excess minus the mean excess
    ``FLANK_HZ`` either side of the peak (bins below 0.25 Hz left out): high for a narrow
    rhythm, low for broad polymorphic delta; ``delta_hz``: the peak's frequency.

    Examples
    --------
    Pink noise has no delta peak; a 1.5 Hz bump on it does:

    >>> freqs = np.arange(401) * 0.25
    >>> pink = 1 / np.maximum(freqs, 0.25)
    >>> round(float(delta_peak(pink, freqs)["delta_prom"]), 3)
    0.0
    >>> bump = pink * (1 + 99 * (freqs == 1.5))
    >>> {k: round(float(v), 1) for k, v in delta_peak(bump, freqs).items()}
    {'delta_prom': 1.9, 'delta_sharp': 2.0, 'delta_hz': 1.5}
    """
    # Only the bins from 0.25 Hz to the top of the fit band are used: slice them first.
    used = np.flatnonzero((freqs >= 0.25) & (freqs <= max(APERIODIC_BAND[1], 4.5)))
    freqs = freqs[used]
    psd = np.asarray(psd[..., used], dtype=np.float64)
    log_p = np.log10(psd + LOG_FLOOR)
    fit = (freqs >= APERIODIC_BAND[0]) & (freqs <= APERIODIC_BAND[1])
    coef = log_p[..., fit] @ loglog_fit(freqs[fit])  # (..., 2)
    residual = log_p - (coef[..., :1] + coef[..., 1:] * np.log10(freqs))
    band = np.flatnonzero((freqs >= DELTA_PEAK_BAND[0]) & (freqs <= DELTA_PEAK_BAND[1]))
    k = np.argmax(residual[..., band], axis=-1)
    prom = np.take_along_axis(residual[..., band], k[..., None], axis=-1)[..., 0]
    # Flank weights: for each candidate bin, the mean of the bins FLANK_HZ away on each side.
    distance = np.abs(freqs[None, :] - freqs[band][:, None])
    flank = (distance >= FLANK_HZ[0] - 1e-9) & (distance <= FLANK_HZ[1] + 1e-9)
    weights = flank / flank.sum(axis=1, keepdims=True)
    flank_residual = residual @ weights.T  # (..., n_band)
    sharp = prom - np.take_along_axis(flank_residual, k[..., None], axis=-1)[..., 0]
    return {"delta_prom": prom, "delta_sharp": sharp, "delta_hz": freqs[band][k]}


# --- the family ----------------------------------------------------------------------------


def _envelope(ws: WindowSet) -> np.ndarray:
    return ws.cached(
        _ENV_KEY,
        lambda: line_length_envelope(ws.eeg, sfreq=ws.sfreq, block_sec=ws.block_samples / ws.sfreq),
    )


def _max_lag() -> int:
    return int(np.ceil(ENVELOPE_SFREQ / RATE_BAND_HZ[0])) + 1


def _acf_blocks(ws: WindowSet) -> np.ndarray:
    """Segment ACFs on the block grid: segment ``b`` starts on block ``b``; blocks whose
    segment would run past the end hold zeros (no span ever reaches them)."""
    acf = segment_acf(
        _envelope(ws),
        env_sfreq=ENVELOPE_SFREQ,
        max_lag=_max_lag(),
        hop_sec=ws.block_samples / ws.sfreq,
    )
    n_blocks = ws.eeg.shape[-1] // ws.block_samples
    pad = [(0, 0)] * acf.ndim
    pad[-2] = (0, n_blocks - acf.shape[-2])
    return np.pad(acf, pad)


def _peak_blocks(ws: WindowSet) -> np.ndarray:
    return peak_blocks(
        _envelope(ws), env_sfreq=ENVELOPE_SFREQ, block_sec=ws.block_samples / ws.sfreq
    )


def _segment_span(span: Span, block_sec: float) -> Span:
    """The span of segment *starts* whose segments lie inside ``span``."""
    lo, hi = span
    return lo, hi - ACF_SEGMENT_SEC + block_sec


def compute(ws: WindowSet) -> dict[str, np.ndarray]:
    """Periodicity columns for every window of ``ws``: {name: (n_windows,)}."""
    out: dict[str, np.ndarray] = {}
    n_seg = int(round(ACF_SEGMENT_SEC * ENVELOPE_SFREQ))
    lags_sec = np.arange(_max_lag() + 1) / ENVELOPE_SFREQ
    for scale, span in SCALES.items():
        segment_starts = _segment_span(span, ws.block_samples / ws.sfreq)
        acf = ws.block_mean("periodicity:acf", _acf_blocks, segment_starts)
        acf = normalised_acf(acf, n_seg=n_seg)  # (n_w, 18, n_lags)
        psd = ws.psd(span)
        sums = ws.block_mean("periodicity:peaks", _peak_blocks, span)
        # each (n_w, 18)
        peaks = peak_statistics(sums, span[1] - span[0], ws.block_samples / ws.sfreq)
        chain_peaks = {k: chain_mean(v) for k, v in peaks.items()}
        units = [(chain_mean(acf, axis=-2), chain_mean(psd, axis=-2), chain_peaks, tuple(CHAINS))]
        if scale == "50s":
            units.append((acf, psd, peaks, BIPOLAR_NAMES))
        for unit_acf, unit_psd, unit_peaks, names in units:
            strength, rate = autocorrelation_peak(unit_acf, lags_sec)
            features = {
                "acf_peak": strength,
                "acf_rate": rate,
                **unit_peaks,
                **delta_peak(unit_psd, ws.freqs),
            }
            for feature, values in features.items():
                for j, unit in enumerate(names):
                    out[column_name("eeg", "periodicity", feature, unit, scale)] = values[:, j]
    return out
