"""What a bundle's models lean on: importance per model and LightGBM TreeSHAP contributions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.bundle import Bundle
from models.labels import CLASSES


def _lightgbm_booster(bundle: Bundle):
    model = bundle.models.get("lightgbm")
    return None if model is None else model.stages[0]


def shap_values(bundle: Bundle, X: np.ndarray) -> np.ndarray | None:
    """LightGBM TreeSHAP contributions to the first stage's raw scores.

    Parameters
    ----------
    bundle : a loaded bundle
    X : array, shape (n_rows, n_features), the bundle's feature columns in order

    Returns
    -------
    array, shape (n_rows, n_classes, n_features) (0 for a column the model was pruned of),
    or None when the bundle has no LightGBM model.
    """
    booster = _lightgbm_booster(bundle)
    if booster is None:
        return None
    model = bundle.models["lightgbm"]
    Xm = model.take(X)
    contrib = booster.predict(Xm, pred_contrib=True, num_iteration=model.rounds[0])
    n_used = Xm.shape[1]
    values = contrib.reshape(len(X), len(CLASSES), n_used + 1)[:, :, :n_used]
    return model.scatter(values, X.shape[1])


def importance(bundle: Bundle, columns: list[str]) -> dict[str, pd.Series]:
    """Importance of each feature per model, as a share of the model's total (sums to 1):
    LightGBM split gain, CatBoost's default importance (0 for a column a model was pruned
    of)."""
    out = {}
    if "lightgbm" in bundle.models:
        model = bundle.models["lightgbm"]
        gain = model.stages[0].feature_importance(importance_type="gain").astype(np.float64)
        gain = model.scatter(gain, len(columns))
        out["lightgbm"] = pd.Series(gain / max(gain.sum(), 1e-12), index=columns)
    if "catboost" in bundle.models:
        model = bundle.models["catboost"]
        values = np.asarray(model.stages[0].get_feature_importance(), dtype=np.float64)
        values = model.scatter(values, len(columns))
        out["catboost"] = pd.Series(values / max(values.sum(), 1e-12), index=columns)
    return out
