"""``hms features``: every label window of a data set -> one cached parquet feature table.

Layout under the work dir::

    features/{dataset}/{config}/{split}.parquet          the table (written atomically)
    features/{dataset}/{config}/{split}_failures.csv     recordings that could not be used
    features/{dataset}/{config}/{split}_parts/*.arrow    one finished recording per file
    features/{dataset}/{config}/config.json              what the config hash covers

``dataset`` is the data folder's name plus a hash of its absolute path, so two data folders
sharing one work dir never mix; ``config`` is a hash of the feature configuration and the
family versions. Each recording's part is written atomically by the worker that computed it
and named by a hash of its label rows and its files' sizes and modification times, so a
rerun (or a run restarted after a kill) computes only what is missing or changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import feather

from features.bands import BANDS, LOG_FLOOR
from features.engine import ENGINE_VERSION, extract_recording_matrix
from features.montage import CLIP_UV, MAX_INTERP_GAP_SEC, SFREQ
from features.registry import family_versions, select_families
from features.spectra import HOP_SEC, SEGMENT_SEC
from features.windows import (
    CENTRE_SEC,
    EEG_WINDOW_SEC,
    SPECTROGRAM_WINDOW_SEC,
    WindowError,
    spectrogram_slice_rows,
)
from models.labels import VOTE_COLUMNS
from pipelines.config import WorkLayout
from pipelines.feature_table import PACKED_COLUMN, assemble_table, cached_table
from pipelines.files import write_atomic, write_text_atomic, write_text_if_changed
from pipelines.kaggle_io import (
    DataError,
    KaggleLayout,
    read_eeg,
    read_spectrogram,
    read_test_labels,
    read_train_labels,
)
from pipelines.progress import Progress
from pipelines.workers import run_unordered, stop_with_parent

SPLITS = ("train", "test")
TRAIN_KEYS = (
    "eeg_id",
    "eeg_sub_id",
    "label_id",
    "spectrogram_id",
    "patient_id",
    "eeg_label_offset_seconds",
    "spectrogram_label_offset_seconds",
)
TEST_KEYS = ("eeg_id", "spectrogram_id", "patient_id")
PART_FORMAT = 2
"""Bump when the layout of a part file changes, so old parts are not read."""
META_COLUMNS = frozenset((*TRAIN_KEYS, *TEST_KEYS, *VOTE_COLUMNS))
"""Columns of a feature table that are keys or targets, not features."""


def feature_columns(table: pd.DataFrame) -> list[str]:
    """The feature columns of a feature table, in order."""
    return [c for c in table.columns if c not in META_COLUMNS]


def _short_hash(payload: object, n: int = 12) -> str:
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def feature_config(families: Iterable[str] | None = None) -> dict:
    """Everything that changes the feature numbers; its hash names the cache."""
    selected = select_families(families)
    return {
        "engine": ENGINE_VERSION,
        "families": family_versions(selected),
        "sfreq": SFREQ,
        "eeg_window_sec": EEG_WINDOW_SEC,
        "centre_sec": CENTRE_SEC,
        "spectrogram_window_sec": SPECTROGRAM_WINDOW_SEC,
        "segment_sec": SEGMENT_SEC,
        "hop_sec": HOP_SEC,
        "bands": BANDS,
        "clip_uv": CLIP_UV,
        "max_interp_gap_sec": MAX_INTERP_GAP_SEC,
        "log_floor": LOG_FLOOR,
    }


def dataset_key(data_dir: Path) -> str:
    """``{folder name}-{hash of its absolute path}``: one cache per data folder."""
    resolved = Path(data_dir).resolve()
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in resolved.name) or "data"
    return f"{name}-{_short_hash(str(resolved), 8)}"


@dataclass(frozen=True)
class FeaturePaths:
    root: Path
    split: str

    @property
    def table(self) -> Path:
        return self.root / f"{self.split}.parquet"

    @property
    def failures(self) -> Path:
        return self.root / f"{self.split}_failures.csv"

    @property
    def parts(self) -> Path:
        return self.root / f"{self.split}_parts"

    @property
    def names(self) -> Path:
        return self.root / "feature_names"

    @property
    def config(self) -> Path:
        return self.root / "config.json"


def feature_paths(
    work_dir: Path, data_dir: Path, split: str, families: Iterable[str] | None = None
) -> FeaturePaths:
    config_hash = _short_hash(feature_config(families))
    root = WorkLayout(work_dir).feature_root(dataset_key(data_dir), config_hash)
    return FeaturePaths(root, split)


# --- one recording -----------------------------------------------------------------------


@dataclass(frozen=True)
class RecordingTask:
    """One EEG and its label rows: the unit of work (and of caching)."""

    split: str
    eeg_id: int
    rows: pa.Table  # key columns (+ votes for train), in output order
    eeg_path: Path
    spectrogram_paths: dict[int, Path]
    part_path: Path
    names_dir: Path
    families: tuple[str, ...] | None


@dataclass(frozen=True)
class Outcome:
    eeg_id: int
    n_rows: int
    seconds: float
    error: str | None = None
    cached: bool = False


def _file_stamp(path: Path) -> list:
    try:
        stat = path.stat()
        return [path.name, stat.st_size, stat.st_mtime_ns]
    except OSError:
        return [path.name, None, None]


def _offset_columns(split: str) -> tuple[str, str]:
    if split == "train":
        return "eeg_label_offset_seconds", "spectrogram_label_offset_seconds"
    return "eeg_offset", "spectrogram_offset"


def compute_recording(task: RecordingTask) -> tuple[pa.Table, list[str]]:
    """Read one recording once and compute every label window's features.

    Returns the recording's part of the table (key and vote columns, then the float32
    features packed in one column, rows in label-file order) and the feature names.
    """
    raw = read_eeg(task.eeg_path)
    eeg_col, spec_col = _offset_columns(task.split)
    rows = task.rows
    wants_spectrogram = any(f.source == "spectrogram" for f in select_families(task.families))
    spec_ids = rows.column("spectrogram_id").to_numpy()
    eeg_offsets = rows.column(eeg_col).to_numpy()
    # Rows of one EEG may point at different spectrograms; compute each group in one batch.
    names: list[str] = []
    matrix = None
    for spec_id in pd.unique(spec_ids):
        positions = np.flatnonzero(spec_ids == spec_id)
        power = slice_rows = None
        if wants_spectrogram:
            spec_path = task.spectrogram_paths[int(spec_id)]
            times, power = read_spectrogram(spec_path)
            try:
                spec_offsets = rows.column(spec_col).to_numpy()[positions]
                slice_rows = spectrogram_slice_rows(times, spec_offsets)
            except WindowError as err:
                raise DataError(f"{spec_path}: {err}") from err
        try:
            part = extract_recording_matrix(
                raw,
                eeg_offsets[positions],
                families=task.families,
                spectrogram_power=power,
                spectrogram_rows=slice_rows,
            )
        except WindowError as err:
            raise DataError(f"{task.eeg_path}: {err}") from err
        if matrix is None:
            names = part.names
            matrix = np.empty((len(rows), len(names)), dtype=np.float32)
        matrix[positions] = part.values
    # Features travel as one fixed-size-list column (building 1,500 Arrow columns per
    # recording costs more than computing some families); their names go in a side file
    # named by their hash, and the table gets its named columns once per row group.
    names_hash = _short_hash(names)
    packed = pa.FixedSizeListArray.from_arrays(pa.array(matrix.ravel()), len(names))
    keys = rows.select([c for c in rows.column_names if c in META_COLUMNS])
    table = keys.append_column(PACKED_COLUMN, packed)
    return table.replace_schema_metadata({"feature_names": names_hash}), names


def write_table_atomic(table: pa.Table, path: Path) -> None:
    """``.parquet`` paths are written as parquet, anything else as an uncompressed Arrow IPC
    file (fast for wide tables); atomically either way."""
    if path.suffix == ".parquet":
        write_atomic(path, lambda tmp: pq.write_table(table, tmp))
    else:
        write_atomic(
            path, lambda tmp: feather.write_feather(table, tmp, compression="uncompressed")
        )


def run_task(task: RecordingTask, parent_pid: int | None = None) -> Outcome:
    """Compute and write one recording's part; never raises (the failure is returned).
    In a worker process, ``parent_pid`` is the stage's process: the worker exits with it."""
    stop_with_parent(parent_pid)
    start = time.perf_counter()
    if task.part_path.exists():
        return Outcome(task.eeg_id, len(task.rows), 0.0, cached=True)
    try:
        table, names = compute_recording(task)
        names_path = task.names_dir / f"{table.schema.metadata[b'feature_names'].decode()}.json"
        if not names_path.exists():
            write_text_atomic(names_path, json.dumps(names))
        write_table_atomic(table, task.part_path)
    except (DataError, WindowError, ValueError, OSError) as err:
        return Outcome(task.eeg_id, 0, time.perf_counter() - start, error=str(err))
    except Exception as err:  # a bug must not lose the other recordings' work
        detail = traceback.format_exception_only(type(err), err)[-1].strip()
        return Outcome(task.eeg_id, 0, time.perf_counter() - start, error=f"internal: {detail}")
    return Outcome(task.eeg_id, len(table), time.perf_counter() - start)


