"""Cross-validation of soft-label models on patient folds, and the final fit.

A *strategy* says how the noisy low-vote rows are treated:
- ``plain``: every row counts the same;
- ``weighted``: rows are weighted by ``min(total_votes, 10) / 10`` (a 3-vote row counts 0.3);
- ``two_stage``: a first model on every row, then a second one on the rows with >= 10 votes
  that starts from the first one's scores (a fine-tuning pass on the reliable population);
- ``pseudo``: the targets of the rows with < 10 votes are blended with the predictions of a
  first (``weighted``) model that never saw them (:func:`pseudo_targets`); inside each fold
  the first-stage predictions of the training rows come from an inner patient-fold CV of the
  training rows, so no scored label reaches them; the final model takes the first stage's
  ordinary out-of-fold predictions.
Early stopping never looks at the rows it is scored on: each fold stops on an inner patient
split of its training folds; the final model is trained on every row for the mean of the
folds' best round counts. Label groups (``models.groups``) say how repeated windows count.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from models.folds import consensus_folds
from models.gbdt import MODEL_KINDS, softmax
from models.groups import TrainingUnits, group_weight, training_units
from models.labels import RELIABLE_MIN_VOTES, votes_to_probabilities
from models.metric import kl_divergence_rows, kl_report, kl_terms
from models.progress import FitProgress
from models.select import ColumnSelector, ranking_sample

STRATEGIES = ("plain", "weighted", "two_stage", "pseudo")
DEFAULT_STRATEGY = "weighted"
"""Chosen by CV on the demo data (see the README's training section)."""
DEFAULT_GROUPS = "one"
"""How repeated windows of one label count (``models.groups``): one window per label group.
Chosen by CV and speed: on the demo data its test-like CV is within the fold-to-fold spread of
``weight`` (every window, weighted; blend +0.010 +- 0.036 KL over 5 paired folds) and better
than ``mean``, on about a fifth of the rows (see the README's training section)."""
SECOND_STAGE_LR_FACTOR = 0.5
INNER_FOLDS = 5
"""A fold's early-stopping rows: one of this many patient folds of its training rows."""
PSEUDO_VOTES = 5.0
"""``k`` of :func:`pseudo_targets`: the first-stage prediction counts as this many votes."""
PSEUDO_FIRST_STRATEGY = "weighted"
"""The first stage of ``pseudo`` (its columns are the ones this strategy would choose)."""
PSEUDO_INNER_FOLDS = 3
"""Patient folds of a fold's training rows that give their first-stage predictions."""
PROB_FLOOR = 1e-4
"""Predictions are mixed with this much of the uniform distribution, so a class absent from
a training fold (predicted ~0) cannot cost ~34 nats on a row that has votes for it."""


def vote_weight(total_votes: np.ndarray, strategy: str) -> np.ndarray:
    """Row weights of a strategy: 1 everywhere except ``weighted``."""
    total_votes = np.asarray(total_votes, dtype=np.float64)
    if strategy == "weighted":
        return np.minimum(total_votes, RELIABLE_MIN_VOTES) / RELIABLE_MIN_VOTES
    return np.ones_like(total_votes)


def pseudo_targets(
    votes: np.ndarray, first_pred: np.ndarray, *, prior_votes: float = PSEUDO_VOTES
) -> np.ndarray:
    """Training targets of ``pseudo``: low-vote rows pulled towards a first model's prediction.

    A row with ``n < RELIABLE_MIN_VOTES`` votes gets ``(votes + k * pred) / (n + k)``, i.e.
    ``(n * votes / n + k * pred) / (n + k)`` with ``k = prior_votes``: its own vote fractions
    weighted by its votes, the prediction by ``k``. Rows with >= 10 votes keep ``votes / n``.

    Parameters
    ----------
    votes : array, shape (n_rows, n_classes)
        Vote counts (every row with a positive sum).
    first_pred : array, shape (n_rows, n_classes)
        Probabilities of a model that was not trained on these rows.

    Returns
    -------
    array, shape (n_rows, n_classes), float64
        Rows summing to 1.

    Examples
    --------
    >>> pseudo_targets(np.array([[2, 0], [10, 0]]), np.array([[0.0, 1.0], [0.0, 1.0]]),
    ...                prior_votes=2.0).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    probs = votes_to_probabilities(votes)
    first_pred = np.asarray(first_pred, dtype=np.float64)
    if first_pred.shape != probs.shape:
        raise ValueError(f"first_pred has shape {first_pred.shape}, votes {probs.shape}")
    total = np.asarray(votes, dtype=np.float64).sum(axis=1, keepdims=True)
    blended = (total * probs + prior_votes * first_pred) / (total + prior_votes)
    return np.where(total < RELIABLE_MIN_VOTES, blended, probs)


@dataclass
class FittedModel:
    """One or two boosters (first stage, optional second stage) and their round counts.

    ``columns`` are the indices of the feature columns the boosters were trained on (None:
    every column, in order); ``margin`` and ``predict`` take the full feature matrix.
    """

    kind: str
    stages: list  # boosters
    rounds: list[int]
    columns: np.ndarray | None = None

    def take(self, X: np.ndarray) -> np.ndarray:
        """The columns of ``X`` (n_rows, n_features) the boosters were trained on."""
        return X if self.columns is None else X[:, self.columns]

    def scatter(self, values: np.ndarray, n_features: int) -> np.ndarray:
        """Per-column ``values`` of the trained columns (last axis) placed at their
        positions among ``n_features`` columns, 0 elsewhere."""
        if self.columns is None:
            return values
        out = np.zeros((*values.shape[:-1], n_features), dtype=values.dtype)
        out[..., self.columns] = values
        return out

    def margin(self, X: np.ndarray) -> np.ndarray:
        kind, X = MODEL_KINDS[self.kind], self.take(X)
        return sum(kind.margin(m, X, n) for m, n in zip(self.stages, self.rounds, strict=True))

    def predict(self, X: np.ndarray) -> np.ndarray:
        probs = softmax(self.margin(X))
        return (1 - PROB_FLOOR) * probs + PROB_FLOOR / probs.shape[1]


def _second_params(params: dict) -> dict:
    out = dict(params)
    out["learning_rate"] = params.get("learning_rate", 0.05) * SECOND_STAGE_LR_FACTOR
    return out


def _validation(eval_set, strategy: str) -> dict:
    """Early-stopping arguments of a first stage (``{}`` without a validation set)."""
    if eval_set is None:
        return {}
    Xv, vv, *extra = eval_set
    weight = vote_weight(vv.sum(axis=1), strategy)
    if extra and extra[0] is not None:
        weight = weight * extra[0]
    return {"eval_set": (Xv, votes_to_probabilities(vv), weight)}


def _second_stage_validation(fitted: FittedModel, eval_set) -> dict | None:
    """Early-stopping arguments of a second stage: its reliable validation rows, which start
    from the first stage's scores; None when there are too few of them."""
    if eval_set is None:
        return {}
    Xv, vv, *_ = eval_set
    keep = vv.sum(axis=1) >= RELIABLE_MIN_VOTES
    if keep.sum() < 5:
        return None
    return {
        "eval_set": (Xv[keep], votes_to_probabilities(vv[keep]), None),
        "eval_init_margin": fitted.margin(Xv[keep]),
    }


def _add_second_stage(
    fitted: FittedModel, X, votes, *, params: dict, seed: int, n_rounds: int, eval_set, weight
) -> FittedModel:
    """Fine-tune on the reliable rows from the first stage's scores (``two_stage``)."""
    reliable = votes.sum(axis=1) >= RELIABLE_MIN_VOTES
    if reliable.sum() < 10:
        return fitted  # too few reliable rows for a second stage
    validation = _second_stage_validation(fitted, eval_set)
    if validation is None:
        return fitted  # no reliable validation rows to stop the second stage on
    if eval_set is None and n_rounds < 1:
        return fitted
    second = MODEL_KINDS[fitted.kind].fit(
        X[reliable],
        votes_to_probabilities(votes[reliable]),
        weight=None if weight is None else weight[reliable],
        params=_second_params(params),
        n_rounds=n_rounds,
        seed=seed + 1,
        init_margin=fitted.margin(X[reliable]),
        **validation,
    )
    fitted.stages.append(second.model)
    fitted.rounds.append(second.best_iteration)
    return fitted


def fit_model(
    kind: str,
    X: np.ndarray,
    votes: np.ndarray,
    *,
    strategy: str,
    params: dict,
    seed: int,
    n_rounds: int | list[int] = 1000,
    eval_set: tuple | None = None,
    row_weight: np.ndarray | None = None,
    on_round: Callable[[int], None] | None = None,
    first_pred: np.ndarray | None = None,
) -> FittedModel:
    """Fit one model with a strategy.

    ``eval_set`` = ``(X_stop, votes_stop[, weight_stop])`` enables early stopping on those
    rows (always on their own votes); without it, ``n_rounds`` (one count per stage) is used
    as given. ``row_weight`` (shape ``(n_rows,)``, e.g. label-group weights) multiplies the
    strategy's weights. ``first_pred`` (shape ``(n_rows, 6)``, ``pseudo`` only) holds the
    first-stage predictions of the training rows, from models that never saw them.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
    if strategy == "pseudo" and first_pred is None:
        raise ValueError("strategy 'pseudo' needs first_pred: the first stage's predictions")
    rounds = [n_rounds] * 2 if isinstance(n_rounds, int) else list(n_rounds)
    weight = vote_weight(votes.sum(axis=1), strategy)
    if row_weight is not None:
        weight = weight * row_weight
    targets = (
        pseudo_targets(votes, first_pred) if strategy == "pseudo" else votes_to_probabilities(votes)
    )
    first = MODEL_KINDS[kind].fit(
        X,
        targets,
        weight=weight,
        params=params,
        n_rounds=rounds[0],
        seed=seed,
        on_round=on_round,
        **_validation(eval_set, strategy),
    )
    fitted = FittedModel(kind, [first.model], [first.best_iteration])
    if strategy != "two_stage":
        return fitted
    return _add_second_stage(
        fitted,
        X,
        votes,
        params=params,
        seed=seed,
        n_rounds=rounds[1],
        eval_set=eval_set,
        weight=row_weight,
    )


@dataclass
class CVResult:
    """Out-of-fold predictions and scores of one model with one strategy."""

    kind: str
    strategy: str
    oof: np.ndarray  # (n_rows, 6) probabilities
    rounds: list[list[int]]  # per fold, per stage
    fold_scores: list[dict]
    seconds: float
    report: dict = field(default_factory=dict)
    first_oof: np.ndarray | None = None
    """``pseudo``: the first stage's out-of-fold predictions (the final model's first stage)."""

    def final_rounds(self) -> list[int]:
        """Round counts for the model trained on every row: per stage, the mean over the
        folds that trained that stage (0 for a second stage no fold trained)."""
        per_stage = np.array(self.rounds, dtype=float)
        out = [max(1, int(round(per_stage[:, 0].mean())))]
        if per_stage.shape[1] > 1:
            trained = per_stage[:, 1][per_stage[:, 1] > 0]
            out.append(int(round(trained.mean())) if len(trained) else 0)
        return out


def hidden_test_like_rows(votes: np.ndarray, eeg_id: np.ndarray) -> np.ndarray:
    """Rows like the hidden test's: the first row of each EEG among rows with >= 10 votes.

    Returns a boolean mask, shape (n_rows,).
    """
    reliable = np.asarray(votes).sum(axis=1) >= RELIABLE_MIN_VOTES
    idx = np.flatnonzero(reliable)
    _, first = np.unique(np.asarray(eeg_id)[idx], return_index=True)
    mask = np.zeros(len(reliable), dtype=bool)
    mask[idx[first]] = True
    return mask


def cv_report(votes: np.ndarray, pred: np.ndarray, eeg_id: np.ndarray | None = None) -> dict:
    """:func:`models.metric.kl_report` plus ``kl_test_like`` (NaN when no row qualifies)
    and ``n_test_like``: KL on one row per EEG among the >= 10-vote rows."""
    report = kl_report(votes, pred, eeg_id)
    if eeg_id is not None:
        mask = hidden_test_like_rows(votes, eeg_id)
        per_row = kl_divergence_rows(votes_to_probabilities(votes[mask]), pred[mask])
        report["kl_test_like"] = float(per_row.mean()) if mask.any() else float("nan")
        report["n_test_like"] = int(mask.sum())
    return report


def inner_split(
    train_idx: np.ndarray, patient_id: np.ndarray | None, votes: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Split training rows by patient into rows to fit and rows to stop early on.

    The stop rows are one of ``INNER_FOLDS`` patient folds of the training rows, so the
    round count is chosen on patients that are neither trained on nor scored. Without
    patient ids every row is its own patient; with fewer than 2 patients, no stop rows.
    """
    pid = train_idx if patient_id is None else np.asarray(patient_id)[train_idx]
    n_patients = len(np.unique(pid))
    if n_patients < 2:
        return train_idx, None
    inner = consensus_folds(pid, votes[train_idx], n_folds=min(INNER_FOLDS, n_patients), seed=seed)
    return train_idx[inner != 0], train_idx[inner == 0]


