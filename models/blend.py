"""Blend of model predictions: a weighted mean of log-probabilities with a temperature and an
optional per-class bias (a calibration), fitted on out-of-fold predictions."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import minimize

from models.gbdt import softmax
from models.labels import votes_to_probabilities
from models.metric import EPS, kl_divergence

CALIBRATIONS = ("none", "temperature", "bias", "both")
"""What :func:`calibrate_blend` refits on the calibration rows (the blend's weights stay):
nothing, the temperature, a per-class bias (log-prior shift), or both."""
DEFAULT_CALIBRATION = "none"
"""Off: on the demo data the calibration's change of the test-like KL is within the
fold-to-fold spread (see the README's training section)."""
BIAS_L2 = 1e-2
"""Ridge penalty on the bias (per nat squared, added to the mean KL): a class rare among the
calibration rows cannot push its bias far."""


@dataclass(frozen=True)
class Blend:
    """``softmax(sum_m w_m log p_m / T + b)`` with weights on the simplex.

    ``bias`` (shape ``(n_classes,)``, summing to 0; None: no shift) is the per-class
    log-prior shift of a calibration (:func:`calibrate_blend`).
    """

    names: tuple[str, ...]
    weights: tuple[float, ...]
    temperature: float = 1.0
    bias: tuple[float, ...] | None = None

    def logits(self, predictions: dict[str, np.ndarray]) -> np.ndarray:
        """``sum_m w_m log p_m``, shape (n_rows, n_classes), before temperature and bias."""
        return sum(
            w * np.log(np.clip(predictions[n], EPS, 1.0))
            for n, w in zip(self.names, self.weights, strict=True)
        )

    def apply(self, predictions: dict[str, np.ndarray]) -> np.ndarray:
        z = self.logits(predictions) / self.temperature
        if self.bias is not None:
            z = z + np.asarray(self.bias, dtype=np.float64)
        return softmax(z)

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


def calibrate_blend(
    blend: Blend,
    predictions: dict[str, np.ndarray],
    votes: np.ndarray,
    *,
    mode: str = "both",
    l2: float = BIAS_L2,
) -> Blend:
    """The blend with its temperature and/or a per-class bias refitted on the rows given.

    Minimises ``KL(votes, softmax(L / T + b)) + l2 * sum(b^2)`` over ``T`` (modes
    ``temperature``, ``both``) and ``b`` (``bias``, ``both``; centred to sum 0, as a softmax
    ignores a common shift), with ``L`` the blend's weighted log-probabilities (weights kept).
    ``none`` returns the blend unchanged.
    """
    if mode not in CALIBRATIONS:
        raise ValueError(f"unknown calibration {mode!r}; known: {', '.join(CALIBRATIONS)}")
    if mode == "none":
        return blend
    target = votes_to_probabilities(votes)
    logits = blend.logits(predictions)
    fit_t, fit_b = mode in ("temperature", "both"), mode in ("bias", "both")

    def unpack(theta: np.ndarray) -> tuple[float, np.ndarray]:
        t = float(np.exp(theta[0])) if fit_t else blend.temperature
        b = theta[1:] - theta[1:].mean() if fit_b else np.zeros(target.shape[1])
        return t, b

    def loss(theta: np.ndarray) -> float:
        t, b = unpack(theta)
        return kl_divergence(target, softmax(logits / t + b)) + l2 * float(b @ b)

    theta0 = np.concatenate([[np.log(blend.temperature)], np.zeros(target.shape[1])])
    result = minimize(loss, theta0, method="L-BFGS-B")
    t, b = unpack(result.x)
    bias = tuple(float(v) for v in b) if fit_b else blend.bias
    return Blend(blend.names, blend.weights, t, bias)


def _calibrated(blend, predictions, votes, rows, mode: str, min_rows: int) -> Blend:
    """``blend`` calibrated on ``rows`` (a boolean mask); unchanged with too few of them."""
    if mode == "none" or rows is None or rows.sum() < min_rows:
        return blend
    return calibrate_blend(
        blend, {k: v[rows] for k, v in predictions.items()}, votes[rows], mode=mode
    )


def blend_out_of_fold(
    predictions: dict[str, np.ndarray],
    votes: np.ndarray,
    folds: np.ndarray,
    fit_rows: np.ndarray,
    *,
    min_rows: int = 20,
    calibration: str = "none",
    calibration_rows: np.ndarray | None = None,
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
    calibration : {"none", "temperature", "bias", "both"}
        What :func:`calibrate_blend` refits, after the weights, on the other folds'
        ``calibration_rows`` (e.g. the test-like rows; skipped where fewer than
        ``min_rows``), so no fold's calibration sees its own labels either.
    calibration_rows : array of bool, shape (n_rows,), optional

    Returns
    -------
    oof : array, shape (n_rows, n_classes)
        Blended predictions, none of them from weights fitted on its own fold.
    blend : Blend
        Weights (and calibration) fitted on every allowed row (for the bundle).
    """
    if calibration not in CALIBRATIONS:
        raise ValueError(f"unknown calibration {calibration!r}; known: {', '.join(CALIBRATIONS)}")
    out = np.zeros_like(next(iter(predictions.values())), dtype=np.float64)
    for fold in np.unique(folds):
        val = folds == fold
        fit = ~val & fit_rows
        if fit.sum() < min_rows:
            fit = ~val
        blend = fit_blend({k: v[fit] for k, v in predictions.items()}, votes[fit])
        cal = None if calibration_rows is None else ~val & calibration_rows
        blend = _calibrated(blend, predictions, votes, cal, calibration, min_rows)
        out[val] = blend.apply({k: v[val] for k, v in predictions.items()})
    rows = fit_rows if fit_rows.sum() >= min_rows else np.ones(len(votes), dtype=bool)
    final = fit_blend({k: v[rows] for k, v in predictions.items()}, votes[rows])
    final = _calibrated(final, predictions, votes, calibration_rows, calibration, min_rows)
    return out, final