# --- the stage ---------------------------------------------------------------------------


def label_rows(layout: KaggleLayout, split: str) -> pd.DataFrame:
    """The key (and vote) columns of every label row of a split, in file order."""
    if split == "train":
        labels = read_train_labels(layout.train_csv)
        return labels[[*TRAIN_KEYS, *VOTE_COLUMNS]]
    if split == "test":
        labels = read_test_labels(layout.test_csv)
        return labels[list(TEST_KEYS)].assign(eeg_offset=0.0, spectrogram_offset=0.0)
    raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def make_tasks(
    layout: KaggleLayout,
    split: str,
    rows: pd.DataFrame,
    paths: FeaturePaths,
    families: tuple[str, ...] | None,
) -> list[RecordingTask]:
    tasks = []
    # One vectorised hash per label row (values and column names), combined per EEG below;
    # each EEG's rows travel to the worker as a small Arrow table (slicing a data frame
    # 17,000 times would cost the parent seconds).
    row_hashes = pd.util.hash_pandas_object(rows, index=False).to_numpy()
    columns = list(rows.columns)
    table = pa.Table.from_pandas(rows, preserve_index=False).replace_schema_metadata(None)
    spectrogram_ids = rows["spectrogram_id"].to_numpy()
    by_eeg = rows.groupby("eeg_id", sort=False).indices
    for eeg_id in pd.unique(rows["eeg_id"]):  # in order of first appearance
        positions = by_eeg[eeg_id]
        group = table.take(positions)
        eeg_path = layout.eeg_path(split, eeg_id)
        spec_paths = {
            int(s): layout.spectrogram_path(split, s) for s in pd.unique(spectrogram_ids[positions])
        }
        stamp = [
            PART_FORMAT,
            columns,
            hashlib.sha256(row_hashes[positions].tobytes()).hexdigest(),
            _file_stamp(eeg_path),
            [_file_stamp(p) for p in spec_paths.values()],
        ]
        part = paths.parts / f"{int(eeg_id)}-{_short_hash(stamp, 10)}.arrow"
        tasks.append(
            RecordingTask(
                split, int(eeg_id), group, eeg_path, spec_paths, part, paths.names, families
            )
        )
    return tasks


