"""The features stage: cache keys, reuse, failures, resume after SIGKILL, dask backend."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.labels import VOTE_COLUMNS
from pipelines.cli import main
from pipelines.features_stage import build_features, dataset_key, feature_columns, feature_paths
from tests.conftest import build_layout, needs_real_mini


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    return build_layout(tmp_path / "data", n_eegs=8)


def test_train_table_has_keys_votes_and_float32_features(layout, tmp_path):
    summary = build_features(layout, tmp_path / "work", n_jobs=1, progress=False)
    table = pd.read_parquet(summary.table)
    labels = pd.read_csv(layout / "train.csv")
    assert len(table) == len(labels) == summary.n_rows
    # Rows come out in train.csv order.
    assert table["label_id"].tolist() == labels["label_id"].tolist()
    votes = list(VOTE_COLUMNS)
    assert table[votes].to_numpy().tolist() == labels[votes].to_numpy().tolist()
    features = feature_columns(table)
    assert len(features) > 500
    assert all(table[c].dtype == np.float32 for c in features)
    assert "patient_id" in table and summary.n_columns == table.shape[1]


def test_test_split_is_one_row_per_eeg_in_test_csv_order(layout, tmp_path):
    summary = build_features(layout, tmp_path / "work", split="test", n_jobs=1, progress=False)
    table = pd.read_parquet(summary.table)
    assert table["eeg_id"].tolist() == pd.read_csv(layout / "test.csv")["eeg_id"].tolist()
    assert "eeg_offset" not in table


def test_rerun_reuses_cache_and_same_bytes(layout, tmp_path):
    first = build_features(layout, tmp_path / "work", n_jobs=1, progress=False)
    data = first.table.read_bytes()
    second = build_features(layout, tmp_path / "work", n_jobs=1, progress=False)
    assert (second.n_computed, second.n_cached) == (0, first.n_recordings)
    assert second.table.read_bytes() == data
    other = build_features(layout, tmp_path / "elsewhere", n_jobs=2, progress=False)
    assert other.table.read_bytes() == data  # parallel and serial give the same bytes


def test_two_data_dirs_never_mix(tmp_path):
    a = build_layout(tmp_path / "a" / "data", n_eegs=2, seed=1)
    b = build_layout(tmp_path / "b" / "data", n_eegs=2, seed=2)
    assert dataset_key(a) != dataset_key(b)
    work = tmp_path / "work"
    ta = pd.read_parquet(build_features(a, work, n_jobs=1, progress=False).table)
    tb = pd.read_parquet(build_features(b, work, n_jobs=1, progress=False).table)
    column = "eeg_spectral_abspow_alpha_fp1-f7_50s"
    assert not np.allclose(ta[column], tb[column])


def test_changed_families_get_their_own_cache(layout, tmp_path):
    full = feature_paths(tmp_path, layout, "train")
    subset = feature_paths(tmp_path, layout, "train", ["spectral"])
    assert full.root != subset.root
    summary = build_features(layout, tmp_path, families=["spectral"], n_jobs=1, progress=False)
    table = pd.read_parquet(summary.table)
    assert all(c.startswith("eeg_spectral_") for c in feature_columns(table))


def test_bad_recording_is_reported_and_others_kept(layout, tmp_path, capsys):
    (layout / "train_eegs" / "101.parquet").write_bytes(b"garbage")
    (layout / "train_eegs" / "103.parquet").unlink()
    code = main(
        [
            "features",
            "--data-dir",
            str(layout),
            "--work-dir",
            str(tmp_path / "w"),
            "--splits",
            "train",
            "--n-jobs",
            "1",
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "2 failed" in out and "FAILED eeg_id 101" in out and "FAILED eeg_id 103" in out
    summary = build_features(layout, tmp_path / "w", n_jobs=1, progress=False)
    failures = pd.read_csv(summary.table.with_name("train_failures.csv"))
    assert sorted(failures["eeg_id"]) == [101, 103]
    assert "not a readable parquet file" in failures.set_index("eeg_id").loc[101, "reason"]
    assert "file not found" in failures.set_index("eeg_id").loc[103, "reason"]
    table = pd.read_parquet(summary.table)
    assert not {101, 103} & set(table["eeg_id"])
    assert len(table) == len(pd.read_csv(layout / "train.csv").query("eeg_id not in [101, 103]"))


def test_resume_after_sigkill_recomputes_nothing_finished(tmp_path):
    data = build_layout(tmp_path / "data", n_eegs=40)
    work = tmp_path / "work"
    parts = feature_paths(work, data, "train").parts
    command = [
        sys.executable,
        "-m",
        "pipelines.cli",
        "features",
        "--data-dir",
        str(data),
        "--work-dir",
        str(work),
        "--splits",
        "train",
        "--n-jobs",
        "1",
        "--quiet",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(parts.glob("*.arrow"))) < 3:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finished = {p: p.stat().st_mtime_ns for p in parts.glob("*.arrow")}
    assert 3 <= len(finished) < 42, "the run was not interrupted part-way"
    summary = build_features(data, work, n_jobs=1, progress=False)
    assert summary.n_cached >= len(finished) and not summary.failures
    assert all(p.stat().st_mtime_ns == t for p, t in finished.items())
    table = pd.read_parquet(summary.table)
    assert len(table) == len(pd.read_csv(data / "train.csv"))


def test_dask_backend_matches_loky(layout, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        dask_run = build_features(
            layout,
            tmp_path / "dask",
            backend="dask",
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    local = build_features(layout, tmp_path / "loky", n_jobs=2, progress=False)
    assert dask_run.table.read_bytes() == local.table.read_bytes()


@needs_real_mini
def test_real_mini_train_and_test_tables(real_mini, tmp_path):
    train = build_features(real_mini, tmp_path, split="train", n_jobs=2, progress=False)
    test = build_features(real_mini, tmp_path, split="test", n_jobs=1, progress=False)
    assert (train.n_rows, test.n_rows) == (91, 1) and not train.failures
    table = pd.read_parquet(train.table)
    features = table[feature_columns(table)]
    assert np.isfinite(features.to_numpy()).all()
