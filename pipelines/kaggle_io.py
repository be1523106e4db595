"""Read and validate a folder in the Kaggle HMS layout.

``DATA_DIR/{train.csv, test.csv, sample_submission.csv, train_eegs/, train_spectrograms/,
test_eegs/, test_spectrograms/}``. Every reader checks what it reads and raises ``DataError``
with a message naming the file, the row or column, and what was expected; ``validate_layout``
runs the same checks over a whole folder and collects every problem instead of stopping at
the first. Raw data is only ever read, never modified.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.montage import RAW_COLUMNS, SFREQ, SPECTROGRAM_COLUMNS
from features.windows import (
    EEG_WINDOW_SEC,
    WindowError,
    check_eeg_windows,
    spectrogram_slice_rows,
)
from models.labels import CONSENSUS_NAMES, VOTE_COLUMNS


class DataError(ValueError):
    """Bad input data. The message names the file, the row or column and what was expected."""


TRAIN_COLUMNS: tuple[str, ...] = (
    "eeg_id",
    "eeg_sub_id",
    "eeg_label_offset_seconds",
    "spectrogram_id",
    "spectrogram_sub_id",
    "spectrogram_label_offset_seconds",
    "label_id",
    "patient_id",
    "expert_consensus",
    *VOTE_COLUMNS,
)
TEST_COLUMNS: tuple[str, ...] = ("spectrogram_id", "eeg_id", "patient_id")
SUBMISSION_COLUMNS: tuple[str, ...] = ("eeg_id", *VOTE_COLUMNS)

_TRAIN_INTEGER = (
    "eeg_id",
    "eeg_sub_id",
    "spectrogram_id",
    "spectrogram_sub_id",
    "label_id",
    "patient_id",
)
_TRAIN_OFFSETS = ("eeg_label_offset_seconds", "spectrogram_label_offset_seconds")


@dataclass(frozen=True)
class KaggleLayout:
    """Paths of one data folder in the Kaggle layout (nothing is read on construction)."""

    root: Path

    @property
    def train_csv(self) -> Path:
        return self.root / "train.csv"

    @property
    def test_csv(self) -> Path:
        return self.root / "test.csv"

    @property
    def sample_submission_csv(self) -> Path:
        return self.root / "sample_submission.csv"

    def eeg_path(self, split: str, eeg_id: int) -> Path:
        """``{split}_eegs/{eeg_id}.parquet`` with split ``train`` or ``test``."""
        return self.root / f"{split}_eegs" / f"{int(eeg_id)}.parquet"

    def spectrogram_path(self, split: str, spectrogram_id: int) -> Path:
        """``{split}_spectrograms/{spectrogram_id}.parquet``."""
        return self.root / f"{split}_spectrograms" / f"{int(spectrogram_id)}.parquet"

    def required_paths(self) -> tuple[Path, ...]:
        return (
            self.train_csv,
            self.test_csv,
            self.sample_submission_csv,
            *(self.root / f"{s}_{k}" for s in ("train", "test") for k in ("eegs", "spectrograms")),
        )


# --- label tables --------------------------------------------------------------------------


def _line(i: int) -> str:
    # Row i of the data frame is line i + 2 of the CSV file (line 1 is the header).
    return f"line {i + 2}"


def read_csv_checked(path: Path, what: str) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{path}: file not found (expected the Kaggle {what})")
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot be read as CSV ({what}): {err}") from err


def _column_problems(names: list, expected: tuple[str, ...]) -> str | None:
    """``missing column(s) ...; unexpected column(s) ...`` or None when the set matches."""
    if list(names) == list(expected):
        return None
    name_set, expected_set = set(names), set(expected)
    missing = [c for c in expected if c not in name_set]
    extra = [c for c in names if c not in expected_set]
    problems = []
    if missing:
        problems.append(f"missing column(s) {_first_few(missing)}")
    if extra:
        problems.append(f"unexpected column(s) {_first_few(extra)}")
    return "; ".join(problems) or None


def _first_few(names: list, n: int = 5) -> str:
    more = f" and {len(names) - n} more" if len(names) > n else ""
    return ", ".join(map(str, names[:n])) + more


def check_csv_columns(path: Path, frame: pd.DataFrame, expected: tuple[str, ...]) -> None:
    problems = _column_problems(list(frame.columns), expected)
    if problems:
        raise DataError(f"{path}: {problems}; expected columns {', '.join(expected)}")


def _show(value: object) -> str:
    """A cell for an error message: strings quoted, numbers plain (``nan``, ``-1``)."""
    return repr(value) if isinstance(value, str) else str(value)


def _first_bad_row(mask: np.ndarray) -> int | None:
    bad = np.flatnonzero(mask)
    return int(bad[0]) if len(bad) else None


def check_integer_column(
    path: Path, frame: pd.DataFrame, column: str, *, nullable: bool = False
) -> np.ndarray | pd.array:
    """Integer-valued column -> int64 (nullable ``Int64`` if ``nullable``), or a DataError
    naming the first bad row. Empty cells are errors unless ``nullable``."""
    values = pd.to_numeric(frame[column], errors="coerce")
    not_number = values.isna().to_numpy()
    if nullable:
        not_number = not_number & frame[column].notna().to_numpy()
        values = values.where(~frame[column].isna())
    row = _first_bad_row(not_number)
    if row is not None:
        raise DataError(
            f"{path}: column {column}, {_line(row)}: expected an integer, got "
            f"{_show(frame[column].iloc[row])}"
        )
    as_float = values.to_numpy(dtype=np.float64, na_value=0.0)
    row = _first_bad_row(as_float != np.round(as_float))
    if row is not None:
        raise DataError(
            f"{path}: column {column}, {_line(row)}: expected an integer, "
            f"got {_show(as_float[row])}"
        )
    if nullable:
        return pd.array(values.round(), dtype="Int64")
    return as_float.astype(np.int64)


def _check_unique(path: Path, frame: pd.DataFrame, key: list[str]) -> None:
    """One row per key; missing values (an empty label_id) are not duplicates of each other."""
    present = frame[key].notna().all(axis=1).to_numpy()
    duplicated = frame[key].duplicated(keep="first").to_numpy() & present
    row = _first_bad_row(duplicated)
    if row is None:
        return
    value = tuple(frame[key].iloc[row])
    same = (frame[key] == pd.Series(value, index=key)).all(axis=1).to_numpy()
    first = int(np.flatnonzero(same)[0])
    shown = ", ".join(f"{k} {v}" for k, v in zip(key, value, strict=True))
    raise DataError(
        f"{path}: {_line(row)}: duplicate {shown} (first seen on {_line(first)}); "
        f"expected one row per {' + '.join(key)}"
    )


def _check_offset_column(path: Path, frame: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    row = _first_bad_row(~np.isfinite(values) | (values < 0))
    if row is not None:
        raise DataError(
            f"{path}: column {column}, {_line(row)}: expected a non-negative number of "
            f"seconds, got {_show(frame[column].iloc[row])}"
        )
    return values


def check_votes(path: Path, frame: pd.DataFrame, ids: np.ndarray | None = None) -> np.ndarray:
    """Six vote columns -> float64 array; NaN, negative and all-zero rows are errors."""
    votes = frame[list(VOTE_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    values = votes.to_numpy(dtype=np.float64)

    def where(row: int) -> str:
        tag = f" (label_id {ids[row]})" if ids is not None else ""
        return f"{path}: {_line(row)}{tag}"

    row = _first_bad_row(np.isnan(values).any(axis=1))
    if row is not None:
        column = VOTE_COLUMNS[int(np.flatnonzero(np.isnan(values[row]))[0])]
        raise DataError(
            f"{where(row)}: {column} is {_show(frame[column].iloc[row])}; "
            "expected a number of votes"
        )
    row = _first_bad_row((values < 0).any(axis=1))
    if row is not None:
        column = VOTE_COLUMNS[int(np.flatnonzero(values[row] < 0)[0])]
        raise DataError(f"{where(row)}: {column} is {values[row].min():g}; votes must be >= 0")
    row = _first_bad_row(values.sum(axis=1) <= 0)
    if row is not None:
        raise DataError(f"{where(row)}: all six vote columns are zero; expected at least one vote")
    return values


def read_train_labels(path: Path) -> pd.DataFrame:
    """Read and check ``train.csv``.

    Returns
    -------
    DataFrame
        The 15 columns in Kaggle order; ids int64, offsets float64, votes int64 (float64 if
        the file holds fractional votes).
    """
    path = Path(path)
    frame = read_csv_checked(path, "train.csv with 15 label columns")
    check_csv_columns(path, frame, TRAIN_COLUMNS)
    out = pd.DataFrame(index=frame.index)
    for column in _TRAIN_INTEGER:
        out[column] = check_integer_column(path, frame, column, nullable=column == "label_id")
    for column in _TRAIN_OFFSETS:
        out[column] = _check_offset_column(path, frame, column)
    _check_unique(path, out, ["label_id"])
    _check_unique(path, out, ["eeg_id", "eeg_sub_id"])
    consensus = frame["expert_consensus"].astype("string")
    row = _first_bad_row(~consensus.isin(CONSENSUS_NAMES).fillna(False).to_numpy())
    if row is not None:
        raise DataError(
            f"{path}: column expert_consensus, {_line(row)}: got "
            f"{_show(frame['expert_consensus'].iloc[row])}; "
            f"expected one of {', '.join(CONSENSUS_NAMES)}"
        )
    out["expert_consensus"] = consensus.astype(str)
    votes = check_votes(path, frame, out["label_id"].to_numpy())
    whole = np.all(votes == np.round(votes))
    for j, column in enumerate(VOTE_COLUMNS):
        out[column] = votes[:, j].astype(np.int64) if whole else votes[:, j]
    return out[list(TRAIN_COLUMNS)]


def read_test_labels(path: Path) -> pd.DataFrame:
    """Read and check ``test.csv`` (``spectrogram_id, eeg_id, patient_id``; one row per eeg)."""
    path = Path(path)
    frame = read_csv_checked(path, "test.csv with columns " + ", ".join(TEST_COLUMNS))
    check_csv_columns(path, frame, TEST_COLUMNS)
    out = pd.DataFrame({c: check_integer_column(path, frame, c) for c in TEST_COLUMNS})
    row = _first_bad_row(out["eeg_id"].duplicated().to_numpy())
    if row is not None:
        raise DataError(
            f"{path}: column eeg_id, {_line(row)}: duplicate eeg_id {out['eeg_id'].iloc[row]}; "
            "expected one row per test EEG"
        )
    return out


def read_votes_table(path: Path, what: str) -> pd.DataFrame:
    """``eeg_id`` + six non-negative vote (or probability) columns, one row per eeg_id.

    Used for ``sample_submission.csv``, submissions and answer keys alike.
    """
    path = Path(path)
    frame = read_csv_checked(path, f"{what} with columns {', '.join(SUBMISSION_COLUMNS)}")
    check_csv_columns(path, frame, SUBMISSION_COLUMNS)
    out = pd.DataFrame({"eeg_id": check_integer_column(path, frame, "eeg_id")})
    values = check_votes(path, frame)
    for j, column in enumerate(VOTE_COLUMNS):
        out[column] = values[:, j]
    row = _first_bad_row(out["eeg_id"].duplicated().to_numpy())
    if row is not None:
        raise DataError(
            f"{path}: column eeg_id, {_line(row)}: duplicate eeg_id {out['eeg_id'].iloc[row]}; "
            "expected one row per EEG"
        )
    return out


def read_sample_submission(path: Path) -> pd.DataFrame:
    """Read and check ``sample_submission.csv`` (``eeg_id`` + the six vote columns)."""
    return read_votes_table(path, "sample_submission.csv")


# --- parquet signals -----------------------------------------------------------------------


WHOLE_FILE_BYTES = 8 * 2**20
"""Parquet files up to this size are loaded whole before decoding (fast for the usual short
files); larger EEG files are streamed (memory stays near the size of the decoded array)."""

STREAM_BATCH_ROWS = 2**16
STREAM_BUFFER_BYTES = 2**20


def _open_checked(
    path: Path, expected: tuple[str, ...], what: str, *, whole: bool = False
) -> tuple[pq.ParquetFile, list[str]]:
    """Open a parquet file and check its columns: exactly ``expected`` (in any order), all
    numeric. Returns the handle and the file's column names in file order.

    ``whole`` loads the file's bytes first, which is much faster than reading a wide file's
    column chunks one by one when every column will be read.
    """
    if not path.is_file():
        raise DataError(f"{path}: file not found (expected the {what} parquet file)")
    try:
        if whole:
            handle = pq.ParquetFile(pa.BufferReader(path.read_bytes()), pre_buffer=False)
        else:  # read as needed, a buffer at a time
            handle = pq.ParquetFile(path, pre_buffer=False, buffer_size=STREAM_BUFFER_BYTES)
    except (pa.ArrowException, OSError) as err:
        raise DataError(f"{path}: not a readable parquet file ({what}): {err}") from err
    schema = handle.schema_arrow
    names = list(schema.names)
    problems = _column_problems(names, expected)
    if problems:
        raise DataError(
            f"{path}: {problems}; expected the {len(expected)} columns of a Kaggle {what} "
            f"file ({expected[0]}, {expected[1]}, ..., {expected[-1]})"
        )
    for kind in set(schema.types):
        if not (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
            name = names[schema.types.index(kind)]
            raise DataError(f"{path}: column {name} has type {kind}; expected float32 numbers")
    return handle, names


@dataclass(frozen=True)
class ParquetInfo:
    """What the metadata of a checked parquet file says, without reading its data."""

    path: Path
    n_rows: int


def inspect_eeg(path: Path) -> ParquetInfo:
    """Open an EEG parquet file, check its schema (20 numeric columns) and count its rows."""
    path = Path(path)
    handle, _ = _open_checked(path, RAW_COLUMNS, "EEG")
    return ParquetInfo(path, handle.metadata.num_rows)


def _read_table(
    handle: pq.ParquetFile, names: list[str], columns: list[str], path: Path, what: str
) -> pa.Table:
    """The named columns of a file whose columns are ``names`` (a file holding exactly
    ``columns`` is read whole: naming hundreds of columns costs more than reading them)."""
    whole = names == list(columns)
    try:
        return handle.read(columns=None if whole else columns, use_threads=False)
    except (pa.ArrowException, OSError) as err:
        raise DataError(f"{path}: cannot read the {what} data: {err}") from err


def _columns_to_array(table: pa.Table, columns: Iterable[str]) -> np.ndarray:
    """The columns as one float32 array shaped (n_rows, n_columns), nulls as NaN (one Arrow
    conversion, several times faster than stacking the columns one by one)."""
    columns = list(columns)
    batch = table.select(columns).combine_chunks().to_batches()
    if not batch:  # a table with no rows has no batch
        return np.empty((0, len(columns)), dtype=np.float32)
    return _batch_to_array(batch[0]).astype(np.float32, copy=False)


def _batch_to_array(batch: pa.RecordBatch) -> np.ndarray:
    """A record batch as one array shaped (n_rows, n_columns), nulls as NaN."""
    try:
        return batch.to_tensor(null_to_nan=True, row_major=False).to_numpy()
    except (AttributeError, TypeError):  # older pyarrow (14): no to_tensor(null_to_nan=...)
        return np.column_stack([c.to_numpy(zero_copy_only=False) for c in batch.columns])


def read_eeg(path: Path) -> np.ndarray:
    """Read one EEG parquet file.

    Returns
    -------
    array, shape (20, n_samples), float32
        Columns in ``RAW_COLUMNS`` order (19 scalp channels then EKG), microvolts, 200 Hz.
        NaNs are kept: ``features.windows.apply_nan_policy`` deals with them.
    """
    path = Path(path)
    small = path.is_file() and path.stat().st_size <= WHOLE_FILE_BYTES
    handle, names = _open_checked(path, RAW_COLUMNS, "EEG", whole=small)
    n_rows = handle.metadata.num_rows
    if n_rows == 0:
        raise DataError(
            f"{path}: the EEG has 0 rows; expected at least {int(EEG_WINDOW_SEC * SFREQ)}"
        )
    if small:
        table = _read_table(handle, names, list(RAW_COLUMNS), path, "EEG")
        return _columns_to_array(table, RAW_COLUMNS).T
    # A long recording streams in batches into its array, so reading it holds the array and
    # one batch rather than the file, its decoded table and a converted copy at once.
    out = np.empty((len(RAW_COLUMNS), n_rows), dtype=np.float32)
    start = 0
    try:
        for batch in handle.iter_batches(
            batch_size=STREAM_BATCH_ROWS, columns=list(RAW_COLUMNS), use_threads=False
        ):
            block = _batch_to_array(batch)
            out[:, start : start + len(block)] = block.T
            start += len(block)
    except (pa.ArrowException, OSError) as err:
        raise DataError(f"{path}: cannot read the EEG data: {err}") from err
    return out


def _spectrogram_times(path: Path, table: pa.Table) -> np.ndarray:
    times = table.column("time").to_numpy().astype(np.float64)
    if len(times) == 0:
        raise DataError(f"{path}: the spectrogram has 0 rows; expected at least 300")
    row = _first_bad_row(~np.isfinite(times) | (np.diff(times, prepend=-np.inf) <= 0))
    if row is not None:
        raise DataError(
            f"{path}: column time, row {row}: {_show(times[row])} is not an increasing "
            "number of seconds"
        )
    return times


SPECTROGRAM_FILE_COLUMNS = ("time", *SPECTROGRAM_COLUMNS)


def read_spectrogram_times(path: Path) -> np.ndarray:
    """The ``time`` column (seconds, float64) of a spectrogram file, checked to increase."""
    path = Path(path)
    handle, names = _open_checked(path, SPECTROGRAM_FILE_COLUMNS, "spectrogram")
    table = _read_table(handle, names, ["time"], path, "spectrogram")
    return _spectrogram_times(path, table)


def read_spectrogram(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read one spectrogram parquet file.

    Returns
    -------
    times : array, shape (n_rows,), float64
        Row times in seconds (1, 3, 5, ... in Kaggle's files).
    power : array, shape (n_rows, 400), float32
        Raw power in ``SPECTROGRAM_COLUMNS`` order (LL, RL, LP, RP x 100 bins); NaNs kept.
    """
    path = Path(path)
    handle, names = _open_checked(path, SPECTROGRAM_FILE_COLUMNS, "spectrogram", whole=True)
    table = _read_table(handle, names, list(SPECTROGRAM_FILE_COLUMNS), path, "spectrogram")
    times = _spectrogram_times(path, table)
    return times, np.ascontiguousarray(_columns_to_array(table, SPECTROGRAM_COLUMNS))


