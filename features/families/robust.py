"""Artifact-robust band powers: medians over segments, and chains that leave bad derivations out.

Real ICU EEG carries electrodes that drift by a millivolt, pick up mains or muscle, or fall off,
and bursts (a pop, a movement) that fill a few seconds of a window. A mean over a chain's
derivations lets one bad electrode set the chain's power, and a Welch mean over a window's
segments lets one burst set the window's. This family measures the same band powers as
``spectral`` in a way neither can ruin:

- each derivation's band power in a span is the **median** over the span's 4 s segments (one
  every 2 s) of that segment's band power, not their mean (a median ignores up to half the
  segments: a burst of a few seconds moves it little);
- each derivation is **masked** in a span when it is flat (total 0.5-40 Hz power below
  ``FLAT_POWER_UV2``), far louder than the window's median derivation (``LOUD_LOG``),
  muscle-dominated (20-70 Hz power above its 0.5-20 Hz power) or mains-dominated (the 50 or
  60 Hz line above ``MAINS_SHARE`` of its 0.5-40 Hz power);
- a chain's band power is the mean over its unmasked derivations (over all of them, when
  every one is masked); ``all`` is the median over the unmasked derivations of the head.

Columns, at 50 s and at the labelled 10 s: ``logpow_{band}`` and ``relpow_{band}`` per chain
and ``all``, ``burst`` per chain (log10 of the mean over the median segment power, 0.5-40 Hz:
near 0.1 for stationary noise, large when a few segments carry the power); at 50 s the
masked-derivation counts, per kind over the head and per chain. Every value is finite. The EKG
is not used here: its rate and leakage are the ``quality`` family's, kept apart from the EEG.
"""

from __future__ import annotations

import numpy as np

from features.bands import BANDS, LOG_FLOOR, TOTAL_BAND, band_weights
from features.context import SCALES, WindowSet
from features.montage import CHAIN_WEIGHTS, CHAINS
from features.naming import column_name
from features.spectra import power

VERSION = "1"

FLAT_POWER_UV2 = 0.25
"""A derivation below this total 0.5-40 Hz power (an RMS of 0.5 uV) is flat."""

LOUD_LOG = 1.0
"""A derivation whose log10 total power exceeds the window's median derivation by more than
this (10 times the power) is masked: a drifting or loose electrode."""

MAINS_SHARE = 0.5
"""A derivation whose 50 or 60 Hz line power exceeds this share of its 0.5-40 Hz power is
mains-dominated."""

PIECES: dict[str, tuple[float, float]] = {
    **BANDS,
    "total": TOTAL_BAND,
    "slow": (0.5, 20.0),
    "muscle": (20.0, 70.0),
    "line50": (49.0, 51.0),
    "line60": (59.0, 61.0),
}
"""Bands integrated per segment: the six of ``features.bands`` and those the mask needs."""

MASK_KINDS = ("flat", "loud", "muscle", "mains")


def _segment_band_power(ws: WindowSet) -> np.ndarray:
    """Band power of every segment: (..., 18, n_segments, len(PIECES)), uV^2."""
    periodogram = ws.cached("power", lambda: power(ws.segment_spectra()))
    return periodogram @ band_weights(ws.freqs, PIECES, periodogram.dtype)


def derivation_masks(pieces: np.ndarray) -> dict[str, np.ndarray]:
    """Which derivations are bad, by kind, from their band powers.

    Parameters
    ----------
    pieces : array, shape (..., 18, len(PIECES))
        Band powers of each derivation (e.g. medians over a span's segments), uV^2.

    Returns
    -------
    dict
        ``MASK_KINDS`` and ``"bad"`` (any of them) -> bool array, shape (..., 18).

    Examples
    --------
    >>> p = np.full((18, len(PIECES)), 10.0)                 # every band 10 uV^2 ...
    >>> p[:, [list(PIECES).index(k) for k in ("muscle", "line50", "line60")]] = 0.0
    >>> p[0, list(PIECES).index("total")] = 0.1      # flat
    >>> p[1, list(PIECES).index("total")] = 500.0    # 50 times the median derivation
    >>> masks = derivation_masks(p)
    >>> np.flatnonzero(masks["flat"]).tolist(), np.flatnonzero(masks["loud"]).tolist()
    ([0], [1])
    >>> int(masks["bad"].sum())
    2
    """
    get = {name: pieces[..., i].astype(np.float64) for i, name in enumerate(PIECES)}
    total = get["total"]
    log_total = np.log10(total + LOG_FLOOR)
    median = np.median(log_total, axis=-1, keepdims=True)
    masks = {
        "flat": total < FLAT_POWER_UV2,
        "loud": log_total > median + LOUD_LOG,
        "muscle": get["muscle"] > get["slow"],
        "mains": np.maximum(get["line50"], get["line60"]) > MAINS_SHARE * total,
    }
    masks["bad"] = np.logical_or.reduce([masks[k] for k in MASK_KINDS])
    return masks