def _iterate(
    tasks: list[RecordingTask], n_jobs: int, backend: str, scheduler: str | None
) -> Iterator[Outcome]:
    yield from run_unordered(
        run_task, tasks, n_jobs=n_jobs, backend=backend, scheduler=scheduler,
        local_args=(os.getpid(),),
    )  # fmt: skip


@dataclass
class FeatureSummary:
    split: str
    table: Path
    n_rows: int
    n_columns: int
    n_recordings: int
    n_computed: int
    n_cached: int
    failures: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0

    n_windows_computed: int = 0

    @property
    def windows_per_second(self) -> float:
        """Label windows computed (not read from the cache) per second of the whole run."""
        return self.n_windows_computed / self.seconds if self.seconds > 0 else float("nan")


def _parts_signature(tasks: list[RecordingTask], failed: set[int]) -> bytes:
    """Which parts a table is made of (their names hash their inputs)."""
    return _short_hash([t.part_path.name for t in tasks if t.eeg_id not in failed]).encode()


def _compute(
    pending: list[RecordingTask], bar: Progress, n_jobs: int, backend: str, scheduler: str | None
) -> tuple[list[tuple[int, str]], int]:
    """Run the pending recordings; their failures (eeg_id, reason) and the windows computed."""
    failures: list[tuple[int, str]] = []
    n_windows_computed = 0
    by_id = {t.eeg_id: t for t in pending}
    # Longest recordings first, so no worker is left finishing a long one alone at the end
    # (the table's row order does not depend on the order of computation).
    by_size = sorted(pending, key=lambda t: len(t.rows), reverse=True)
    for outcome in _iterate(by_size, n_jobs, backend, scheduler):
        if outcome.error:
            failures.append((outcome.eeg_id, outcome.error))
        elif not outcome.cached:
            n_windows_computed += outcome.n_rows
        bar.update(len(by_id[outcome.eeg_id].rows))
    return failures, n_windows_computed


