"""Read the files of a folder in the Kaggle HMS layout, checking what is read.

``DATA_DIR/{train.csv, test.csv, sample_submission.csv, train_eegs/, train_spectrograms/,
test_eegs/, test_spectrograms/}``. Every reader checks what it reads and raises ``DataError``
with a message naming the file, the row or column, and what was expected;
``pipelines.kaggle_validate.validate_layout`` runs the same checks over a whole folder. Ids
are parsed as exact integers (never through float); votes must be finite. Raw data is only
ever read, never modified.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.montage import RAW_COLUMNS, SFREQ, SPECTROGRAM_COLUMNS
from features.windows import EEG_WINDOW_SEC
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

TRAIN_INTEGER = (
    "eeg_id",
    "eeg_sub_id",
    "spectrogram_id",
    "spectrogram_sub_id",
    "label_id",
    "patient_id",
)
TRAIN_OFFSETS = ("eeg_label_offset_seconds", "spectrogram_label_offset_seconds")


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


def csv_line(i: int) -> str:
    # Row i of the data frame is line i + 2 of the CSV file (line 1 is the header).
    return f"line {i + 2}"


def read_csv_checked(path: Path, what: str, integer_columns: Iterable[str] = ()) -> pd.DataFrame:
    """A CSV file as a data frame; ``integer_columns`` are kept as text, so that ids are
    parsed exactly by ``check_integer_column`` (never through float)."""
    if not path.is_file():
        found = "is not a regular file" if path.exists() else "file not found"
        raise DataError(f"{path}: {found} (expected the Kaggle {what})")
    try:
        return pd.read_csv(path, dtype={c: str for c in integer_columns})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot be read as CSV ({what}): {err}") from err
    except OSError as err:  # permission denied, an I/O error
        raise DataError(f"{path}: cannot be read ({err.strerror or err})") from err


def _check_not_empty(path: Path, frame: pd.DataFrame, what: str) -> None:
    if len(frame) == 0:
        raise DataError(f"{path}: has a header but no rows; expected at least one {what}")


def _column_problems(names: list, expected: tuple[str, ...]) -> str | None:
    """``missing column(s) ...; unexpected column(s) ...`` or None when the set matches."""
    if list(names) == list(expected):
        return None
    name_set, expected_set = set(names), set(expected)
    missing = [c for c in expected if c not in name_set]
    extra = [c for c in names if c not in expected_set]
    seen: set = set()
    duplicated = [c for c in names if c in seen or seen.add(c)]
    problems = []
    if duplicated:
        problems.append(f"duplicate column(s) {_first_few(duplicated)}")
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


INT64_RANGE = (-(2**63), 2**63 - 1)
_WHOLE_FRACTION = r"\.0*$"  # "12.0" is the integer 12 (a column once written through float)


def _exact_integers(text: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Text cells -> (int64 values, malformed mask, out-of-range mask), parsed digit by digit,
    never through float, so an id of 2**53 + 1 stays itself. Bad cells get the value 0."""
    digits = text.astype("string").str.strip().str.replace(_WHOLE_FRACTION, "", regex=True)
    malformed = ~digits.str.fullmatch(r"[+-]?\d+").fillna(False).to_numpy(dtype=bool)
    values = np.zeros(len(text), dtype=np.int64)
    out_of_range = np.zeros(len(text), dtype=bool)
    # Up to 18 digits always fits int64: numpy parses those text cells exactly in one cast;
    # longer ones (rare) are checked one by one as Python integers.
    n_digits = digits.str.lstrip("+-").str.lstrip("0").str.len().fillna(0).to_numpy()
    short = ~malformed & (n_digits <= 18)
    values[short] = digits[short].to_numpy(dtype=str).astype(np.int64)
    low, high = INT64_RANGE
    for i in np.flatnonzero(~malformed & ~short):
        number = int(digits.iat[i])
        if low <= number <= high:
            values[i] = number
        else:
            out_of_range[i] = True
    return values, malformed, out_of_range


def check_integer_column(
    path: Path, frame: pd.DataFrame, column: str, *, nullable: bool = False
) -> np.ndarray | pd.array:
    """Integer-valued column (text or numbers) -> int64 (nullable ``Int64`` if ``nullable``),
    or a DataError naming the first bad row. Empty cells are errors unless ``nullable``;
    values outside the int64 range are errors (never wrapped or rounded)."""
    cells = frame[column]
    empty = cells.isna().to_numpy()
    values, malformed, out_of_range = _exact_integers(cells)
    if nullable:
        malformed &= ~empty
    row = _first_bad_row(malformed | out_of_range)
    if row is not None:
        expected = "an integer"
        if out_of_range[row]:
            expected = f"an integer from {INT64_RANGE[0]} to {INT64_RANGE[1]}"
        raise DataError(
            f"{path}: column {column}, {csv_line(row)}: expected {expected}, "
            f"got {_show(cells.iloc[row])}"
        )
    if nullable:
        out = pd.array(values, dtype="Int64")
        out[empty] = pd.NA
        return out
    return values


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
        f"{path}: {csv_line(row)}: duplicate {shown} (first seen on {csv_line(first)}); "
        f"expected one row per {' + '.join(key)}"
    )


