import json

from pipelines.cli import main
from tests.conftest import build_tiny_layout


def test_validate_and_features_print_their_summaries_as_json(tmp_path, capsys):
    data = build_tiny_layout(tmp_path / "data")
    assert main(["validate", "--data-dir", str(data), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["problems"] == []
    assert report["n_train_rows"] == 5 and report["n_test_rows"] == 1

    args = ["features", "--data-dir", str(data), "--work-dir", str(tmp_path / "w"), "--json"]
    assert main([*args, "--families", "temporal", "--n-jobs", "1", "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out)
    by_split = {s["split"]: s for s in summary["splits"]}
    assert by_split["train"]["rows"] == 5 and by_split["test"]["rows"] == 1
    assert by_split["train"]["failures"] == [] and by_split["train"]["columns"] > 100


def test_train_prints_its_summary_and_cv_table_as_json(tmp_path, capsys):
    from tests.test_training import _tiny_table

    table = tmp_path / "table.parquet"
    _tiny_table(table)
    args = ["train", "--table", str(table), "--work-dir", str(tmp_path / "w"), "--json", "-q"]
    assert main([*args, "--models", "lightgbm", "--folds", "3", "--max-rounds", "20"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["label_rows"] == 120 and summary["train_patients"] == 20
    models = [row["model"] for row in summary["cv_table"]]
    assert models[:2] == ["uniform", "class prior"] and "blend" in models
    assert all(0 <= row["kl_test_like"] < 10 for row in summary["cv_table"])
    assert (tmp_path / "w" / "models" / summary["run"] / "bundle.json").is_file()
    # The calibration is measured on the test-like rows but, by default, not applied.
    calibration = summary["calibration"]
    assert calibration["mode"] == "both" and calibration["applied"] is False
    assert calibration["n_rows"] == 40 and len(calibration["kl_change"]["per_fold"]) == 3
    bundle = json.loads((tmp_path / "w" / "models" / summary["run"] / "bundle.json").read_text())
    assert bundle["blend"]["bias"] is None and bundle["calibration"]["applied"] is False
    import pandas as pd

    oof = pd.read_parquet(tmp_path / "w" / "models" / summary["run"] / "oof.parquet")
    assert "calibrated_grda" in oof and oof.filter(like="blend_").shape[1] == 6


def test_train_with_pseudo_labels_and_an_applied_calibration(tmp_path, capsys):
    from models.bundle import load_bundle
    from tests.test_training import _tiny_table

    table = tmp_path / "table.parquet"
    _tiny_table(table)
    args = ["train", "--table", str(table), "--work-dir", str(tmp_path / "w"), "-q"]
    args += ["--models", "lightgbm", "--folds", "3", "--max-rounds", "20"]
    assert main([*args, "--strategy", "pseudo", "--calibration", "bias"]) == 0
    text = capsys.readouterr().out
    assert "strategy pseudo" in text and "calibration (bias, fitted out of fold on 40" in text
    assert "applied)" in text and "calibrated (bias) on the test-like rows" in text
    bundle = load_bundle(next((tmp_path / "w" / "models").glob("2*")))
    assert len(bundle.blend.bias) == 6 and bundle.meta["strategy"] == "pseudo"


def test_demo_data_says_its_patient_count_spans_train_and_test(tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "demo"
    assert main(["demo-data", str(out), "--n-eegs", "6", "--n-jobs", "1", "--quiet"]) == 0
    text = capsys.readouterr().out
    train = pd.read_csv(out / "train.csv")
    test = pd.read_csv(out / "test.csv")
    both = len(set(train["patient_id"]) | set(test["patient_id"]))
    assert f"{both} patients in train and test together" in text
    assert f"{train['eeg_id'].nunique()} train EEGs" in text
