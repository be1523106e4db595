"""Summary, annotations file and HTML page of a timeline, on hand-made timelines with known
answers (no model needed)."""

from __future__ import annotations

import json

import mne
import numpy as np
import pandas as pd
import pytest

from models.labels import CLASSES
from pipelines.recordings.annotate import PATTERN_COLUMNS, TREND_BINS, Annotation
from pipelines.recordings.outputs import pattern_runs, run_annotations, summarise, write_outputs


def _annotation(patterns: list[str], step: float = 10.0) -> Annotation:
    """A timeline whose rows carry probability 0.9 on the named pattern."""
    n = len(patterns)
    offsets = np.arange(n) * step
    probs = np.full((n, len(CLASSES)), 0.02)
    for i, p in enumerate(patterns):
        probs[i, CLASSES.index(p)] = 0.9
    frame = pd.DataFrame(probs, columns=list(PATTERN_COLUMNS))
    frame.insert(0, "window_start_sec", offsets)
    frame.insert(1, "start_sec", offsets + 20)
    frame.insert(2, "end_sec", offsets + 30)
    frame.insert(3 + len(CLASSES), "pattern", patterns)
    frame["nan_share"] = 0.0
    frame["flat_channels"] = 0.0
    frame["muscle_ratio"] = -1.0
    freqs = np.linspace(1, 19, TREND_BINS)
    trend = np.zeros((n, TREND_BINS), dtype=np.float32)
    files = pd.DataFrame({"onset": [5.0], "duration": [0.0], "description": ["note"]})
    return Annotation("made.edf", frame, trend, freqs, n * step + 40, ["EKG"], files, 1.0)


def test_summary_known_answers():
    # 2 hours of rows every 10 s: hour 0 holds 60 seizure rows (from row 100), hour 1 holds 90
    # (two runs: rows 400-459 and 600-629); LPD once for 30 s at row 700
    patterns = ["other"] * 720
    patterns[100:160] = ["seizure"] * 60
    patterns[400:460] = ["seizure"] * 60
    patterns[600:630] = ["seizure"] * 30
    patterns[700:703] = ["lpd"] * 3
    summary = summarise(_annotation(patterns), step_sec=10.0)
    seizure = summary["patterns"]["seizure"]
    assert seizure["share"] == pytest.approx(150 / 720)
    assert seizure["longest_run_sec"] == 600.0 and seizure["n_runs"] == 3
    assert seizure["first_onset_sec"] == 100 * 10 + 20
    # hours by the start of each row's centre: rows 358.. start in hour 1
    hour_of = (np.arange(720) * 10 + 20) // 3600
    in_hour1 = np.array(patterns)[hour_of == 1] == "seizure"
    assert summary["seizure_burden"]["hour"] == 1
    assert summary["seizure_burden"]["max_hourly_share"] == pytest.approx(in_hour1.mean())
    assert summary["patterns"]["lpd"]["longest_run_sec"] == 30.0
    assert summary["patterns"]["grda"]["first_onset_sec"] is None
    assert summary["n_windows"] == 720 and summary["quality"]["missing_channels"] == ["EKG"]


def test_runs_above_threshold_become_annotations_mne_reads(tmp_path):
    patterns = ["other"] * 10 + ["seizure"] * 5 + ["other"] * 3 + ["grda"] * 2
    ann = _annotation(patterns)
    runs = run_annotations(ann.timeline, threshold=0.5)
    assert list(runs.onset) == [120.0, 200.0]
    assert list(runs.duration) == [50.0, 20.0]
    assert runs.description[0].startswith("hms seizure")
    summary = write_outputs(ann, tmp_path / "out", step_sec=10.0)
    back = mne.read_annotations(tmp_path / "out" / "annotations.txt")
    np.testing.assert_allclose(back.onset, [120.0, 200.0])
    assert list(back.description) == list(runs.description)
    assert json.loads((tmp_path / "out" / "summary.json").read_text()) == json.loads(
        json.dumps(summary)
    )
    page = (tmp_path / "out" / "index.html").read_text()
    assert "data:image/png;base64," in page and "made.edf" in page
    assert "http://" not in page and "https://" not in page  # self-contained
    table = pd.read_parquet(tmp_path / "out" / "timeline.parquet")
    pd.testing.assert_frame_equal(table, ann.timeline, check_dtype=False)
    assert len(pd.read_csv(tmp_path / "out" / "timeline.csv")) == len(patterns)
    assert list(pd.read_csv(tmp_path / "out" / "file_annotations.csv")["description"]) == ["note"]


def test_pattern_runs_of_an_empty_mask():
    t = pd.DataFrame({"start_sec": [20.0, 30.0], "end_sec": [30.0, 40.0]})
    assert pattern_runs(t, np.array([False, False])) == []
    assert pattern_runs(t, np.array([True, True])) == [(20.0, 40.0)]