def _check_offset_column(path: Path, frame: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    row = _first_bad_row(~np.isfinite(values) | (values < 0))
    if row is not None:
        raise DataError(
            f"{path}: column {column}, {csv_line(row)}: expected a non-negative number of "
            f"seconds, got {_show(frame[column].iloc[row])}"
        )
    return values


MAX_VOTES = 1e6
"""Largest vote count (or probability) a cell may hold; the real tables hold at most 28."""


def check_votes(path: Path, frame: pd.DataFrame, ids: np.ndarray | None = None) -> np.ndarray:
    """Six vote columns -> float64 array; NaN, infinite, huge (> ``MAX_VOTES``), negative and
    all-zero rows are errors."""
    votes = frame[list(VOTE_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    values = votes.to_numpy(dtype=np.float64)

    def where(row: int) -> str:
        tag = f" (label_id {ids[row]})" if ids is not None else ""
        return f"{path}: {csv_line(row)}{tag}"

    row = _first_bad_row(np.isnan(values).any(axis=1))
    if row is not None:
        column = VOTE_COLUMNS[int(np.flatnonzero(np.isnan(values[row]))[0])]
        raise DataError(
            f"{where(row)}: {column} is {_show(frame[column].iloc[row])}; "
            "expected a number of votes"
        )
    not_finite = ~np.isfinite(values) | (values > MAX_VOTES)
    row = _first_bad_row(not_finite.any(axis=1))
    if row is not None:
        column = VOTE_COLUMNS[int(np.flatnonzero(not_finite[row])[0])]
        raise DataError(
            f"{where(row)}: {column} is {_show(frame[column].iloc[row])}; expected a finite "
            f"number of votes up to {MAX_VOTES:g}"
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
    frame = read_csv_checked(path, "train.csv with 15 label columns", TRAIN_INTEGER)
    check_csv_columns(path, frame, TRAIN_COLUMNS)
    _check_not_empty(path, frame, "label row")
    out = pd.DataFrame(index=frame.index)
    for column in TRAIN_INTEGER:
        out[column] = check_integer_column(path, frame, column, nullable=column == "label_id")
    for column in TRAIN_OFFSETS:
        out[column] = _check_offset_column(path, frame, column)
    _check_unique(path, out, ["label_id"])
    _check_unique(path, out, ["eeg_id", "eeg_sub_id"])
    consensus = frame["expert_consensus"].astype("string")
    row = _first_bad_row(~consensus.isin(CONSENSUS_NAMES).fillna(False).to_numpy())
    if row is not None:
        raise DataError(
            f"{path}: column expert_consensus, {csv_line(row)}: got "
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
    frame = read_csv_checked(path, "test.csv with columns " + ", ".join(TEST_COLUMNS), TEST_COLUMNS)
    check_csv_columns(path, frame, TEST_COLUMNS)
    _check_not_empty(path, frame, "test EEG")
    out = pd.DataFrame({c: check_integer_column(path, frame, c) for c in TEST_COLUMNS})
    row = _first_bad_row(out["eeg_id"].duplicated().to_numpy())
    if row is not None:
        raise DataError(
            f"{path}: column eeg_id, {csv_line(row)}: duplicate eeg_id {out['eeg_id'].iloc[row]}; "
            "expected one row per test EEG"
        )
    return out


def read_votes_table(path: Path, what: str) -> pd.DataFrame:
    """``eeg_id`` + six non-negative vote (or probability) columns, one row per eeg_id.

    Used for ``sample_submission.csv``, submissions and answer keys alike.
    """
    path = Path(path)
    columns = ", ".join(SUBMISSION_COLUMNS)
    frame = read_csv_checked(path, f"{what} with columns {columns}", ["eeg_id"])
    check_csv_columns(path, frame, SUBMISSION_COLUMNS)
    _check_not_empty(path, frame, "EEG")
    out = pd.DataFrame({"eeg_id": check_integer_column(path, frame, "eeg_id")})
    values = check_votes(path, frame)
    for j, column in enumerate(VOTE_COLUMNS):
        out[column] = values[:, j]
    row = _first_bad_row(out["eeg_id"].duplicated().to_numpy())
    if row is not None:
        raise DataError(
            f"{path}: column eeg_id, {csv_line(row)}: duplicate eeg_id {out['eeg_id'].iloc[row]}; "
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


def open_checked(
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
    handle, names = open_checked(path, RAW_COLUMNS, "EEG", whole=small)
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
    handle, names = open_checked(path, SPECTROGRAM_FILE_COLUMNS, "spectrogram")
    table = _read_table(handle, names, ["time"], path, "spectrogram")
    return _spectrogram_times(path, table)


def read_spectrogram(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read one spectrogram parquet file.

    Returns
    -------
    times : array, shape (n_rows,), float64
        Row times in seconds (1, 3, 5, ... in Kaggle's files).
    power : array, shape (n_rows, 400), float32
        Raw power in ``SPECTROGRAM_COLUMNS`` order (LL, RL, LP, RP x 100 bins); NaNs kept,
        infinite values turned into NaN (missing).
    """
    path = Path(path)
    handle, names = open_checked(path, SPECTROGRAM_FILE_COLUMNS, "spectrogram", whole=True)
    table = _read_table(handle, names, list(SPECTROGRAM_FILE_COLUMNS), path, "spectrogram")
    times = _spectrogram_times(path, table)
    power = np.ascontiguousarray(_columns_to_array(table, SPECTROGRAM_COLUMNS))
    if not np.isfinite(power).all():  # infinite power is no measurement: missing, like NaN
        power = np.where(np.isinf(power), np.float32(np.nan), power)
    return times, power
