"""Validate a whole folder in the Kaggle HMS layout before a long run.

``validate_layout`` runs the readers' checks (``pipelines.kaggle_io``) over every label table
and every signal file a label row needs, and collects every problem instead of stopping at
the first. A folder where nothing could be checked (a file where a folder belongs, a label
table without rows) is a problem, never "OK".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.montage import RAW_COLUMNS, SFREQ
from features.windows import WindowError, check_eeg_windows, spectrogram_slice_rows
from pipelines.kaggle_io import (
    TRAIN_OFFSETS,
    DataError,
    KaggleLayout,
    csv_line,
    open_checked,
    read_eeg,
    read_sample_submission,
    read_spectrogram,
    read_spectrogram_times,
    read_test_labels,
    read_train_labels,
)


@dataclass(frozen=True)
class ParquetInfo:
    """What the metadata of a checked parquet file says, without reading its data."""

    path: Path
    n_rows: int


def inspect_eeg(path: Path) -> ParquetInfo:
    """Open an EEG parquet file, check its schema (20 numeric columns) and count its rows."""
    path = Path(path)
    handle, _ = open_checked(path, RAW_COLUMNS, "EEG")
    return ParquetInfo(path, handle.metadata.num_rows)


# --- window checks against the label table --------------------------------------------------


def _window_problem(err: WindowError, labels: pd.DataFrame, csv: Path, signal: Path) -> DataError:
    row = labels.index[err.index]
    label = labels["label_id"].iloc[err.index] if "label_id" in labels else None
    tag = f" (label_id {label})" if label is not None else ""
    return DataError(f"{signal}: {err}; needed by {csv.name} {csv_line(int(row))}{tag}")


def check_eeg_rows(info: ParquetInfo, rows: pd.DataFrame, offsets_column: str, csv: Path) -> None:
    """Raise DataError if any label row's 50 s window does not fit the EEG."""
    offsets = rows[offsets_column].to_numpy(dtype=np.float64)
    try:
        check_eeg_windows(info.n_rows, offsets, sfreq=SFREQ)
    except WindowError as err:
        raise _window_problem(err, rows, csv, info.path) from err


def check_spectrogram_rows(
    path: Path, times: np.ndarray, rows: pd.DataFrame, offsets_column: str, csv: Path
) -> None:
    """Raise DataError if any label row's 10-minute slice is not 300 rows of the spectrogram."""
    offsets = rows[offsets_column].to_numpy(dtype=np.float64)
    try:
        spectrogram_slice_rows(times, offsets)
    except WindowError as err:
        raise _window_problem(err, rows, csv, Path(path)) from err


# --- whole-folder validation -----------------------------------------------------------------


def _collect(problems: list[str], check: Callable[[], object]) -> object | None:
    try:
        return check()
    except DataError as err:
        problems.append(str(err))
    except OSError as err:  # permission denied, an I/O error: a problem of that file
        problems.append(f"{err.filename}: {err.strerror}" if err.filename else str(err))
    return None


def _check_eegs(layout, split, labels, offsets, csv, problems, *, deep, progress) -> int:
    from tqdm.auto import tqdm

    groups = list(labels.groupby("eeg_id", sort=False))
    for eeg_id, rows in tqdm(groups, desc=f"{split} EEGs", disable=not progress, leave=False):
        path = layout.eeg_path(split, eeg_id)
        info = _collect(problems, lambda path=path: inspect_eeg(path))
        if info is None:
            continue
        _collect(problems, lambda info=info, rows=rows: check_eeg_rows(info, rows, offsets, csv))
        if deep:
            _collect(problems, lambda path=path: read_eeg(path))
    return len(groups)


def _check_spectrograms(layout, split, labels, offsets, csv, problems, *, deep, progress) -> int:
    from tqdm.auto import tqdm

    groups = list(labels.groupby("spectrogram_id", sort=False))
    bar = tqdm(groups, desc=f"{split} spectrograms", disable=not progress, leave=False)
    for spec_id, rows in bar:
        path = layout.spectrogram_path(split, spec_id)
        times = _collect(problems, lambda path=path: read_spectrogram_times(path))
        if times is None:
            continue
        _collect(
            problems,
            lambda path=path, times=times, rows=rows: check_spectrogram_rows(
                path, times, rows, offsets, csv
            ),
        )
        if deep:
            _collect(problems, lambda path=path: read_spectrogram(path))
    return len(groups)


