"""Shared fixtures: the real mini data set (skipped when ../shared is absent) and a tiny
hand-built Kaggle layout that each bad-input test corrupts in one way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.montage import RAW_COLUMNS, SPECTROGRAM_COLUMNS
from models.labels import CONSENSUS_NAMES, VOTE_COLUMNS

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REAL_MINI = SHARED / "hms_real_mini"
REAL_LABELS = SHARED / "hms_labels" / "train_labels_reconstructed.csv"

needs_real_mini = pytest.mark.skipif(
    not REAL_MINI.is_dir(), reason=f"real mini data not present at {REAL_MINI}"
)
needs_real_labels = pytest.mark.skipif(
    not REAL_LABELS.is_file(), reason=f"real label table not present at {REAL_LABELS}"
)


@pytest.fixture
def real_mini() -> Path:
    if not REAL_MINI.is_dir():
        pytest.skip(f"real mini data not present at {REAL_MINI}")
    return REAL_MINI


def write_eeg(path: Path, n_samples: int, rng: np.random.Generator) -> None:
    data = rng.normal(0, 20, size=(n_samples, len(RAW_COLUMNS))).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(data, columns=list(RAW_COLUMNS)).to_parquet(path, index=False)


def write_spectrogram(path: Path, n_rows: int, rng: np.random.Generator) -> None:
    power = rng.gamma(2.0, 1.0, size=(n_rows, len(SPECTROGRAM_COLUMNS))).astype(np.float32)
    frame = pd.DataFrame(power, columns=list(SPECTROGRAM_COLUMNS))
    frame.insert(0, "time", np.arange(1, 2 * n_rows, 2, dtype=np.int64))
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)


def build_tiny_layout(root: Path, seed: int = 0) -> Path:
    """Two train EEGs (3 and 2 label rows), one test EEG; every file valid."""
    rng = np.random.default_rng(seed)
    rows = []
    label_id = 1000
    for eeg_id, spec_id, patient, n_rows, cls in ((11, 21, 7, 3, 0), (12, 22, 8, 2, 3)):
        write_eeg(root / "train_eegs" / f"{eeg_id}.parquet", 10_000 + 400 * n_rows, rng)
        write_spectrogram(root / "train_spectrograms" / f"{spec_id}.parquet", 300 + n_rows, rng)
        for sub in range(n_rows):
            votes = [0] * 6
            votes[cls] = 3
            rows.append(
                [eeg_id, sub, 2.0 * sub, spec_id, sub, 2.0 * sub, label_id, patient,
                 CONSENSUS_NAMES[cls], *votes]
            )  # fmt: skip
            label_id += 1
    columns = [
        "eeg_id", "eeg_sub_id", "eeg_label_offset_seconds", "spectrogram_id",
        "spectrogram_sub_id", "spectrogram_label_offset_seconds", "label_id", "patient_id",
        "expert_consensus", *VOTE_COLUMNS,
    ]  # fmt: skip
    pd.DataFrame(rows, columns=columns).to_csv(root / "train.csv", index=False)
    pd.DataFrame({"spectrogram_id": [31], "eeg_id": [41], "patient_id": [9]}).to_csv(
        root / "test.csv", index=False
    )
    write_eeg(root / "test_eegs" / "41.parquet", 10_000, rng)
    write_spectrogram(root / "test_spectrograms" / "31.parquet", 300, rng)
    sample = pd.DataFrame({"eeg_id": [41], **{c: [1 / 6] for c in VOTE_COLUMNS}})
    sample.to_csv(root / "sample_submission.csv", index=False)
    return root


@pytest.fixture
def tiny_layout(tmp_path: Path) -> Path:
    return build_tiny_layout(tmp_path / "tiny")


def build_layout(root: Path, n_eegs: int, seed: int = 0) -> Path:
    """A valid layout with ``n_eegs`` train recordings of 1-4 label rows each."""
    rng = np.random.default_rng(seed)
    build_tiny_layout(root, seed)
    rows = []
    for k in range(n_eegs):
        eeg_id, spec_id, n_rows, cls = 100 + k, 500 + k, 1 + k % 4, k % 6
        write_eeg(root / "train_eegs" / f"{eeg_id}.parquet", 10_000 + 400 * n_rows, rng)
        write_spectrogram(root / "train_spectrograms" / f"{spec_id}.parquet", 300 + n_rows, rng)
        for sub in range(n_rows):
            votes = [0] * 6
            votes[cls] = 2 + k % 3
            rows.append(
                [eeg_id, sub, 2.0 * sub, spec_id, sub, 2.0 * sub, 10_000 + 10 * k + sub,
                 k // 2, CONSENSUS_NAMES[cls], *votes]
            )  # fmt: skip
    columns = list(pd.read_csv(root / "train.csv").columns)
    pd.DataFrame(rows, columns=columns).to_csv(root / "train.csv", index=False)
    return root


@pytest.fixture(autouse=True)
def _project_loggers_restored():
    """``hms`` calls configure the project's loggers (level, handler); put them back after
    each test so one test's ``main([...])`` does not change what the next one logs."""
    import logging

    from pipelines.progress import LOGGER_NAMES

    loggers = [logging.getLogger(name) for name in LOGGER_NAMES]
    saved = [(logger.level, list(logger.handlers)) for logger in loggers]
    yield
    for logger, (level, handlers) in zip(loggers, saved, strict=True):
        logger.setLevel(level)
        logger.handlers[:] = handlers
