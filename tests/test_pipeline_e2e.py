"""The whole chain on a tiny generated data set: features -> train -> submit -> score, plus
tuning that resumes and a submission for the real test EEG."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from models.bundle import load_bundle, write_manifest
from models.labels import VOTE_COLUMNS
from pipelines.cli import main
from pipelines.demo.dataset import write_demo_dataset
from pipelines.features_stage import dataset_key
from pipelines.submit_stage import Predictor
from pipelines.tune_stage import tune
from tests.conftest import needs_real_mini


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    data, work = root / "data", root / "work"
    write_demo_dataset(data, n_eegs=24, seed=5, n_jobs=2, progress=False)
    code = main(
        [
            "train",
            "--data-dir",
            str(data),
            "--work-dir",
            str(work),
            "--folds",
            "3",
            "--max-rounds",
            "60",
            "--quiet",
            "--n-jobs",
            "2",
        ]
    )
    assert code == 0
    return data, work


def test_train_writes_a_bundle_with_cv_table_and_oof(trained, capsys):
    data, work = trained
    run = (work / "models" / "LATEST").read_text().strip()
    bundle = load_bundle(work / "models" / run)
    table = pd.DataFrame(bundle.meta["cv_table"])
    names = set(table["model"])
    for expected in (
        "uniform",
        "class prior",
        "starter features (lightgbm)",
        "lightgbm (full features)",
        "catboost (full features)",
        "blend",
        "oracle (true probabilities)",
    ):
        assert expected in names
    assert table["kl_all"].notna().all()
    assert bundle.meta["params_source"]["lightgbm"]["source"] == "defaults"
    versions = json.loads((bundle.path / "bundle.json").read_text())["versions"]
    assert {"lightgbm", "catboost", "numpy"} <= set(versions)
    oof = pd.read_parquet(bundle.path / "oof.parquet")
    labels = pd.read_csv(data / "train.csv")
    assert len(oof) == len(labels) and oof["fold"].nunique() == 3
    # no patient in two folds
    assert (oof.groupby("patient_id")["fold"].nunique() == 1).all()
    blend = oof.filter(like="blend_").to_numpy()
    assert np.allclose(blend.sum(axis=1), 1, atol=1e-5)


def test_submit_writes_a_valid_submission_and_scores(trained, capsys):
    data, work = trained
    assert main(["submit", "--data-dir", str(data), "--work-dir", str(work), "--quiet"]) == 0
    assert "warning" not in capsys.readouterr().err  # the bundle's own data
    path = work / "submissions" / dataset_key(data) / "submission.csv"
    sub = pd.read_csv(path)
    sample = pd.read_csv(data / "sample_submission.csv")
    assert list(sub.columns) == list(sample.columns)
    assert sub["eeg_id"].tolist() == pd.read_csv(data / "test.csv")["eeg_id"].tolist()
    values = sub[list(VOTE_COLUMNS)].to_numpy()
    assert np.isfinite(values).all() and np.allclose(values.sum(axis=1), 1)
    capsys.readouterr()
    assert main(["score", str(data / "demo_test_solution.csv"), str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["kl_all"] > 0


def test_predict_one_recording_matches_submit(trained):
    data, work = trained
    run = (work / "models" / "LATEST").read_text().strip()
    test = pd.read_csv(data / "test.csv").iloc[0]
    probs = Predictor(work / "models" / run).predict(
        data / "test_eegs" / f"{test.eeg_id}.parquet",
        data / "test_spectrograms" / f"{test.spectrogram_id}.parquet",
    )
    out = work / "submissions" / "for_predict.csv"
    assert (
        main(
            [
                "submit",
                "--data-dir",
                str(data),
                "--work-dir",
                str(work),
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    sub = pd.read_csv(out).set_index("eeg_id")
    assert list(probs.values()) == pytest.approx(sub.loc[test.eeg_id].tolist(), abs=1e-6)


def test_study_interrupted_after_two_trials_resumes_to_four(trained):
    data, work = trained
    storage = f"sqlite:///{work / 'study.db'}"
    first = tune(
        data,
        work,
        kinds=("lightgbm",),
        n_trials=2,
        n_folds=3,
        storage=storage,
        max_rounds=20,
        progress=False,
    )
    assert first[0].n_finished == 2
    second = tune(
        data,
        work,
        kinds=("lightgbm",),
        n_trials=4,
        n_folds=3,
        storage=storage,
        max_rounds=20,
        progress=False,
    )
    assert (second[0].n_finished, second[0].n_run_now) == (4, 2)
    code = main(
        [
            "train",
            "--data-dir",
            str(data),
            "--work-dir",
            str(work),
            "--folds",
            "3",
            "--max-rounds",
            "20",
            "--models",
            "lightgbm",
            "--storage",
            storage,
            "--quiet",
        ]
    )
    assert code == 0
    bundle = load_bundle(work / "models" / (work / "models" / "LATEST").read_text().strip())
    source = bundle.meta["params_source"]["lightgbm"]
    assert source["source"] == "optuna" and source["study"] == second[0].study


@needs_real_mini
def test_submit_on_the_real_test_eeg_with_a_demo_model(trained, real_mini, capsys):
    data, work = trained
    argv = ["submit", "--data-dir", str(real_mini), "--work-dir", str(work), "--quiet"]
    assert main([*argv, "--json"]) == 0
    captured = capsys.readouterr()
    warning = captured.err.strip()
    assert warning.startswith("warning: model ") and "generated demo data" in warning
    assert "real data 'hms_real_mini'" in warning and "\n" not in warning
    out = work / "submissions" / dataset_key(real_mini) / "submission.csv"
    assert json.loads(captured.out)["submission"] == str(out)
    assert out.parent != work / "submissions" / dataset_key(data)  # one file per data set
    sub = pd.read_csv(out)
    assert sub["eeg_id"].tolist() == [3911565283]
    eeg = real_mini / "test_eegs" / "3911565283.parquet"
    spec = (
        real_mini
        / "test_spectrograms"
        / f"{pd.read_csv(real_mini / 'test.csv')['spectrogram_id'].iloc[0]}.parquet"
    )
    assert main(["predict", str(eeg), "--spectrogram", str(spec), "--work-dir", str(work)]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("warning: model ") and "'hms_real_mini'" in captured.err
    assert "probabilities" in json.loads(captured.out)
    assert np.isclose(sub[list(VOTE_COLUMNS)].to_numpy().sum(), 1)


def test_submit_refuses_mismatched_feature_columns(trained, tmp_path, capsys):
    data, work = trained
    run = (work / "models" / "LATEST").read_text().strip()
    bundle_path = work / "models" / run
    columns = json.loads((bundle_path / "features.json").read_text())
    broken = tmp_path / "broken"
    import shutil

    shutil.copytree(bundle_path, broken)
    (broken / "features.json").write_text(json.dumps([*columns[:-1], "eeg_made_up_column"]))
    write_manifest(broken)  # a consistent bundle, of other columns (an edit alone is refused)
    code = main(
        [
            "submit",
            "--data-dir",
            str(data),
            "--work-dir",
            str(work),
            "--model",
            str(broken),
            "--quiet",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "feature columns differ" in err and "eeg_made_up_column" in err


def test_inspect_report_has_every_section_with_embedded_images(trained):
    from pipelines.report import build_report

    data, work = trained
    summary = build_report(data, work, ablation=True)
    text = summary.index.read_text()
    for section in (
        "id='headline'",
        "test-like rows",
        "Its weakest class is",
        "trained on generated demo data",
        "id='glossary'",
        "typical hit",
        "id='data'",
        "id='scores'",
        "KL, test-like (headline)",
        "id='behaviour'",
        "id='features'",
        "id='ablation'",
        "id='examples'",
        "SHAP per class",
        "Where the important per-channel features sit",
        "Confusion and reliability",
    ):
        assert section in text, section
    assert text.count('src="data:image/png;base64,') >= 6
    assert 'src="http' not in text and "<script" not in text  # opens offline
    examples = [p for p in summary.pages if p.name.startswith("eeg_")]
    assert len(examples) >= 3 and all(p.is_file() for p in examples)
    for page in examples:
        assert f"href='{page.name}'" in text
    first = examples[0].read_text()
    assert "out-of-fold prediction" in first and "final model (saw this row)" in first
    assert "uV per trace spacing" in first and first.count("<details") == 5
    assert "eeg_spectral_" not in text.split("id='glossary'")[0]  # plots use plain names


def test_inspect_a_test_eeg_and_a_chosen_label_row(trained):
    from pipelines.report import build_report

    data, work = trained
    test_id = int(pd.read_csv(data / "test.csv")["eeg_id"].iloc[0])
    page = build_report(data, work, eeg_id=test_id).index.read_text()
    assert "test EEG" in page and "out-of-fold" not in page.split("<h2>EEG window")[0]
    labels = pd.read_csv(data / "train.csv")
    eeg = labels.groupby("eeg_id").size().idxmax()
    sub = int(labels.loc[labels["eeg_id"] == eeg, "eeg_sub_id"].max())
    summary = build_report(data, work, eeg_id=int(eeg), sub_id=sub)
    assert summary.index.name == f"eeg_{eeg}_{sub}.html"
    assert f"label row {sub} " in summary.index.read_text()


@needs_real_mini
def test_recording_view_of_a_real_recording(trained, real_mini, tmp_path):
    from pipelines.report import build_report

    _, work = trained
    run = (work / "models" / "LATEST").read_text().strip()
    eeg_id = int(pd.read_csv(real_mini / "train.csv")["eeg_id"].iloc[0])
    summary = build_report(
        real_mini,
        tmp_path / "work",
        model_dir=work / "models" / run,
        out=tmp_path / "views",
        eeg_id=eeg_id,
    )
    text = summary.index.read_text()
    assert summary.index.name == f"eeg_{eeg_id}.html"
    for part in (
        "EEG 20-30 s",
        "spectrogram slice",
        "votes and predictions",
        "What pushed the prediction",
        "class='warn'>warning: model",
        "no out-of-fold prediction",
    ):
        assert part in text, part
    assert summary.warning and "real data 'hms_real_mini'" in summary.warning