def _validate_split(
    layout: KaggleLayout, split: str, labels: pd.DataFrame, problems: list[str], **options
) -> int:
    """Check the signal files of one split; returns how many files were looked at."""
    csv = layout.train_csv if split == "train" else layout.test_csv
    if split == "train":
        eeg_offsets, spec_offsets = TRAIN_OFFSETS
    else:
        labels = labels.assign(eeg_offset=0.0, spectrogram_offset=0.0)
        eeg_offsets, spec_offsets = "eeg_offset", "spectrogram_offset"
    n_files = 0
    if (layout.root / f"{split}_eegs").is_dir():
        n_files += _check_eegs(layout, split, labels, eeg_offsets, csv, problems, **options)
    if (layout.root / f"{split}_spectrograms").is_dir():
        n_files += _check_spectrograms(
            layout, split, labels, spec_offsets, csv, problems, **options
        )
    return n_files


def required_path_problems(layout: KaggleLayout) -> list[str]:
    """One message per required file or folder that is missing or of the wrong kind."""
    problems = []
    for path in layout.required_paths():
        folder = path.suffix == ""
        kind = "folder" if folder else "file"
        if not path.exists():
            problems.append(f"{path}: {kind} not found (required by the Kaggle layout)")
        elif folder and not path.is_dir():
            problems.append(f"{path}: is not a folder (the Kaggle layout needs a folder here)")
        elif not folder and not path.is_file():
            problems.append(f"{path}: is not a regular file (the Kaggle layout needs a file)")
    return problems


def _sample_problems(layout: KaggleLayout, test: pd.DataFrame | None, problems: list[str]):
    if not layout.sample_submission_csv.is_file():
        return
    sample = _collect(problems, lambda: read_sample_submission(layout.sample_submission_csv))
    if sample is None or test is None:
        return
    missing = set(test["eeg_id"]) - set(sample["eeg_id"])
    extra = set(sample["eeg_id"]) - set(test["eeg_id"])
    if missing or extra:
        problems.append(
            f"{layout.sample_submission_csv}: eeg_id set differs from test.csv "
            f"(missing {sorted(missing)[:5]}, unexpected {sorted(extra)[:5]})"
        )


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of ``validate_layout``: every problem found and what was checked."""

    root: Path
    problems: tuple[str, ...]
    n_train_rows: int
    n_test_rows: int
    n_files: int

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_layout(root: Path, *, deep: bool = False, progress: bool = False) -> ValidationReport:
    """Check a whole Kaggle-layout folder before a long run.

    Every label table is read and checked; every EEG and spectrogram file a label row needs
    is opened, its schema checked and every row's window checked against its length. With
    ``deep`` every file's data is also decoded (slower; finds corrupt data pages).

    Returns
    -------
    ValidationReport
        ``problems`` lists one message per problem, each naming its file.
    """
    layout = KaggleLayout(Path(root))
    if not layout.root.is_dir():
        problem = f"{layout.root}: data folder not found (expected a Kaggle-layout folder)"
        return ValidationReport(layout.root, (problem,), 0, 0, 0)
    problems = required_path_problems(layout)
    train = test = None
    if layout.train_csv.is_file():
        train = _collect(problems, lambda: read_train_labels(layout.train_csv))
    if layout.test_csv.is_file():
        test = _collect(problems, lambda: read_test_labels(layout.test_csv))
    options = {"deep": deep, "progress": progress}
    n_files = 0
    for split, labels in (("train", train), ("test", test)):
        if labels is not None:
            n_files += _validate_split(layout, split, labels, problems, **options)
    _sample_problems(layout, test, problems)
    return ValidationReport(
        layout.root,
        tuple(problems),
        0 if train is None else len(train),
        0 if test is None else len(test),
        n_files,
    )
