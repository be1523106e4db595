"""``make bench``: feature extraction speed and memory, printed (never asserted).

1. Data: demo recordings whose label rows per EEG follow the real distribution (sampled from
   the real label table given by ``--labels`` (``make bench`` passes
   ``../shared/hms_labels/train_labels_reconstructed.csv``), else from the generator's
   embedded table).
2. The full feature set through the real stage (``build_features``, 2 workers, cold cache):
   label windows per second and the peak resident memory of the whole process tree, at two
   data set sizes.
3. Side by side, one process each, on the same windows: mne-features computing band powers,
   Hjorth mobility and complexity, line length and spectral entropy, and this project
   computing the same quantities with its shared-segment engine; the ratio. mne-features
   runs twice: with the Welch estimate ours computes (4 s segments every 2 s) and with the
   lighter setting of earlier figures (no overlap; default segments for the entropy).
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

from features.bands import BANDS, band_weights
from features.context import WindowSet
from features.families.spectral import spectral_entropy
from features.families.temporal import MOMENTS, block_moments, moment_features
from features.montage import SFREQ
from features.windows import clean_bipolar, cut_eeg_windows, window_starts
from pipelines.kaggle_io import KaggleLayout, read_eeg, read_train_labels

KAGGLE_TRAIN_WINDOWS = 106_800


def real_rows_per_eeg(
    labels_csv: Path | None, n_eegs: int, seed: int
) -> tuple[np.ndarray | None, str]:
    """Label rows per EEG drawn from a real ``train.csv``-like table, when one is given."""
    if labels_csv is None or not Path(labels_csv).is_file():
        return None, "the generator's embedded distribution (capped at 60 rows per EEG)"
    import pandas as pd

    counts = pd.read_csv(labels_csv, usecols=["eeg_id"]).groupby("eeg_id").size()
    rng = np.random.default_rng(seed)
    drawn = rng.choice(counts.to_numpy(), size=n_eegs, replace=True)
    return drawn, f"{labels_csv} ({len(counts)} real EEGs, uncapped)"


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
        clean = clean_bipolar(raw)
        recordings.append((clean.eeg, clean.nan_mask, rows["eeg_label_offset_seconds"].to_numpy()))
    return recordings


SUBSET_MOMENTS = ("x", "x2", "dx2", "ddx2", "absdx")
"""The block means Hjorth mobility and complexity and line length need (of ``MOMENTS``)."""


def _subset_blocks(ws: WindowSet) -> np.ndarray:
    """The subset's block means in ``MOMENTS`` layout (the moments it does not need are 0)."""
    block_sec = ws.block_samples / ws.sfreq
    part = block_moments(ws.eeg, sfreq=ws.sfreq, block_sec=block_sec, fields=SUBSET_MOMENTS)
    full = np.zeros((*part.shape[:-1], len(MOMENTS)))
    full[..., [MOMENTS.index(f) for f in SUBSET_MOMENTS]] = part
    return full


def ours_subset(eeg: np.ndarray, mask: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Band powers, Hjorth mobility and complexity, line length, spectral entropy per
    channel for every window of one recording: the engine's ``WindowSet`` (shared segment
    spectra and block sums) and the families' own functions, computing only the subset."""
    starts = window_starts(offsets)
    ws = WindowSet.from_recording(eeg, eeg[0], mask, starts, sfreq=SFREQ)
    psd = ws.psd()
    powers = psd @ band_weights(ws.freqs, BANDS, psd.dtype)
    entropy = spectral_entropy(psd, ws.freqs)
    moments = moment_features(ws.block_mean("subset", _subset_blocks), sfreq=SFREQ)
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


MNE_FEATURES_WELCH = {
    # The estimate ours computes: 4 s segments every 2 s (mne-features tapers with Hamming,
    # ours with Hann; the cost is the same), for the band powers and the entropy.
    "same": {"welch_n_fft": 800, "welch_n_per_seg": 800, "welch_n_overlap": 400},
    # The lighter setting of earlier figures: 4 s segments without overlap for the band
    # powers, mne-features' default (256-sample segments) for the entropy.
    "light": {"welch_n_fft": 800, "welch_n_per_seg": 800},
}


