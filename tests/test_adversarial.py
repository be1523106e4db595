"""A hostile or careless user against ``hms``: each case breaks one thing in a copy of a tiny
data set (or bundle) and asserts the exit code, that the message names the file or row, and
that nothing outside the work dir changed. One defect of issue 12 per section."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from features.windows import apply_nan_policy
from models.bundle import write_manifest
from models.labels import VOTE_COLUMNS
from pipelines.cli import error_exit, main
from pipelines.files import NotOursError, claim_output_dir, unique_run_dir
from pipelines.kaggle_io import read_spectrogram
from tests.conftest import REPO, build_layout

FAMILIES = "quality,spectrogram"  # two fast families, one of each source


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` -> SHA-256 of its bytes (what "nothing changed" compares)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    """``main(argv)`` -> (exit code, stdout + stderr); a refusal at parsing is exit 2 too."""
    try:
        code = main(argv)
    except SystemExit as stop:
        code = stop.code
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "Traceback" not in out
    return code, out


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A tiny valid data set (10 train EEGs, one test EEG); tests copy it before breaking it."""
    return build_layout(tmp_path_factory.mktemp("adversarial") / "data", n_eegs=8, seed=3)


@pytest.fixture(scope="module")
def trained(pristine, tmp_path_factory) -> tuple[Path, Path]:
    """(work dir, bundle) of a tiny LightGBM bundle trained on ``pristine``."""
    work = tmp_path_factory.mktemp("adversarial-work")
    argv = ["train", "--data-dir", str(pristine), "--work-dir", str(work), "--quiet",
            "--models", "lightgbm", "--folds", "2", "--max-rounds", "5", "--n-jobs", "1",
            "--families", FAMILIES]  # fmt: skip
    assert main(argv) == 0
    run = (work / "models" / "LATEST").read_text().strip()
    return work, work / "models" / run


@pytest.fixture
def data(pristine, tmp_path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "data"))


# --- 1. demo-data never writes into someone's data ----------------------------------------


def test_demo_data_refuses_a_folder_it_did_not_create(data, tmp_path, capsys, monkeypatch):
    before = snapshot(data)
    code, out = run_cli(["demo-data", str(data), "--n-eegs", "2", "--quiet"], capsys)
    assert code == 2 and str(data) in out and "not written by hms demo-data" in out
    monkeypatch.setenv("HMS_DATA_DIR", str(data))  # as the README suggests, and no OUT
    code, out = run_cli(["demo-data", "--n-eegs", "2", "--quiet"], capsys)
    assert code == 2 and str(data) in out
    assert snapshot(data) == before


def test_claim_output_dir_accepts_new_empty_and_own_folders(tmp_path):
    new = claim_output_dir(tmp_path / "new", ".mine", command="demo")
    assert (new / ".mine").is_file()
    (new / "train.csv").write_text("x")
    claim_output_dir(new, ".mine", command="demo")  # its own: accepted again
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "demo_truth.csv").write_text("x")
    claim_output_dir(legacy, ".mine", command="demo", signs=("demo_truth.csv",))
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotOursError, match="is not a folder"):
        claim_output_dir(tmp_path / "file", ".mine", command="demo")


# --- 2. non-finite votes -------------------------------------------------------------------


def _write_votes(path: Path, ids, votes) -> Path:
    frame = pd.DataFrame(votes, columns=list(VOTE_COLUMNS))
    frame.insert(0, "eeg_id", ids)
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("bad", ["inf", "1e308", "-inf"])
def test_score_refuses_non_finite_votes(tmp_path, capsys, bad):
    votes = [[1, 0, 0, 0, 0, 2], [0, 3, 0, 0, 0, 0]]
    solution = _write_votes(tmp_path / "solution.csv", [1, 2], votes)
    text = solution.read_text().splitlines()
    text[2] = text[2].replace(",3,", f",{bad},")
    solution.write_text("\n".join(text) + "\n")
    submission = _write_votes(tmp_path / "submission.csv", [1, 2], np.full((2, 6), 1 / 6))
    code, out = run_cli(["score", str(solution), str(submission)], capsys)
    assert code == 2 and "solution.csv: line 3" in out and "lpd_vote" in out


def test_validate_refuses_an_infinite_vote(data, capsys):
    frame = pd.read_csv(data / "train.csv", dtype=str)
    frame.loc[4, "other_vote"] = "inf"
    frame.to_csv(data / "train.csv", index=False)
    code, out = run_cli(["validate", "--data-dir", str(data)], capsys)
    assert code == 1 and "train.csv: line 6" in out and "other_vote is inf" in out


# --- 3. validate never says OK having checked nothing --------------------------------------