@dataclass(frozen=True)
class RowInfo:
    """What cross-validation needs to know about the rows besides features and votes
    (all shape ``(n_rows,)``; any may be None)."""

    eeg_id: np.ndarray | None = None
    patient_id: np.ndarray | None = None
    groups: np.ndarray | None = None
    offset_sec: np.ndarray | None = None


def _take(X: np.ndarray, rows: np.ndarray, columns: np.ndarray | None) -> np.ndarray:
    """``X[rows]`` restricted to ``columns`` (None: all), copying only what is kept."""
    return X[rows] if columns is None else X[np.ix_(rows, columns)]


def _stop_weight(rows: RowInfo, stop_idx: np.ndarray) -> np.ndarray | None:
    """Each label group of the early-stopping rows counts once (None without groups)."""
    if rows.groups is None:
        return None
    return group_weight(np.unique(rows.groups[stop_idx], return_inverse=True)[1].reshape(-1))


def _fit_fold(
    kind, X, votes, units: TrainingUnits, fit_idx, stop_idx, rows: RowInfo, select, **fit_args
):
    """One fold's model: trained on the units of the rows ``fit_idx`` (label groups applied)
    on the columns ``select`` chooses from them, stopped on ``stop_idx`` (each label group
    counted once)."""
    fit_units = units.among(fit_idx)
    columns = select(units, fit_units)
    eval_set = None
    if stop_idx is not None:
        eval_set = (_take(X, stop_idx, columns), votes[stop_idx], _stop_weight(rows, stop_idx))
    model = fit_model(
        kind,
        _take(units.X, fit_units, columns),
        units.votes[fit_units],
        eval_set=eval_set,
        row_weight=None if units.weight is None else units.weight[fit_units],
        **fit_args,
    )
    model.columns = columns
    return model


