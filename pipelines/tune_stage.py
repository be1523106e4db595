"""``hms tune``: Optuna tunes each model on the same patient folds as ``hms train``.

The study lives in a database: SQLite under the work dir by default
(``tuning/optuna.db``), or any SQLAlchemy URL given with ``--storage`` so several machines
can share one study. ``--n-trials N`` runs until the study holds N finished trials, so an
interrupted study resumes where it stopped. The sampler is a seeded TPE (its seed moves on
with the number of trials already in the study, so a resumed study does not repeat its
first proposals); a median pruner stops trials whose first folds are already bad.
"""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.cv import DEFAULT_GROUPS, DEFAULT_STRATEGY, cross_validate
from models.gbdt import CATBOOST_DEFAULTS, LIGHTGBM_DEFAULTS
from models.select import DEFAULT_MAX_FEATURES, ColumnSelector
from pipelines.config import WorkLayout
from pipelines.training_data import TrainingData, load_table, load_training_data

TARGET = "kl_reliable"
"""Trials minimise the out-of-fold KL on rows with >= 10 votes (all rows if there are none)."""


def default_db(work_dir: Path) -> Path:
    return WorkLayout(Path(work_dir).resolve()).tuning / "optuna.db"


def default_storage(work_dir: Path) -> str:
    path = default_db(work_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def study_key(
    data_key: str, n_folds: int, seed: int, strategy: str, groups: str, max_features=None
) -> str:
    """What a study's trials are comparable under: the data set and feature configuration
    (``TrainingData.key``), the folds, the strategy, the label-group mode and the column
    pruning (``{data}-{hash}_{config}_f{folds}s{seed}_{strategy}_g{groups}[_k{max_features}]``;
    no ``_k`` part when every column is kept)."""
    pruned = f"_k{max_features}" if max_features else ""
    return f"{data_key}_f{n_folds}s{seed}_{strategy}_g{groups}{pruned}"


def study_name(key: str, kind: str) -> str:
    return f"{key}_{kind}"


def suggest(trial, kind: str) -> dict:
    """The search space of each model, around its defaults."""
    if kind == "lightgbm":
        return {
            **LIGHTGBM_DEFAULTS,
            "learning_rate": trial.suggest_float("learning_rate", 0.02, 0.15, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 7, 63, log=True),
            "min_data_in_leaf": trial.suggest_int("min_data_in_leaf", 5, 100, log=True),
            "feature_fraction": trial.suggest_float("feature_fraction", 0.05, 0.6),
            "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 30.0, log=True),
        }
    if kind == "catboost":
        return {
            **CATBOOST_DEFAULTS,
            "learning_rate": trial.suggest_float("learning_rate", 0.05, 0.3, log=True),
            "depth": trial.suggest_int("depth", 3, 7),
            "l2_leaf_reg": trial.suggest_float("l2_leaf_reg", 0.3, 30.0, log=True),
        }
    raise ValueError(f"unknown model kind {kind!r}")


def _fold_target(scores: dict) -> float:
    value = scores.get(TARGET, float("nan"))
    return scores["kl_all"] if not np.isfinite(value) else value


HEARTBEAT_SEC = 10
"""A running trial records a heartbeat this often; one silent for ``GRACE_SEC`` was killed."""
GRACE_SEC = 60


def heartbeat_storage(url: str):
    """The study database with trial heartbeats: a trial whose process was killed is marked
    FAIL when the study resumes (at opening, and before each new trial), not left RUNNING."""
    import optuna

    with warnings.catch_warnings():  # heartbeats are "experimental" since Optuna 2.9
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(
            url, heartbeat_interval=HEARTBEAT_SEC, grace_period=GRACE_SEC
        )


def open_study(storage: str, name: str, seed: int, *, create: bool = True):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = heartbeat_storage(storage) if isinstance(storage, str) else storage
    if not create:
        return optuna.load_study(study_name=name, storage=storage)
    existing = 0
    try:
        existing = len(optuna.load_study(study_name=name, storage=storage).trials)
    except KeyError:
        pass
    study = optuna.create_study(
        study_name=name,
        storage=storage,
        direction="minimize",
        load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=seed + existing, n_startup_trials=5),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    return study


@dataclass
class TuneSummary:
    kind: str
    study: str
    storage: str
    n_finished: int
    n_run_now: int
    best_value: float | None
    best_params: dict | None
    seconds: float


def _objective(
    data: TrainingData,
    folds: np.ndarray,
    kind: str,
    *,
    strategy,
    seed,
    max_rounds,
    groups,
    selector: ColumnSelector,
):
    """The Optuna objective of one model: out-of-fold KL, reported fold by fold for pruning.
    Every trial trains on the columns ``selector`` chose for each fold (chosen once)."""
    import optuna

    rows = data.rows()

    def objective(trial) -> float:
        params = suggest(trial, kind)
        seen: list[float] = []

        def on_fold(fold: int, scores: dict) -> None:
            seen.append(_fold_target(scores))
            trial.report(float(np.mean(seen)), step=fold)
            if trial.should_prune():
                raise optuna.TrialPruned()

        result = cross_validate(
            kind,
            data.X,
            data.votes,
            folds,
            strategy=strategy,
            params=params,
            seed=seed,
            eeg_id=data.eeg_id,
            on_fold=on_fold,
            n_rounds=max_rounds,
            rows=rows,
            group_mode=groups,
            selector=selector,
        )
        trial.set_user_attr("kl_all", result.report["kl_all"])
        trial.set_user_attr("rounds", result.final_rounds())
        return _fold_target(result.report)

    return objective


def _stop_at(n_trials: int):
    """Stop this process once the study's finished trials plus those running elsewhere reach
    ``n_trials``: processes sharing one study (one storage URL) finish N between them."""
    import optuna

    states = (
        optuna.trial.TrialState.COMPLETE,
        optuna.trial.TrialState.PRUNED,
        optuna.trial.TrialState.FAIL,
        optuna.trial.TrialState.RUNNING,
    )
    return optuna.study.MaxTrialsCallback(n_trials, states=states)


def _n_finished(study) -> int:
    return len([t for t in study.trials if t.state.is_finished()])


def _summary(study, kind: str, storage: str, n_before: int, start: float) -> TuneSummary:
    import optuna

    finished = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = study.best_trial if finished else None
    n_finished = _n_finished(study)
    return TuneSummary(
        kind=kind,
        study=study.study_name,
        storage=storage,
        n_finished=n_finished,
        n_run_now=n_finished - n_before,
        best_value=None if best is None else best.value,
        best_params=None if best is None else suggest_fixed(best, kind),
        seconds=time.perf_counter() - start,
    )


def tune(
    data_dir: Path,
    work_dir: Path,
    *,
    kinds: tuple[str, ...] = ("lightgbm", "catboost"),
    n_trials: int = 20,
    n_folds: int = 5,
    seed: int = 0,
    strategy: str | None = None,
    storage: str | None = None,
    families=None,
    n_jobs: int = -1,
    timeout_s: float | None = None,
    max_rounds: int = 1000,
    progress: bool = True,
    table: Path | None = None,
    groups: str = DEFAULT_GROUPS,
    max_features: int | None = DEFAULT_MAX_FEATURES,
) -> list[TuneSummary]:
    """Run each model's study until it holds ``n_trials`` finished trials, counted over
    every process that shares the study (see :func:`_stop_at`)."""
    if table is not None:
        data = load_table(table)
    else:
        data = load_training_data(
            data_dir, work_dir, families=families, n_jobs=n_jobs, progress=progress
        )
    folds = data.folds(n_folds, seed)
    storage = storage or default_storage(work_dir)
    strategy = strategy or DEFAULT_STRATEGY
    key = study_key(data.key, n_folds, seed, strategy, groups, max_features)
    selector = ColumnSelector(max_features or None, seed)
    out = []
    for kind in kinds:
        start = time.perf_counter()
        study = open_study(storage, study_name(key, kind), seed)
        n_before = _n_finished(study)
        remaining = max(0, n_trials - n_before)
        if remaining:
            objective = _objective(
                data,
                folds,
                kind,
                strategy=strategy,
                seed=seed,
                max_rounds=max_rounds,
                groups=groups,
                selector=selector,
            )
            study.optimize(
                objective,
                n_trials=remaining,
                timeout=timeout_s,
                callbacks=[_stop_at(n_trials)],
                show_progress_bar=progress and sys.stderr.isatty(),
            )
        out.append(_summary(study, kind, storage, n_before, start))
    return out


def suggest_fixed(trial, kind: str) -> dict:
    """The full parameter dict of a finished trial (defaults + its suggestions)."""
    defaults = LIGHTGBM_DEFAULTS if kind == "lightgbm" else CATBOOST_DEFAULTS
    return {**defaults, **trial.params}


def best_params(work_dir: Path, storage: str | None, key: str, kind: str) -> dict | None:
    """``{"params", "study", "trial", "value", "storage"}`` of a study's best trial, or None
    when there is no study (or no finished trial) for this data set and model."""
    if storage is None:
        if not default_db(work_dir).is_file():
            return None
        storage = default_storage(work_dir)
    name = study_name(key, kind)
    try:
        study = open_study(storage, name, 0, create=False)
    except KeyError:
        return None
    try:
        best = study.best_trial
    except ValueError:
        return None
    return {
        "params": suggest_fixed(best, kind),
        "study": name,
        "trial": best.number,
        "value": best.value,
        "storage": storage,
    }
