"""The submission notebook and its ``kernel-metadata.json``.

The notebook's cells are plain Python (no ``!`` or ``%`` magics), so the same code runs as
a script: that is how the tests run it, without network, against a ``/kaggle/input``-shaped
folder. Every path it uses can be moved by an environment variable (``NOTEBOOK_ENV``).
"""

from __future__ import annotations

import json
from pathlib import Path

COMPETITION = "hms-harmful-brain-activity-classification"
NOTEBOOK_FILE = "hms-gbdt-submit.ipynb"
MANIFEST_FILE = "hms_package.json"

NOTEBOOK_ENV = {
    "HMS_KAGGLE_INPUT": "the folder holding the competition and dataset folders (/kaggle/input)",
    "HMS_KAGGLE_WORKING": "where submission.csv is written (/kaggle/working)",
    "HMS_PACKAGE_DIR": "the package folder (default: found under HMS_KAGGLE_INPUT)",
    "HMS_WORK_DIR": "the feature cache (default: /tmp/hms-work)",
    "HMS_PIP_INSTALL": "0 skips the install cell (the project is already installed)",
}

_CELLS = (
    """\
# hms-gbdt: offline submission. Attach the competition data and the package dataset that
# `hms kaggle-package` built; internet off. Every path below can be moved by an environment
# variable (used by the project's tests).
import json
import os
import subprocess
import sys
from pathlib import Path

KAGGLE_INPUT = Path(os.environ.get("HMS_KAGGLE_INPUT", "/kaggle/input"))
WORKING = Path(os.environ.get("HMS_KAGGLE_WORKING", "/kaggle/working"))
COMPETITION = KAGGLE_INPUT / "hms-harmful-brain-activity-classification"
WORK_DIR = Path(os.environ.get("HMS_WORK_DIR", "/tmp/hms-work"))


def find_package():
    if os.environ.get("HMS_PACKAGE_DIR"):
        return Path(os.environ["HMS_PACKAGE_DIR"])
    for pattern in ("*/hms_package.json", "*/*/hms_package.json", "*/*/*/hms_package.json"):
        found = sorted(KAGGLE_INPUT.glob(pattern))
        if found:
            return found[0].parent
    raise FileNotFoundError(f"no hms_package.json under {KAGGLE_INPUT}: attach the package dataset")


def find_in_package(name):
    # the upload may have moved a folder (a --dir-mode archive unpacked one level deeper)
    found = sorted(PACKAGE.rglob(name))
    if not found:
        raise FileNotFoundError(f"no {name} under {PACKAGE}: upload the whole package folder")
    return found[0].parent


PACKAGE = find_package()
MANIFEST = json.loads((PACKAGE / "hms_package.json").read_text())
WHEELS = find_in_package(MANIFEST["project"]["wheel"])
BUNDLE = PACKAGE / MANIFEST["bundle"]["path"]
if not (BUNDLE / "bundle.json").is_file():
    BUNDLE = find_in_package("bundle.json")
print("package:", PACKAGE, "| bundle:", BUNDLE.name, "| built with:", MANIFEST["built_with"])
""",
    """\
# Offline install: only the wheels in the package folder. Libraries the image already has in
# the allowed ranges are kept.
if os.environ.get("HMS_PIP_INSTALL", "1") != "0":
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-index", "--find-links", str(WHEELS),
         "--no-warn-script-location", MANIFEST["project"]["requirement"]],
        check=True,
    )  # fmt: skip
""",
    """\
def hms(*args):
    # the `hms` command of the installed project, in a fresh interpreter
    print("$ hms", *args, flush=True)
    code = "import sys; from pipelines.cli import main; sys.exit(main(sys.argv[1:]))"
    subprocess.run([sys.executable, "-c", code, *map(str, args)], check=True)


versions = subprocess.run(
    [sys.executable, "-c", "import json; from models.bundle import library_versions as v; "
     "print(json.dumps(v()))"],
    check=True, capture_output=True, text=True,
).stdout  # fmt: skip
print("installed:", versions.strip())
print("bundle trained with:", MANIFEST["bundle"]["versions"])
""",
    """\
hms("validate", "--data-dir", COMPETITION)
""",
    """\
# `hms submit` refuses a bundle whose feature configuration differs from the installed code's,
# and checks the submission against sample_submission.csv before writing it.
WORKING.mkdir(parents=True, exist_ok=True)
hms("submit", "--data-dir", COMPETITION, "--work-dir", WORK_DIR, "--model", BUNDLE,
    "--out", WORKING / "submission.csv", "--quiet")  # fmt: skip
print((WORKING / "submission.csv").read_text()[:600])
""",
)


def notebook_cells() -> list[str]:
    """The code cells' sources, in order (each a complete Python fragment)."""
    return list(_CELLS)


def notebook_script() -> str:
    """All code cells joined into one script, as the tests run them."""
    return "\n\n".join(notebook_cells())


def notebook_json() -> dict:
    """The ``.ipynb`` (nbformat 4) with one markdown and the code cells."""
    intro = (
        "# hms-gbdt: offline submission\n\nInstalls the project from the attached package "
        "dataset (no internet), validates the competition folder and writes "
        "`/kaggle/working/submission.csv`."
    )
    cells = [{"cell_type": "markdown", "metadata": {}, "source": intro.splitlines(True)}]
    for source in notebook_cells():
        cells.append(
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": source.splitlines(True),
            }
        )
    kernel = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return {
        "cells": cells,
        "metadata": {"kernelspec": kernel, "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def kernel_metadata(user: str, kernel_slug: str, dataset_slug: str) -> dict:
    """``kernel-metadata.json`` for ``kaggle kernels push``: internet off, the competition and
    the package dataset attached."""
    return {
        "id": f"{user}/{kernel_slug}",
        "title": kernel_slug,
        "code_file": NOTEBOOK_FILE,
        "language": "python",
        "kernel_type": "notebook",
        "is_private": True,
        "enable_gpu": False,
        "enable_tpu": False,
        "enable_internet": False,
        "dataset_sources": [f"{user}/{dataset_slug}"],
        "competition_sources": [COMPETITION],
        "kernel_sources": [],
        "model_sources": [],
    }


def write_notebook(folder: Path, user: str, kernel_slug: str, dataset_slug: str) -> Path:
    """Write the notebook and its ``kernel-metadata.json`` into ``folder``; returns the
    notebook's path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / NOTEBOOK_FILE
    path.write_text(json.dumps(notebook_json(), indent=1) + "\n")
    meta = kernel_metadata(user, kernel_slug, dataset_slug)
    (folder / "kernel-metadata.json").write_text(json.dumps(meta, indent=2) + "\n")
    return path
