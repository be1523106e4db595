"""``hms train``: patient-fold CV of CatBoost and LightGBM, baselines, blend, model bundle.

Output under the work dir::

    models/{run}/                  the bundle (models in native formats + JSON, see models.bundle)
    models/{run}/oof.parquet       out-of-fold predictions of every model, the blend, baselines
    models/{run}/cv.json           the CV table, per fold, per class, per vote bucket
    models/LATEST                  the name of the newest run
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features.naming import parse_column
from models.blend import CALIBRATIONS, DEFAULT_CALIBRATION, Blend, blend_out_of_fold
from models.calibration import calibration_report
from models.cv import (
    DEFAULT_GROUPS,
    DEFAULT_STRATEGY,
    STRATEGIES,
    CVResult,
    RowInfo,
    cross_validate,
    cv_report,
    fit_final,
    hidden_test_like_rows,
)
from models.folds import fold_table
from models.gbdt import CATBOOST_DEFAULTS, LIGHTGBM_DEFAULTS
from models.labels import CLASSES, RELIABLE_MIN_VOTES
from models.select import DEFAULT_MAX_FEATURES, ColumnSelector
from pipelines.config import WorkLayout
from pipelines.files import unique_run_dir
from pipelines.train_outputs import bundle_meta, calibration_meta, cv_details, write_bundle
from pipelines.training_data import TrainingData, load_table, load_training_data
from pipelines.tune_stage import best_params, study_key

logger = logging.getLogger(__name__)

DEFAULT_MODELS = ("lightgbm", "catboost")
DEFAULT_PARAMS = {"lightgbm": LIGHTGBM_DEFAULTS, "catboost": CATBOOST_DEFAULTS}
MEASURED_CALIBRATION = "both"
"""The calibration the report measures when none is applied (``--calibration none``)."""


def is_starter_column(name: str) -> bool:
    """The "starter" feature set: Kaggle spectrogram means and mins over 10 min and 20 s."""
    try:
        col = parse_column(name)
    except ValueError:
        return False
    return (
        col.source == "spec"
        and col.family == "spectrogram"
        and col.feature.split("_")[0] in ("mean", "min")
        and col.scale in ("600s", "20s")
    )


def prior_oof(votes: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Class-prior baseline, the prior taken from the training folds only."""
    out = np.zeros_like(votes, dtype=np.float64)
    probs = votes / votes.sum(axis=1, keepdims=True)
    for fold in np.unique(folds):
        val = folds == fold
        out[val] = probs[~val].mean(axis=0)
    return out


def oracle_probabilities(data_dir: Path, table: pd.DataFrame) -> np.ndarray | None:
    """The true probabilities of a generated data set (``demo_truth.csv``), row-aligned."""
    path = Path(data_dir) / "demo_truth.csv"
    if not path.is_file() or "label_id" not in table:
        return None
    truth = pd.read_csv(path)
    truth = truth[truth["split"] == "train"].dropna(subset=["label_id"])
    truth["label_id"] = truth["label_id"].astype("int64")
    columns = [f"{c}_prob" for c in CLASSES]
    merged = table[["label_id"]].merge(truth[["label_id", *columns]], on="label_id", how="left")
    if merged[columns].isna().any().any():
        return None
    return merged[columns].to_numpy()


@dataclass
class TrainSummary:
    run: str
    bundle: Path
    table: pd.DataFrame  # the CV table
    strategy: str
    strategy_table: pd.DataFrame | None
    seconds: float
    n_rows: int
    n_reliable: int
    n_patients: int
    folds: pd.DataFrame
    params_source: dict = field(default_factory=dict)
    calibration: dict | None = None
    """:func:`models.calibration.calibration_report` of the blend's calibration, with ``mode`` and
    ``applied`` (None without EEG ids)."""


def _score_row(name: str, votes, pred, eeg_id, note: str = "") -> dict:
    report = cv_report(votes, pred, eeg_id)
    return {"model": name, **report, "note": note}


@dataclass
class _Run:
    """What every step of one training run shares."""

    data: TrainingData
    folds: np.ndarray
    reliable: np.ndarray
    params: dict
    seed: int
    max_rounds: int
    log: Callable
    rows: RowInfo
    group_mode: str = DEFAULT_GROUPS
    selector: ColumnSelector | None = None
    calibration: str = DEFAULT_CALIBRATION

    def cv(self, kind: str, strategy: str, X=None, params=None, on_fold=None) -> CVResult:
        """Cross-validate on the full table (columns pruned by the run's selector) or on the
        columns ``X`` given (none pruned)."""
        return cross_validate(
            kind,
            self.data.X if X is None else X,
            self.data.votes,
            self.folds,
            strategy=strategy,
            params=self.params[kind] if params is None else params,
            seed=self.seed,
            eeg_id=self.data.eeg_id,
            n_rounds=self.max_rounds,
            on_fold=on_fold,
            rows=self.rows,
            group_mode=self.group_mode,
            selector=self.selector if X is None else None,
        )


