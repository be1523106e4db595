"""CatBoost and LightGBM multiclass models that learn the experts' vote distribution.

The loss is the cross-entropy of the predicted distribution against the vote distribution,
which differs from the competition's KL divergence by the votes' entropy (a constant), so
minimising one minimises the other. The two libraries get it two ways:

- LightGBM: a soft-label objective (:func:`soft_label_objective`: gradient ``p - y``,
  LightGBM's own multiclass hessian), every row once, with a matching evaluation metric for
  early stopping;
- CatBoost (whose multiclass loss takes class indices only): row expansion, a row whose votes
  are split between classes becomes one row per class with votes, labelled with that class
  and weighted by its vote fraction (times the row's own weight). The multiclass log loss of
  the expanded rows equals the cross-entropy of the original ones.

An optional starting margin (``init_margin``: raw scores, one per class) lets a second
stage continue from a first stage's predictions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.labels import CLASSES

logger = logging.getLogger(__name__)

N_CLASSES = len(CLASSES)


def softmax(margin: np.ndarray) -> np.ndarray:
    """Row-wise softmax of raw scores (n_rows, n_classes)."""
    z = margin - margin.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def expand_soft_labels(
    probs: np.ndarray, weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows -> one row per class with positive probability.

    Parameters
    ----------
    probs : array, shape (n_rows, n_classes)
        Vote distributions (rows sum to 1).
    weight : array, shape (n_rows,), optional
        Row weights (default 1).

    Returns
    -------
    source : array, shape (n_expanded,)
        Row index each expanded row comes from (take features with ``X[source]``).
    label : array, shape (n_expanded,)
        Class index.
    sample_weight : array, shape (n_expanded,)
        ``weight[source] * probs[source, label]``.

    Examples
    --------
    >>> src, lab, w = expand_soft_labels(np.array([[0.75, 0.25], [0.0, 1.0]]))
    >>> src.tolist(), lab.tolist(), w.tolist()
    ([0, 0, 1], [0, 1, 1], [0.75, 0.25, 1.0])
    """
    probs = np.asarray(probs, dtype=np.float64)
    weight = np.ones(len(probs)) if weight is None else np.asarray(weight, dtype=np.float64)
    source, label = np.nonzero(probs > 0)
    return source, label, weight[source] * probs[source, label]


@dataclass
class FitResult:
    """A fitted booster and the number of rounds it kept."""

    model: object
    best_iteration: int
    history: list[float] = field(default_factory=list)


def _expanded(X, probs, weight, init_margin):
    source, label, sample_weight = expand_soft_labels(probs, weight)
    margin = None if init_margin is None else np.asarray(init_margin)[source]
    return X[source], label, sample_weight, margin


# --- LightGBM ------------------------------------------------------------------------------

LIGHTGBM_DEFAULTS: dict = {
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.3,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 63,
}


class _DebugLog:
    """LightGBM's own log lines, sent to this module's logger at DEBUG level (``-v`` shows
    them). LightGBM 4.1 forgets ``verbose=-1`` when a custom objective resets its parameters
    on the first round and would otherwise print its lines to stdout, into ``--json`` output."""

    def info(self, message: str) -> None:
        logger.debug(message.rstrip())

    def warning(self, message: str) -> None:
        logger.debug(message.rstrip())


_LIGHTGBM_LOG = _DebugLog()

HESSIAN_FACTOR = N_CLASSES / (N_CLASSES - 1)
"""LightGBM's own multiclass objective scales the diagonal hessian ``p (1 - p)`` by
``k / (k - 1)``; the soft-label objective does the same, so its steps match the native ones."""

SOFT_METRIC = "soft_logloss"


def soft_label_objective(probs: np.ndarray, weight: np.ndarray | None) -> Callable:
    """LightGBM objective for soft labels: the weighted cross-entropy's gradient and hessian.

    ``probs`` (n_rows, n_classes) are the target distributions. LightGBM >= 4 passes the raw
    scores as (n_rows, n_classes) and accepts gradients of that shape.
    """
    targets = np.asarray(probs, dtype=np.float64)
    w = None if weight is None else np.asarray(weight, dtype=np.float64)[:, None]

    def objective(preds: np.ndarray, _dataset) -> tuple[np.ndarray, np.ndarray]:
        p = softmax(np.asarray(preds).reshape(targets.shape, order="F"))
        grad = p - targets
        hess = HESSIAN_FACTOR * p * (1.0 - p)
        if w is not None:
            grad, hess = grad * w, hess * w
        return grad, hess

    return objective


