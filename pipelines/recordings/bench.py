"""Benchmarks of ``hms annotate`` (figures printed, never asserted).

``python -m pipelines.recordings.bench speed [--model DIR] [--hours 24]`` (``make
bench-annotate``): a generated EDF (19 scalp electrodes + EKG at 256 Hz, hospital channel
names; demo-generator blocks of the six patterns repeated, written block by block) annotated
at a 10 s step by ``hms annotate`` in a child process; prints the wall time, the CPU seconds
and the peak RSS of the child's process tree, and the load average. On a shared machine the
wall time says little: CPU seconds / n_jobs is a lower bound of the wall time on idle cores.

``python -m pipelines.recordings.bench agreement --model DIR``: every label row of the real
recordings in ``../shared/hms_real_mini``, predicted as ``hms predict`` does (the feature
engine on the parquet EEG with its real Kaggle spectrogram slice) and by ``hms annotate`` on
the same recording exported to EDF (the EEG read back through MNE, the spectrogram computed
from it); prints how far apart they land. ``--annotate-model DIR`` annotates with another
bundle (e.g. one trained without the spectrogram family) against the same reference.
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
import pandas as pd

from features.montage import RAW_COLUMNS
from models.labels import CLASSES, VOTE_COLUMNS
from models.metric import kl_divergence
from pipelines.recordings.synthetic import HOSPITAL_NAMES, pattern_block, write_edf_stream

REPO = Path(__file__).resolve().parents[2]
REAL_MINI = REPO.parent / "shared" / "hms_real_mini"
BLOCK_SEC = 1800


def _tree_sample(pid: int, cpu_by_pid: dict[int, float]) -> int:
    """RSS (bytes) of ``pid`` and its descendants now; records each one's CPU seconds so far."""
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
            times = proc.cpu_times()
            cpu_by_pid[proc.pid] = times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def generated_edf(path: Path, hours: float, sfreq: int = 256) -> Path:
    """A ``hours`` long EDF of demo blocks (6 patterns x 30 min, repeated)."""
    blocks = [pattern_block(c, BLOCK_SEC, seed=k, sfreq=sfreq) for k, c in enumerate(CLASSES)]
    n_records = int(round(hours * 3600))

    def cycle():
        while True:
            yield from blocks

    labels = [HOSPITAL_NAMES[c] for c in RAW_COLUMNS]
    return write_edf_stream(path, cycle(), sfreq=sfreq, n_records=n_records, labels=labels)


def run_measured(command: list[str]) -> tuple[float, float, int, float]:
    """Run ``command``; (wall seconds, peak RSS of its process tree in MB, exit code, CPU
    seconds of the tree: each process's last sample, every 0.2 s, summed)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak, cpu_by_pid = 0, {}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_sample(child.pid, cpu_by_pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = child.communicate()
    done.set()
    sampler.join()
    print(output.decode(errors="replace").strip())
    wall = time.perf_counter() - start
    return wall, peak / 2**20, child.returncode, sum(cpu_by_pid.values())


def speed(model: Path, hours: float, n_jobs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        edf = generated_edf(Path(tmp) / f"generated_{hours:g}h.edf", hours)
        made = time.perf_counter() - start
        command = [
            sys.executable,
            "-m",
            "pipelines.cli",
            "annotate",
            str(edf),
            "--model",
            str(model),
            "--out",
            str(Path(tmp) / "out"),
            "--n-jobs",
            str(n_jobs),
        ]
        wall, rss, code, cpu = run_measured(command)
        rows = len(pd.read_parquet(Path(tmp) / "out" / edf.stem / "timeline.parquet"))
    return {
        "hours": hours,
        "edf_mb": edf_size_mb(hours),
        "generate_s": round(made, 1),
        "annotate_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "peak_rss_mb": round(rss),
        "load_average_1min_after": round(os.getloadavg()[0], 1),
        "windows": rows,
        "n_jobs": n_jobs,
        "exit": code,
    }


def edf_size_mb(hours: float, sfreq: int = 256) -> float:
    return round(hours * 3600 * sfreq * len(RAW_COLUMNS) * 2 / 2**20, 1)


def _predict_rows(bundle, eeg_path: Path, spec_path: Path, rows: pd.DataFrame) -> np.ndarray:
    """``hms predict``'s computation at each label row: parquet EEG + real spectrogram."""
    from features.engine import extract_recording
    from features.windows import spectrogram_slice_rows
    from pipelines.kaggle_io import read_eeg, read_spectrogram
    from pipelines.submit_stage import bundle_families

    times, power = read_spectrogram(spec_path)
    slices = spectrogram_slice_rows(times, rows["spectrogram_label_offset_seconds"].to_numpy())
    columns = extract_recording(
        read_eeg(eeg_path),
        rows["eeg_label_offset_seconds"].to_numpy(),
        families=bundle_families(bundle),
        spectrogram_power=power,
        spectrogram_rows=slices,
    )
    return bundle.predict(np.stack([columns[c] for c in bundle.feature_columns], axis=1))


