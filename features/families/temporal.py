"""Temporal family: amplitude, robust amplitude, line length, Hjorth, zero crossings, moments.

Every feature is a function of a few *per-block means* (1 s blocks): of ``x``, ``x^2``,
``x^3``, ``x^4``, of the squared first and second differences, of ``|dx|``, and of the
zero-crossing count. Means over a span of a window are means of block means, so the
``WindowSet`` sums them once per recording with a cumulative sum and every overlapping
window shares the work. Differences and zero crossings are taken *inside* each block (the
pair of samples straddling a block border is skipped, 1 in 200), so a window cut out of a
recording and the same stretch of the recording give the same numbers.

The robust amplitude (median and spread of the blocks' standard deviations) uses the
per-block values of the span directly.
"""

from __future__ import annotations

import numpy as np

from features.bands import LOG_FLOOR
from features.context import SCALES, Span, WindowSet
from features.montage import BIPOLAR_NAMES, CHAINS, chain_mean
from features.naming import column_name

VERSION = "2"

MOMENTS = ("x", "x2", "x3", "x4", "dx2", "ddx2", "absdx", "zcr")
"""The per-block means :func:`block_moments` returns, in order (``zcr`` per second)."""

VAR_FLOOR = 1e-6
"""Variance (uV^2) below which a signal counts as flat: its shape features are 0."""

CHUNK_ROWS = 128
"""Blocks processed at a time by :func:`block_moments`: small float64 temporaries are reused
by the allocator instead of being paged in afresh (about 4x faster on a whole recording)."""

_MOMENTS_KEY = "temporal:moments"
_STD_KEY = "temporal:block-std"


def block_moments(
    x: np.ndarray, *, sfreq: float, block_sec: float = 1.0, fields: tuple[str, ...] = MOMENTS
) -> np.ndarray:
    """Per-block means of the additive quantities the temporal features are built from.

    Parameters
    ----------
    x : array, shape (..., n_samples)
        Signal(s), microvolts; a trailing partial block is dropped.
    sfreq : float
        Sampling rate, Hz.
    block_sec : float
        Block length, seconds.
    fields : names from ``MOMENTS``
        The means to compute (all by default), in the order wanted.

    Returns
    -------
    array, shape (..., n_blocks, len(fields)), float64
        In ``MOMENTS``: mean ``x``, ``x^2``, ``x^3``, ``x^4`` (raw moments about
        the per-signal reference below), mean squared first difference ``dx^2`` and second
        difference ``ddx^2`` (uV^2 per sample^2), mean ``|dx|`` (uV per sample), and zero
        crossings per second of the block's mean-removed signal. Differences and crossings
        never straddle a block border.

    Notes
    -----
    Before the powers are taken, each signal's mean over its whole last axis is subtracted
    (central moments do not depend on it, and it keeps ``x^4`` from swamping the variance of
    a signal sitting on a large offset).

    Examples
    --------
    >>> m = block_moments(np.array([1.0, -1.0, 1.0, -1.0, 2.0, 2.0, 2.0, 2.0]), sfreq=4)
    >>> m[:, 1].tolist(), m[:, 7].tolist()  # x^2 about the overall mean 1; crossings per s
    ([2.0, 1.0], [4.0, 0.0])
    """
    block = int(round(block_sec * sfreq))
    n_blocks = x.shape[-1] // block
    x = np.asarray(x)[..., : n_blocks * block]
    # Any constant reference works (central moments do not depend on it); the mean in the
    # input's own precision (a pairwise sum) is close enough and cheaper than a float64 pass.
    reference = np.repeat(x.mean(axis=-1).astype(np.float64).reshape(-1), n_blocks)
    rows = x.reshape(-1, block)  # one row per (signal, block)
    unknown = set(fields) - set(MOMENTS)
    if unknown:
        raise ValueError(f"unknown moment(s) {sorted(unknown)}; known: {', '.join(MOMENTS)}")
    sums = np.empty((rows.shape[0], len(fields)))
    column = {name: sums[:, j] for j, name in enumerate(fields)}
    # Row chunks keep the float64 temporaries small enough to be reused rather than paged in
    # afresh (which costs more than the arithmetic on whole recordings).
    for lo in range(0, rows.shape[0], CHUNK_ROWS):
        hi = min(lo + CHUNK_ROWS, rows.shape[0])
        xb = np.subtract(rows[lo:hi], reference[lo:hi, None], dtype=np.float64)
        _chunk_sums(xb, {name: out[lo:hi] for name, out in column.items()})
    sums /= _divisors(fields, block, sfreq)
    return sums.reshape(*x.shape[:-1], n_blocks, len(fields))


