"""Cross-validation of soft-label models on patient folds, and the final fit.

A *strategy* says how the noisy low-vote rows are treated:
- ``plain``: every row counts the same;
- ``weighted``: rows are weighted by ``min(total_votes, 10) / 10`` (a 3-vote row counts 0.3);
- ``two_stage``: a first model on every row, then a second one on the rows with >= 10 votes
  that starts from the first one's scores (a fine-tuning pass on the reliable population).
Early stopping uses the validation fold (as is usual in Kaggle CV); the final model is
trained on every row for the mean of the folds' best round counts.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from models.gbdt import MODEL_KINDS, softmax
from models.labels import RELIABLE_MIN_VOTES, votes_to_probabilities
from models.metric import kl_divergence_rows, kl_report, kl_terms

STRATEGIES = ("plain", "weighted", "two_stage")
DEFAULT_STRATEGY = "weighted"
"""Chosen by CV on the demo data (see the README's training section)."""
SECOND_STAGE_LR_FACTOR = 0.5
PROB_FLOOR = 1e-4
"""Predictions are mixed with this much of the uniform distribution, so a class absent from
a training fold (predicted ~0) cannot cost ~34 nats on a row that has votes for it."""


def vote_weight(total_votes: np.ndarray, strategy: str) -> np.ndarray:
    """Row weights of a strategy: 1 everywhere except ``weighted``."""
    total_votes = np.asarray(total_votes, dtype=np.float64)
    if strategy == "weighted":
        return np.minimum(total_votes, RELIABLE_MIN_VOTES) / RELIABLE_MIN_VOTES
    return np.ones_like(total_votes)


@dataclass
class FittedModel:
    """One or two boosters (first stage, optional second stage) and their round counts."""

    kind: str
    stages: list  # boosters
    rounds: list[int]

    def margin(self, X: np.ndarray) -> np.ndarray:
        kind = MODEL_KINDS[self.kind]
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
    Xv, vv = eval_set
    return {"eval_set": (Xv, votes_to_probabilities(vv), vote_weight(vv.sum(axis=1), strategy))}


def _second_stage_validation(fitted: FittedModel, eval_set) -> dict | None:
    """Early-stopping arguments of a second stage: its reliable validation rows, which start
    from the first stage's scores; None when there are too few of them."""
    if eval_set is None:
        return {}
    Xv, vv = eval_set
    keep = vv.sum(axis=1) >= RELIABLE_MIN_VOTES
    if keep.sum() < 5:
        return None
    return {
        "eval_set": (Xv[keep], votes_to_probabilities(vv[keep]), None),
        "eval_init_margin": fitted.margin(Xv[keep]),
    }


def _add_second_stage(
    fitted: FittedModel, X, votes, *, params: dict, seed: int, n_rounds: int, eval_set
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
    eval_set: tuple[np.ndarray, np.ndarray] | None = None,
) -> FittedModel:
    """Fit one model with a strategy. ``eval_set`` = (X_val, votes_val) enables early
    stopping; without it, ``n_rounds`` (one count per stage) is used as given."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
    rounds = [n_rounds] * 2 if isinstance(n_rounds, int) else list(n_rounds)
    first = MODEL_KINDS[kind].fit(
        X,
        votes_to_probabilities(votes),
        weight=vote_weight(votes.sum(axis=1), strategy),
        params=params,
        n_rounds=rounds[0],
        seed=seed,
        **_validation(eval_set, strategy),
    )
    fitted = FittedModel(kind, [first.model], [first.best_iteration])
    if strategy != "two_stage":
        return fitted
    return _add_second_stage(
        fitted, X, votes, params=params, seed=seed, n_rounds=rounds[1], eval_set=eval_set
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

    def final_rounds(self) -> list[int]:
        """Round counts for the model trained on every row: per stage, the mean over the
        folds that trained that stage (0 for a second stage no fold trained)."""
        per_stage = np.array(self.rounds, dtype=float)
        out = [max(1, int(round(per_stage[:, 0].mean())))]
        if per_stage.shape[1] > 1:
            trained = per_stage[:, 1][per_stage[:, 1] > 0]
            out.append(int(round(trained.mean())) if len(trained) else 0)
        return out


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
) -> CVResult:
    """Out-of-fold predictions on patient folds; ``on_fold(fold, scores)`` after each fold
    (for progress and for Optuna pruning, which may raise to stop early)."""
    start = time.perf_counter()
    oof = np.zeros((len(X), votes.shape[1]))
    rounds, fold_scores = [], []
    for fold in np.unique(folds):
        val = folds == fold
        model = fit_model(
            kind,
            X[~val],
            votes[~val],
            strategy=strategy,
            params=params,
            seed=seed + int(fold),
            n_rounds=n_rounds,
            eval_set=(X[val], votes[val]),
        )
        oof[val] = model.predict(X[val])
        scores = kl_report(votes[val], oof[val], None if eeg_id is None else eeg_id[val])
        scores["fold"] = int(fold)
        fold_scores.append(scores)
        rounds.append(model.rounds + [0] * (2 - len(model.rounds)))
        if on_fold is not None:
            on_fold(int(fold), scores)
    if strategy != "two_stage":
        rounds = [r[:1] for r in rounds]
    result = CVResult(kind, strategy, oof, rounds, fold_scores, time.perf_counter() - start)
    result.report = kl_report(votes, oof, eeg_id)
    return result


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
