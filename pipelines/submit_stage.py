"""``hms submit`` (a Kaggle submission for ``test.csv``) and ``hms predict`` (one recording)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.engine import extract_recording
from features.windows import WindowError, spectrogram_slice_rows
from models.bundle import Bundle, load_bundle
from models.labels import CLASSES, VOTE_COLUMNS
from pipelines.config import WorkLayout
from pipelines.features_stage import build_features, dataset_key, feature_columns, feature_paths
from pipelines.files import write_atomic
from pipelines.kaggle_io import (
    SUBMISSION_COLUMNS,
    DataError,
    KaggleLayout,
    read_eeg,
    read_sample_submission,
    read_spectrogram,
    read_test_labels,
)
from pipelines.provenance import bundle_for_data, mismatch_warning


def bundle_families(bundle: Bundle) -> list[str]:
    return list(bundle.meta["feature_config"]["families"])


def check_feature_versions(bundle: Bundle, data_dir: Path, work_dir: Path) -> None:
    """Refuse to predict when this code computes features differently from the bundle's."""
    current = feature_paths(work_dir, data_dir, "test", bundle_families(bundle)).root.name
    trained = bundle.meta.get("feature_config_hash")
    if trained and current != trained:
        raise ValueError(
            f"the model bundle {bundle.path} was trained on features with configuration "
            f"{trained}, but this code computes configuration {current} (a feature family's "
            "version or a setting changed): retrain with `make train`"
        )


@dataclass
class SubmitSummary:
    path: Path
    n_rows: int
    bundle: Path
    seconds: float
    warning: str | None = None
    """One line when the bundle was trained on other data than these."""


def check_submission(frame: pd.DataFrame, sample: pd.DataFrame) -> None:
    """The checks Kaggle would make: columns, ids, finite probabilities summing to 1."""
    if list(frame.columns) != list(sample.columns):
        raise ValueError(f"submission columns {list(frame.columns)} != {list(sample.columns)}")
    if set(frame["eeg_id"]) != set(sample["eeg_id"]) or len(frame) != len(sample):
        raise ValueError("submission eeg_ids differ from sample_submission.csv")
    values = frame[list(VOTE_COLUMNS)].to_numpy()
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError("submission holds NaN, infinite or negative probabilities")
    if np.abs(values.sum(axis=1) - 1).max() > 1e-6:
        raise ValueError("submission rows do not sum to 1")


def submit(
    data_dir: Path,
    work_dir: Path,
    *,
    model_dir: Path | None = None,
    out: Path | None = None,
    n_jobs: int = -1,
    progress: bool = True,
) -> SubmitSummary:
    """Features for ``test.csv``, predictions of a bundle, a checked submission CSV.

    The default bundle is the newest one trained on these data (else ``models/LATEST``, with
    a warning); the default output is ``submissions/{data set key}/submission.csv``, so a
    submission for another data set does not overwrite this one.
    """
    start = time.perf_counter()
    bundle = load_bundle(model_dir or bundle_for_data(work_dir, data_dir))
    warning = mismatch_warning(bundle.meta, data_dir)
    check_feature_versions(bundle, data_dir, work_dir)
    layout = KaggleLayout(Path(data_dir))
    test = read_test_labels(layout.test_csv)
    sample = read_sample_submission(layout.sample_submission_csv)
    summary = build_features(data_dir, work_dir, split="test", families=bundle_families(bundle),
                             n_jobs=n_jobs, progress=progress)  # fmt: skip
    if summary.failures:
        reasons = "; ".join(f"eeg_id {e}: {r}" for e, r in summary.failures)
        raise DataError(f"cannot predict every test EEG: {reasons}")
    table = pd.read_parquet(summary.table)
    columns = feature_columns(table)
    bundle.check_columns(columns)
    probs = bundle.predict(table[columns].to_numpy(dtype=np.float32))
    by_id = pd.DataFrame(probs, columns=list(VOTE_COLUMNS)).assign(eeg_id=table["eeg_id"])
    frame = test[["eeg_id"]].merge(by_id, on="eeg_id", how="left")[list(SUBMISSION_COLUMNS)]
    check_submission(frame, sample)
    path = Path(out) if out else default_submission_path(work_dir, data_dir)
    write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))
    return SubmitSummary(path, len(frame), bundle.path, time.perf_counter() - start, warning)


def default_submission_path(work_dir: Path, data_dir: Path) -> Path:
    """``WORK_DIR/submissions/{data set key}/submission.csv``: one file per data set."""
    return WorkLayout(work_dir).submissions / dataset_key(data_dir) / "submission.csv"


class Predictor:
    """A loaded bundle that predicts one recording at a time (``hms predict``)."""

    def __init__(self, model_dir: Path) -> None:
        self.bundle = load_bundle(model_dir)
        # The same refusal as submit (the configuration hash depends on no folder).
        check_feature_versions(self.bundle, Path(), Path())
        self.families = bundle_families(self.bundle)
        self.needs_spectrogram = "spectrogram" in self.families

    def predict(
        self, eeg_path: Path, spectrogram_path: Path | None = None, offset_sec: float = 0.0
    ) -> dict[str, float]:
        """Probabilities of the six classes for the 50 s window at ``offset_sec`` (0 for a
        Kaggle test EEG) and, if given, the 10-minute spectrogram slice from 0."""
        raw = read_eeg(eeg_path)
        power = rows = None
        if self.needs_spectrogram:
            if offset_sec != 0:
                raise DataError(
                    "with a spectrogram model, predict takes the window at offset 0 (a Kaggle "
                    "test EEG); cut the EEG and spectrogram files to the window instead"
                )
            if spectrogram_path is None:
                raise DataError(
                    f"the model {self.bundle.path} uses the Kaggle spectrogram: pass "
                    "--spectrogram FILE"
                )
            times, power = read_spectrogram(spectrogram_path)
            try:
                rows = spectrogram_slice_rows(times, np.array([0.0]))
            except WindowError as err:
                raise DataError(f"{spectrogram_path}: {err}") from err
        try:
            columns = extract_recording(
                raw, np.array([offset_sec]), families=self.families,
                spectrogram_power=power, spectrogram_rows=rows,
            )  # fmt: skip
        except WindowError as err:
            raise DataError(f"{eeg_path}: {err}") from err
        self.bundle.check_columns(list(columns))
        X = np.stack([columns[c] for c in self.bundle.feature_columns], axis=1)
        probs = self.bundle.predict(X)[0]
        return {c: float(p) for c, p in zip(CLASSES, probs, strict=True)}