def soft_log_loss(margin: np.ndarray, probs: np.ndarray, weight: np.ndarray | None) -> float:
    """Weighted mean cross-entropy of ``softmax(margin)`` against ``probs`` (nats)."""
    z = margin - margin.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    per_row = -(probs * log_p).sum(axis=1)
    return float(np.average(per_row, weights=weight))


def _soft_metric(probs: np.ndarray, weight: np.ndarray | None) -> Callable:
    """LightGBM ``feval`` scoring the validation rows' raw scores by :func:`soft_log_loss`."""
    targets = np.asarray(probs, dtype=np.float64)

    def metric(preds: np.ndarray, _dataset) -> tuple[str, float, bool]:
        margin = np.asarray(preds).reshape(targets.shape, order="F")
        return SOFT_METRIC, soft_log_loss(margin, targets, weight), False

    return metric


def _lightgbm_params(params: dict | None, objective: Callable, seed: int, n_threads: int) -> dict:
    """The defaults, the caller's parameters, and what the soft-label fit always sets."""
    return {
        **LIGHTGBM_DEFAULTS,
        **(params or {}),
        "objective": objective,
        "num_class": N_CLASSES,
        "metric": "None",
        # keep columns no split can use under min_data_in_leaf (a tiny table would
        # otherwise lose every column and stop LightGBM with a fatal error)
        "feature_pre_filter": False,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": n_threads,
        "verbose": -1,
    }


def fit_lightgbm(
    X: np.ndarray,
    probs: np.ndarray,
    *,
    weight: np.ndarray | None = None,
    params: dict | None = None,
    n_rounds: int = 1000,
    eval_set: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None,
    early_stopping: int = 50,
    init_margin: np.ndarray | None = None,
    eval_init_margin: np.ndarray | None = None,
    seed: int = 0,
    n_threads: int = 0,
    on_round: Callable[[int], None] | None = None,
    dataset=None,
) -> FitResult:
    """Train a LightGBM multiclass booster on soft labels (see module docstring).

    ``eval_set`` is ``(X_val, probs_val, weight_val)``; with it, training stops after
    ``early_stopping`` rounds without improvement and ``best_iteration`` is kept.
    ``on_round(rounds_done)`` is called after every round (progress). ``dataset`` is an
    already binned ``lightgbm.Dataset`` of ``X`` (e.g. a subset of one built once for every
    fold); its labels and weights are ignored (the objective carries ``probs`` and ``weight``).
    """
    import lightgbm as lgb

    full_params = _lightgbm_params(params, soft_label_objective(probs, weight), seed, n_threads)
    lgb.register_logger(_LIGHTGBM_LOG)
    train = dataset if dataset is not None else lgb.Dataset(X, params={"verbose": -1})
    if init_margin is not None:
        train.set_init_score(np.asarray(init_margin, dtype=np.float64).ravel(order="F"))
    valid_sets, callbacks, history, feval = [], [], {}, None
    if eval_set is not None:
        Xv, pv, wv = eval_set
        valid = lgb.Dataset(Xv, reference=train, params={"verbose": -1})
        if eval_init_margin is not None:
            valid.set_init_score(np.asarray(eval_init_margin, dtype=np.float64).ravel(order="F"))
        valid_sets, feval = [valid], _soft_metric(pv, wv)
        callbacks = [
            lgb.early_stopping(early_stopping, verbose=False),
            lgb.record_evaluation(history),
        ]
    if on_round is not None:
        callbacks.append(lambda env: on_round(env.iteration + 1))
    booster = lgb.train(
        full_params,
        train,
        num_boost_round=n_rounds,
        valid_sets=valid_sets,
        feval=feval,
        callbacks=callbacks,
    )
    best = booster.best_iteration if eval_set is not None and booster.best_iteration else n_rounds
    curve = list(history.get("valid_0", {}).get(SOFT_METRIC, []))
    return FitResult(booster, int(best), curve)


