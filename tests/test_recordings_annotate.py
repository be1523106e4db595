"""``hms annotate`` end to end with a real (small) model bundle: timeline rows and pattern
runs where the patterns were drawn, chunking that does not change a number, a 30 s EDF+D
gap, and several recordings in parallel with one failure and a resumed rerun.

The bundle is a LightGBM model trained here on the features of generated recordings (blocks
of one demo pattern each, features computed the way ``hms annotate`` computes them), so the
test can check placement in time rather than the demo model's accuracy. The generated
recording to annotate is 27 minutes, not 2 hours, to keep the suite fast.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from models.blend import Blend
from models.bundle import load_bundle, save_bundle
from models.cv import fit_model
from models.labels import CLASSES
from pipelines.cli import main
from pipelines.features_stage import feature_config
from pipelines.recordings import annotate as annotate_module
from pipelines.recordings.annotate import PATTERN_COLUMNS, annotate, chunk_features
from pipelines.recordings.outputs import pattern_runs
from pipelines.recordings.reader import recording_from_raw
from pipelines.recordings.synthetic import export_edf, pattern_recording, raw_array
from tests.test_recordings_reader import with_gap

BLOCK_SEC = 150.0


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory):
    """A LightGBM bundle trained on 4 generated blocks of each pattern."""
    features, votes, names = [], [], None
    for k, pattern in enumerate(CLASSES * 4):
        x = pattern_recording([(pattern, BLOCK_SEC)], seed=100 + k)
        rec = recording_from_raw(raw_array(x, 200.0), name=f"train-{k}")
        offsets = np.arange(0.0, BLOCK_SEC - 50 + 1, 10.0)
        matrix, _ = chunk_features(rec, offsets, None, True)
        names = matrix.names
        features.append(matrix.values)
        votes.append(np.tile(np.eye(len(CLASSES))[CLASSES.index(pattern)] * 3, (len(offsets), 1)))
    X, V = np.concatenate(features), np.concatenate(votes)
    model = fit_model("lightgbm", X, V, strategy="plain", params={}, seed=0, n_rounds=60)
    path = tmp_path_factory.mktemp("bundle") / "blocks"
    return save_bundle(
        path, feature_columns=names, models={"lightgbm": model},
        blend=Blend(("lightgbm",), (1.0,), 1.0), meta={"feature_config": feature_config(None)},
    )  # fmt: skip


def test_timeline_rows_and_pattern_runs_match_where_patterns_were_drawn(bundle_dir, tmp_path):
    blocks = [("other", 400.0), ("seizure", 400.0), ("lpd", 400.0), ("other", 400.0)]
    # Seed 11: the test checks where patterns are placed in time, not how a model trained on
    # 24 short blocks copes with an unusual background. Under the calibrated generator, seed
    # 7 (used before) draws a first "other" block at 2.6 times the typical amplitude, which
    # that small model reads as seizure in 58% of its windows.
    x = pattern_recording(blocks, seed=11, sfreq=256.0)
    edf = export_edf(raw_array(x, 256.0), tmp_path / "patient.edf")
    out = tmp_path / "out"
    assert main(["annotate", str(edf), "--model", str(bundle_dir), "--out", str(out),
                 "--n-jobs", "1"]) == 0  # fmt: skip
    t = pd.read_parquet(out / "patient" / "timeline.parquet")
    assert len(t) == int((1600 - 50) // 10) + 1
    np.testing.assert_allclose(t["start_sec"], t["window_start_sec"] + 20)
    np.testing.assert_allclose(t[list(PATTERN_COLUMNS)].sum(axis=1), 1.0, atol=1e-5)
    for i, (pattern, _) in enumerate(blocks):
        lo, hi = 400.0 * i, 400.0 * (i + 1)
        inside = t[(t["window_start_sec"] >= lo) & (t["window_start_sec"] + 50 <= hi)]
        share = (inside["pattern"] == pattern).mean()
        assert share >= 0.7, (
            f"{pattern}: {share:.0%} of its windows; {inside['pattern'].value_counts().to_dict()}"
        )
    # every run of a pattern lasting a minute or more lies in a block where it was drawn
    long_runs = 0
    for pattern in CLASSES:
        for start, end in pattern_runs(t, (t["pattern"] == pattern).to_numpy()):
            if end - start < 60:
                continue
            long_runs += 1
            block = int((start + end) / 2 // 400)
            assert blocks[block][0] == pattern, f"{pattern} run {start}-{end} s"
            assert 400 * block - 50 <= start and end <= 400 * (block + 1) + 50
    assert long_runs >= len(blocks)
    summary = json.loads((out / "patient" / "summary.json").read_text())
    assert 380.0 <= summary["patterns"]["seizure"]["first_onset_sec"] <= 440.0


def test_chunk_size_does_not_change_the_timeline(bundle_dir, monkeypatch):
    x = pattern_recording([("lrda", 200.0), ("gpd", 200.0)], seed=3)
    raw = raw_array(x, 200.0)
    bundle = load_bundle(bundle_dir)
    whole = annotate(raw, bundle)
    monkeypatch.setattr(annotate_module, "CHUNK_SEC", 120.0)  # 26 windows (260 s) a chunk
    chunked = annotate(raw, bundle, n_jobs=2)
    pd.testing.assert_frame_equal(whole, chunked, check_exact=False, atol=1e-5)
    assert len(whole) == (400 - 50) // 10 + 1  # two chunks of whole engine batches


def test_a_30_second_gap_is_flagged_and_predicted_through(bundle_dir, tmp_path):
    x = pattern_recording([("seizure", 120.0)], seed=9, sfreq=256.0)
    edf = with_gap(export_edf(raw_array(x, 256.0), tmp_path / "gap.edf"), 60, 30)
    import mne

    t = annotate(mne.io.read_raw(edf, verbose="error"), bundle_dir)
    assert list(t["window_start_sec"]) == [10.0 * k for k in range(11)]  # 150 s with the gap
    centre_in_gap = t["window_start_sec"].isin([40.0, 50.0, 60.0])
    assert (t.loc[centre_in_gap, "nan_share"] == 1.0).all()
    clear = (t["window_start_sec"] + 50 <= 60) | (t["window_start_sec"] >= 90)
    assert (t.loc[clear, "nan_share"] == 0.0).all()
    probs = t[list(PATTERN_COLUMNS)].to_numpy()
    assert np.isfinite(probs).all()


def test_many_recordings_run_resume_and_survive_one_failure(bundle_dir, tmp_path, capsys):
    folder = tmp_path / "ward"
    folder.mkdir()
    export_edf(raw_array(pattern_recording([("grda", 100.0)], seed=1), 200.0), folder / "a.edf")
    export_edf(raw_array(pattern_recording([("other", 40.0)], seed=2), 200.0), folder / "b.edf")
    args = ["annotate", str(folder), "--model", str(bundle_dir), "--out", str(tmp_path / "o"),
            "--n-jobs", "2"]  # fmt: skip
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "b.edf: the recording lasts 40.0 s" in out
    assert (tmp_path / "o" / "a" / "summary.json").is_file()
    failures = pd.read_csv(tmp_path / "o" / "failures.csv")
    assert list(failures["path"]) == [str(folder / "b.edf")]
    assert main(args) == 1
    assert f"skipped {folder / 'a.edf'}" in capsys.readouterr().out
