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
