"""``hms runs``: the model bundles under the work dir, with their data set, size, test-like
CV and which one ``models/LATEST`` names; and the test-like score itself."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from models.labels import CLASSES, RELIABLE_MIN_VOTES, VOTE_COLUMNS
from models.metric import kl_divergence_rows
from pipelines.config import WORK_DIR_ENV, WorkLayout, resolve_work_dir


def like_test_mask(oof: pd.DataFrame) -> np.ndarray:
    """Rows like the competition's hidden test: >= 10 votes, the first such row per EEG.

    Falls back to the first row per EEG when no row has 10 votes. Shape (n_rows,), bool.
    """
    total = oof[list(VOTE_COLUMNS)].to_numpy(dtype=float).sum(axis=1)
    reliable = total >= RELIABLE_MIN_VOTES
    if not reliable.any():
        reliable = np.ones(len(oof), dtype=bool)
    first = ~oof["eeg_id"].where(reliable).duplicated().to_numpy()
    return reliable & first


def like_test_kl(oof: pd.DataFrame, name: str) -> float | None:
    """Out-of-fold KL of model ``name`` (a ``{name}_{class}`` column family of
    ``oof.parquet``) on the test-like rows; None when the model is absent."""
    columns = [f"{name}_{c}" for c in CLASSES]
    if not set(columns) <= set(oof.columns):
        return None
    mask = like_test_mask(oof)
    votes = oof.loc[mask, list(VOTE_COLUMNS)].to_numpy(dtype=float)
    pred = oof.loc[mask, columns].to_numpy(dtype=float)
    return float(kl_divergence_rows(votes / votes.sum(axis=1, keepdims=True), pred).mean())


def _run_row(path: Path, latest: str | None) -> dict:
    meta = json.loads((path / "bundle.json").read_text())
    dataset = meta.get("dataset") or {}
    score = None
    if (path / "oof.parquet").is_file():
        score = like_test_kl(pd.read_parquet(path / "oof.parquet"), "blend")
    return {
        "run": path.name,
        "latest": path.name == latest,
        "created": meta.get("created", ""),
        "data": dataset.get("name") or Path(meta.get("data_dir", "?")).name,
        "generated": dataset.get("generated"),
        "train_rows": dataset.get("n_train_rows"),
        "test_like_kl": score,
        "path": str(path),
    }


def list_runs(work_dir: Path) -> list[dict]:
    """One dict per bundle under ``work_dir/models``, oldest first."""
    layout = WorkLayout(work_dir)
    if not layout.models.is_dir():
        return []
    latest = layout.latest.read_text().strip() if layout.latest.is_file() else None
    paths = [p for p in layout.models.iterdir() if (p / "bundle.json").is_file()]
    rows = [_run_row(p, latest) for p in paths]
    return sorted(rows, key=lambda r: (r["created"], r["run"]))


def _kind(generated: bool | None) -> str:
    return {True: "generated", False: "real"}.get(generated, "?")


def _cmd_runs(args: argparse.Namespace) -> int:
    work_dir = resolve_work_dir(args.work_dir)
    rows = list_runs(work_dir)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"runs: no model bundle under {WorkLayout(work_dir).models}")
        return 0
    print(f"runs under {WorkLayout(work_dir).models} (* = LATEST; test-like KL: out-of-fold,")
    print(f"  blend, one row per EEG among rows with >= {RELIABLE_MIN_VOTES} votes):")
    for r in rows:
        score = "-" if r["test_like_kl"] is None else f"{r['test_like_kl']:.4f}"
        print(
            f"{'*' if r['latest'] else ' '} {r['run']:<17} {r['created']:<25} "
            f"{r['data']} ({_kind(r['generated'])}, {r['train_rows'] or '?'} train rows)  "
            f"test-like KL {score}"
        )
    return 0


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``hms runs``."""
    p = subparsers.add_parser("runs", help="list the model bundles and which one is LATEST")
    p.add_argument(
        "--work-dir", default=None, help=f"where outputs go (default: ${WORK_DIR_ENV}, else data/)"
    )
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(func=_cmd_runs)
    return p