@pytest.mark.parametrize(
    ("break_it", "fragment"),
    [
        (lambda d: (shutil.rmtree(d / "train_eegs"), (d / "train_eegs").write_text("")),
         "train_eegs: is not a folder"),
        (lambda d: ((d / "train.csv").unlink(), (d / "train.csv").mkdir()),
         "train.csv: is not a regular file"),
        (lambda d: (d / "train.csv").write_text((d / "train.csv").read_text().splitlines()[0]),
         "train.csv: has a header but no rows"),
    ],
    ids=["train_eegs a file", "train.csv a folder", "header-only train.csv"],
)  # fmt: skip
def test_validate_is_not_ok_when_nothing_was_checked(data, capsys, break_it, fragment):
    break_it(data)
    code, out = run_cli(["validate", "--data-dir", str(data)], capsys)
    assert code == 1 and fragment in out and "OK" not in out


# --- 4. damaged bundles ----------------------------------------------------------------------


def _copy_bundle(bundle: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(bundle, tmp_path / "bundle"))


def _edit_document(bundle: Path, edit) -> None:
    document = json.loads((bundle / "bundle.json").read_text())
    edit(document)
    (bundle / "bundle.json").write_text(json.dumps(document))
    write_manifest(bundle)  # as someone who knows the format would


def _predict(bundle: Path, data: Path, capsys) -> tuple[int, str]:
    return run_cli(
        ["predict", str(data / "test_eegs" / "41.parquet"), "--spectrogram",
         str(data / "test_spectrograms" / "31.parquet"), "--model", str(bundle)],
        capsys,
    )  # fmt: skip


def test_predict_works_on_the_intact_bundle(trained, pristine, capsys):
    code, out = _predict(trained[1], pristine, capsys)
    assert code == 0
    probabilities = json.loads(out)["probabilities"]
    assert abs(sum(probabilities.values()) - 1) < 1e-6


def _truncate(bundle: Path) -> None:
    model = bundle / "lightgbm_stage1.txt"
    model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])


def _garbage(bundle: Path) -> None:
    (bundle / "lightgbm_stage1.txt").write_text("not a model\n" * 20 + "end of trees\n")
    write_manifest(bundle)


def _cut_with_manifest(bundle: Path) -> None:
    _truncate(bundle)
    write_manifest(bundle)  # the hash matches, the file is still cut short


def _drop_key(bundle: Path) -> None:
    _edit_document(bundle, lambda d: d.pop("models"))


def _json_syntax(bundle: Path) -> None:
    (bundle / "bundle.json").write_text('{"format": 1, "models": ')
    write_manifest(bundle)


def _zero_temperature(bundle: Path) -> None:
    _edit_document(bundle, lambda d: d["blend"].update(temperature=0))


@pytest.mark.parametrize(
    ("damage", "names", "fragment"),
    [
        (_truncate, "bundle", "damaged or was edited (lightgbm_stage1.txt differs"),
        (_garbage, "lightgbm_stage1.txt", "cannot load the lightgbm model"),
        (_cut_with_manifest, "lightgbm_stage1.txt", "the lightgbm model is cut short"),
        (_drop_key, "bundle.json", "missing or malformed entry 'models'"),
        (_json_syntax, "bundle.json", "not valid JSON"),
        (_zero_temperature, "bundle.json", "temperature > 0"),
    ],
    ids=["truncated", "garbage", "cut, manifest redone", "missing key", "json syntax", "T 0"],
)
def test_damaged_bundles_are_refused_naming_the_file(
    trained, pristine, tmp_path, capsys, damage, names, fragment
):
    bundle = _copy_bundle(trained[1], tmp_path)
    damage(bundle)
    before = snapshot(pristine)
    code, out = _predict(bundle, pristine, capsys)
    assert code == 2 and f"{bundle}" in out and names in out and fragment in out
    assert "NaN" not in out
    code, out = run_cli(["submit", "--data-dir", str(pristine), "--work-dir", str(tmp_path / "w"),
                         "--model", str(bundle), "--quiet"], capsys)  # fmt: skip
    assert code == 2 and fragment in out
    assert snapshot(pristine) == before


def test_predict_refuses_a_bundle_of_another_feature_configuration(
    trained, pristine, tmp_path, capsys
):
    bundle = _copy_bundle(trained[1], tmp_path)
    _edit_document(bundle, lambda d: d.update(feature_config_hash="0123456789ab"))
    code, out = _predict(bundle, pristine, capsys)
    assert code == 2 and "0123456789ab" in out and "retrain" in out


# --- 5. HTML injection -----------------------------------------------------------------------