def _chunk_sums(xb: np.ndarray, column: dict[str, np.ndarray]) -> None:
    """Per-row sums of the requested moments of mean-referenced blocks ``xb`` (rows, block),
    written into ``column[name]`` (one (rows,) view per requested moment)."""
    add = np.add.reduce  # the reduction behind .sum(), without its Python layers
    block = xb.shape[-1]
    x2 = xb * xb if {"x2", "x3", "x4"} & column.keys() else None
    dx = xb[:, 1:] - xb[:, :-1] if {"dx2", "ddx2", "absdx"} & column.keys() else None
    if "x" in column:
        column["x"][:] = add(xb, axis=-1)
    if "x2" in column:
        column["x2"][:] = add(x2, axis=-1)
    if "x3" in column:
        column["x3"][:] = np.einsum("ij,ij->i", x2, xb)
    if "x4" in column:
        column["x4"][:] = np.einsum("ij,ij->i", x2, x2)
    if "dx2" in column:
        column["dx2"][:] = np.einsum("ij,ij->i", dx, dx)
    if "ddx2" in column:
        ddx = dx[:, 1:] - dx[:, :-1]
        column["ddx2"][:] = np.einsum("ij,ij->i", ddx, ddx)
    if "absdx" in column:
        np.abs(dx, out=dx)
        column["absdx"][:] = add(dx, axis=-1)
    if "zcr" in column:
        positive = xb > (add(xb, axis=-1) / block)[:, None]
        column["zcr"][:] = np.count_nonzero(positive[:, 1:] != positive[:, :-1], axis=-1)


def _divisors(fields: tuple[str, ...], block: int, sfreq: float) -> np.ndarray:
    """What turns each field's block sum into its mean (crossings into crossings per second)."""
    divisor = dict.fromkeys(("x", "x2", "x3", "x4"), block)
    divisor.update(dx2=block - 1, ddx2=block - 2, absdx=block - 1, zcr=(block - 1) / sfreq)
    return np.array([divisor[name] for name in fields])


def moment_features(moments: np.ndarray, *, sfreq: float) -> dict[str, np.ndarray]:
    """Temporal features from span-averaged moments.

    Parameters
    ----------
    moments : array, shape (..., 8)
        Means over a span of :func:`block_moments` (``MOMENTS`` order).
    sfreq : float
        Sampling rate, Hz.

    Returns
    -------
    dict of arrays shaped (...)
        ``activity``: Hjorth activity, log10 of the variance (uV^2); ``linelen``: line length,
        mean ``|dx|`` per second (uV/s); ``mobility``: Hjorth mobility
        ``sqrt(var(dx) / var(x))`` expressed in Hz (times ``sfreq / 2 pi``: a sine of f Hz gives
        about f); ``complexity``: Hjorth complexity ``mobility(dx) / mobility(x)`` (1 for a
        sine); ``zcr``: zero crossings per second; ``skew``: skewness; ``kurt``: excess
        kurtosis (0 for Gaussian noise). Shape features are 0 for a flat signal
        (variance below ``VAR_FLOOR``).

    Examples
    --------
    A 5 Hz sine: mobility 5 Hz, complexity 1, 10 zero crossings per second, no skew, excess
    kurtosis -1.5, variance A^2 / 2:

    >>> t = np.arange(0, 10, 1 / 200)
    >>> m = block_moments(4 * np.sin(2 * np.pi * 5 * t + 0.3), sfreq=200).mean(axis=0)
    >>> f = moment_features(m, sfreq=200)
    >>> [round(float(f[k]), 1) for k in ("mobility", "complexity", "skew", "kurt")]
    [5.0, 1.0, 0.0, -1.5]
    >>> round(float(f["zcr"])), round(10 ** float(f["activity"]), 3)
    (10, 8.0)
    """
    m1, m2, m3, m4, dx2, ddx2, absdx, zcr = np.moveaxis(np.asarray(moments, np.float64), -1, 0)
    var = np.maximum(m2 - m1 * m1, 0.0)
    live = var > VAR_FLOOR
    safe_var = np.where(live, var, 1.0)
    central3 = m3 - 3 * m1 * m2 + 2 * m1**3
    central4 = m4 - 4 * m1 * m3 + 6 * m1**2 * m2 - 3 * m1**4
    mobility = np.sqrt(dx2 / safe_var)
    moving = live & (dx2 > 0)
    complexity = np.sqrt(ddx2 / np.where(moving, dx2, 1.0)) / np.where(moving, mobility, 1.0)
    return {
        "activity": np.log10(var + LOG_FLOOR),
        "linelen": absdx * sfreq,
        "mobility": np.where(live, mobility * sfreq / (2 * np.pi), 0.0),
        "complexity": np.where(moving, complexity, 0.0),
        "zcr": zcr,
        "skew": np.where(live, central3 / safe_var**1.5, 0.0),
        "kurt": np.where(live, central4 / safe_var**2 - 3.0, 0.0),
    }


