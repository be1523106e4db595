"""The Kaggle package's layout and its notebook's code, without network or downloads: the
notebook runs as a script (install cell off) against a /kaggle/input-shaped folder."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from models.bundle import write_manifest
from models.labels import VOTE_COLUMNS
from pipelines.cli import main
from pipelines.demo.dataset import write_demo_dataset
from pipelines.kaggle.notebook import (
    COMPETITION,
    MANIFEST_FILE,
    NOTEBOOK_FILE,
    notebook_cells,
    notebook_script,
)
from pipelines.kaggle.package import build_package, pinned_requirements

REPO = Path(__file__).resolve().parents[1]
# one worker builds the package fixture once for all the tests that use it
pytestmark = pytest.mark.xdist_group("kaggle_package")


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """A tiny trained bundle, its package without dependency wheels, a Kaggle input folder."""
    root = tmp_path_factory.mktemp("kaggle")
    data, work = root / "input" / COMPETITION, root / "work"
    write_demo_dataset(data, n_eegs=20, seed=3, n_jobs=2, progress=False)
    args = ["train", "--data-dir", str(data), "--work-dir", str(work), "--models", "lightgbm",
            "--folds", "2", "--max-rounds", "20", "--quiet", "--n-jobs", "2"]  # fmt: skip
    assert main(args) == 0
    bundle = work / "models" / (work / "models" / "LATEST").read_text().strip()
    summary = build_package(bundle, root / "out", user="someone", download=False)
    (root / "input" / "hms-gbdt-package").symlink_to(summary.dataset)
    return root, summary


def run_notebook(root: Path, working: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HMS_KAGGLE_INPUT": str(root / "input"),
           "HMS_KAGGLE_WORKING": str(working), "HMS_WORK_DIR": str(working / "cache"),
           "HMS_PIP_INSTALL": "0", "PYTHONPATH": str(REPO)}  # fmt: skip
    script = working / "notebook.py"
    working.mkdir(parents=True, exist_ok=True)
    script.write_text(notebook_script())
    return subprocess.run(
        [sys.executable, str(script)], cwd=working, env=env, capture_output=True, text=True
    )


def test_notebook_cells_are_python_without_magics():
    for source in notebook_cells():
        compile(source, "<cell>", "exec")
        assert not any(line.lstrip().startswith(("!", "%")) for line in source.splitlines())
    script = notebook_script()
    assert '"--no-index", "--find-links"' in script
    assert "submission.csv" in script


def test_package_layout_and_metadata(package):
    _, summary = package
    dataset, notebook = summary.dataset, summary.notebook
    manifest = json.loads((dataset / MANIFEST_FILE).read_text())
    wheel = dataset / "wheels" / manifest["project"]["wheel"]
    assert wheel.name.startswith("hms_gbdt-") and wheel.suffix == ".whl"
    assert manifest["wheels"][wheel.name] == hashlib.sha256(wheel.read_bytes()).hexdigest()
    bundle = dataset / manifest["bundle"]["path"]
    assert (
        json.loads((bundle / "bundle.json").read_text())["feature_config_hash"]
        == (manifest["bundle"]["feature_config_hash"])
    )
    assert manifest["built_with"]["numpy"] == pinned_requirements()["numpy"]
    kernel = json.loads((notebook / "kernel-metadata.json").read_text())
    dataset_meta = json.loads((dataset / "dataset-metadata.json").read_text())
    assert kernel["enable_internet"] is False
    assert kernel["competition_sources"] == [COMPETITION]
    assert kernel["dataset_sources"] == [dataset_meta["id"]] == ["someone/hms-gbdt-package"]
    ipynb = json.loads((notebook / kernel["code_file"]).read_text())
    assert kernel["code_file"] == NOTEBOOK_FILE and ipynb["nbformat"] == 4
    code = ["".join(c["source"]) for c in ipynb["cells"] if c["cell_type"] == "code"]
    assert code == notebook_cells()


def test_notebook_writes_a_valid_submission(package, tmp_path):
    root, _ = package
    done = run_notebook(root, tmp_path / "working")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    sub = pd.read_csv(tmp_path / "working" / "submission.csv")
    sample = pd.read_csv(root / "input" / COMPETITION / "sample_submission.csv")
    assert list(sub.columns) == list(sample.columns)
    assert sorted(sub["eeg_id"]) == sorted(sample["eeg_id"])
    assert (sub[list(VOTE_COLUMNS)].sum(axis=1) - 1).abs().max() < 1e-6
    assert "validate" in done.stdout and "OK" in done.stdout


def test_notebook_refuses_a_bundle_with_other_features(package, tmp_path):
    root, summary = package
    manifest = json.loads((summary.dataset / MANIFEST_FILE).read_text())
    meta_path = summary.dataset / manifest["bundle"]["path"] / "bundle.json"
    original = meta_path.read_text()
    meta = json.loads(original)
    meta["feature_config_hash"] = "f-0000000000"
    meta_path.write_text(json.dumps(meta))
    write_manifest(meta_path.parent)  # an honest bundle of other features, not a damaged one
    try:
        done = run_notebook(root, tmp_path / "working")
    finally:
        meta_path.write_text(original)
        write_manifest(meta_path.parent)
    assert done.returncode != 0
    assert "trained on features with configuration f-0000000000" in done.stderr
    assert not (tmp_path / "working" / "submission.csv").exists()
