"""The training table and its folds, shared by ``hms train`` and ``hms tune``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.cv import RowInfo
from models.folds import consensus_folds
from models.groups import label_groups
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
    key: str = ""
    """What tuning studies of this table are keyed by (data set and feature configuration)."""

    @property
    def offset_sec(self) -> np.ndarray | None:
        column = "eeg_label_offset_seconds"
        return self.table[column].to_numpy(dtype=np.float64) if column in self.table else None

    def rows(self) -> RowInfo:
        """Patients, EEGs, label groups and offsets for cross-validation."""
        offset = self.offset_sec
        return RowInfo(
            eeg_id=self.eeg_id,
            patient_id=self.patient_id,
            groups=label_groups(self.eeg_id, self.votes, offset),
            offset_sec=offset,
        )

    def folds(self, n_folds: int, seed: int) -> np.ndarray:
        """Patient folds balanced on the consensus, shape ``(n_rows,)``."""
        return consensus_folds(self.patient_id, self.votes, n_folds=n_folds, seed=seed)


def training_data_from_table(
    table: pd.DataFrame, table_path: Path, key: str | None = None
) -> TrainingData:
    """Arrays of a feature table (its feature columns in the table's order)."""
    columns = feature_columns(table)
    table_path = Path(table_path)
    return TrainingData(
        table=table,
        columns=columns,
        X=table[columns].to_numpy(dtype=np.float32),
        votes=table[list(VOTE_COLUMNS)].to_numpy(dtype=np.float64),
        patient_id=table["patient_id"].to_numpy(),
        eeg_id=table["eeg_id"].to_numpy(),
        table_path=table_path,
        key=key or f"{table_path.parent.parent.name}_{table_path.parent.name}",
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


REQUIRED_COLUMNS = ("eeg_id", "patient_id", *VOTE_COLUMNS)


def _file_key(path: Path) -> str:
    """A table file's study key: its name and a hash of its size and first megabyte."""
    with path.open("rb") as f:
        head = f.read(1 << 20)
    digest = hashlib.sha256(head + str(path.stat().st_size).encode()).hexdigest()[:10]
    return f"table-{path.stem}-{digest}"


def check_table(table: pd.DataFrame, path: Path) -> None:
    """Raise DataError naming the file (and row) unless ``table`` can be trained on."""
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)}; a training table needs eeg_id, "
            f"patient_id and the six vote columns ({', '.join(VOTE_COLUMNS)})"
        )
    if not feature_columns(table):
        raise DataError(f"{path}: no feature columns besides the key and vote columns")
    votes = table[list(VOTE_COLUMNS)].to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(votes).all(axis=1) | (votes < 0).any(axis=1))
    bad = bad if len(bad) else np.flatnonzero(votes.sum(axis=1) <= 0)
    if len(bad):
        raise DataError(
            f"{path}: row {int(bad[0])} (eeg_id {table['eeg_id'].iloc[bad[0]]}) has no usable "
            "votes (they must be finite, non-negative, with a positive sum)"
        )
    if table["patient_id"].isna().any():
        row = int(np.flatnonzero(table["patient_id"].isna().to_numpy())[0])
        raise DataError(f"{path}: row {row} has no patient_id (patient folds need one)")


def load_table(path: Path) -> TrainingData:
    """A feature table from anywhere (``--table``): the features stage's key and vote
    columns, any feature columns."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such feature table")
    try:
        table = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types for a non-parquet file
        raise DataError(f"{path}: not a readable parquet table ({err})") from err
    check_table(table, path)
    return training_data_from_table(table, path, key=_file_key(path))
