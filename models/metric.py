"""The competition metric: KL divergence of predicted from expert vote distributions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.labels import RELIABLE_MIN_VOTES

EPS = 1e-15
"""Predictions are clipped to [EPS, 1 - EPS], as the competition's scorer does."""


def kl_terms(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """The terms ``y_k log(y_k / p_k)`` of the metric (0 where ``y_k = 0``), per row and class.

    Parameters
    ----------
    y_true : array, shape (n_rows, n_classes)
        Target probabilities (each row sums to 1).
    y_pred : array, shape (n_rows, n_classes)
        Predicted probabilities; clipped to [EPS, 1 - EPS] and not renormalised.

    Returns
    -------
    array, shape (n_rows, n_classes), float64
        In nats; a row's sum is its KL divergence.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.clip(np.asarray(y_pred, dtype=np.float64), EPS, 1 - EPS)
    if y_true.shape != y_pred.shape or y_true.ndim != 2:
        raise ValueError(
            f"y_true and y_pred must be 2-D of the same shape, got {y_true.shape} and "
            f"{y_pred.shape}"
        )
    if not np.all(np.isfinite(y_pred)):
        raise ValueError("y_pred contains NaN or infinite values")
    positive = y_true > 0
    safe_true = np.where(positive, y_true, 1.0)
    return np.where(positive, y_true * np.log(safe_true / y_pred), 0.0)


def kl_divergence_rows(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Per-row KL divergence ``sum_k y_k log(y_k / p_k)`` over classes with ``y_k > 0``.

    Parameters
    ----------
    y_true : array, shape (n_rows, n_classes)
        Target probabilities (each row sums to 1; normalise vote counts first).
    y_pred : array, shape (n_rows, n_classes)
        Predicted probabilities; clipped to [1e-15, 1 - 1e-15] and *not* renormalised,
        exactly as the competition scored submissions.

    Returns
    -------
    array, shape (n_rows,), float64
        KL divergence per row, in nats.
    """
    return kl_terms(y_true, y_pred).sum(axis=1)


def kl_divergence(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean over rows of the competition's KL divergence (see ``kl_divergence_rows``).

    Examples
    --------
    The metric's published example (four rows, two classes; 0.216161...):

    >>> round(kl_divergence([[0, 1], [1, 0], [1, 0], [0, 1]],
    ...                     [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]), 5)
    0.21616
    """
    return float(np.mean(kl_divergence_rows(y_true, y_pred)))


def kl_report(
    votes: np.ndarray,
    y_pred: np.ndarray,
    eeg_id: np.ndarray | None = None,
    *,
    min_votes: int = RELIABLE_MIN_VOTES,
) -> dict[str, float]:
    """KL on all rows, on rows with ``>= min_votes`` votes and on one row per eeg_id.

    Parameters
    ----------
    votes : array, shape (n_rows, 6)
        Vote counts (normalised here to probabilities).
    y_pred : array, shape (n_rows, 6)
        Predicted probabilities.
    eeg_id : array, shape (n_rows,), optional
        When given, ``kl_one_per_eeg`` scores the first row of each eeg_id, so that recordings
        with hundreds of overlapping windows do not dominate.

    Returns
    -------
    dict
        ``kl_all``, ``kl_reliable`` (NaN when no row qualifies), ``kl_one_per_eeg``
        (when ``eeg_id`` is given), and the row counts ``n_all``, ``n_reliable``,
        ``n_one_per_eeg``.
    """
    votes = np.asarray(votes, dtype=np.float64)
    total = votes.sum(axis=1)
    if np.any(total <= 0):
        raise ValueError("every row needs a positive number of votes")
    per_row = kl_divergence_rows(votes / total[:, None], y_pred)
    reliable = total >= min_votes
    report = {
        "kl_all": float(per_row.mean()),
        "n_all": len(per_row),
        "kl_reliable": float(per_row[reliable].mean()) if reliable.any() else float("nan"),
        "n_reliable": int(reliable.sum()),
    }
    if eeg_id is not None:
        first = ~pd.Series(np.asarray(eeg_id)).duplicated().to_numpy()
        report["kl_one_per_eeg"] = float(per_row[first].mean())
        report["n_one_per_eeg"] = int(first.sum())
    return report


def calibration_error(y_true: np.ndarray, y_pred: np.ndarray, *, n_bins: int = 10) -> np.ndarray:
    """Expected calibration error of each class (soft targets).

    For class ``c`` the rows are binned by their predicted probability ``p_c`` into
    ``n_bins`` equal-width bins of [0, 1]; ``ECE_c = sum_b (n_b / n) |mean_b p_c - mean_b y_c|``,
    where ``y_c`` is the row's vote fraction. 0 for a calibrated model; a model that predicts
    0.5 where the experts give 0.3 scores 0.2.

    Parameters
    ----------
    y_true : array, shape (n_rows, n_classes)
        Target probabilities (vote fractions).
    y_pred : array, shape (n_rows, n_classes)
        Predicted probabilities.
    n_bins : int
        At least 1.

    Returns
    -------
    array, shape (n_classes,), float64
        In probability units (0..1); NaN for every class when there are no rows.

    Examples
    --------
    >>> calibration_error(np.array([[0.3, 0.7], [0.3, 0.7]]), np.full((2, 2), 0.5)).round(6)
    array([0.2, 0.2])
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape or y_true.ndim != 2:
        raise ValueError(
            f"y_true and y_pred must be 2-D of the same shape, got {y_true.shape} and "
            f"{y_pred.shape}"
        )
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    n_rows, n_classes = y_true.shape
    if n_rows == 0:
        return np.full(n_classes, np.nan)
    bins = np.clip((y_pred * n_bins).astype(np.int64), 0, n_bins - 1)
    out = np.zeros(n_classes)
    for c in range(n_classes):
        gap = np.bincount(bins[:, c], weights=y_pred[:, c] - y_true[:, c], minlength=n_bins)
        out[c] = np.abs(gap).sum() / n_rows  # sum_b (n_b / n) |mean gap_b| = sum_b |sum gap_b| / n
    return out