def mne_features_subset(windows: np.ndarray, welch: str = "same") -> np.ndarray:
    from mne_features.feature_extraction import extract_features

    edges = np.array([b[0] for b in BANDS.values()] + [list(BANDS.values())[-1][1]])
    params = {
        "pow_freq_bands__freq_bands": edges,
        "pow_freq_bands__normalize": False,
        "pow_freq_bands__psd_params": MNE_FEATURES_WELCH[welch],
    }
    if welch == "same":
        params["spect_entropy__psd_params"] = MNE_FEATURES_WELCH[welch]
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
        funcs_params=params,
        n_jobs=1,
    )


def _timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def side_by_side(data_dir: Path, max_recordings: int | None, repeat: int) -> dict:
    """Ours ``repeat`` times around one mne-features run (it takes minutes), same windows."""
    recordings = load_windows(data_dir, max_recordings)
    n_windows = sum(len(r[2]) for r in recordings)

    def ours() -> None:
        for eeg, mask, offsets in recordings:
            ours_subset(eeg, mask, offsets)

    # mne-features gets the same windows, cut beforehand (cutting is not timed).
    windows = [cut_eeg_windows(eeg, offsets) for eeg, _, offsets in recordings]

    def theirs(welch: str):
        def run() -> None:
            for batch in windows:
                mne_features_subset(batch, welch)

        return run

    mne_features_subset(windows[0][:1])  # warm up numba compilation
    ours_subset(*recordings[0])  # and our first-call costs (FFT plans, cached weights)
    # Ours before, between and after the two mne-features runs.
    ours_s = [_timed(ours)]
    same_s = _timed(theirs("same"))
    ours_s += [_timed(ours) for _ in range(max(1, repeat - 2))]
    light_s = _timed(theirs("light"))
    ours_s += [_timed(ours)]
    ours_rates = [n_windows / t for t in ours_s]
    ours_rate = float(np.median(ours_rates))
    return {
        "windows": n_windows,
        "recordings": len(recordings),
        "ours_windows_per_second": ours_rate,
        "ours_runs_windows_per_second": ours_rates,
        "mne_features_windows_per_second": n_windows / same_s,
        "ratio": ours_rate * same_s / n_windows,
        "mne_features_light_windows_per_second": n_windows / light_s,
        "ratio_light": ours_rate * light_s / n_windows,
    }


def longest_recording(data_dir: Path) -> dict:
    """The EEG whose label windows span the most signal (what bounds a worker's memory)."""
    labels = read_train_labels(KaggleLayout(data_dir).train_csv)
    offsets = labels.groupby("eeg_id")["eeg_label_offset_seconds"]
    span = offsets.max() - offsets.min() + 50.0
    eeg_id = int(span.idxmax())
    return {"eeg_id": eeg_id, "windows": int(offsets.size()[eeg_id]), "span_sec": span.max()}


