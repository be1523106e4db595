"""Provenance: what a bundle records of its data, the one-line warning on other data, LATEST
kept on a real-data bundle when a demo trains, the default bundle per data set, `hms runs`."""

from __future__ import annotations

import json
import shutil

import pandas as pd

from pipelines.cli import main
from pipelines.provenance import (
    bundle_for_data,
    dataset_provenance,
    mismatch_warning,
    same_dataset,
    update_latest,
)
from pipelines.runs import like_test_mask, list_runs
from tests.conftest import build_tiny_layout


def _fake_bundle(work, run, dataset, created):
    path = work / "models" / run
    path.mkdir(parents=True)
    meta = {"run": run, "created": created, "dataset": dataset}
    (path / "bundle.json").write_text(json.dumps(meta))
    return path


def test_provenance_of_a_layout_and_a_copy(tmp_path):
    data = build_tiny_layout(tmp_path / "real")
    prov = dataset_provenance(data)
    assert prov["generated"] is False
    assert (prov["n_train_rows"], prov["n_train_eegs"], prov["n_train_patients"]) == (5, 2, 2)
    assert prov["n_test_eegs"] == 1 and prov["name"] == "real"
    copy = shutil.copytree(data, tmp_path / "copy")
    assert dataset_provenance(copy)["key"] != prov["key"]
    assert same_dataset(dataset_provenance(copy), prov)  # same train.csv: same data
    (copy / "demo_truth.csv").write_text("label_id\n")
    assert dataset_provenance(copy)["generated"] is True


def test_warning_names_both_data_sets(tmp_path):
    real = build_tiny_layout(tmp_path / "real")
    other = build_tiny_layout(tmp_path / "demo", seed=1)
    pd.read_csv(other / "train.csv").head(3).to_csv(other / "train.csv", index=False)
    (other / "demo_truth.csv").write_text("label_id\n")
    meta = {"run": "r1", "dataset": dataset_provenance(other)}
    assert mismatch_warning(meta, other) is None
    line = mismatch_warning(meta, real)
    assert line.startswith("warning: model r1 was trained on generated demo data 'demo'")
    assert "real data 'real' (5 label rows, 2 EEGs)" in line and "\n" not in line
    assert "does not record" in mismatch_warning({"run": "old"}, real)


def test_demo_never_moves_latest_off_a_real_bundle(tmp_path, capsys):
    real = build_tiny_layout(tmp_path / "real")
    demo = build_tiny_layout(tmp_path / "demo", seed=1)
    pd.read_csv(demo / "train.csv").head(3).to_csv(demo / "train.csv", index=False)
    (demo / "demo_truth.csv").write_text("label_id\n")
    work = tmp_path / "work"
    real_prov, demo_prov = dataset_provenance(real), dataset_provenance(demo)
    _fake_bundle(work, "20260101-000000", demo_prov, "2026-01-01T00:00:00")
    assert update_latest(work, "20260101-000000", demo_prov) is None
    _fake_bundle(work, "20260102-000000", real_prov, "2026-01-02T00:00:00")
    assert update_latest(work, "20260102-000000", real_prov) is None  # real replaces demo
    _fake_bundle(work, "20260103-000000", demo_prov, "2026-01-03T00:00:00")
    note = update_latest(work, "20260103-000000", demo_prov)
    assert note.startswith("note: models/LATEST stays at 20260102-000000")
    assert (work / "models" / "LATEST").read_text().strip() == "20260102-000000"
    # the default bundle follows the data: the newest demo bundle for the demo data
    assert bundle_for_data(work, demo).name == "20260103-000000"
    assert bundle_for_data(work, real).name == "20260102-000000"

    rows = list_runs(work)
    assert [r["run"] for r in rows] == ["20260101-000000", "20260102-000000", "20260103-000000"]
    assert [r["latest"] for r in rows] == [False, True, False]
    assert main(["runs", "--work-dir", str(work), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["generated"] for r in listed] == [True, False, True]
    assert main(["runs", "--work-dir", str(work)]) == 0
    text = capsys.readouterr().out
    assert "* 20260102-000000" in text and "real, 5 train rows" in text


def test_test_like_rows_are_one_reliable_row_per_eeg():
    votes = {c: [0] * 5 for c in ["seizure_vote", "lpd_vote", "gpd_vote", "lrda_vote"]}
    frame = pd.DataFrame(
        {
            "eeg_id": [1, 1, 1, 2, 2],
            **votes,
            "grda_vote": [3, 12, 15, 10, 11],
            "other_vote": [0] * 5,
        }
    )
    assert like_test_mask(frame).tolist() == [False, True, False, True, False]


def test_annotate_warns_when_the_bundle_was_trained_on_generated_data(tmp_path):
    import json

    from pipelines.provenance import recording_warning

    bundle = tmp_path / "run-1"
    bundle.mkdir()
    (bundle / "bundle.json").write_text(json.dumps({"dataset": {"generated": True, "name": "d"}}))
    assert "generated demo data 'd'" in recording_warning(bundle)
    (bundle / "bundle.json").write_text(json.dumps({"dataset": {"generated": False, "name": "r"}}))
    assert recording_warning(bundle) is None
    (bundle / "bundle.json").write_text("{}")
    assert "an unrecorded data set" in recording_warning(bundle)
    assert recording_warning(tmp_path / "no-such-bundle") is None
