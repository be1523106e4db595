"""Label groups, the test-like CV, the nested blend, training from a table, shared studies."""

from __future__ import annotations

import numpy as np
import pytest

from models.blend import blend_out_of_fold
from models.cv import RowInfo, cross_validate, cv_report, hidden_test_like_rows, inner_split
from models.folds import consensus_folds
from models.gbdt import softmax
from models.groups import group_means, group_weight, label_groups, representatives, training_rows
from models.progress import FitProgress


def test_label_groups_split_on_votes_and_on_gaps():
    eeg = np.array([1, 1, 1, 1, 1, 2, 2])
    votes = np.array([[3, 0], [3, 0], [3, 0], [0, 3], [3, 0], [3, 0], [3, 0]])
    offset = np.array([0.0, 10.0, 200.0, 210.0, 220.0, 0.0, 2.0])
    groups = label_groups(eeg, votes, offset)
    # rows 0-1 adjacent and equal; row 2 is 190 s later (new group); row 3 other votes;
    # row 4 returns to the first votes but after row 3, 10 s later than row 2 ... same votes
    # as row 2 and 20 s from it: one group with row 2.
    assert groups.tolist() == [0, 0, 1, 2, 1, 3, 3]
    assert group_weight(groups).tolist() == [0.5, 0.5, 0.5, 1.0, 0.5, 0.5, 0.5]
    without_offsets = label_groups(eeg, votes)
    assert without_offsets.tolist() == [0, 0, 0, 1, 0, 2, 2]


def test_representatives_and_means_of_groups():
    groups = np.array([0, 0, 0, 1, 2, 2])
    offset = np.array([20.0, 0.0, 10.0, 5.0, 0.0, 10.0])
    assert representatives(groups, offset).tolist() == [2, 3, 5]
    X = np.array([[1.0], [np.nan], [3.0], [4.0], [5.0], [7.0]], dtype=np.float32)
    mean, first = group_means(X, groups)
    assert mean.ravel().tolist() == [2.0, 4.0, 6.0]
    assert first.tolist() == [0, 3, 4]
    votes = np.arange(12).reshape(6, 2)
    Xo, vo, wo = training_rows(X, votes, groups, "one", offset)
    assert vo.tolist() == votes[[2, 3, 5]].tolist() and wo is None
    assert Xo.ravel().tolist() == [3.0, 4.0, 7.0]
    with pytest.raises(ValueError, match="label-group mode"):
        training_rows(X, votes, groups, "all", offset)


def test_test_like_rows_take_one_reliable_row_per_eeg():
    votes = np.array([[3, 0], [12, 0], [0, 12], [10, 2], [1, 0]])
    eeg = np.array([7, 7, 7, 8, 9])
    assert hidden_test_like_rows(votes, eeg).tolist() == [False, True, False, True, False]
    pred = np.full((5, 2), 0.5)
    report = cv_report(votes, pred, eeg)
    assert report["n_test_like"] == 2
    expected = np.log(2) + (5 / 6 * np.log(5 / 3) + 1 / 6 * np.log(1 / 3))
    assert report["kl_test_like"] == pytest.approx(expected / 2)


def test_inner_split_keeps_patients_apart_from_the_stop_rows():
    rng = np.random.default_rng(0)
    patient = rng.integers(0, 30, 600)
    votes = rng.integers(0, 5, (600, 6)) + np.eye(6)[rng.integers(0, 6, 600)]
    train_idx = np.flatnonzero(patient % 5 != 0)
    fit_idx, stop_idx = inner_split(train_idx, patient, votes, seed=1)
    assert set(patient[fit_idx]).isdisjoint(patient[stop_idx])
    assert len(fit_idx) + len(stop_idx) == len(train_idx)
    assert 0.1 < len(stop_idx) / len(train_idx) < 0.35


def test_nested_blend_weights_never_see_their_own_fold():
    rng = np.random.default_rng(0)
    n = 400
    truth = softmax(rng.normal(size=(n, 6)))
    votes = np.stack([rng.multinomial(12, p) for p in truth]).astype(float)
    good = softmax(np.log(truth) + rng.normal(0, 0.1, truth.shape))
    bad = softmax(rng.normal(size=truth.shape))
    folds = np.arange(n) % 4
    oof, final = blend_out_of_fold({"good": good, "bad": bad}, votes, folds, np.ones(n, bool))
    assert final.weights[0] > 0.8
    # Fold 0's rows are blended with weights fitted on the other folds: its own labels
    # do not move them (they do move the other folds' blends).
    votes2 = votes.copy()
    votes2[folds == 0] = votes2[folds == 0][:, ::-1]
    oof2, _ = blend_out_of_fold({"good": good, "bad": bad}, votes2, folds, np.ones(n, bool))
    assert np.allclose(oof[folds == 0], oof2[folds == 0])
    assert not np.allclose(oof[folds == 1], oof2[folds == 1])