@pytest.mark.slow
def test_report_escapes_bundle_values(trained, pristine, tmp_path, capsys):
    work, original = trained
    bundle = Path(shutil.copytree(original, work / "models" / "evil"))
    attack = "<script>alert(1)</script>"
    _edit_document(bundle, lambda d: d.update(run=attack, strategy=attack))
    out_dir = tmp_path / "report"
    code, _ = run_cli(["inspect", "--data-dir", str(pristine), "--work-dir", str(work),
                       "--model", str(bundle), "--out", str(out_dir)], capsys)  # fmt: skip
    assert code == 0
    page = (out_dir / "index.html").read_text()
    assert attack not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- 6. two runs in one second ---------------------------------------------------------------


def test_run_dirs_are_unique_within_one_second(tmp_path):
    from concurrent.futures import ThreadPoolExecutor
    from datetime import UTC, datetime

    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with ThreadPoolExecutor(4) as pool:
        paths = list(pool.map(lambda _: unique_run_dir(tmp_path, when), range(8)))
    assert len(set(paths)) == 8 and all(p.is_dir() for p in paths)
    assert sorted(p.name for p in paths)[0] == "20260102-030405-1"


# --- 7. operating-system errors --------------------------------------------------------------


def test_unknown_model_and_bad_storage_are_refused_at_parsing(data, capsys):
    code, out = run_cli(["train", "--data-dir", str(data), "--models", "xgboost"], capsys)
    assert code == 2 and "'xgboost'" in out and "lightgbm, catboost" in out
    code, out = run_cli(["tune", "--data-dir", str(data), "--storage", "bogus://x"], capsys)
    assert code == 2 and "bogus://x" in out and "sqlite:///" in out
    code, out = run_cli(["predict", "x.parquet", "--offset", "nan"], capsys)
    assert code == 2 and "expected a finite number" in out


def test_a_file_as_work_dir_is_one_error_line(data, tmp_path, capsys):
    blocker = tmp_path / "passwd"
    blocker.write_text("root:x:0:0\n")
    code, out = run_cli(["features", "--data-dir", str(data), "--work-dir", str(blocker),
                         "--quiet", "--n-jobs", "1", "--families", FAMILIES], capsys)  # fmt: skip
    assert code == 1 and out.startswith("error: ") and str(blocker) in out
    assert blocker.read_text() == "root:x:0:0\n"


def test_permission_denied_names_the_file(data, tmp_path, capsys, monkeypatch):
    # Tests may run as root, who reads any file: the refusal is simulated where it happens.
    real_read_csv = pd.read_csv

    def denied(path, *args, **kwargs):
        if Path(path).name == "train.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real_read_csv(path, *args, **kwargs)

    monkeypatch.setattr(pd, "read_csv", denied)
    code, out = run_cli(["validate", "--data-dir", str(data)], capsys)
    assert code == 1 and f"{data / 'train.csv'}: cannot be read (Permission denied)" in out
    code, out = run_cli(["features", "--data-dir", str(data), "--work-dir", str(tmp_path / "w"),
                         "--quiet", "--families", FAMILIES], capsys)  # fmt: skip
    assert code == 2 and "train.csv: cannot be read (Permission denied)" in out


def test_error_exit_shows_the_traceback_only_when_verbose(capsys):
    try:
        raise KeyError("oops")
    except KeyError as err:
        assert error_exit(err) == 1
        quiet = capsys.readouterr().err
        assert error_exit(err, verbose=True) == 1
        loud = capsys.readouterr().err
    assert quiet.startswith("error: internal error: KeyError") and "Traceback" not in quiet
    assert "Traceback" in loud
    assert error_exit(OSError(28, "No space left on device", "/w/x")) == 1
    assert capsys.readouterr().err == "error: /w/x: No space left on device\n"


def test_full_disk_leaves_no_temporary_file_and_a_cached_table_is_not_rewritten(
    data, tmp_path, capsys, monkeypatch
):
    work = tmp_path / "work"
    argv = ["features", "--data-dir", str(data), "--work-dir", str(work), "--quiet",
            "--splits", "train", "--n-jobs", "1", "--families", FAMILIES]  # fmt: skip

    real_close = pq.ParquetWriter.close

    def full(self, *args, **kwargs):  # the footer does not fit
        was_open = self.is_open
        real_close(self)
        if was_open:
            raise OSError(28, "No space left on device", "table")

    with monkeypatch.context() as patch:
        patch.setattr(pq.ParquetWriter, "close", full)
        code, out = run_cli(argv, capsys)
    assert code == 1 and "No space left on device" in out
    assert not [p for p in work.rglob("*") if ".tmp" in p.name]
    assert run_cli(argv, capsys)[0] == 0
    table = next(work.rglob("train.parquet"))
    stamp = table.stat().st_mtime_ns
    with monkeypatch.context() as patch:  # the disk is full again: the cached table suffices
        patch.setattr(pq.ParquetWriter, "close", full)
        assert run_cli(argv, capsys)[0] == 0
    assert table.stat().st_mtime_ns == stamp