def _median_and_range(values: list[float]) -> str:
    return f"{np.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines.bench", description=__doc__)
    parser.add_argument(
        "--n-eegs", type=int, default=900, help="EEGs of the larger data set (the smaller: 1/3)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=2, help="workers for the stage")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each timing (the median is reported)"
    )
    parser.add_argument(
        "--subset-recordings",
        type=int,
        default=None,
        help="recordings of the larger set in the side-by-side run (default: all)",
    )
    parser.add_argument(
        "--labels",
        type=Path,
        default=None,
        help="a real train.csv-like table to draw label rows per EEG from "
        "(default: the generator's embedded distribution)",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    return parser


def _rows_for(name: str, n_eegs: int, large_rows: np.ndarray | None) -> np.ndarray | None:
    """Rows per EEG of one data set size. The small set is the large set's first third, with
    the large set's biggest recording put first: the two sizes then differ in the number of
    recordings and not in the longest one (which alone sets a worker's largest array)."""
    if name != "small" or large_rows is None:
        return large_rows
    rows = large_rows[:n_eegs].copy()
    rows[0] = large_rows.max()
    return rows


def measure_size(
    tmp: Path, name: str, n_eegs: int, rows: np.ndarray | None, args: argparse.Namespace
) -> dict:
    """Generate one data set and time ``args.repeat`` cold runs of the stage on it."""
    from pipelines.demo.dataset import write_demo_dataset

    data = tmp / f"data-{name}"
    write_demo_dataset(data, n_eegs=n_eegs, seed=args.seed, progress=False, rows_per_eeg=rows)
    runs = [run_stage(data, tmp / f"work-{name}-{i}", args.n_jobs) for i in range(args.repeat)]
    longest = longest_recording(data)
    rates = [r["windows_per_second"] for r in runs]
    rss = [r["peak_rss_mb"] for r in runs]
    print(
        f"[{name}] full feature set: {runs[0]['rows']} windows x {runs[0]['columns']} "
        f"columns, {args.repeat} cold runs: {_median_and_range(rates)} windows/s "
        f"({args.n_jobs} workers); peak RSS of the process tree "
        f"{_median_and_range(rss)} MB; longest recording {longest['windows']} "
        f"windows over {longest['span_sec']:.0f} s",
        flush=True,
    )
    return {
        "eegs": n_eegs,
        "rows": runs[0]["rows"],
        "columns": runs[0]["columns"],
        "failures": runs[0]["failures"],
        "windows_per_second": float(np.median(rates)),
        "runs_windows_per_second": rates,
        "peak_rss_mb": float(np.median(rss)),
        "runs_peak_rss_mb": rss,
        "longest_recording": longest,
    }


def print_figures(results: dict, args: argparse.Namespace) -> None:
    sub = results["subset"]
    small, large = results["small"], results["large"]
    print()
    print(f"figures (median of {args.repeat} runs, range in brackets)")
    print(
        f"full feature set, {large['rows']} windows, {args.n_jobs} workers: "
        f"{_median_and_range(large['runs_windows_per_second'])} windows/s"
    )
    print(
        f"peak RSS, {small['rows']} / {large['rows']} windows: "
        f"{_median_and_range(small['runs_peak_rss_mb'])} / "
        f"{_median_and_range(large['runs_peak_rss_mb'])} MB (longest recording "
        f"{small['longest_recording']['span_sec']:.0f} s / "
        f"{large['longest_recording']['span_sec']:.0f} s)"
    )
    ours_runs = sub["ours_runs_windows_per_second"]
    print(
        f"subset ({sub['windows']} windows), one process each: ours "
        f"{_median_and_range(ours_runs)} w/s ({len(ours_runs)} runs); mne-features with "
        f"the same Welch estimate {sub['mne_features_windows_per_second']:.0f} w/s, ratio "
        f"{sub['ratio']:.1f}x; mne-features with the lighter earlier setting "
        f"{sub['mne_features_light_windows_per_second']:.0f} w/s, ratio "
        f"{sub['ratio_light']:.1f}x"
    )
    print(
        f"projected full Kaggle train set ({KAGGLE_TRAIN_WINDOWS:,} windows): "
        f"{results['kaggle_projection_minutes']:.1f} min"
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    results: dict = {"cpu_count": os.cpu_count(), "n_jobs": args.n_jobs, "repeat": args.repeat}
    with tempfile.TemporaryDirectory(prefix="hms-bench-") as tmp:
        tmp = Path(tmp)
        sizes = {"small": max(10, args.n_eegs // 3), "large": args.n_eegs}
        large_rows, source = real_rows_per_eeg(args.labels, args.n_eegs, args.seed)
        for name, n_eegs in sizes.items():
            print(f"[{name}] generating {n_eegs} EEGs; rows per EEG from {source}", flush=True)
            rows = _rows_for(name, n_eegs, large_rows)
            results[name] = measure_size(tmp, name, n_eegs, rows, args)
        print("[subset] mne-features vs ours, one process each, same windows ...", flush=True)
        results["subset"] = side_by_side(tmp / "data-large", args.subset_recordings, args.repeat)
    rate = results["large"]["windows_per_second"]
    results["kaggle_projection_minutes"] = KAGGLE_TRAIN_WINDOWS / rate / 60
    print_figures(results, args)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, default=float))
        print(f"figures written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
