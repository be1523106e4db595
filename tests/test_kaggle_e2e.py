"""The Kaggle route as Kaggle runs it (``make test-kaggle``; not part of ``make test``: it
downloads every dependency wheel, several hundred MB).

A bundle trained on demo data is packaged with its dependency wheels; a fresh virtual
environment installs from the package folder alone (``--no-index``, no pip configuration);
the notebook's code runs in a network namespace without network (``unshare -n``) against a
``/kaggle/input``-shaped folder holding ``../shared/hms_real_mini``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from pipelines.cli import main
from pipelines.demo.dataset import write_demo_dataset
from pipelines.kaggle.notebook import COMPETITION, MANIFEST_FILE, notebook_script
from pipelines.kaggle.package import build_package
from pipelines.kaggle_io import read_sample_submission
from pipelines.submit_stage import check_submission
from tests.conftest import REAL_MINI, needs_real_mini

pytestmark = [pytest.mark.kaggle, needs_real_mini]


def _offline_env(**extra: str) -> dict[str, str]:
    """This environment less every pip setting (no find-links, no extra index) and
    PYTHONPATH, so that only the package folder can be installed from."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def _unshare_works() -> bool:
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("kaggle-train")
    data, work = root / "demo", root / "work"
    write_demo_dataset(data, n_eegs=40, seed=0, n_jobs=2, progress=False)
    args = ["train", "--data-dir", str(data), "--work-dir", str(work), "--folds", "3",
            "--max-rounds", "60", "--quiet", "--n-jobs", "2"]  # fmt: skip
    assert main(args) == 0
    return work / "models" / (work / "models" / "LATEST").read_text().strip()


def test_offline_install_and_notebook_write_a_valid_submission(bundle, tmp_path):
    if not _unshare_works():
        pytest.skip("unshare -n is not permitted here (needs root or user namespaces)")
    start = time.perf_counter()
    summary = build_package(bundle, tmp_path / "package")
    print(f"package: {summary.n_wheels} wheels, {summary.megabytes:.0f} MB, "
          f"{time.perf_counter() - start:.0f} s")  # fmt: skip
    inputs = tmp_path / "input"
    inputs.mkdir()
    (inputs / COMPETITION).symlink_to(REAL_MINI)
    (inputs / "hms-gbdt-package").symlink_to(summary.dataset)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    no_net = subprocess.run(
        ["unshare", "-n", python, "-c",
         "import socket; socket.create_connection(('pypi.org', 443), timeout=5)"],
        capture_output=True, text=True, env=_offline_env(),
    )  # fmt: skip
    assert no_net.returncode != 0, "the network namespace still reaches the network"
    working = tmp_path / "working"
    working.mkdir()
    (working / "notebook.py").write_text(notebook_script())
    env = _offline_env(HMS_KAGGLE_INPUT=str(inputs), HMS_KAGGLE_WORKING=str(working),
                       HMS_WORK_DIR=str(tmp_path / "cache"))  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(["unshare", "-n", python, "notebook.py"], cwd=working, env=env,
                          capture_output=True, text=True)  # fmt: skip
    print(done.stdout[-4000:])
    print(f"notebook (install + validate + submit): {time.perf_counter() - start:.0f} s")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    probe = "import pipelines; print(pipelines.__file__)"
    where = subprocess.run([python, "-c", probe], cwd=working, env=env, capture_output=True,
                           text=True, check=True)  # fmt: skip
    assert str(venv) in where.stdout, "the project was not installed into the fresh venv"
    submission = pd.read_csv(working / "submission.csv")
    check_submission(submission, read_sample_submission(REAL_MINI / "sample_submission.csv"))
    assert list(submission["eeg_id"]) == list(pd.read_csv(REAL_MINI / "test.csv")["eeg_id"])
    manifest = json.loads((summary.dataset / MANIFEST_FILE).read_text())
    assert f"bundle: {bundle.name}" in done.stdout
    assert set(manifest["wheels"]) == {w.name for w in (summary.dataset / "wheels").glob("*")}