def inner_first_stage(
    kind: str,
    units: TrainingUnits,
    fit_units: np.ndarray,
    columns: np.ndarray | None,
    patient_id: np.ndarray | None,
    *,
    params: dict,
    seed: int,
    n_rounds: int,
) -> np.ndarray:
    """First-stage predictions of a fold's training units, none from a model that saw it.

    The units ``fit_units`` are split into ``PSEUDO_INNER_FOLDS`` patient folds; each inner
    fold is predicted by a ``PSEUDO_FIRST_STRATEGY`` model trained, for ``n_rounds`` rounds
    on ``columns``, on the other inner folds. Only the units given are read, so the labels of
    rows outside them (the scored fold) cannot reach the predictions.

    Returns
    -------
    array, shape (len(fit_units), n_classes)
        Probabilities (uniform where fewer than 2 patients leave nothing to hold out).
    """
    votes = units.votes[fit_units]
    row = units.row[fit_units]
    pid = row if patient_id is None else np.asarray(patient_id)[row]
    n_patients = len(np.unique(pid))
    out = np.full(votes.shape, 1.0 / votes.shape[1])
    if n_patients < 2:
        return out
    inner = consensus_folds(pid, votes, n_folds=min(PSEUDO_INNER_FOLDS, n_patients), seed=seed)
    Xf = _take(units.X, fit_units, columns)
    weight = None if units.weight is None else units.weight[fit_units]
    for j in np.unique(inner):
        held = inner == j
        model = fit_model(
            kind,
            Xf[~held],
            votes[~held],
            strategy=PSEUDO_FIRST_STRATEGY,
            params=params,
            seed=seed + int(j),
            n_rounds=max(1, n_rounds),
            row_weight=None if weight is None else weight[~held],
        )
        out[held] = model.predict(Xf[held])
    return out


