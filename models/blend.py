"""Blend of model predictions: a weighted mean of log-probabilities with a temperature,
fitted on out-of-fold predictions."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import minimize

from models.gbdt import softmax
from models.labels import votes_to_probabilities
from models.metric import EPS, kl_divergence


@dataclass(frozen=True)
class Blend:
    """``softmax(sum_m w_m log p_m / T)`` with weights on the simplex."""

    names: tuple[str, ...]
    weights: tuple[float, ...]
    temperature: float = 1.0

    def apply(self, predictions: dict[str, np.ndarray]) -> np.ndarray:
        logits = sum(
            w * np.log(np.clip(predictions[n], EPS, 1.0))
            for n, w in zip(self.names, self.weights, strict=True)
        )
        return softmax(logits / self.temperature)

    def to_dict(self) -> dict:
        return asdict(self)


def fit_blend(
    predictions: dict[str, np.ndarray],
    votes: np.ndarray,
    *,
    fit_temperature: bool = True,
) -> Blend:
    """Weights (and temperature) minimising KL on the given rows (out-of-fold predictions).

    Weights are a softmax of free parameters, so they stay on the simplex; the temperature
    is ``exp`` of a free parameter. Starts from equal weights and T = 1.
    """
    names = tuple(predictions)
    target = votes_to_probabilities(votes)
    logs = np.stack([np.log(np.clip(predictions[n], EPS, 1.0)) for n in names])

    def unpack(theta: np.ndarray) -> tuple[np.ndarray, float]:
        w = np.exp(theta[: len(names)] - theta[: len(names)].max())
        w /= w.sum()
        t = float(np.exp(theta[-1])) if fit_temperature else 1.0
        return w, t

    def loss(theta: np.ndarray) -> float:
        w, t = unpack(theta)
        return kl_divergence(target, softmax(np.tensordot(w, logs, axes=1) / t))

    theta0 = np.zeros(len(names) + 1)
    result = minimize(loss, theta0, method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-7})
    w, t = unpack(result.x)
    return Blend(names, tuple(float(v) for v in w), t)


def blend_out_of_fold(
    predictions: dict[str, np.ndarray],
    votes: np.ndarray,
    folds: np.ndarray,
    fit_rows: np.ndarray,
    *,
    min_rows: int = 20,
) -> tuple[np.ndarray, Blend]:
    """Nested blend: each fold's rows are blended with weights fitted on the other folds.

    Parameters
    ----------
    predictions : dict of arrays, shape (n_rows, n_classes)
        Out-of-fold predictions of each model.
    votes : array, shape (n_rows, n_classes)
    folds : array, shape (n_rows,)
    fit_rows : array of bool, shape (n_rows,)
        Rows the weights may be fitted on (e.g. the >= 10-vote rows); where a fold's
        complement holds fewer than ``min_rows`` of them, all its rows are used.

    Returns
    -------
    oof : array, shape (n_rows, n_classes)
        Blended predictions, none of them from weights fitted on its own fold.
    blend : Blend
        Weights fitted on every allowed row (for the bundle).
    """
    out = np.zeros_like(next(iter(predictions.values())), dtype=np.float64)
    for fold in np.unique(folds):
        val = folds == fold
        fit = ~val & fit_rows
        if fit.sum() < min_rows:
            fit = ~val
        blend = fit_blend({k: v[fit] for k, v in predictions.items()}, votes[fit])
        out[val] = blend.apply({k: v[val] for k, v in predictions.items()})
    rows = fit_rows if fit_rows.sum() >= min_rows else np.ones(len(votes), dtype=bool)
    final = fit_blend({k: v[rows] for k, v in predictions.items()}, votes[rows])
    return out, final