def _resolve_params(work_dir, storage, key: str, models, use_tuned: bool) -> tuple[dict, dict]:
    """Each model's parameters (the best tuned trial, else the defaults) and their source."""
    params, source = {}, {}
    for kind in models:
        found = best_params(work_dir, storage, key, kind) if use_tuned else None
        params[kind] = found["params"] if found else dict(DEFAULT_PARAMS[kind])
        source[kind] = (
            {"source": "optuna", **{k: v for k, v in found.items() if k != "params"}}
            if found
            else {"source": "defaults"}
        )
    return params, source


def _compare_strategies(run: _Run, models) -> pd.DataFrame:
    rows = []
    for kind in models:
        for name in STRATEGIES:
            run.log(f"  comparing strategy {name} with {kind} ...")
            res = run.cv(kind, name)
            rows.append({"model": kind, "strategy": name, **res.report, "seconds": res.seconds})
    return pd.DataFrame(rows)


def _choose_strategy(strategy_table: pd.DataFrame | None, strategy: str | None) -> str:
    if strategy_table is None:
        return strategy or DEFAULT_STRATEGY
    # the headline (one row per EEG with >= 10 votes), else the next most test-like column
    target = next(
        (c for c in ("kl_test_like", "kl_reliable") if strategy_table[c].notna().any()), "kl_all"
    )
    best = strategy_table.groupby("strategy")[target].mean().idxmin()
    return strategy or str(best)


def _cross_validate_models(run: _Run, models, strategy: str) -> dict[str, CVResult]:
    results = {}
    for kind in models:
        run.log(f"  cross-validating {kind} ({strategy}) ...")
        results[kind] = run.cv(
            kind,
            strategy,
            on_fold=lambda f, s, kind=kind: run.log(
                f"    {kind} fold {f}: KL {s['kl_all']:.4f} (>=10 votes: {s['kl_reliable']:.4f})"
            ),
        )
    return results


@dataclass
class _Blended:
    """The blend of a run: out-of-fold predictions, the bundle's blend, the calibration."""

    oof: np.ndarray
    blend: Blend
    calibration: dict | None = None
    other: tuple[str, np.ndarray] | None = None
    """The blend's predictions the other way, for ``oof.parquet``: ``calibrated`` when the
    calibration is only measured, ``uncalibrated`` when it is applied (names without
    ``blend_``, so the ``blend_*`` columns stay the blend's six probabilities)."""


def _blend(run: _Run, oof: dict[str, np.ndarray]) -> _Blended:
    """Nested: each fold blended with weights fitted on the other folds' >= 10-vote rows.

    The calibration (``models.blend.calibrate_blend``) is fitted, nested the same way, on the
    other folds' test-like rows (``models.cv.hidden_test_like_rows``). With
    ``run.calibration`` ``none`` it is measured (``MEASURED_CALIBRATION``) for the report
    only; otherwise the blend, its CV row and the bundle are the calibrated ones.
    """
    data = run.data
    plain_oof, plain = blend_out_of_fold(oof, data.votes, run.folds, run.reliable)
    if data.eeg_id is None:
        return _Blended(plain_oof, plain)
    applied = run.calibration != "none"
    mode = run.calibration if applied else MEASURED_CALIBRATION
    cal_oof, cal = blend_out_of_fold(
        oof,
        data.votes,
        run.folds,
        run.reliable,
        calibration=mode,
        calibration_rows=hidden_test_like_rows(data.votes, data.eeg_id),
    )
    report = calibration_report(data.votes, data.eeg_id, run.folds, plain_oof, cal_oof)
    report = {"mode": mode, "applied": applied, **report}
    if applied:
        return _Blended(cal_oof, cal, report, ("uncalibrated", plain_oof))
    return _Blended(plain_oof, plain, report, ("calibrated", cal_oof))


def _baseline_rows(run: _Run) -> list[dict]:
    data, n = run.data, len(run.data.X)
    return [
        _score_row("uniform", data.votes, np.full((n, 6), 1 / 6), data.eeg_id),
        _score_row(
            "class prior",
            data.votes,
            prior_oof(data.votes, run.folds),
            data.eeg_id,
            "prior of the training folds",
        ),
    ]


