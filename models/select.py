"""Feature pruning by importance: a model keeps the columns a quick LightGBM ranks highest.

The full feature set has about 1,500 columns, many of them near copies of each other (the
same measure over another chain or scale). Boosting time grows with the column count, and a
Kaggle-size table makes every column cost: at 106,800 rows, one LightGBM round on 400
columns takes a third of the time it takes on 1,474 (``make bench-train``). So each model
trains on the ``max_features`` columns with the largest split gain in a short, fast
LightGBM fit (:data:`RANKING_PARAMS`) on its own training rows: a fold's choice never sees
the rows it is scored on, and the final model's choice is made on every row.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from models.gbdt import fit_lightgbm

DEFAULT_MAX_FEATURES = 400
"""Columns each model keeps by default (``hms train --max-features``; 0 keeps all); chosen
by CV and speed (see the README's training section)."""
RANKING_ROUNDS = 60
RANKING_MAX_ROWS = 6_000
"""The ranking fit uses at most this many training rows (a seeded draw): at Kaggle size the
ranking on 12,000 rows took about a minute a fold on the loaded 2-core machine, a third of the
fold's time; the demo's folds have fewer rows, so their choice does not depend on it."""
RANKING_PARAMS = {
    "learning_rate": 0.2,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.5,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 63,
}


def ranking_sample(indices: np.ndarray, seed: int) -> np.ndarray:
    """At most :data:`RANKING_MAX_ROWS` of ``indices`` (a seeded draw, in their order)."""
    indices = np.asarray(indices)
    if len(indices) <= RANKING_MAX_ROWS:
        return indices
    pick = np.random.default_rng(seed).choice(len(indices), RANKING_MAX_ROWS, replace=False)
    return indices[np.sort(pick)]


def rank_columns(
    X: np.ndarray, probs: np.ndarray, weight: np.ndarray | None, *, seed: int
) -> np.ndarray:
    """Split gain of every column in a short LightGBM fit on (a sample of) the rows,
    shape ``(n_features,)``."""
    rows = ranking_sample(np.arange(len(X)), seed)
    fit = fit_lightgbm(
        X[rows],
        probs[rows],
        weight=None if weight is None else weight[rows],
        params=RANKING_PARAMS,
        n_rounds=RANKING_ROUNDS,
        seed=seed,
    )
    return fit.model.feature_importance(importance_type="gain")


def top_columns(gain: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest gains, ascending (ties: the earlier column first).

    Examples
    --------
    >>> top_columns(np.array([0.0, 5.0, 1.0, 5.0]), 2).tolist()
    [1, 3]
    """
    order = np.argsort(-np.asarray(gain, dtype=np.float64), kind="stable")
    return np.sort(order[:k])


class ColumnSelector:
    """Chooses each model's columns and remembers them, so the models of one fold (and every
    tuning trial) share one choice instead of ranking again.

    ``max_features`` of None (or at least the column count) keeps every column.
    """

    def __init__(self, max_features: int | None, seed: int = 0) -> None:
        self.max_features = max_features
        self.seed = seed
        self._chosen: dict[Hashable, np.ndarray | None] = {}

    def active(self, n_features: int) -> bool:
        return self.max_features is not None and 0 < self.max_features < n_features

    def known(self, key: Hashable) -> np.ndarray | None:
        """The columns already chosen under ``key`` (None: not chosen yet)."""
        return self._chosen.get(key)

    def columns(
        self, key: Hashable, X: np.ndarray, probs: np.ndarray, weight: np.ndarray | None
    ) -> np.ndarray | None:
        """The column indices for training rows ``X`` (None: every column)."""
        if not self.active(X.shape[1]):
            return None
        if key not in self._chosen:
            gain = rank_columns(X, probs, weight, seed=self.seed)
            self._chosen[key] = top_columns(gain, self.max_features)
        return self._chosen[key]