def lightgbm_margin(booster, X: np.ndarray, n_rounds: int | None = None) -> np.ndarray:
    """Raw scores (n_rows, 6) of a LightGBM booster (without any starting margin)."""
    return booster.predict(X, raw_score=True, num_iteration=n_rounds)


# --- CatBoost ------------------------------------------------------------------------------

CATBOOST_DEFAULTS: dict = {
    "learning_rate": 0.15,
    "depth": 5,
    "l2_leaf_reg": 3.0,
    "border_count": 32,
}
"""Measured on the demo data (1,800 rows x 1,474 features, 2 cores): these settings reach the
same CV as depth 6 / 64 borders / ``rsm`` 0.3 / learning rate 0.08 in a quarter of the
time; CatBoost's ``rsm`` below 1 also spends as much system time as compute time here."""


def fit_catboost(
    X: np.ndarray,
    probs: np.ndarray,
    *,
    weight: np.ndarray | None = None,
    params: dict | None = None,
    n_rounds: int = 1000,
    eval_set: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None,
    early_stopping: int = 50,
    init_margin: np.ndarray | None = None,
    eval_init_margin: np.ndarray | None = None,
    seed: int = 0,
    n_threads: int = -1,
    on_round: Callable[[int], None] | None = None,
) -> FitResult:
    """Train a CatBoost multiclass model on soft labels (see module docstring)."""
    from catboost import CatBoostClassifier, Pool

    Xe, label, sample_weight, margin = _expanded(X, probs, weight, init_margin)
    model = CatBoostClassifier(
        **{**CATBOOST_DEFAULTS, **(params or {})},
        iterations=n_rounds,
        loss_function="MultiClass",
        classes_count=N_CLASSES,
        random_seed=seed,
        thread_count=n_threads,
        verbose=False,
        allow_writing_files=False,
    )
    train = Pool(Xe, label=label, weight=sample_weight, baseline=margin)
    kwargs = {}
    if eval_set is not None:
        Xv, pv, wv, mv = _expanded(*eval_set, eval_init_margin)
        kwargs = {
            "eval_set": Pool(Xv, label=pv, weight=wv, baseline=mv),
            "early_stopping_rounds": early_stopping,
            "use_best_model": True,
        }
    if on_round is not None:
        kwargs["callbacks"] = [_CatBoostRounds(on_round)]
    model.fit(train, **kwargs)
    best = model.get_best_iteration() if eval_set is not None else None
    best = n_rounds if best is None else best + 1
    curve = list(model.get_evals_result().get("validation", {}).get("MultiClass", []))
    return FitResult(model, int(best), curve)


class _CatBoostRounds:
    """CatBoost's per-iteration callback, forwarding the rounds done."""

    def __init__(self, on_round: Callable[[int], None]) -> None:
        self.on_round = on_round

    def after_iteration(self, info) -> bool:
        self.on_round(int(info.iteration))
        return True  # keep training


def catboost_margin(model, X: np.ndarray, n_rounds: int | None = None) -> np.ndarray:
    """Raw scores (n_rows, 6) of a CatBoost model (without any starting margin)."""
    end = 0 if n_rounds is None else n_rounds
    return np.asarray(model.predict(X, prediction_type="RawFormulaVal", ntree_end=end))


# --- one interface ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelKind:
    name: str
    fit: object
    margin: object
    file_name: str


MODEL_KINDS: dict[str, ModelKind] = {
    "lightgbm": ModelKind("lightgbm", fit_lightgbm, lightgbm_margin, "lightgbm.txt"),
    "catboost": ModelKind("catboost", fit_catboost, catboost_margin, "catboost.cbm"),
}


def save_model(kind: str, model, path: Path) -> None:
    """Native formats only: LightGBM text model, CatBoost ``.cbm`` (no pickle)."""
    if kind == "lightgbm":
        model.save_model(str(path))
    elif kind == "catboost":
        model.save_model(str(path), format="cbm")
    else:
        raise ValueError(f"unknown model kind {kind!r}")


def load_model(kind: str, path: Path):
    if kind == "lightgbm":
        import lightgbm as lgb

        return lgb.Booster(model_file=str(path))
    if kind == "catboost":
        from catboost import CatBoostClassifier

        model = CatBoostClassifier()
        model.load_model(str(path), format="cbm")
        return model
    raise ValueError(f"unknown model kind {kind!r}")