def _fit_pseudo_fold(
    kind, X, votes, units: TrainingUnits, fit_idx, stop_idx, rows: RowInfo, select, **fit_args
) -> tuple[FittedModel, FittedModel]:
    """One fold's ``pseudo`` model and its first stage (a ``weighted`` fold model).

    The first stage sets the round count of the inner first-stage models
    (:func:`inner_first_stage`), whose predictions blend the targets of the low-vote training
    rows; the pseudo model then trains on those targets and stops on the stop rows' votes.
    """
    on_round = fit_args.pop("on_round", None)
    first_args = {**fit_args, "strategy": PSEUDO_FIRST_STRATEGY}
    first = _fit_fold(kind, X, votes, units, fit_idx, stop_idx, rows, select, **first_args)
    fit_units = units.among(fit_idx)
    first_pred = inner_first_stage(
        kind,
        units,
        fit_units,
        first.columns,
        rows.patient_id,
        params=fit_args["params"],
        seed=fit_args["seed"],
        n_rounds=first.rounds[0],
    )
    model = _fit_fold(
        kind,
        X,
        votes,
        units,
        fit_idx,
        stop_idx,
        rows,
        select,
        first_pred=first_pred,
        on_round=on_round,
        **fit_args,
    )
    return model, first


def _selection_strategy(strategy: str) -> str:
    """The strategy whose column choice a strategy uses (``pseudo``: its first stage's)."""
    return PSEUDO_FIRST_STRATEGY if strategy == "pseudo" else strategy