def build_features(
    data_dir: Path,
    work_dir: Path,
    *,
    split: str = "train",
    families: Iterable[str] | None = None,
    n_jobs: int = -1,
    backend: str = "loky",
    scheduler: str | None = None,
    progress: bool = True,
) -> FeatureSummary:
    """Compute (or reuse) the feature table of one split of a Kaggle-layout folder.

    Recordings that cannot be used (missing, corrupt, too short) are listed in the summary
    and in ``{split}_failures.csv``; the table holds every other recording.
    """
    start = time.perf_counter()
    family_list = None if families is None else tuple(families)
    select_families(family_list)  # refuse unknown names before any work
    layout = KaggleLayout(Path(data_dir))
    paths = feature_paths(work_dir, data_dir, split, family_list)
    paths.root.mkdir(parents=True, exist_ok=True)
    config = {"data_dir": str(Path(data_dir).resolve()), **feature_config(family_list)}
    write_text_if_changed(paths.config, json.dumps(config, indent=2))
    rows = label_rows(layout, split)
    tasks = make_tasks(layout, split, rows, paths, family_list)
    pending = [t for t in tasks if not t.part_path.exists()]
    n_cached = len(tasks) - len(pending)

    with Progress(len(rows), f"{split} features", unit="win", enabled=progress) as bar:
        bar.update(len(rows) - sum(len(t.rows) for t in pending))
        failures, n_windows_computed = _compute(pending, bar, n_jobs, backend, scheduler)
    failed = {eeg_id for eeg_id, _ in failures}
    # A table already assembled from these very parts is not rewritten (a rerun on a full
    # disk that holds everything it needs must not fail).
    signature = _parts_signature(tasks, failed)
    done = [t.part_path for t in tasks if t.eeg_id not in failed]
    cached = cached_table(paths.table, signature)
    n_rows, n_columns = cached or assemble_table(done, paths.names, paths.table, signature)
    if n_rows == 0 and paths.table.exists():
        paths.table.unlink()  # never leave an older table standing in for this run's
    if failures:
        frame = pd.DataFrame(failures, columns=["eeg_id", "reason"]).sort_values("eeg_id")
        write_text_if_changed(paths.failures, frame.to_csv(index=False))
    elif paths.failures.exists():
        paths.failures.unlink()
    return FeatureSummary(
        split=split,
        table=paths.table,
        n_rows=n_rows,
        n_columns=n_columns,
        n_recordings=len(tasks),
        n_computed=len(tasks) - n_cached - len(failures),
        n_cached=n_cached,
        failures=failures,
        seconds=time.perf_counter() - start,
        n_windows_computed=n_windows_computed,
    )
