"""``make bench``: feature extraction speed and memory, printed (never asserted).

1. Data: demo recordings whose label rows per EEG follow the real distribution (sampled from
   ``../shared/hms_labels`` when it is there, else from the generator's embedded table).
2. The full feature set through the real stage (``build_features``, 2 workers, cold cache):
   label windows per second and the peak resident memory of the whole process tree, at two
   data set sizes.
3. Side by side, one process each, on the same windows: mne-features computing band powers,
   Hjorth mobility and complexity, line length and spectral entropy, and this project
   computing the same quantities with its shared-segment engine; the ratio.
4. The projected time for the full Kaggle train set (106,800 windows) on this machine.

Run ``python -m pipelines.bench --help`` for the sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from features.bands import BANDS, band_matrix
from features.context import WindowSet
from features.montage import SFREQ, bipolar_index, to_bipolar
from features.spectral import spectral_entropy
from features.temporal import moment_features, span_moments
from features.windows import apply_nan_policy, cut_eeg_windows, window_starts
from pipelines.kaggle_io import KaggleLayout, read_eeg, read_train_labels

KAGGLE_TRAIN_WINDOWS = 106_800
REAL_LABELS = Path(__file__).resolve().parents[2] / "shared" / "hms_labels"
REAL_LABELS_CSV = REAL_LABELS / "train_labels_reconstructed.csv"


def real_rows_per_eeg(n_eegs: int, seed: int) -> tuple[np.ndarray | None, str]:
    """Label rows per EEG drawn from the real label table, when it is present."""
    if not REAL_LABELS_CSV.is_file():
        return None, "the generator's embedded distribution (capped at 60 rows per EEG)"
    import pandas as pd

    counts = pd.read_csv(REAL_LABELS_CSV, usecols=["eeg_id"]).groupby("eeg_id").size()
    rng = np.random.default_rng(seed)
    drawn = rng.choice(counts.to_numpy(), size=n_eegs, replace=True)
    return drawn, f"{REAL_LABELS_CSV} ({len(counts)} real EEGs, uncapped)"


# --- the full feature set through the stage, with the process tree's memory --------------


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def run_stage(data_dir: Path, work_dir: Path, n_jobs: int) -> dict:
    """Run ``build_features`` in a child process; sample its process tree's RSS."""
    code = (
        "import json, sys; from pathlib import Path; "
        "from pipelines.features_stage import build_features; "
        f"s = build_features(Path({str(data_dir)!r}), Path({str(work_dir)!r}), split='train', "
        f"n_jobs={n_jobs}, progress=False); "
        "print(json.dumps({'rows': s.n_rows, 'columns': s.n_columns, 'seconds': s.seconds, "
        "'windows_per_second': s.windows_per_second, 'failures': len(s.failures)}))"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(child.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = child.communicate()
    stop.set()
    sampler.join()
    if child.returncode != 0:
        raise RuntimeError(f"the features stage failed on {data_dir}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = peak / 2**20
    return result


# --- the comparable subset, side by side ---------------------------------------------------


def load_windows(data_dir: Path, max_recordings: int | None):
    """Bipolar, NaN-cleaned recordings and their window starts (first ``max_recordings``)."""
    layout = KaggleLayout(data_dir)
    labels = read_train_labels(layout.train_csv)
    recordings = []
    for eeg_id, rows in list(labels.groupby("eeg_id", sort=False))[:max_recordings]:
        raw = read_eeg(layout.eeg_path("train", eeg_id))
        clean = apply_nan_policy(raw[:19])
        anode, cathode = bipolar_index()
        eeg = to_bipolar(clean.x)
        mask = clean.nan_mask[anode] | clean.nan_mask[cathode]
        recordings.append((eeg, mask, rows["eeg_label_offset_seconds"].to_numpy()))
    return recordings


def ours_subset(eeg: np.ndarray, mask: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Band powers, Hjorth mobility and complexity, line length, spectral entropy per
    channel for every window of one recording (shared-segment engine)."""
    starts = window_starts(offsets)
    ws = WindowSet.from_recording(eeg, eeg[0], mask, starts, sfreq=SFREQ)
    psd = ws.psd()
    powers = psd @ band_matrix(ws.freqs, BANDS)
    entropy = spectral_entropy(psd, ws.freqs)
    moments = moment_features(span_moments(ws, (0.0, 50.0)), sfreq=SFREQ)
    return np.concatenate(
        [
            powers,
            entropy[..., None],
            moments["mobility"][..., None],
            moments["complexity"][..., None],
            moments["linelen"][..., None],
        ],
        axis=-1,
    )


def mne_features_subset(windows: np.ndarray) -> np.ndarray:
    from mne_features.feature_extraction import extract_features

    edges = np.array([b[0] for b in BANDS.values()] + [list(BANDS.values())[-1][1]])
    return extract_features(
        windows.astype(np.float64),
        SFREQ,
        selected_funcs=[
            "pow_freq_bands",
            "hjorth_mobility",
            "hjorth_complexity",
            "line_length",
            "spect_entropy",
        ],
        funcs_params={
            "pow_freq_bands__freq_bands": edges,
            "pow_freq_bands__normalize": False,
            # The same resolution as ours: 4 s Welch segments.
            "pow_freq_bands__psd_params": {"welch_n_fft": 800, "welch_n_per_seg": 800},
        },
        n_jobs=1,
    )


def side_by_side(data_dir: Path, max_recordings: int | None) -> dict:
    recordings = load_windows(data_dir, max_recordings)
    n_windows = sum(len(r[2]) for r in recordings)
    start = time.perf_counter()
    for eeg, mask, offsets in recordings:
        ours_subset(eeg, mask, offsets)
    ours_s = time.perf_counter() - start
    # mne-features gets the same windows, cut beforehand (cutting is not timed).
    windows = [cut_eeg_windows(eeg, offsets) for eeg, _, offsets in recordings]
    mne_features_subset(windows[0][:1])  # warm up numba compilation
    start = time.perf_counter()
    for batch in windows:
        mne_features_subset(batch)
    theirs_s = time.perf_counter() - start
    return {
        "windows": n_windows,
        "recordings": len(recordings),
        "ours_windows_per_second": n_windows / ours_s,
        "mne_features_windows_per_second": n_windows / theirs_s,
        "ratio": theirs_s / ours_s,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.bench", description=__doc__)
    parser.add_argument(
        "--n-eegs", type=int, default=900, help="EEGs of the larger data set (the smaller: 1/3)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=2, help="workers for the stage")
    parser.add_argument(
        "--subset-recordings",
        type=int,
        default=None,
        help="recordings of the larger set in the side-by-side run (default: all)",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args(argv)

    from pipelines.demo_data import write_demo_dataset

    results: dict = {"cpu_count": os.cpu_count(), "n_jobs": args.n_jobs}
    with tempfile.TemporaryDirectory(prefix="hms-bench-") as tmp:
        tmp = Path(tmp)
        sizes = {"small": max(10, args.n_eegs // 3), "large": args.n_eegs}
        for name, n_eegs in sizes.items():
            rows, source = real_rows_per_eeg(n_eegs, args.seed)
            data = tmp / f"data-{name}"
            print(f"[{name}] generating {n_eegs} EEGs; rows per EEG from {source}", flush=True)
            write_demo_dataset(
                data, n_eegs=n_eegs, seed=args.seed, progress=False, rows_per_eeg=rows
            )
            stage = run_stage(data, tmp / f"work-{name}", args.n_jobs)
            results[name] = {"eegs": n_eegs, **stage}
            print(
                f"[{name}] full feature set: {stage['rows']} windows x {stage['columns']} "
                f"columns in {stage['seconds']:.1f} s = {stage['windows_per_second']:.0f} "
                f"windows/s ({args.n_jobs} workers); peak RSS of the process tree "
                f"{stage['peak_rss_mb']:.0f} MB",
                flush=True,
            )
        print("[subset] mne-features vs ours, one process each, same windows ...", flush=True)
        results["subset"] = side_by_side(tmp / "data-large", args.subset_recordings)

    sub = results["subset"]
    rate = results["large"]["windows_per_second"]
    results["kaggle_projection_minutes"] = KAGGLE_TRAIN_WINDOWS / rate / 60
    print()
    print("figure                                              value")
    print(f"full feature set, windows/s ({args.n_jobs} workers)             {rate:8.0f}")
    print(
        f"peak RSS, {results['small']['rows']:>6} windows / {results['large']['rows']:>6} windows"
        f"       {results['small']['peak_rss_mb']:6.0f} / {results['large']['peak_rss_mb']:.0f} MB"
    )
    print(
        f"subset ({sub['windows']} windows): ours {sub['ours_windows_per_second']:.0f} w/s, "
        f"mne-features {sub['mne_features_windows_per_second']:.0f} w/s, "
        f"ratio {sub['ratio']:.1f}x"
    )
    print(
        f"projected full Kaggle train set ({KAGGLE_TRAIN_WINDOWS:,} windows): "
        f"{results['kaggle_projection_minutes']:.1f} min"
    )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))
        print(f"figures written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
