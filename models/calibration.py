"""How a calibration of the blend changes its predictions on the test-like rows: KL and the
per-class expected calibration error before and after, pooled and per fold."""

from __future__ import annotations

import numpy as np

from models.cv import hidden_test_like_rows
from models.labels import CLASSES, votes_to_probabilities
from models.metric import calibration_error, kl_divergence_rows


def _calibration_side(target, pred, folds, n_bins: int) -> dict:
    """KL and per-class ECE of predictions on some rows, pooled and per fold."""
    ece = calibration_error(target, pred, n_bins=n_bins)
    per_fold = [folds == f for f in np.unique(folds)]
    return {
        "kl": float(kl_divergence_rows(target, pred).mean()),
        "ece": {c: float(v) for c, v in zip(CLASSES, ece, strict=True)},
        "ece_mean": float(ece.mean()),
        "per_fold_kl": [float(kl_divergence_rows(target[m], pred[m]).mean()) for m in per_fold],
        "per_fold_ece_mean": [
            float(calibration_error(target[m], pred[m], n_bins=n_bins).mean()) for m in per_fold
        ],
    }


def _paired(before: list[float], after: list[float]) -> dict:
    """Mean and s.d. (over folds) of the per-fold change ``after - before``."""
    diff = np.asarray(after) - np.asarray(before)
    sd = float(diff.std(ddof=1)) if len(diff) > 1 else float("nan")
    return {"mean": float(diff.mean()), "sd": sd, "per_fold": [float(d) for d in diff]}


def calibration_report(
    votes: np.ndarray,
    eeg_id: np.ndarray,
    folds: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    *,
    n_bins: int = 10,
) -> dict:
    """A calibration's effect on the test-like rows (:func:`hidden_test_like_rows`).

    ``before`` and ``after`` are out-of-fold predictions (n_rows, 6) without and with the
    calibration. Returns the KL and the per-class expected calibration error
    (:func:`models.metric.calibration_error`, ``n_bins`` bins) of each, pooled and per fold,
    and the paired per-fold change of the KL and of the mean ECE (mean, s.d., per fold).
    """
    mask = hidden_test_like_rows(votes, eeg_id)
    target = votes_to_probabilities(votes[mask])
    sides = {
        name: _calibration_side(target, pred[mask], np.asarray(folds)[mask], n_bins)
        for name, pred in (("before", before), ("after", after))
    }
    b, a = sides["before"], sides["after"]
    return {
        "n_rows": int(mask.sum()),
        "n_bins": n_bins,
        **sides,
        "kl_change": _paired(b["per_fold_kl"], a["per_fold_kl"]),
        "ece_mean_change": _paired(b["per_fold_ece_mean"], a["per_fold_ece_mean"]),
    }
