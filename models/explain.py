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
    array, shape (n_rows, n_classes, n_features), or None when the bundle has no LightGBM
    model.
    """
    booster = _lightgbm_booster(bundle)
    if booster is None:
        return None
    contrib = booster.predict(
        X, pred_contrib=True, num_iteration=bundle.models["lightgbm"].rounds[0]
    )
    n_features = X.shape[1]
    return contrib.reshape(len(X), len(CLASSES), n_features + 1)[:, :, :n_features]


def importance(bundle: Bundle, columns: list[str]) -> dict[str, pd.Series]:
    """Importance of each feature per model, as a share of the model's total (sums to 1):
    LightGBM split gain, CatBoost's default importance."""
    out = {}
    if "lightgbm" in bundle.models:
        booster = bundle.models["lightgbm"].stages[0]
        gain = booster.feature_importance(importance_type="gain")
        out["lightgbm"] = pd.Series(gain / max(gain.sum(), 1e-12), index=columns)
    if "catboost" in bundle.models:
        model = bundle.models["catboost"].stages[0]
        values = np.asarray(model.get_feature_importance())
        out["catboost"] = pd.Series(values / max(values.sum(), 1e-12), index=columns)
    return out