def _starter(run: _Run, strategy: str) -> tuple[dict, np.ndarray] | None:
    """The CV row and out-of-fold predictions of LightGBM on the starter columns."""
    idx = [i for i, c in enumerate(run.data.columns) if is_starter_column(c)]
    if not idx:
        return None
    run.log(f"  cross-validating the starter feature set ({len(idx)} columns) ...")
    params = run.params.get("lightgbm", LIGHTGBM_DEFAULTS)
    res = run.cv("lightgbm", strategy, X=run.data.X[:, idx], params=params)
    row = _score_row(
        "starter features (lightgbm)",
        run.data.votes,
        res.oof,
        run.data.eeg_id,
        f"{len(idx)} spectrogram columns",
    )
    return row, res.oof


def _columns_note(run: _Run) -> str:
    n = len(run.data.columns)
    if run.selector is not None and run.selector.active(n):
        return f"{run.selector.max_features} of {n} columns, chosen per fold"
    return f"{n} columns"


def _model_rows(run: _Run, models, oof: dict, blend: Blend, truth) -> list[dict]:
    data = run.data
    rows = [
        _score_row(
            f"{kind} (full features)", data.votes, oof[kind], data.eeg_id, _columns_note(run)
        )
        for kind in models
    ]
    weights = ", ".join(f"{k} {w:.2f}" for k, w in zip(blend.names, blend.weights, strict=True))
    note = f"{weights}; T {blend.temperature:.2f} (fitted out of fold)"
    if run.calibration != "none":
        note += f"; calibrated ({run.calibration}) on the test-like rows, out of fold"
    if blend.bias is not None:
        shift = ", ".join(f"{c} {b:+.2f}" for c, b in zip(CLASSES, blend.bias, strict=True))
        note += f", bias {shift}"
    rows.append(_score_row("blend", data.votes, oof["blend"], data.eeg_id, note))
    if truth is not None:
        rows.append(
            _score_row(
                "oracle (true probabilities)",
                data.votes,
                truth,
                data.eeg_id,
                "the floor a perfect model reaches",
            )
        )
    return rows


def _final_fits(run: _Run, results: dict[str, CVResult], strategy: str) -> dict:
    final = {}
    for kind, result in results.items():
        rounds = result.final_rounds()
        run.log(f"  fitting {kind} on every row ({' + '.join(map(str, rounds))} rounds) ...")
        final[kind] = fit_final(
            kind,
            run.data.X,
            run.data.votes,
            rows=run.rows,
            group_mode=run.group_mode,
            selector=run.selector,
            strategy=strategy,
            params=run.params[kind],
            seed=run.seed,
            n_rounds=rounds,
            first_pred=result.first_oof,
        )
    return final


def _describe(run: _Run, n_folds: int) -> None:
    data = run.data
    run.log(
        f"train: {len(data.X)} rows x {len(data.columns)} features, "
        f"{len(np.unique(data.patient_id))} patients, {n_folds} patient folds, "
        f"{int(run.reliable.sum())} rows with >= {RELIABLE_MIN_VOTES} votes"
    )
    if run.selector is not None and run.selector.active(len(data.columns)):
        run.log(
            f"  each model keeps the {run.selector.max_features} columns a quick LightGBM "
            "ranks highest on its own training rows (--max-features)"
        )


def _score_table(ctx: _Run, models, results: dict[str, CVResult], strategy: str, data_dir):
    """Out-of-fold predictions of every model, baseline and the blend; the blend; the CV table.
    ``data_dir`` (None for a ``--table``) may hold the true probabilities (generated data)."""
    oof = {kind: r.oof for kind, r in results.items()}
    blended = _blend(ctx, oof)
    oof["blend"] = blended.oof
    table_rows = _baseline_rows(ctx)
    starter = _starter(ctx, strategy)
    if starter is not None:
        table_rows.append(starter[0])
        oof["starter"] = starter[1]
    truth = None if data_dir is None else oracle_probabilities(data_dir, ctx.data.table)
    table_rows += _model_rows(ctx, models, oof, blended.blend, truth)
    if truth is not None:
        oof["oracle"] = truth
    if blended.other is not None:
        oof[blended.other[0]] = blended.other[1]
    return oof, blended, pd.DataFrame(table_rows)


def _make_run(
    data: TrainingData,
    params: dict,
    *,
    n_folds,
    seed,
    max_rounds,
    progress,
    groups,
    max_features,
    calibration=DEFAULT_CALIBRATION,
) -> _Run:
    """What the steps of one training run share: folds, parameters, label groups, pruning."""
    return _Run(
        data=data,
        folds=data.folds(n_folds, seed),
        reliable=data.votes.sum(axis=1) >= RELIABLE_MIN_VOTES,
        params=params,
        seed=seed,
        max_rounds=max_rounds,
        log=logger.info if progress else (lambda *a, **k: None),
        rows=data.rows(),
        group_mode=groups,
        selector=ColumnSelector(max_features or None, seed),
        calibration=calibration,
    )