def test_grouped_cv_runs_every_mode_and_progress_lines_are_rate_limited(caplog):
    rng = np.random.default_rng(2)
    n_eegs, per = 60, 4
    base = rng.normal(size=(n_eegs, 6)).astype(np.float32)
    X = np.repeat(base, per, axis=0) + rng.normal(0, 0.05, (n_eegs * per, 6)).astype(np.float32)
    truth = softmax(np.repeat(base, per, axis=0) * 2)
    eeg_votes = np.stack([rng.multinomial(12, truth[i * per]) for i in range(n_eegs)])
    votes = np.repeat(eeg_votes, per, axis=0).astype(float)
    eeg = np.repeat(np.arange(n_eegs), per)
    offset = np.tile(np.arange(per) * 10.0, n_eegs)
    patient = eeg // 3
    rows = RowInfo(
        eeg_id=eeg, patient_id=patient, groups=label_groups(eeg, votes, offset), offset_sec=offset
    )
    folds = consensus_folds(patient, votes, n_folds=3)
    uniform = cv_report(votes, np.full_like(truth, 1 / 6), eeg)["kl_test_like"]
    for mode in ("none", "weight", "one", "mean"):
        res = cross_validate(
            "lightgbm",
            X,
            votes,
            folds,
            strategy="weighted",
            params={"min_data_in_leaf": 5},  # "one" and "mean" fit on about 32 rows a fold
            seed=0,
            n_rounds=60,
            rows=rows,
            group_mode=mode,
        )
        assert res.report["kl_test_like"] < 0.8 * uniform, mode
    progress = FitProgress("lightgbm", 3, 100, every_sec=3600)
    with caplog.at_level("INFO", logger="models.progress"):
        for r in range(1, 101):
            progress.on_round(r)
        progress.end_fold(100)
    assert len(caplog.records) == 1 and "fold 1/3 done: 100 rounds" in caplog.text
    assert "round 50/100" in progress.line(50, 10.0) and "<= 10 s left" in progress.line(50, 10.0)


