"""Write a whole demo data set: plan it, generate the recordings in parallel, write the tables."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from models.labels import RELIABLE_MIN_VOTES, VOTE_COLUMNS
from models.metric import kl_divergence
from pipelines.demo.plan import PROB_COLUMNS, RecordingPlan, plan_dataset
from pipelines.demo.recording import write_csv, write_recording

SUBFOLDERS: tuple[str, ...] = ("train_eegs", "train_spectrograms", "test_eegs", "test_spectrograms")


def _check_arguments(out_dir: Path, n_eegs: int, seed: int, n_jobs: int) -> None:
    for name, value in (("n_eegs", n_eegs), ("seed", seed), ("n_jobs", n_jobs)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ValueError(f"{name} must be an integer, got {value!r}")
    if n_eegs < 1:
        raise ValueError(f"n_eegs must be >= 1, got {n_eegs}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive number of workers or negative (-1 = all)")
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} exists and is not a folder")


def _write_tables(
    out_dir: Path, plans: list[RecordingPlan], train, truth, solution
) -> dict[str, Path]:
    """Write the five CSV tables; return file or folder name -> path."""
    test = solution[["eeg_id", "patient_id"]].copy()
    test.insert(0, "spectrogram_id", [p.spectrogram_id for p in plans if p.split == "test"])
    submission = pd.DataFrame({"eeg_id": test["eeg_id"]})
    for column in VOTE_COLUMNS:
        submission[column] = 1.0 / len(VOTE_COLUMNS)
    paths = {
        "train.csv": out_dir / "train.csv",
        "test.csv": out_dir / "test.csv",
        "sample_submission.csv": out_dir / "sample_submission.csv",
        "demo_truth.csv": out_dir / "demo_truth.csv",
        "demo_test_solution.csv": out_dir / "demo_test_solution.csv",
    }
    write_csv(train, paths["train.csv"])
    write_csv(test, paths["test.csv"])
    write_csv(submission, paths["sample_submission.csv"])
    write_csv(truth, paths["demo_truth.csv"])
    write_csv(solution.drop(columns="patient_id"), paths["demo_test_solution.csv"])
    for sub in SUBFOLDERS:
        paths[sub] = out_dir / sub
    return paths


def _label_baselines(train: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Uniform, prior and oracle KL of the train rows, and the share with >= 10 votes."""
    votes = train[list(VOTE_COLUMNS)].to_numpy(dtype=np.float64)
    y = votes / votes.sum(axis=1, keepdims=True)
    row_truth = truth[truth["split"] == "train"].set_index("label_id").loc[train["label_id"]]
    return {
        "uniform_kl": kl_divergence(y, np.full_like(y, 1.0 / y.shape[1])),
        "prior_kl": kl_divergence(y, np.broadcast_to(y.mean(axis=0), y.shape)),
        "oracle_kl": kl_divergence(y, row_truth[list(PROB_COLUMNS)].to_numpy()),
        "reliable_share": float(np.mean(votes.sum(axis=1) >= RELIABLE_MIN_VOTES)),
    }


def write_demo_dataset(
    out_dir: Path,
    *,
    n_eegs: int = 300,
    seed: int = 0,
    n_jobs: int = -1,
    progress: bool = True,
    rows_per_eeg: np.ndarray | None = None,
) -> dict:
    """Write a demo data set in the Kaggle HMS layout (see :mod:`pipelines.demo`).

    Parameters
    ----------
    out_dir : Path
        Target folder, created if needed. Files of the layout are overwritten (each atomically:
        written under a temporary name, then renamed); other files are left alone.
    n_eegs : int
        Train EEGs (each with its own spectrogram). ``max(2, n_eegs // 30)`` test EEGs, of
        patients not in train, come on top.
    seed : int
        Same seed, same files (CSV bytes and parquet contents), whatever ``n_jobs``.
    n_jobs : int
        joblib workers over recordings (-1 = all cores).
    progress : bool
        Show a tqdm bar over recordings.
    rows_per_eeg : array of int, optional
        Label rows of each train EEG (length ``n_eegs``), instead of drawing them from the
        embedded distribution capped at ``MAX_DEMO_ROWS_PER_EEG`` (the benchmark passes the
        real, uncapped distribution).

    Returns
    -------
    dict
        ``n_train_eegs``, ``n_test_eegs``, ``n_patients``, ``n_label_rows``, ``seconds``,
        ``paths`` (file or folder name -> path string), and the label baselines on the train
        rows: ``uniform_kl``, ``prior_kl`` and ``oracle_kl`` (votes vs the true probabilities).
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    _check_arguments(out_dir, n_eegs, seed, n_jobs)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x4C41424C]))
    if rows_per_eeg is not None:
        rows_per_eeg = np.asarray(rows_per_eeg, dtype=np.int64)
        if rows_per_eeg.shape != (n_eegs,) or np.any(rows_per_eeg < 1):
            raise ValueError(f"rows_per_eeg must hold {n_eegs} positive counts")
    plans, train, truth, solution, n_patients = plan_dataset(
        rng, int(n_eegs), int(seed), rows_per_eeg
    )
    for sub in SUBFOLDERS:
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    tasks = (delayed(write_recording)(plan, out_dir) for plan in plans)
    results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(tasks)
    for _ in tqdm(results, total=len(plans), desc="demo recordings", disable=not progress):
        pass
    paths = _write_tables(out_dir, plans, train, truth, solution)
    return {
        "n_train_eegs": int(n_eegs),
        "n_test_eegs": len(solution),
        "n_patients": int(n_patients),
        "n_label_rows": len(train),
        "seconds": round(time.perf_counter() - started, 2),
        "paths": {name: str(path) for name, path in paths.items()},
        **_label_baselines(train, truth),
    }