# --- 8. signals ------------------------------------------------------------------------------


def test_infinite_samples_are_missing_like_nan():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 20, size=(3, 2000)).astype(np.float32)
    spots = rng.choice(2000, size=100, replace=False)
    with_inf, with_nan = x.copy(), x.copy()
    with_inf[1, spots] = np.inf
    with_inf[2, spots[:50]] = -np.inf
    with_nan[1, spots] = np.nan
    with_nan[2, spots[:50]] = np.nan
    a, b = apply_nan_policy(with_inf), apply_nan_policy(with_nan)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.nan_mask, b.nan_mask)
    assert a.nan_mask[1].sum() == 100 and np.abs(a.x).max() < 1024


def test_infinite_spectrogram_power_is_missing(data):
    path = data / "test_spectrograms" / "31.parquet"
    frame = pd.read_parquet(path)
    frame.iloc[:5, 1:4] = np.inf
    frame.to_parquet(path, index=False)
    _, power = read_spectrogram(path)
    assert not np.isinf(power).any() and np.isnan(power[:5, :3]).all()


def test_duplicate_eeg_column_is_refused_by_predict(trained, pristine, tmp_path, capsys):
    source = pq.read_table(pristine / "test_eegs" / "41.parquet")
    names = ["Fp1" if n == "F3" else n for n in source.column_names]
    path = tmp_path / "41.parquet"
    pq.write_table(source.rename_columns(names), path)
    code, out = run_cli(["predict", str(path), "--model", str(trained[1]), "--spectrogram",
                         str(pristine / "test_spectrograms" / "31.parquet")], capsys)  # fmt: skip
    assert code == 2 and str(path) in out and "duplicate column(s) Fp1" in out


# --- 9. large ids ------------------------------------------------------------------------------


def test_ids_past_2_to_the_53_find_their_own_files(data, capsys):
    big = 2**53 + 1  # through float64 it would become 2**53, another recording's id
    frame = pd.read_csv(data / "train.csv", dtype=str)
    frame.loc[frame["eeg_id"] == "100", "eeg_id"] = str(big)
    frame.to_csv(data / "train.csv", index=False)
    (data / "train_eegs" / "100.parquet").rename(data / "train_eegs" / f"{big}.parquet")
    code, out = run_cli(["validate", "--data-dir", str(data)], capsys)
    assert code == 0, out
    frame.loc[frame["eeg_id"] == str(big), "eeg_id"] = str(2**63)
    frame.to_csv(data / "train.csv", index=False)
    code, out = run_cli(["validate", "--data-dir", str(data)], capsys)
    assert code == 1 and "column eeg_id, line 2: expected an integer from" in out


# --- 10. workers die with their parent; killed trials are failed -------------------------------


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux /proc to find the workers")
def test_feature_workers_stop_when_the_stage_is_killed(tmp_path):
    data = build_layout(tmp_path / "data", n_eegs=40, seed=4)  # every family: seconds each
    command = [sys.executable, "-m", "pipelines.cli", "features", "--data-dir", str(data),
               "--work-dir", str(tmp_path / "work"), "--n-jobs", "2", "--quiet"]  # fmt: skip
    stage = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
    workers: list[int] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(workers) < 2:
        time.sleep(0.5)
        workers = [p for p in _children(stage.pid) if "Loky" in _cmdline(p)]
    assert workers, "no worker processes appeared"
    parts = tmp_path / "work" / "features"
    while time.monotonic() < deadline and len(list(parts.rglob("*.arrow"))) < 4:
        time.sleep(0.2)  # the workers have run tasks (and started their watch)
    assert stage.poll() is None, "the stage finished before it could be killed"
    os.kill(stage.pid, signal.SIGKILL)
    stage.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.25)
    left = [p for p in workers if _alive(p)]
    for pid in left:  # do not leave them running, whatever the outcome
        os.kill(pid, signal.SIGKILL)
    assert not left, f"workers {left} still ran 15 s after their parent was killed"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used")
def test_a_killed_trial_is_marked_failed_when_the_study_resumes(tmp_path, monkeypatch):
    import optuna

    from pipelines import tune_stage

    monkeypatch.setattr(tune_stage, "HEARTBEAT_SEC", 1)
    monkeypatch.setattr(tune_stage, "GRACE_SEC", 1)
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = tune_stage.open_study(url, "s", seed=0)
    trial = study.ask()
    study._storage.record_heartbeat(trial._trial_id)  # it ran, then its process was killed
    time.sleep(2.5)
    resumed = tune_stage.open_study(url, "s", seed=0)
    states = [t.state for t in resumed.trials]
    assert states == [optuna.trial.TrialState.FAIL]