def _tiny_table(path, n_eegs=40, per=3, seed=0):
    import pandas as pd

    from models.labels import VOTE_COLUMNS

    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n_eegs, 4))
    X = np.repeat(base, per, axis=0) + rng.normal(0, 0.05, (n_eegs * per, 4))
    votes = np.repeat(
        np.stack([rng.multinomial(12, softmax(2 * b[None, [0, 1, 2, 3, 0, 1]])[0]) for b in base]),
        per,
        0,
    )
    table = pd.DataFrame(
        X.astype(np.float32), columns=[f"eeg_temporal_f{i}_all_50s" for i in range(4)]
    )
    table.insert(0, "eeg_id", np.repeat(np.arange(n_eegs), per))
    table.insert(1, "patient_id", np.repeat(np.arange(n_eegs) // 2, per))
    table.insert(2, "eeg_label_offset_seconds", np.tile(np.arange(per) * 10.0, n_eegs))
    for j, c in enumerate(VOTE_COLUMNS):
        table[c] = votes[:, j]
    table.to_parquet(path, index=False)
    return table


def test_table_errors_name_the_file_and_what_is_missing(tmp_path):
    from pipelines.kaggle_io import DataError
    from pipelines.training_data import load_table

    table = _tiny_table(tmp_path / "ok.parquet")
    data = load_table(tmp_path / "ok.parquet")
    assert data.X.shape == (120, 4) and data.key.startswith("table-ok-")
    table.drop(columns=["seizure_vote"]).to_parquet(tmp_path / "novotes.parquet")
    with pytest.raises(DataError, match=r"novotes.parquet: missing column\(s\) seizure_vote"):
        load_table(tmp_path / "novotes.parquet")
    table.drop(columns=["patient_id"]).to_parquet(tmp_path / "nopat.parquet")
    with pytest.raises(DataError, match=r"missing column.*patient_id"):
        load_table(tmp_path / "nopat.parquet")
    table[["eeg_id", "patient_id", *[c for c in table if c.endswith("_vote")]]].to_parquet(
        tmp_path / "nofeat.parquet"
    )
    with pytest.raises(DataError, match=r"nofeat.parquet: no feature columns"):
        load_table(tmp_path / "nofeat.parquet")
    table.assign(
        other_vote=0, seizure_vote=0, lpd_vote=0, gpd_vote=0, lrda_vote=0, grda_vote=0
    ).to_parquet(tmp_path / "zero.parquet")
    with pytest.raises(DataError, match=r"row 0 .* no usable votes"):
        load_table(tmp_path / "zero.parquet")


def test_two_tune_processes_share_one_study_and_finish_n_trials_between_them(tmp_path):
    import subprocess
    import sys

    import optuna

    _tiny_table(tmp_path / "t.parquet")
    storage = f"sqlite:///{tmp_path / 'study.db'}?timeout=60"
    args = [
        "tune",
        "--table",
        str(tmp_path / "t.parquet"),
        "--work-dir",
        str(tmp_path),
        "--models",
        "lightgbm",
        "--n-trials",
        "6",
        "--folds",
        "2",
        "--max-rounds",
        "5",
        "--storage",
        storage,
        "--quiet",
    ]
    # The database is created once before the workers start (two processes creating the
    # SQLite schema at the same instant race on CREATE TABLE).
    optuna.storages.RDBStorage(storage)
    code = f"from pipelines.cli import main; raise SystemExit(main({args!r}))"
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    (name,) = optuna.get_all_study_names(storage)
    trials = optuna.load_study(study_name=name, storage=storage).trials
    finished = [t for t in trials if t.state.is_finished()]
    # Without the shared stop each process would run 6 trials (12 in all). A process checks
    # the count before it starts a trial, so both may start the last one at once: at most
    # one trial more than asked for.
    assert len(finished) == len(trials) and 6 <= len(finished) <= 7


def test_bench_table_redraws_whole_eegs_with_fresh_ids_and_kept_patients(tmp_path):
    from pipelines.bench_train import scaled_table

    source = _tiny_table(tmp_path / "t.parquet", n_eegs=10, per=3)
    big = scaled_table(source, 100, seed=1)
    assert 100 <= len(big) < 103
    assert set(big["eeg_id"]).isdisjoint(source["eeg_id"])
    patient_of = dict(zip(source["eeg_id"], source["patient_id"], strict=False))
    for _, rows in big.groupby("eeg_id"):
        assert len(rows) == 3 and rows["patient_id"].nunique() == 1
        # the copy's votes and offsets are those of one source EEG of that patient
        match = source[source["seizure_vote"] == rows["seizure_vote"].iloc[0]]
        assert {patient_of[e] for e in match["eeg_id"]} >= {rows["patient_id"].iloc[0]}


def test_progress_rate_leaves_out_the_setup_before_the_first_round():
    progress = FitProgress("lightgbm", 1, 1000)
    # 30 s of setup, then 10 rounds in 1 s: 990 rounds left at 0.1 s, not at 3.1 s
    assert "<= 1.6 min left" in progress.line(11, 31.0, boosting=(1.0, 10))
    assert "<= 46.5 min left" in progress.line(11, 31.0)  # without it: 31 s / 11 rounds


def test_no_progress_line_before_a_round_is_timed(caplog, monkeypatch):
    import models.progress as progress_module

    clock = iter([0.0, 100.0, 101.0])  # start; round 1 after 100 s of setup; round 11
    monkeypatch.setattr(progress_module.time, "perf_counter", lambda: next(clock))
    progress = FitProgress("lightgbm", 1, 1000, every_sec=15.0)
    with caplog.at_level("INFO", logger="models.progress"):
        progress.on_round(1)  # 100 s in, but nothing timed yet: no "1650 min left" line
        assert caplog.messages == []
        progress.on_round(11)
    # 10 rounds in 1 s: 989 rounds left at 0.1 s each
    assert len(caplog.messages) == 1 and "<= 1.6 min left" in caplog.messages[0]


def test_strategy_comparison_chooses_by_the_headline():
    import pandas as pd

    from pipelines.train_stage import _choose_strategy

    # "plain" is better on the >= 10-vote rows, "weighted" on the test-like rows: the headline wins
    table = pd.DataFrame(
        {
            "model": ["lightgbm", "lightgbm", "catboost", "catboost"],
            "strategy": ["plain", "weighted", "plain", "weighted"],
            "kl_test_like": [0.50, 0.45, 0.52, 0.47],
            "kl_reliable": [0.40, 0.44, 0.41, 0.46],
            "kl_all": [0.6, 0.6, 0.6, 0.6],
        }
    )
    assert _choose_strategy(table, None) == "weighted"
    assert _choose_strategy(table.assign(kl_test_like=float("nan")), None) == "plain"
    assert _choose_strategy(table, "two_stage") == "two_stage"  # asked for: kept