def masked_chain_mean(values: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Mean over each chain's good derivations (all of them where none is good).

    Parameters
    ----------
    values : array, shape (..., 18, k)
    bad : bool array, shape (..., 18)

    Returns
    -------
    array, shape (..., 5, k), chains in ``CHAINS`` order

    Examples
    --------
    >>> v = np.ones((18, 1)); v[0] = 1000.0           # Fp1-F7, the first of the LL chain
    >>> bad = np.zeros(18, bool); bad[0] = True
    >>> masked_chain_mean(v, bad)[0, 0].item()                      # left out
    1.0
    >>> masked_chain_mean(v, np.zeros(18, bool))[0, 0].item()        # the plain chain mean
    250.75
    >>> masked_chain_mean(v, np.ones(18, bool))[0, 0].item()         # all bad: all of them
    250.75
    """
    member = (CHAIN_WEIGHTS > 0).astype(np.float64)  # (18, 5)
    good = (~bad).astype(np.float64)[..., None] * member  # (..., 18, 5)
    n_good = good.sum(axis=-2)  # (..., 5)
    weights = np.where(n_good[..., None, :] > 0, good / np.maximum(n_good, 1)[..., None, :],
                       CHAIN_WEIGHTS)  # fmt: skip
    return np.swapaxes(weights, -1, -2) @ values.astype(np.float64)


def _global_median(values: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Median over the good derivations of the head (all, where none is good): (..., k)."""
    none_good = np.all(bad, axis=-1, keepdims=True)
    keep = ~bad | none_good
    masked = np.where(keep[..., None], values.astype(np.float64), np.nan)
    return np.nanmedian(masked, axis=-2)


def _band_columns(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log10 power and relative power of the six bands from ``levels`` (..., len(PIECES))."""
    bands = levels[..., : len(BANDS)]
    total = bands.sum(axis=-1, keepdims=True)
    rel = np.divide(bands, total, out=np.zeros_like(bands), where=total > 0)
    return np.log10(bands + LOG_FLOOR), rel


def compute(ws: WindowSet) -> dict[str, np.ndarray]:
    """Robust band-power columns for every window of ``ws``: {name: (n_windows,)}."""
    out: dict[str, np.ndarray] = {}
    total_at = list(PIECES).index("total")
    for scale, span in SCALES.items():
        segments = ws.segment_values("robust_bands", _segment_band_power, span)
        median = np.median(segments, axis=-2)  # (n_windows, 18, n_pieces)
        masks = derivation_masks(median)
        bad = masks["bad"]
        chains = masked_chain_mean(median, bad)  # (n_windows, 5, n_pieces)
        head = _global_median(median, bad)  # (n_windows, n_pieces)
        for unit_values, units in ((chains, CHAINS), (head[:, None], ("all",))):
            logpow, rel = _band_columns(unit_values)
            for j, unit in enumerate(units):
                for b, band in enumerate(BANDS):
                    out[column_name("eeg", "robust", f"logpow_{band}", unit, scale)] = logpow[
                        :, j, b
                    ]
                    out[column_name("eeg", "robust", f"relpow_{band}", unit, scale)] = rel[:, j, b]
        mean_total = masked_chain_mean(segments[..., total_at].mean(axis=-1, keepdims=True), bad)
        burst = np.log10((mean_total[..., 0] + LOG_FLOOR) / (chains[..., total_at] + LOG_FLOOR))
        for j, chain in enumerate(CHAINS):
            out[column_name("eeg", "robust", "burst", chain, scale)] = burst[:, j]
        if scale != "50s":
            continue
        for kind in (*MASK_KINDS, "bad"):
            out[column_name("eeg", "robust", f"n{kind}", "all", scale)] = (
                masks[kind].sum(axis=-1).astype(np.float64)
            )
        per_chain = bad.astype(np.float64) @ (CHAIN_WEIGHTS > 0).astype(np.float64)
        for j, chain in enumerate(CHAINS):
            out[column_name("eeg", "robust", "nbad", chain, scale)] = per_chain[:, j]
    return out
