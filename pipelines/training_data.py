"""The training table and its folds, shared by ``hms train`` and ``hms tune``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.folds import consensus_folds
from models.labels import VOTE_COLUMNS
from pipelines.features_stage import build_features, feature_columns
from pipelines.kaggle_io import DataError


@dataclass
class TrainingData:
    """A train feature table as arrays.

    ``X`` is ``(n_rows, n_features)`` float32, ``votes`` ``(n_rows, 6)`` vote counts,
    ``patient_id`` and ``eeg_id`` ``(n_rows,)``.
    """

    table: pd.DataFrame
    columns: list[str]
    X: np.ndarray
    votes: np.ndarray
    patient_id: np.ndarray
    eeg_id: np.ndarray
    table_path: Path

    def folds(self, n_folds: int, seed: int) -> np.ndarray:
        """Patient folds balanced on the consensus, shape ``(n_rows,)``."""
        return consensus_folds(self.patient_id, self.votes, n_folds=n_folds, seed=seed)


def training_data_from_table(table: pd.DataFrame, table_path: Path) -> TrainingData:
    """Arrays of a feature table (its feature columns in the table's order)."""
    columns = feature_columns(table)
    return TrainingData(
        table=table,
        columns=columns,
        X=table[columns].to_numpy(dtype=np.float32),
        votes=table[list(VOTE_COLUMNS)].to_numpy(dtype=np.float64),
        patient_id=table["patient_id"].to_numpy(),
        eeg_id=table["eeg_id"].to_numpy(),
        table_path=Path(table_path),
    )


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
    return training_data_from_table(pd.read_parquet(summary.table), summary.table)
