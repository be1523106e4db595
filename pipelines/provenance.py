"""Which data set a model was trained on, and a one-line warning when it is used on another.

A bundle's ``meta["dataset"]`` (written by :func:`dataset_provenance` at training) holds the
data set's key (its folder name and a hash of its path, as the feature cache uses), whether it
was generated (a demo data set carries ``demo_truth.csv``), a hash of its ``train.csv`` (so a
copied or moved folder still counts as the same data) and its size.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from pipelines.config import WorkLayout
from pipelines.features_stage import dataset_key

GENERATED_MARKER = "demo_truth.csv"
"""A file only the demo generator writes: the true probabilities of its rows."""


def _file_sha256(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def _count(path: Path, columns: list[str]) -> dict[str, int]:
    if not path.is_file():
        return {}
    frame = pd.read_csv(path, usecols=lambda c: c in columns)
    return {c: int(frame[c].nunique()) for c in columns if c in frame} | {"rows": len(frame)}


def dataset_provenance(data_dir: Path) -> dict:
    """What identifies a Kaggle-layout data set (recorded in every bundle).

    Returns
    -------
    dict
        ``key``, ``name``, ``path`` (absolute), ``generated`` (bool), ``train_csv_sha256``
        (16 hex digits, None without ``train.csv``), ``n_train_rows``, ``n_train_eegs``,
        ``n_train_patients``, ``n_test_eegs``.
    """
    root = Path(data_dir).resolve()
    train = _count(root / "train.csv", ["eeg_id", "patient_id"])
    test = _count(root / "test.csv", ["eeg_id"])
    return {
        "key": dataset_key(root),
        "name": root.name,
        "path": str(root),
        "generated": (root / GENERATED_MARKER).is_file(),
        "train_csv_sha256": _file_sha256(root / "train.csv"),
        "n_train_rows": train.get("rows", 0),
        "n_train_eegs": train.get("eeg_id", 0),
        "n_train_patients": train.get("patient_id", 0),
        "n_test_eegs": test.get("eeg_id", 0),
    }


def table_provenance(path: Path, eeg_id, patient_id, key: str) -> dict:
    """What identifies a feature table given to ``hms train --table`` (the fields of
    :func:`dataset_provenance`; ``source`` is ``"table"``, nothing says whether it was
    generated)."""
    path = Path(path).resolve()
    return {
        "key": key,
        "name": path.name,
        "path": str(path),
        "source": "table",
        "generated": False,
        "train_csv_sha256": None,
        "n_train_rows": len(eeg_id),
        "n_train_eegs": len(set(eeg_id.tolist())),
        "n_train_patients": len(set(patient_id.tolist())),
        "n_test_eegs": 0,
    }


def describe(dataset: dict | None) -> str:
    """``generated data 'demo' (1,234 label rows, 300 EEGs)`` or ``an unrecorded data set``."""
    if not dataset:
        return "an unrecorded data set"
    kind = "generated demo data" if dataset.get("generated") else "real data"
    if dataset.get("source") == "table":
        kind = "the feature table"
    return (
        f"{kind} '{dataset.get('name')}' ({dataset.get('n_train_rows', 0):,} label rows, "
        f"{dataset.get('n_train_eegs', 0):,} EEGs)"
    )


def same_dataset(a: dict | None, b: dict | None) -> bool:
    """Same ``train.csv`` content (or, when either lacks one, the same key)."""
    if not a or not b:
        return False
    if a.get("train_csv_sha256") and b.get("train_csv_sha256"):
        return a["train_csv_sha256"] == b["train_csv_sha256"]
    return a.get("key") == b.get("key")


def mismatch_warning(meta: dict, data_dir: Path) -> str | None:
    """One line when the data of ``data_dir`` differ from the ones the bundle was trained on,
    else None."""
    trained, current = meta.get("dataset"), dataset_provenance(data_dir)
    if same_dataset(trained, current):
        return None
    run = meta.get("run", "?")
    if trained is None:
        return (
            f"warning: model {run} does not record its training data (trained on "
            f"{meta.get('data_dir', '?')}); it is used on {describe(current)}"
        )
    return (
        f"warning: model {run} was trained on {describe(trained)}, "
        f"not on these data: {describe(current)}"
    )


def bundle_dataset(path: Path) -> dict | None:
    """The ``dataset`` record of a bundle folder (None when absent or unreadable)."""
    import json

    try:
        return json.loads((Path(path) / "bundle.json").read_text()).get("dataset")
    except (OSError, ValueError):
        return None


def _created(path: Path) -> str:
    import json

    try:
        return str(json.loads((Path(path) / "bundle.json").read_text()).get("created", ""))
    except (OSError, ValueError):
        return ""


def update_latest(work_dir: Path, run: str, dataset: dict) -> str | None:
    """Point ``models/LATEST`` at ``run``, unless ``run`` was trained on generated data and
    LATEST names a bundle trained on real data (a demo never displaces a real model).

    Returns a one-line note when LATEST is left where it is, else None.
    """
    from pipelines.files import write_text_atomic

    layout = WorkLayout(work_dir)
    if layout.latest.is_file() and dataset.get("generated"):
        current = layout.latest.read_text().strip()
        held = bundle_dataset(layout.bundle(current))
        if held is not None and not held.get("generated"):
            return (
                f"note: models/LATEST stays at {current} (trained on {describe(held)}); "
                f"this demo model is {layout.bundle(run)}"
            )
    write_text_atomic(layout.latest, run + "\n")
    return None


def bundle_for_data(work_dir: Path, data_dir: Path) -> Path:
    """The bundle to use on ``data_dir`` by default: LATEST when it was trained on these data,
    else the newest bundle that was, else LATEST (the caller warns)."""
    layout = WorkLayout(work_dir)
    if not layout.latest.is_file():
        raise FileNotFoundError(
            f"no trained model under {layout.models}: run `make train` (or pass --model DIR)"
        )
    latest = layout.bundle(layout.latest.read_text().strip())
    current = dataset_provenance(data_dir)
    if same_dataset(bundle_dataset(latest), current):
        return latest
    bundles = (p for p in layout.models.iterdir() if (p / "bundle.json").is_file())
    runs = sorted(bundles, key=lambda p: (_created(p), p.name), reverse=True)
    for path in runs:
        if same_dataset(bundle_dataset(path), current):
            return path
    return latest


def recording_warning(bundle_path: Path) -> str | None:
    """One line for ``hms annotate``: the bundle was trained on generated data (or does not say
    on what), so its probabilities on a real recording mean little; else None."""
    if not (Path(bundle_path) / "bundle.json").is_file():
        return None  # no bundle there: loading it says so
    trained = bundle_dataset(bundle_path)
    if trained is not None and not trained.get("generated"):
        return None
    return (
        f"warning: model {Path(bundle_path).name} was trained on {describe(trained)}; "
        "its probabilities on real recordings are not a clinical reading"
    )