def quantiles(values: np.ndarray, qs: tuple[float, ...], axis: int = -1) -> list[np.ndarray]:
    """``np.quantile``'s default (linear) estimate from one sort: several times faster on the
    small arrays here.

    >>> [float(q) for q in quantiles(np.array([4.0, 1.0, 3.0, 2.0]), (0.25, 0.5))]
    [1.75, 2.5]
    """
    ordered = np.sort(np.moveaxis(values, axis, -1), axis=-1)
    n = ordered.shape[-1]
    out = []
    for q in qs:
        position = q * (n - 1)
        lo = int(np.floor(position))
        below, above = ordered[..., lo], ordered[..., min(lo + 1, n - 1)]
        out.append(below + (above - below) * (position - lo))
    return out


def robust_amplitude(block_std: np.ndarray, axis: int = -1) -> dict[str, np.ndarray]:
    """Median block standard deviation (uV) and its interquartile range relative to the
    median (0 when the median is 0): steady for continuous activity, large for bursts,
    suppression or intermittent artefact.

    Examples
    --------
    >>> r = robust_amplitude(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    >>> float(r["amp_median"]), float(r["amp_iqr"])
    (3.0, 0.6666666666666666)
    """
    q25, q50, q75 = quantiles(block_std, (0.25, 0.5, 0.75), axis=axis)
    spread = np.divide(q75 - q25, q50, out=np.zeros_like(q50), where=q50 > 0)
    return {"amp_median": q50, "amp_iqr": spread}


def block_std(moments: np.ndarray) -> np.ndarray:
    """Standard deviation of each block from :func:`block_moments`: (..., 8) -> (...)."""
    return np.sqrt(np.maximum(moments[..., 1] - moments[..., 0] ** 2, 0.0))


def recording_moments(ws: WindowSet) -> np.ndarray:
    """:func:`block_moments` of ``ws.eeg``, computed once per ``WindowSet`` (other families,
    e.g. quality, reuse it): (..., 18, n_blocks, 8)."""
    block_sec = ws.block_samples / ws.sfreq
    return ws.cached(
        _MOMENTS_KEY, lambda: block_moments(ws.eeg, sfreq=ws.sfreq, block_sec=block_sec)
    )


def span_moments(ws: WindowSet, span: Span) -> np.ndarray:
    """Means of :func:`block_moments` over a span of each window: (n_windows, 18, 8)."""
    return ws.block_mean(_MOMENTS_KEY, recording_moments, span)


def _block_std(ws: WindowSet) -> np.ndarray:
    return block_std(recording_moments(ws))[..., None]


def compute(ws: WindowSet) -> dict[str, np.ndarray]:
    """Temporal columns for every window of ``ws``: {name: (n_windows,)}.

    Per bipolar channel at 50 s; per chain (mean over the chain's channels) at 50 s and 10 s.
    """
    out: dict[str, np.ndarray] = {}
    for scale, span in SCALES.items():
        moments = span_moments(ws, span)  # (n_w, 18, 8)
        stds = ws.block_values(_STD_KEY, _block_std, span)[..., 0]  # (n_w, 18, n_blocks)
        features = {**robust_amplitude(stds), **moment_features(moments, sfreq=ws.sfreq)}
        for feature, values in features.items():
            units = [(chain_mean(values), tuple(CHAINS))]
            if scale == "50s":
                units.append((values, BIPOLAR_NAMES))
            for array, names in units:
                for j, unit in enumerate(names):
                    out[column_name("eeg", "temporal", feature, unit, scale)] = array[:, j]
    return out