def _load(table, data_dir, work_dir, **features_args) -> TrainingData:
    """The ``--table`` given, else the train features of ``data_dir``."""
    if table is not None:
        return load_table(table)
    return load_training_data(data_dir, work_dir, **features_args)


def train(
    data_dir: Path,
    work_dir: Path,
    *,
    models: tuple[str, ...] = DEFAULT_MODELS,
    strategy: str | None = None,
    compare_strategies: bool = False,
    n_folds: int = 5,
    seed: int = 0,
    families=None,
    n_jobs: int = -1,
    storage: str | None = None,
    use_tuned: bool = True,
    run: str | None = None,
    max_rounds: int = 1000,
    progress: bool = True,
    table: Path | None = None,
    groups: str = DEFAULT_GROUPS,
    max_features: int | None = DEFAULT_MAX_FEATURES,
    calibration: str = DEFAULT_CALIBRATION,
) -> TrainSummary:
    """Cross-validate, blend, compare with baselines, fit on every row, write the bundle.

    ``table`` trains on that feature table instead of the features of ``data_dir``;
    ``groups`` says how repeated windows of one label count (``models.groups``);
    ``max_features`` prunes each model to that many columns (``models.select``; 0 or None
    keeps every column); ``calibration`` (``models.blend.CALIBRATIONS``) is what the blend
    refits on the test-like rows (``none``: measured for the report, not applied).
    """
    if calibration not in CALIBRATIONS:
        raise ValueError(f"unknown calibration {calibration!r}; known: {', '.join(CALIBRATIONS)}")
    start = time.perf_counter()
    data = _load(table, data_dir, work_dir, families=families, n_jobs=n_jobs, progress=progress)
    key = study_key(data.key, n_folds, seed, strategy or DEFAULT_STRATEGY, groups, max_features)
    params, params_source = _resolve_params(work_dir, storage, key, models, use_tuned)
    ctx = _make_run(
        data,
        params,
        n_folds=n_folds,
        seed=seed,
        max_rounds=max_rounds,
        progress=progress,
        groups=groups,
        max_features=max_features,
        calibration=calibration,
    )
    _describe(ctx, n_folds)
    strategy_table = _compare_strategies(ctx, models) if compare_strategies else None
    chosen = _choose_strategy(strategy_table, strategy)
    results = _cross_validate_models(ctx, models, chosen)
    oof, blended, cv_table = _score_table(
        ctx, models, results, chosen, data_dir if table is None else None
    )
    final = _final_fits(ctx, results, chosen)
    # A new folder per run, created atomically: two runs never share (and overwrite) one.
    run = run or unique_run_dir(WorkLayout(work_dir).models).name
    meta = bundle_meta(
        ctx,
        run,
        data_dir,
        families,
        n_folds,
        table=table,
        strategy=chosen,
        groups=groups,
        max_features=max_features or None,
        calibration=calibration_meta(blended.calibration),
        params_source=params_source,
        cv_table=cv_table.to_dict(orient="records"),
        strategy_table=None if strategy_table is None else strategy_table.to_dict("records"),
    )
    details = cv_details(ctx, results, oof, blended.calibration)
    bundle_path = write_bundle(
        work_dir, run, ctx, final=final, blend=blended.blend, meta=meta, details=details, oof=oof
    )
    return _summary(
        ctx, run, bundle_path, cv_table, chosen, strategy_table, params_source, start, blended
    )


def _summary(ctx: _Run, run, bundle_path, cv_table, chosen, strategy_table, source, start, blended):
    data = ctx.data
    return TrainSummary(
        run=run,
        bundle=bundle_path,
        table=cv_table,
        strategy=chosen,
        strategy_table=strategy_table,
        seconds=time.perf_counter() - start,
        n_rows=len(data.X),
        n_reliable=int(ctx.reliable.sum()),
        n_patients=len(np.unique(data.patient_id)),
        folds=fold_table(ctx.folds, data.patient_id, data.votes.argmax(axis=1)),
        params_source=source,
        calibration=blended.calibration,
    )


def latest_bundle(work_dir: Path) -> Path:
    """The bundle named in ``models/LATEST``."""
    layout = WorkLayout(work_dir)
    if not layout.latest.is_file():
        raise FileNotFoundError(
            f"no trained model under {layout.models}: run `make train` (or pass --model DIR)"
        )
    return layout.bundle(layout.latest.read_text().strip())
