"""Every kind of bad input gets one clear error naming the file, the row or column, and what
was expected; a valid layout (hand-built or real) validates clean."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.montage import RAW_COLUMNS
from pipelines.cli import main
from pipelines.kaggle_io import (
    DataError,
    read_eeg,
    read_spectrogram,
    read_test_labels,
    read_train_labels,
)
from pipelines.kaggle_validate import validate_layout
from tests.conftest import needs_real_mini, write_eeg, write_spectrogram


def _edit_csv(path: Path, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    frame = pd.read_csv(path)
    edit(frame).to_csv(path, index=False)


def _set(column: str, row: int, value) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
        return frame

    return edit


def _duplicate_eeg_column(path: Path) -> None:
    """The EEG with its F3 column renamed Fp1 (two columns of one name; pandas cannot)."""
    table = pq.read_table(path)
    names = ["Fp1" if n == "F3" else n for n in table.column_names]
    pq.write_table(pa.Table.from_arrays(table.columns, names=names), path)


def _rewrite_parquet(path: Path, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    edit(pd.read_parquet(path)).to_parquet(path, index=False)


# Each case: (id, corrupt(root), the file the message must name, fragments it must contain).
CASES = [
    (
        "missing train.csv",
        lambda r: (r / "train.csv").unlink(),
        "train.csv",
        ["file not found"],
    ),
    (
        "missing folder",
        lambda r: shutil.rmtree(r / "test_spectrograms"),
        "test_spectrograms",
        ["folder not found"],
    ),
    (
        "missing eeg file",
        lambda r: (r / "train_eegs" / "12.parquet").unlink(),
        "train_eegs/12.parquet",
        ["file not found", "EEG"],
    ),
    (
        "corrupt eeg parquet",
        lambda r: (r / "train_eegs" / "11.parquet").write_bytes(b"PAR1 not really parquet"),
        "train_eegs/11.parquet",
        ["not a readable parquet file"],
    ),
    (
        "truncated spectrogram parquet",
        lambda r: (r / "train_spectrograms" / "21.parquet").write_bytes(
            (r / "train_spectrograms" / "21.parquet").read_bytes()[:-100]
        ),
        "train_spectrograms/21.parquet",
        ["not a readable parquet file"],
    ),
    (
        "empty csv",
        lambda r: (r / "test.csv").write_text(""),
        "test.csv",
        ["cannot be read as CSV"],
    ),
    (
        "missing csv column",
        lambda r: _edit_csv(r / "train.csv", lambda f: f.drop(columns=["patient_id"])),
        "train.csv",
        ["missing column(s) patient_id", "expected columns"],
    ),
    (
        "unexpected csv column",
        lambda r: _edit_csv(r / "train.csv", lambda f: f.assign(extra=1)),
        "train.csv",
        ["unexpected column(s) extra"],
    ),
    (
        "missing eeg column",
        lambda r: _rewrite_parquet(r / "train_eegs" / "11.parquet", lambda f: f.drop(columns="Cz")),
        "train_eegs/11.parquet",
        ["missing column(s) Cz"],
    ),
    (
        "unexpected spectrogram column",
        lambda r: _rewrite_parquet(
            r / "test_spectrograms" / "31.parquet", lambda f: f.assign(LL_25=1.0)
        ),
        "test_spectrograms/31.parquet",
        ["unexpected column(s) LL_25"],
    ),
    (
        "string eeg column",
        lambda r: _rewrite_parquet(
            r / "train_eegs" / "12.parquet", lambda f: f.assign(Fp1=f["Fp1"].astype(str))
        ),
        "train_eegs/12.parquet",
        ["column Fp1 has type", "expected float32"],
    ),
    (
        "non-integer eeg_id",
        lambda r: _edit_csv(r / "train.csv", _set("eeg_id", 1, "abc")),
        "train.csv",
        ["column eeg_id, line 3", "expected an integer", "'abc'"],
    ),
    (
        "infinite vote",
        lambda r: _edit_csv(r / "train.csv", _set("seizure_vote", 1, "inf")),
        "train.csv",
        ["line 3", "label_id 1001", "seizure_vote is inf", "expected a finite number of votes"],
    ),
    (
        "huge vote",
        lambda r: _edit_csv(r / "train.csv", _set("gpd_vote", 2, "1e308")),
        "train.csv",
        ["line 4", "gpd_vote is 1e+308", "up to 1e+06"],
    ),
    (
        "eeg_id past int64",
        lambda r: _edit_csv(r / "train.csv", _set("eeg_id", 0, str(2**63))),
        "train.csv",
        ["column eeg_id, line 2", "expected an integer from", str(2**63)],
    ),
    (
        "header-only train.csv",
        lambda r: _edit_csv(r / "train.csv", lambda f: f.iloc[:0]),
        "train.csv",
        ["has a header but no rows", "label row"],
    ),
    (
        "train.csv is a folder",
        lambda r: ((r / "train.csv").unlink(), (r / "train.csv").mkdir()),
        "train.csv",
        ["is not a regular file"],
    ),
    (
        "train_eegs is a file",
        lambda r: (shutil.rmtree(r / "train_eegs"), (r / "train_eegs").write_text("x")),
        "train_eegs",
        ["is not a folder"],
    ),
    (
        "duplicate eeg column",
        lambda r: _duplicate_eeg_column(r / "train_eegs" / "12.parquet"),
        "train_eegs/12.parquet",
        ["duplicate column(s) Fp1", "missing column(s) F3"],
    ),
    (
        "negative votes",
        lambda r: _edit_csv(r / "train.csv", _set("lpd_vote", 2, -1)),
        "train.csv",
        ["line 4", "label_id 1002", "lpd_vote is -1", "votes must be >= 0"],
    ),
    (
        "nan votes",
        lambda r: _edit_csv(r / "train.csv", _set("grda_vote", 0, np.nan)),
        "train.csv",
        ["line 2", "grda_vote is nan", "expected a number of votes"],
    ),
    (
        "all-zero votes",
        lambda r: _edit_csv(
            r / "train.csv",
            lambda f: f.assign(**{c: 0 for c in f.columns if c.endswith("_vote")}),
        ),
        "train.csv",
        ["line 2", "all six vote columns are zero"],
    ),
    (
        "duplicate label_id",
        lambda r: _edit_csv(r / "train.csv", _set("label_id", 3, 1000)),
        "train.csv",
        ["line 5", "duplicate label_id 1000", "first seen on line 2"],
    ),
    (
        "eeg shorter than its last window",
        lambda r: write_eeg(r / "train_eegs" / "11.parquet", 10_500, np.random.default_rng(1)),
        "train_eegs/11.parquet",
        ["shorter than its window", "offset 4 s", "train.csv line 4"],
    ),
    (
        "eeg offset past the end",
        lambda r: _edit_csv(r / "train.csv", _set("eeg_label_offset_seconds", 4, 99.0)),
        "train_eegs/12.parquet",
        ["offset 99 s is past the end", "train.csv line 6"],
    ),
    (
        "short spectrogram slice",
        lambda r: write_spectrogram(
            r / "train_spectrograms" / "22.parquet", 290, np.random.default_rng(1)
        ),
        "train_spectrograms/22.parquet",
        ["has 290 rows; expected 300", "train.csv line 5"],
    ),
    (
        "spectrogram offset past the end",
        lambda r: _edit_csv(r / "train.csv", _set("spectrogram_label_offset_seconds", 0, 900.0)),
        "train_spectrograms/21.parquet",
        ["offset 900 s is past the end of the spectrogram", "line 2"],
    ),
    (
        "short test eeg",
        lambda r: write_eeg(r / "test_eegs" / "41.parquet", 9_000, np.random.default_rng(1)),
        "test_eegs/41.parquet",
        ["shorter than its window", "test.csv line 2"],
    ),
]


@pytest.mark.parametrize(
    ("corrupt", "names", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_validate_names_file_and_problem(tiny_layout, corrupt, names, fragments, capsys):
    corrupt(tiny_layout)
    report = validate_layout(tiny_layout)
    assert not report.ok
    matching = [p for p in report.problems if names in p and all(f in p for f in fragments)]
    assert matching, f"no problem names {names} with {fragments}: {report.problems}"
    assert main(["validate", "--data-dir", str(tiny_layout)]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM:" in out and names in out


def test_valid_tiny_layout_passes(tiny_layout, capsys):
    report = validate_layout(tiny_layout, deep=True)
    assert report.ok, report.problems
    assert (report.n_train_rows, report.n_test_rows, report.n_files) == (5, 1, 6)
    assert main(["validate", "--data-dir", str(tiny_layout)]) == 0
    assert "OK" in capsys.readouterr().out


def test_ids_are_parsed_exactly_not_through_float(tiny_layout):
    big = [2**53 + 1, 2**63 - 1]  # float64 would round the first to 2**53, the second past int64
    _edit_csv(tiny_layout / "train.csv", _set("eeg_id", 0, str(big[0])))
    _edit_csv(tiny_layout / "train.csv", _set("label_id", 1, str(big[1])))
    _edit_csv(tiny_layout / "train.csv", _set("patient_id", 2, "7.0"))  # written via float
    labels = read_train_labels(tiny_layout / "train.csv")
    assert int(labels["eeg_id"].iloc[0]) == big[0]
    assert int(labels["label_id"].iloc[1]) == big[1]
    assert labels["patient_id"].dtype == np.int64 and labels["patient_id"].iloc[2] == 7
    pd.DataFrame({"spectrogram_id": [31], "eeg_id": [str(-(2**63) - 1)], "patient_id": [9]}).to_csv(
        tiny_layout / "test.csv", index=False
    )
    with pytest.raises(DataError, match="column eeg_id, line 2: expected an integer from"):
        read_test_labels(tiny_layout / "test.csv")


def test_missing_data_folder(tmp_path):
    report = validate_layout(tmp_path / "nowhere")
    assert report.problems == (f"{tmp_path / 'nowhere'}: data folder not found "
                               "(expected a Kaggle-layout folder)",)  # fmt: skip


def test_readers_raise_data_error_naming_file(tiny_layout):
    _edit_csv(tiny_layout / "train.csv", _set("other_vote", 1, -2))
    with pytest.raises(DataError, match=r"train\.csv: line 3 \(label_id 1001\)"):
        read_train_labels(tiny_layout / "train.csv")
    _edit_csv(tiny_layout / "test.csv", lambda f: pd.concat([f, f]))
    with pytest.raises(DataError, match=r"test\.csv: column eeg_id, line 3: duplicate eeg_id 41"):
        read_test_labels(tiny_layout / "test.csv")
    with pytest.raises(DataError, match=r"nothing\.parquet: file not found"):
        read_eeg(tiny_layout / "nothing.parquet")
    (tiny_layout / "bad.parquet").write_bytes(b"\x00" * 64)
    with pytest.raises(DataError, match=r"bad\.parquet: not a readable parquet file"):
        read_spectrogram(tiny_layout / "bad.parquet")


def test_nan_and_flat_channels_are_not_errors(tiny_layout):
    path = tiny_layout / "train_eegs" / "11.parquet"
    _rewrite_parquet(path, lambda f: f.assign(Cz=np.nan, O2=0.0))
    assert validate_layout(tiny_layout, deep=True).ok
    x = read_eeg(path)
    assert x.shape[0] == len(RAW_COLUMNS) and np.isnan(x[RAW_COLUMNS.index("Cz")]).all()


def test_empty_label_id_is_allowed_but_not_duplicate_sub_ids(tiny_layout):
    # The real train.csv copies have a few empty label_id cells; rows are then keyed by
    # (eeg_id, eeg_sub_id), which must be unique.
    _edit_csv(tiny_layout / "train.csv", _set("label_id", 0, np.nan))
    labels = read_train_labels(tiny_layout / "train.csv")
    assert labels["label_id"].isna().sum() == 1
    _edit_csv(tiny_layout / "train.csv", _set("eeg_sub_id", 1, 0))
    with pytest.raises(DataError, match="duplicate eeg_id 11, eeg_sub_id 0"):
        read_train_labels(tiny_layout / "train.csv")


@needs_real_mini
def test_real_mini_validates_clean(real_mini, capsys):
    report = validate_layout(real_mini, deep=True)
    assert report.ok, report.problems
    assert (report.n_train_rows, report.n_test_rows) == (91, 1)
    assert report.n_files == 20  # 9 EEGs + 9 spectrograms + the test pair
    assert main(["validate", "--data-dir", str(real_mini), "--deep"]) == 0


@needs_real_mini
def test_long_eeg_files_stream_to_the_same_array(monkeypatch):
    from pipelines import kaggle_io
    from tests.conftest import REAL_MINI

    for path in sorted((REAL_MINI / "train_eegs").glob("*.parquet"))[:3]:
        whole = read_eeg(path)
        with monkeypatch.context() as patch:
            patch.setattr(kaggle_io, "WHOLE_FILE_BYTES", 0)  # every file counts as long
            patch.setattr(kaggle_io, "STREAM_BATCH_ROWS", 1000)  # several batches
            streamed = read_eeg(path)
        assert streamed.dtype == np.float32 and streamed.shape == whole.shape
        np.testing.assert_array_equal(streamed, whole)
