"""What ``hms train`` writes: the bundle's metadata, ``cv.json`` and ``oof.parquet``.

Every function takes the training run ``run`` (a ``train_stage._Run``: its data, folds,
seed, parameters; not imported here, so that the stage imports this module one way).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from models.bundle import save_bundle
from models.cv import CVResult, per_class_kl, scores_by_votes
from models.labels import CLASSES, VOTE_COLUMNS
from pipelines.config import WorkLayout
from pipelines.features_stage import feature_config
from pipelines.provenance import dataset_provenance, table_provenance, update_latest


def cv_details(run, results: dict[str, CVResult], oof: dict, calibration=None) -> dict:
    """The content of ``cv.json``."""
    votes, reliable = run.data.votes, run.reliable
    return {
        "calibration": calibration,
        "per_fold": {k: r.fold_scores for k, r in results.items()},
        "per_class": {
            k: dict(zip(CLASSES, per_class_kl(votes, p), strict=True)) for k, p in oof.items()
        },
        "per_vote_bucket": {k: scores_by_votes(votes, p) for k, p in oof.items()},
        "per_class_reliable": {
            k: dict(zip(CLASSES, per_class_kl(votes[reliable], p[reliable]), strict=True))
            for k, p in oof.items()
        }
        if reliable.any()
        else {},
    }


def oof_frame(run, oof: dict) -> pd.DataFrame:
    keys = [c for c in ("eeg_id", "eeg_sub_id", "label_id", "patient_id") if c in run.data.table]
    frame = run.data.table[[*keys, *VOTE_COLUMNS]]
    frame = frame.assign(fold=run.folds)
    columns = {
        f"{name}_{c}": pred[:, j].astype(np.float32)
        for name, pred in oof.items()
        for j, c in enumerate(CLASSES)
    }
    return pd.concat([frame.reset_index(drop=True), pd.DataFrame(columns)], axis=1)


def write_bundle(work_dir, name: str, run, *, final, blend, meta, details, oof) -> Path:
    bundle_path = WorkLayout(work_dir).bundle(name)
    frame = oof_frame(run, oof)
    save_bundle(
        bundle_path,
        feature_columns=run.data.columns,
        models=final,
        blend=blend,
        meta=meta,
        extra_files={
            "cv.json": lambda p: p.write_text(json.dumps(details, indent=2, default=float)),
            "oof.parquet": lambda p: frame.to_parquet(p, index=False),
        },
    )
    if note := update_latest(work_dir, name, meta["dataset"]):
        print(note)
    return bundle_path


def bundle_provenance(run, data_dir, table) -> dict:
    """The data set a bundle was trained on: the ``--table`` given, else ``data_dir``."""
    if table is None:
        return dataset_provenance(data_dir)
    data = run.data
    return table_provenance(table, data.eeg_id, data.patient_id, data.key)


def bundle_meta(run, name: str, data_dir, families, n_folds, table=None, **extra) -> dict:
    return {
        "run": name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_dir": None if table is not None else str(Path(data_dir).resolve()),
        "dataset": bundle_provenance(run, data_dir, table),
        "feature_table": str(run.data.table_path),
        "feature_config": feature_config(families),
        "feature_config_hash": run.data.table_path.parent.name,
        "n_folds": n_folds,
        "seed": run.seed,
        "params": run.params,
        **extra,
    }


def calibration_meta(report: dict | None) -> dict | None:
    """The calibration's headline for ``bundle.json`` (the full report is in ``cv.json``)."""
    if report is None:
        return None
    return {
        "mode": report["mode"],
        "applied": report["applied"],
        "kl_test_like": {"before": report["before"]["kl"], "after": report["after"]["kl"]},
        "ece_mean": {"before": report["before"]["ece_mean"], "after": report["after"]["ece_mean"]},
        "kl_change_per_fold": report["kl_change"],
    }