# --- window checks against the label table --------------------------------------------------


def _window_problem(err: WindowError, labels: pd.DataFrame, csv: Path, signal: Path) -> DataError:
    row = labels.index[err.index]
    label = labels["label_id"].iloc[err.index] if "label_id" in labels else None
    tag = f" (label_id {label})" if label is not None else ""
    return DataError(f"{signal}: {err}; needed by {csv.name} {_line(int(row))}{tag}")


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
        return None


def _validate_split(
    layout: KaggleLayout,
    split: str,
    labels: pd.DataFrame,
    csv: Path,
    problems: list[str],
    *,
    deep: bool,
    progress: bool,
) -> int:
    from tqdm.auto import tqdm

    if split == "train":
        eeg_offsets, spec_offsets = _TRAIN_OFFSETS
    else:
        labels = labels.assign(eeg_offset=0.0, spectrogram_offset=0.0)
        eeg_offsets, spec_offsets = "eeg_offset", "spectrogram_offset"

    n_files = 0
    groups = list(labels.groupby("eeg_id", sort=False))
    for eeg_id, rows in tqdm(groups, desc=f"{split} EEGs", disable=not progress, leave=False):
        path = layout.eeg_path(split, eeg_id)
        info = _collect(problems, lambda path=path: inspect_eeg(path))
        n_files += 1
        if info is None:
            continue
        _collect(
            problems, lambda info=info, rows=rows: check_eeg_rows(info, rows, eeg_offsets, csv)
        )
        if deep:
            _collect(problems, lambda path=path: read_eeg(path))

    groups = list(labels.groupby("spectrogram_id", sort=False))
    bar = tqdm(groups, desc=f"{split} spectrograms", disable=not progress, leave=False)
    for spec_id, rows in bar:
        path = layout.spectrogram_path(split, spec_id)
        times = _collect(problems, lambda path=path: read_spectrogram_times(path))
        n_files += 1
        if times is None:
            continue
        _collect(
            problems,
            lambda path=path, times=times, rows=rows: check_spectrogram_rows(
                path, times, rows, spec_offsets, csv
            ),
        )
        if deep:
            _collect(problems, lambda path=path: read_spectrogram(path))
    return n_files


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
    problems: list[str] = []
    if not layout.root.is_dir():
        problems.append(f"{layout.root}: data folder not found (expected a Kaggle-layout folder)")
        return ValidationReport(layout.root, tuple(problems), 0, 0, 0)
    for path in layout.required_paths():
        if not path.exists():
            kind = "folder" if path.suffix == "" else "file"
            problems.append(f"{path}: {kind} not found (required by the Kaggle layout)")

    n_files = 0
    train = test = None
    if layout.train_csv.is_file():
        train = _collect(problems, lambda: read_train_labels(layout.train_csv))
    if layout.test_csv.is_file():
        test = _collect(problems, lambda: read_test_labels(layout.test_csv))
    if train is not None and (layout.root / "train_eegs").is_dir():
        n_files += _validate_split(
            layout, "train", train, layout.train_csv, problems, deep=deep, progress=progress
        )
    if test is not None and (layout.root / "test_eegs").is_dir():
        n_files += _validate_split(
            layout, "test", test, layout.test_csv, problems, deep=deep, progress=progress
        )
    if layout.sample_submission_csv.is_file():
        sample = _collect(problems, lambda: read_sample_submission(layout.sample_submission_csv))
        if sample is not None and test is not None:
            missing = set(test["eeg_id"]) - set(sample["eeg_id"])
            extra = set(sample["eeg_id"]) - set(test["eeg_id"])
            if missing or extra:
                problems.append(
                    f"{layout.sample_submission_csv}: eeg_id set differs from test.csv "
                    f"(missing {sorted(missing)[:5]}, unexpected {sorted(extra)[:5]})"
                )
    return ValidationReport(
        layout.root,
        tuple(problems),
        0 if train is None else len(train),
        0 if test is None else len(test),
        n_files,
    )