def _selection(selector: ColumnSelector | None, key, strategy: str):
    """``select(units, indices) -> columns`` for one model's training units (None: all),
    ranked on a sample of them (``models.select``)."""

    def select(units: TrainingUnits, indices: np.ndarray):
        if selector is None or not selector.active(units.X.shape[1]):
            return None
        if (known := selector.known(key)) is not None:
            return known
        sample = ranking_sample(indices, selector.seed)
        votes = units.votes[sample]
        weight = vote_weight(votes.sum(axis=1), strategy)
        weight = weight if units.weight is None else weight * units.weight[sample]
        return selector.columns(key, units.X[sample], votes_to_probabilities(votes), weight)

    return select


def cross_validate(
    kind: str,
    X: np.ndarray,
    votes: np.ndarray,
    folds: np.ndarray,
    *,
    strategy: str,
    params: dict,
    seed: int,
    eeg_id: np.ndarray | None = None,
    n_rounds: int = 1000,
    on_fold: Callable[[int, dict], None] | None = None,
    rows: RowInfo | None = None,
    group_mode: str = "none",
    selector: ColumnSelector | None = None,
) -> CVResult:
    """Out-of-fold predictions on patient folds.

    Each fold's model trains on the other folds minus an inner patient split, on which it
    stops early (so no scored row chooses its round count). ``rows`` carries the patient
    ids (inner split), label groups and offsets (``group_mode``, see ``models.groups``);
    ``selector`` (``models.select``) prunes each fold's columns on its own training rows.
    ``on_fold(fold, scores)`` runs after each fold (progress, Optuna pruning; it may raise).
    """
    start = time.perf_counter()
    rows = rows or RowInfo(eeg_id=eeg_id)
    eeg_id = rows.eeg_id if eeg_id is None else eeg_id
    oof = np.zeros((len(X), votes.shape[1]))
    rounds, fold_scores = [], []
    fold_ids = np.unique(folds)
    progress = FitProgress(kind, len(fold_ids), n_rounds)
    units = training_units(X, votes, rows.groups, group_mode, rows.offset_sec)
    first_oof = np.zeros_like(oof) if strategy == "pseudo" else None
    chooser = _selection_strategy(strategy)
    for fold in fold_ids:
        val = folds == fold
        fit_idx, stop_idx = inner_split(np.flatnonzero(~val), rows.patient_id, votes, seed)
        progress.start_fold()
        fit = _fit_pseudo_fold if strategy == "pseudo" else _fit_fold
        model = fit(
            kind,
            X,
            votes,
            units,
            fit_idx,
            stop_idx,
            rows,
            _selection(selector, (chooser, group_mode, int(fold)), chooser),
            strategy=strategy,
            params=params,
            seed=seed + int(fold),
            n_rounds=n_rounds,
            on_round=progress.on_round,
        )
        if strategy == "pseudo":
            model, first = model
            first_oof[val] = first.predict(X[val])
        progress.end_fold(sum(model.rounds))
        oof[val] = model.predict(X[val])
        scores = cv_report(votes[val], oof[val], None if eeg_id is None else eeg_id[val])
        scores["fold"] = int(fold)
        fold_scores.append(scores)
        rounds.append(model.rounds + [0] * (2 - len(model.rounds)))
        if on_fold is not None:
            on_fold(int(fold), scores)
    if strategy != "two_stage":
        rounds = [r[:1] for r in rounds]
    result = CVResult(kind, strategy, oof, rounds, fold_scores, time.perf_counter() - start)
    result.report = cv_report(votes, oof, eeg_id)
    result.first_oof = first_oof
    return result


