"""Kaggle's clock: the time to featurise and predict 1,000 test EEGs with ``hms submit``.

``python -m pipelines.kaggle.bench [--n-eegs 1000] [--model DIR] [--n-jobs 2]``. Each test
EEG is one 50 s EEG file and one 10-minute spectrogram file, as in the competition. The files
are hard links of one pair (the real test EEG of ``../shared/hms_real_mini`` when present,
else a generated pair), so they are read from the page cache: the figure leaves out reading
cold files from disk. Without ``--model`` a small demo bundle is trained first (LightGBM, 100
rounds at most, on 24 demo EEGs; not timed); prediction takes a small share of the time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from features.montage import RAW_COLUMNS, SPECTROGRAM_COLUMNS
from models.labels import VOTE_COLUMNS
from pipelines.submit_stage import submit

REAL_MINI = Path(__file__).resolve().parents[2].parent / "shared" / "hms_real_mini"


def _source_pair(folder: Path, seed: int = 0) -> tuple[Path, Path, str]:
    """One test EEG and spectrogram file in ``folder``: the real ones if present."""
    folder.mkdir(parents=True, exist_ok=True)
    eeg, spec = folder / "eeg.parquet", folder / "spec.parquet"
    if (REAL_MINI / "test.csv").is_file():
        row = pd.read_csv(REAL_MINI / "test.csv").iloc[0]
        shutil.copyfile(REAL_MINI / "test_eegs" / f"{row['eeg_id']}.parquet", eeg)
        shutil.copyfile(REAL_MINI / "test_spectrograms" / f"{row['spectrogram_id']}.parquet", spec)
        return eeg, spec, f"the real test EEG {row['eeg_id']} of {REAL_MINI}"
    rng = np.random.default_rng(seed)
    raw = rng.normal(0, 20, size=(10_000, len(RAW_COLUMNS))).astype(np.float32)
    pd.DataFrame(raw, columns=list(RAW_COLUMNS)).to_parquet(eeg, index=False)
    power = rng.gamma(2.0, 1.0, size=(300, len(SPECTROGRAM_COLUMNS))).astype(np.float32)
    frame = pd.DataFrame(power, columns=list(SPECTROGRAM_COLUMNS))
    frame.insert(0, "time", np.arange(1, 600, 2, dtype=np.int64))
    frame.to_parquet(spec, index=False)
    return eeg, spec, "a generated EEG (Gaussian noise) and spectrogram"


def write_test_set(root: Path, n_eegs: int) -> str:
    """``root``: test.csv, sample_submission.csv and ``n_eegs`` linked EEG/spectrogram pairs;
    returns what the files hold."""
    eeg, spec, source = _source_pair(root / "source")
    for name in ("test_eegs", "test_spectrograms"):
        (root / name).mkdir(parents=True, exist_ok=True)
    ids = np.arange(1, n_eegs + 1, dtype=np.int64)
    for k in ids:
        os.link(eeg, root / "test_eegs" / f"{k}.parquet")
        os.link(spec, root / "test_spectrograms" / f"{1_000_000 + k}.parquet")
    test = pd.DataFrame({"spectrogram_id": 1_000_000 + ids, "eeg_id": ids, "patient_id": ids})
    test.to_csv(root / "test.csv", index=False)
    sample = pd.DataFrame({"eeg_id": ids, **{c: 1 / 6 for c in VOTE_COLUMNS}})
    sample.to_csv(root / "sample_submission.csv", index=False)
    return source


def train_small_bundle(root: Path) -> Path:
    """A small demo bundle (24 EEGs, LightGBM, 3 patient folds) for want of ``--model``."""
    from pipelines.demo.dataset import write_demo_dataset
    from pipelines.train_stage import latest_bundle, train

    data, work = root / "demo", root / "demo-work"
    write_demo_dataset(data, n_eegs=24, seed=0, n_jobs=2, progress=False)
    train(data, work, models=("lightgbm",), n_folds=3, seed=0, n_jobs=2, max_rounds=100,
          use_tuned=False, progress=False)  # fmt: skip
    return latest_bundle(work)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-eegs", type=int, default=1000)
    parser.add_argument("--model", default=None, help="bundle (default: train a small one)")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hms-kaggle-bench-") as tmp:
        root = Path(tmp)
        model = Path(args.model) if args.model else train_small_bundle(root)
        source = write_test_set(root / "test", args.n_eegs)
        start = time.perf_counter()
        summary = submit(root / "test", root / "work", model_dir=model, n_jobs=args.n_jobs,
                         progress=False)  # fmt: skip
        seconds = time.perf_counter() - start
    print(
        f"kaggle: featurise and predict {summary.n_rows:,} test EEGs (50 s EEG + 10 min "
        f"spectrogram each, {args.n_jobs} workers): {seconds:.1f} s, "
        f"{1000 * seconds / summary.n_rows:.1f} ms per EEG"
    )
    print(f"  files: hard links of {source}; bundle: {model}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
