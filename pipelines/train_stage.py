"""``hms train``: patient-fold CV of CatBoost and LightGBM, baselines, blend, model bundle.

Output under the work dir::

    models/{run}/                  the bundle (models in native formats + JSON, see models.bundle)
    models/{run}/oof.parquet       out-of-fold predictions of every model, the blend, baselines
    models/{run}/cv.json           the CV table, per fold, per class, per vote bucket
    models/LATEST                  the name of the newest run
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from models.blend import fit_blend
from models.bundle import save_bundle
from models.cv import STRATEGIES, CVResult, cross_validate, fit_model, per_class_kl, scores_by_votes
from models.folds import fold_table, patient_folds
from models.gbdt import CATBOOST_DEFAULTS, LIGHTGBM_DEFAULTS
from models.labels import CLASSES, RELIABLE_MIN_VOTES, VOTE_COLUMNS
from models.metric import kl_report
from pipelines.config import WorkLayout
from pipelines.features_stage import build_features, feature_columns, feature_config
from pipelines.kaggle_io import DataError
from pipelines.provenance import dataset_provenance, update_latest
from pipelines.tune_stage import best_params, study_key

DEFAULT_STRATEGY = "weighted"
"""Chosen by CV on the demo data (see the README's training section)."""

DEFAULT_MODELS = ("lightgbm", "catboost")
STARTER_PATTERN = re.compile(r"^spec_spectrogram_(mean|min)_.*_(600s|20s)$")
"""The "starter" feature set: Kaggle spectrogram means and mins over 10 min and 20 s."""

DEFAULT_PARAMS = {"lightgbm": LIGHTGBM_DEFAULTS, "catboost": CATBOOST_DEFAULTS}


@dataclass
class TrainingData:
    table: pd.DataFrame
    columns: list[str]
    X: np.ndarray
    votes: np.ndarray
    patient_id: np.ndarray
    eeg_id: np.ndarray
    table_path: Path


def load_training_data(
    data_dir: Path, work_dir: Path, *, families=None, n_jobs: int = -1, progress: bool = True
) -> TrainingData:
    """The train feature table (computed or read from the cache)."""
    summary = build_features(
        data_dir, work_dir, split="train", families=families, n_jobs=n_jobs, progress=progress
    )
    if summary.failures:
        names = ", ".join(str(e) for e, _ in summary.failures[:5])
        print(
            f"warning: {len(summary.failures)} recording(s) have no features and are left out "
            f"of training ({names}); see {summary.table.with_name('train_failures.csv')}"
        )
    if summary.n_rows == 0:
        raise DataError(f"no train features could be computed from {data_dir}")
    table = pd.read_parquet(summary.table)
    columns = feature_columns(table)
    return TrainingData(
        table=table,
        columns=columns,
        X=table[columns].to_numpy(dtype=np.float32),
        votes=table[list(VOTE_COLUMNS)].to_numpy(dtype=np.float64),
        patient_id=table["patient_id"].to_numpy(),
        eeg_id=table["eeg_id"].to_numpy(),
        table_path=summary.table,
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
    if not path.is_file():
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


def _score_row(name: str, votes, pred, eeg_id, note: str = "") -> dict:
    report = kl_report(votes, pred, eeg_id)
    return {"model": name, **report, "note": note}


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
) -> TrainSummary:
    """Cross-validate, blend, compare with baselines, fit on every row, write the bundle."""
    start = time.perf_counter()
    data = load_training_data(
        data_dir, work_dir, families=families, n_jobs=n_jobs, progress=progress
    )
    consensus = data.votes.argmax(axis=1)
    folds = patient_folds(data.patient_id, consensus, n_folds=n_folds, seed=seed)
    reliable = data.votes.sum(axis=1) >= RELIABLE_MIN_VOTES
    log = print if progress else (lambda *a, **k: None)
    log(
        f"train: {len(data.X)} rows x {len(data.columns)} features, "
        f"{len(np.unique(data.patient_id))} patients, {n_folds} patient folds, "
        f"{int(reliable.sum())} rows with >= {RELIABLE_MIN_VOTES} votes"
    )

    key = study_key(data.table_path, n_folds, seed, strategy or DEFAULT_STRATEGY)
    params, params_source = {}, {}
    for kind in models:
        found = best_params(work_dir, storage, key, kind) if use_tuned else None
        params[kind] = found["params"] if found else dict(DEFAULT_PARAMS[kind])
        params_source[kind] = (
            {"source": "optuna", **{k: v for k, v in found.items() if k != "params"}}
            if found
            else {"source": "defaults"}
        )

    strategy_table = None
    if compare_strategies:
        rows = []
        for kind in models:
            for name in STRATEGIES:
                log(f"  comparing strategy {name} with {kind} ...")
                res = cross_validate(
                    kind,
                    data.X,
                    data.votes,
                    folds,
                    strategy=name,
                    params=params[kind],
                    seed=seed,
                    eeg_id=data.eeg_id,
                    n_rounds=max_rounds,
                )
                rows.append({"model": kind, "strategy": name, **res.report, "seconds": res.seconds})
        strategy_table = pd.DataFrame(rows)
        target = "kl_reliable" if strategy_table["kl_reliable"].notna().any() else "kl_all"
        best = strategy_table.groupby("strategy")[target].mean().idxmin()
        chosen = strategy or str(best)
    else:
        chosen = strategy or DEFAULT_STRATEGY

    results: dict[str, CVResult] = {}
    for kind in models:
        log(f"  cross-validating {kind} ({chosen}) ...")
        results[kind] = cross_validate(
            kind,
            data.X,
            data.votes,
            folds,
            strategy=chosen,
            params=params[kind],
            seed=seed,
            eeg_id=data.eeg_id,
            n_rounds=max_rounds,
            on_fold=lambda f, s, kind=kind: log(
                f"    {kind} fold {f}: KL {s['kl_all']:.4f} (>=10 votes: {s['kl_reliable']:.4f})"
            ),
        )
    oof = {kind: r.oof for kind, r in results.items()}
    blend_rows = reliable if reliable.sum() >= 20 else np.ones(len(reliable), dtype=bool)
    blend = fit_blend({k: v[blend_rows] for k, v in oof.items()}, data.votes[blend_rows])
    oof["blend"] = blend.apply(oof)

    # Baselines on the same folds.
    n = len(data.X)
    table_rows = [
        _score_row("uniform", data.votes, np.full((n, 6), 1 / 6), data.eeg_id),
        _score_row(
            "class prior",
            data.votes,
            prior_oof(data.votes, folds),
            data.eeg_id,
            "prior of the training folds",
        ),
    ]
    starter = [c for c in data.columns if STARTER_PATTERN.match(c)]
    if starter:
        idx = [data.columns.index(c) for c in starter]
        log(f"  cross-validating the starter feature set ({len(starter)} columns) ...")
        res = cross_validate(
            "lightgbm",
            data.X[:, idx],
            data.votes,
            folds,
            strategy=chosen,
            params=params.get("lightgbm", LIGHTGBM_DEFAULTS),
            seed=seed,
            eeg_id=data.eeg_id,
            n_rounds=max_rounds,
        )
        oof["starter"] = res.oof
        table_rows.append(
            _score_row(
                "starter features (lightgbm)",
                data.votes,
                res.oof,
                data.eeg_id,
                f"{len(starter)} spectrogram columns",
            )
        )
    for kind in models:
        table_rows.append(
            _score_row(
                f"{kind} (full features)",
                data.votes,
                oof[kind],
                data.eeg_id,
                f"{len(data.columns)} columns",
            )
        )
    weights = ", ".join(f"{k} {w:.2f}" for k, w in zip(blend.names, blend.weights, strict=True))
    table_rows.append(
        _score_row(
            "blend", data.votes, oof["blend"], data.eeg_id, f"{weights}; T {blend.temperature:.2f}"
        )
    )
    truth = oracle_probabilities(data_dir, data.table)
    if truth is not None:
        oof["oracle"] = truth
        table_rows.append(
            _score_row(
                "oracle (true probabilities)",
                data.votes,
                truth,
                data.eeg_id,
                "the floor a perfect model reaches",
            )
        )
    cv_table = pd.DataFrame(table_rows)

    # Final models on every row.
    final = {}
    for kind in models:
        rounds = results[kind].final_rounds()
        log(f"  fitting {kind} on every row ({' + '.join(map(str, rounds))} rounds) ...")
        final[kind] = fit_model(
            kind,
            data.X,
            data.votes,
            strategy=chosen,
            params=params[kind],
            seed=seed,
            n_rounds=rounds,
        )

    run = run or datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    bundle_path = WorkLayout(work_dir).bundle(run)
    details = {
        "per_fold": {k: r.fold_scores for k, r in results.items()},
        "per_class": {
            k: dict(zip(CLASSES, per_class_kl(data.votes, p), strict=True)) for k, p in oof.items()
        },
        "per_vote_bucket": {k: scores_by_votes(data.votes, p) for k, p in oof.items()},
        "per_class_reliable": {
            k: dict(zip(CLASSES, per_class_kl(data.votes[reliable], p[reliable]), strict=True))
            for k, p in oof.items()
        }
        if reliable.any()
        else {},
    }
    meta = {
        "run": run,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_dir": str(Path(data_dir).resolve()),
        "dataset": dataset_provenance(data_dir),
        "feature_table": str(data.table_path),
        "feature_config": feature_config(families),
        "feature_config_hash": data.table_path.parent.name,
        "strategy": chosen,
        "n_folds": n_folds,
        "seed": seed,
        "params": params,
        "params_source": params_source,
        "cv_table": cv_table.to_dict(orient="records"),
        "strategy_table": None if strategy_table is None else strategy_table.to_dict("records"),
    }
    oof_frame = data.table[["eeg_id", "eeg_sub_id", "label_id", "patient_id", *VOTE_COLUMNS]]
    oof_frame = oof_frame.assign(fold=folds)
    for name, pred in oof.items():
        for j, c in enumerate(CLASSES):
            oof_frame[f"{name}_{c}"] = pred[:, j].astype(np.float32)
    save_bundle(
        bundle_path,
        feature_columns=data.columns,
        models=final,
        blend=blend,
        meta=meta,
        extra_files={
            "cv.json": lambda p: p.write_text(json.dumps(details, indent=2, default=float)),
            "oof.parquet": lambda p: oof_frame.to_parquet(p, index=False),
        },
    )
    if note := update_latest(work_dir, run, meta["dataset"]):
        print(note)
    return TrainSummary(
        run=run,
        bundle=bundle_path,
        table=cv_table,
        strategy=chosen,
        strategy_table=strategy_table,
        seconds=time.perf_counter() - start,
        n_rows=n,
        n_reliable=int(reliable.sum()),
        n_patients=len(np.unique(data.patient_id)),
        folds=fold_table(folds, data.patient_id, consensus),
        params_source=params_source,
    )


def latest_bundle(work_dir: Path) -> Path:
    """The bundle named in ``models/LATEST``."""
    layout = WorkLayout(work_dir)
    if not layout.latest.is_file():
        raise FileNotFoundError(
            f"no trained model under {layout.models}: run `make train` (or pass --model DIR)"
        )
    return layout.bundle(layout.latest.read_text().strip())