def fit_final(
    kind: str,
    X,
    votes,
    *,
    rows: RowInfo | None,
    group_mode: str,
    selector: ColumnSelector | None = None,
    first_pred: np.ndarray | None = None,
    **fit_args,
) -> FittedModel:
    """The model on every row (label groups applied, columns pruned by ``selector`` on every
    row), for a fixed round count. ``first_pred`` (shape ``(n_rows, 6)``, ``pseudo`` only):
    the first stage's out-of-fold predictions (``CVResult.first_oof``)."""
    rows = rows or RowInfo()
    units = training_units(X, votes, rows.groups, group_mode, rows.offset_sec)
    every = np.arange(len(units.row))
    chooser = _selection_strategy(fit_args.get("strategy", DEFAULT_STRATEGY))
    columns = _selection(selector, (chooser, group_mode, "final"), chooser)(units, every)
    model = fit_model(
        kind,
        units.X if columns is None else units.X[:, columns],
        units.votes,
        row_weight=units.weight,
        first_pred=None if first_pred is None else np.asarray(first_pred)[units.row],
        **fit_args,
    )
    model.columns = columns
    return model


def per_class_kl(votes: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Mean KL contribution of each class (the terms of the per-row sum), shape (6,)."""
    return kl_terms(votes_to_probabilities(votes), pred).mean(axis=0)


def scores_by_votes(votes: np.ndarray, pred: np.ndarray, edges=(1, 3, 7, 10, 15, 1000)):
    """KL per vote-count bucket: list of (label, n_rows, kl)."""
    total = votes.sum(axis=1)
    per_row = kl_divergence_rows(votes_to_probabilities(votes), pred)
    out = []
    for lo, hi in itertools.pairwise(edges):
        mask = (total >= lo) & (total < hi)
        if mask.any():
            label = f"{lo}+" if hi >= 1000 else f"{lo}-{hi - 1}"
            out.append((label, int(mask.sum()), float(per_row[mask].mean())))
    return out
