"""What the report reads: the bundle, the train feature table, the out-of-fold predictions,
and where the data came from."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.bundle import Bundle, load_bundle
from models.labels import CLASSES, VOTE_COLUMNS
from pipelines.features_stage import build_features, feature_columns
from pipelines.provenance import bundle_for_data, dataset_provenance, mismatch_warning


@dataclass
class ReportInputs:
    bundle: Bundle
    table: pd.DataFrame | None  # train feature table (None for a single recording's page)
    columns: list[str]
    oof: pd.DataFrame
    data_dir: Path
    work_dir: Path
    dataset: dict  # provenance of data_dir
    warning: str | None  # one line when the bundle was trained on other data

    @property
    def same_data(self) -> bool:
        """True when ``data_dir`` holds the data the bundle was trained on (so its
        out-of-fold predictions belong to these rows)."""
        return self.warning is None


def load_inputs(
    data_dir: Path, work_dir: Path, model_dir: Path | None, *, with_table: bool = True
) -> ReportInputs:
    """Load the bundle (default: the newest trained on these data, else the latest) and,
    with ``with_table``, compute or read the train feature table."""
    bundle = load_bundle(model_dir or bundle_for_data(work_dir, data_dir))
    warning = mismatch_warning(bundle.meta, data_dir)
    table, columns = None, list(bundle.feature_columns)
    if with_table:
        families = list(bundle.meta["feature_config"]["families"])
        summary = build_features(
            data_dir, work_dir, split="train", families=families, progress=sys.stderr.isatty()
        )
        table = pd.read_parquet(summary.table)
        columns = feature_columns(table)
        bundle.check_columns(columns)
    oof = pd.read_parquet(bundle.path / "oof.parquet")
    provenance = dataset_provenance(data_dir)
    return ReportInputs(
        bundle, table, columns, oof, Path(data_dir), Path(work_dir), provenance, warning
    )


def oof_probs(oof: pd.DataFrame, name: str) -> np.ndarray:
    """A model's out-of-fold probabilities, shape (n_rows, 6)."""
    return oof[[f"{name}_{c}" for c in CLASSES]].to_numpy(dtype=np.float64)


@dataclass(frozen=True)
class Example:
    label_id: int
    eeg_id: int
    sub_id: int
    consensus: int  # class index
    kind: str  # "typical hit", "typical miss", "most confident error"


def _median_row(rows: np.ndarray, score: np.ndarray) -> int:
    return int(rows[np.argsort(score[rows])[len(rows) // 2]])


def example_rows(oof: pd.DataFrame) -> list[Example]:
    """Per consensus class, from the blend's out-of-fold predictions (rows with >= 10 votes
    when the class has any): a typical hit (the median probability among rows whose arg-max
    is the consensus), a typical miss (the median among the others) and the most confident
    error (the miss whose wrong class has the largest probability)."""
    votes = oof[list(VOTE_COLUMNS)].to_numpy(dtype=float)
    pred = oof_probs(oof, "blend")
    consensus, predicted = votes.argmax(axis=1), pred.argmax(axis=1)
    reliable = votes.sum(axis=1) >= 10
    out = []
    for k in range(len(CLASSES)):
        rows = np.flatnonzero(consensus == k)
        if reliable[rows].any():
            rows = rows[reliable[rows]]
        hits, misses = rows[predicted[rows] == k], rows[predicted[rows] != k]
        chosen = []
        if len(hits):
            chosen.append((_median_row(hits, pred[:, k]), "typical hit"))
        if len(misses):
            chosen.append((_median_row(misses, pred.max(axis=1)), "typical miss"))
            worst = int(misses[np.argmax(pred[misses].max(axis=1))])
            chosen.append((worst, "most confident error"))
        seen = set()
        for i, kind in chosen:
            if i not in seen:
                seen.add(i)
                row = oof.iloc[i]
                out.append(
                    Example(
                        int(row["label_id"]), int(row["eeg_id"]), int(row["eeg_sub_id"]), k, kind
                    )
                )
    return out
