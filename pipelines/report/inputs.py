"""What the report reads: the bundle, the train feature table and the out-of-fold predictions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.bundle import Bundle, load_bundle
from models.labels import CLASSES, VOTE_COLUMNS
from pipelines.features_stage import build_features, feature_columns
from pipelines.train_stage import latest_bundle


@dataclass
class ReportInputs:
    bundle: Bundle
    table: pd.DataFrame  # train feature table
    columns: list[str]
    oof: pd.DataFrame
    data_dir: Path
    work_dir: Path


def load_inputs(data_dir: Path, work_dir: Path, model_dir: Path | None) -> ReportInputs:
    """Load the bundle (default: the latest) and compute or read the train feature table."""
    bundle = load_bundle(model_dir or latest_bundle(work_dir))
    families = list(bundle.meta["feature_config"]["families"])
    summary = build_features(data_dir, work_dir, split="train", families=families, progress=False)
    table = pd.read_parquet(summary.table)
    columns = feature_columns(table)
    bundle.check_columns(columns)
    oof = pd.read_parquet(bundle.path / "oof.parquet")
    return ReportInputs(bundle, table, columns, oof, Path(data_dir), Path(work_dir))


def oof_probs(oof: pd.DataFrame, name: str) -> np.ndarray:
    """A model's out-of-fold probabilities, shape (n_rows, 6)."""
    return oof[[f"{name}_{c}" for c in CLASSES]].to_numpy(dtype=np.float64)


def example_rows(table: pd.DataFrame, per_class: int = 1) -> list[tuple[int, int]]:
    """(eeg_id, row index) of the most confident expert consensus per class."""
    votes = table[list(VOTE_COLUMNS)].to_numpy(dtype=float)
    share = votes.max(axis=1) / votes.sum(axis=1)
    out = []
    for k in range(len(CLASSES)):
        rows = np.flatnonzero(votes.argmax(axis=1) == k)
        order = rows[np.lexsort((-votes.sum(axis=1)[rows], -share[rows]))]
        out += [(int(table["eeg_id"].iloc[i]), int(table.index[i])) for i in order[:per_class]]
    return out