def _annotate_rows(bundle, eeg_path: Path, rows: pd.DataFrame, tmp: Path) -> np.ndarray:
    """``hms annotate`` on the recording exported to EDF, at the rows' window starts."""
    import mne

    from pipelines.kaggle_io import read_eeg
    from pipelines.recordings.annotate import PATTERN_COLUMNS, annotate
    from pipelines.recordings.synthetic import export_edf, raw_array

    edf = export_edf(raw_array(np.nan_to_num(read_eeg(eeg_path)), 200.0), tmp / "r.edf")
    raw = mne.io.read_raw(edf, verbose="error")
    timeline = annotate(raw, bundle, step=2).set_index("window_start_sec")
    return timeline.loc[
        rows["eeg_label_offset_seconds"].to_numpy(), list(PATTERN_COLUMNS)
    ].to_numpy()


def agreement(model: Path, annotate_model: Path | None = None, data: Path = REAL_MINI) -> dict:
    """``annotate_model`` (default ``model``) annotates; ``model`` predicts as hms predict."""
    from models.bundle import load_bundle

    bundle = load_bundle(model)
    annotator = load_bundle(annotate_model) if annotate_model else bundle
    labels = pd.read_csv(data / "train.csv")
    predicted, annotated = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for (eeg_id, spec_id), rows in labels.groupby(["eeg_id", "spectrogram_id"]):
            eeg = data / "train_eegs" / f"{eeg_id}.parquet"
            spec = data / "train_spectrograms" / f"{spec_id}.parquet"
            predicted.append(_predict_rows(bundle, eeg, spec, rows))
            annotated.append(_annotate_rows(annotator, eeg, rows, Path(tmp)))
    p, a = np.concatenate(predicted), np.concatenate(annotated)
    votes = labels.sort_values(["eeg_id", "spectrogram_id"], kind="stable")[list(VOTE_COLUMNS)]
    y = votes.to_numpy(float) / votes.to_numpy(float).sum(axis=1, keepdims=True)
    return {
        "rows": len(p),
        "recordings": int(labels["eeg_id"].nunique()),
        "kl_annotate_from_predict": round(float(kl_divergence(p, a)), 4),
        "mean_abs_prob_diff": round(float(np.abs(p - a).mean()), 4),
        "max_abs_prob_diff": round(float(np.abs(p - a).max()), 4),
        "same_top_pattern": round(float(np.mean(p.argmax(1) == a.argmax(1))), 3),
        "kl_experts_predict": round(float(kl_divergence(y, p)), 4),
        "kl_experts_annotate": round(float(kl_divergence(y, a)), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.recordings.bench")
    parser.add_argument("what", choices=["speed", "agreement"])
    parser.add_argument("--model", default=None, help="bundle folder (default: the latest)")
    parser.add_argument("--work-dir", default=None, help="where the latest bundle is looked for")
    parser.add_argument(
        "--annotate-model", default=None, help="agreement: annotate with this bundle instead"
    )
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args(argv)
    if args.model:
        model = Path(args.model)
    else:
        from pipelines.config import resolve_work_dir
        from pipelines.train_stage import latest_bundle

        model = latest_bundle(resolve_work_dir(args.work_dir))
    if args.what == "speed":
        result = speed(model, args.hours, args.n_jobs)
    else:
        other = Path(args.annotate_model) if args.annotate_model else None
        result = agreement(model, other)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
