"""``hms annotate FILE|DIR ...``: a timeline of pattern probabilities for whole recordings.

One recording is split into chunks computed in parallel; several recordings run in parallel
(joblib, or a Dask cluster through joblib's dask backend, as ``hms features``), one per
worker. A recording whose ``summary.json`` exists for the same model is skipped (a rerun
resumes), and a failing recording is named while the others go on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.files import write_atomic

RECORDING_SUFFIXES = (".edf", ".bdf", ".vhdr", ".set", ".fif", ".fif.gz", ".parquet")
"""Files ``hms annotate DIR`` picks up (any file MNE reads can be named explicitly)."""


@dataclass(frozen=True)
class Task:
    path: Path
    out_dir: Path
    model_dir: Path
    step_sec: float
    n_jobs: int


@dataclass
class Outcome:
    path: Path
    out_dir: Path
    status: str  # "done", "skipped" or "failed"
    detail: str
    seconds: float


def find_recordings(paths: list[Path]) -> list[Path]:
    """The files named, and in each folder named, the recordings it holds (recursively)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.name.lower().endswith(RECORDING_SUFFIXES)
            )
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def output_dirs(paths: list[Path], root: Path) -> list[Path]:
    """``root/{file stem}``, with the parent folder's name added where two stems clash."""
    stems = [p.name.split(".")[0] for p in paths]
    return [
        root / (f"{p.parent.name}_{s}" if stems.count(s) > 1 else s)
        for p, s in zip(paths, stems, strict=True)
    ]


def is_finished(out_dir: Path, model_dir: Path, step_sec: float) -> bool:
    summary = out_dir / "summary.json"
    if not summary.is_file():
        return False
    meta = json.loads(summary.read_text())
    return meta.get("model") == str(model_dir) and meta.get("step_sec") == step_sec


def run_task(task: Task) -> Outcome:
    """Annotate one recording and write its outputs; a failure is returned, not raised."""
    from models.bundle import load_bundle
    from pipelines.recordings.annotate import annotate_recording, check_duration
    from pipelines.recordings.outputs import write_outputs
    from pipelines.recordings.reader import RecordingError, open_recording

    start = time.perf_counter()
    try:
        recording = open_recording(task.path)
        check_duration(recording)
        bundle = load_bundle(task.model_dir)
        result = annotate_recording(recording, bundle, step_sec=task.step_sec, n_jobs=task.n_jobs)
        summary = write_outputs(result, task.out_dir, step_sec=task.step_sec, model=task.model_dir)
    except RecordingError as err:
        return Outcome(task.path, task.out_dir, "failed", str(err), time.perf_counter() - start)
    except Exception as err:  # one bad recording must not stop the others
        detail = f"{task.path}: {type(err).__name__}: {err}"
        return Outcome(task.path, task.out_dir, "failed", detail, time.perf_counter() - start)
    seizure = summary["patterns"]["seizure"]["share"]
    detail = f"{summary['n_windows']} windows, seizure share {seizure:.1%}"
    return Outcome(task.path, task.out_dir, "done", detail, time.perf_counter() - start)


def _iterate(tasks: list[Task], n_jobs: int, backend: str, scheduler: str | None) -> Iterator:
    if len(tasks) <= 1:
        yield from map(run_task, tasks)
        return
    from pipelines.workers import run_unordered

    yield from run_unordered(run_task, tasks, n_jobs=n_jobs, backend=backend, scheduler=scheduler)


def annotate_files(
    paths: list[Path],
    out_root: Path,
    model_dir: Path,
    *,
    step_sec: float = 10.0,
    n_jobs: int = -1,
    backend: str = "loky",
    scheduler: str | None = None,
    force: bool = False,
) -> list[Outcome]:
    """Annotate every recording of ``paths`` into ``out_root/{name}/``; returns one outcome
    per recording (finished ones are skipped unless ``force``)."""
    recordings = find_recordings(paths)
    outs = output_dirs(recordings, Path(out_root))
    outcomes, tasks = [], []
    single = len(recordings) == 1
    for path, out_dir in zip(recordings, outs, strict=True):
        if not force and is_finished(out_dir, model_dir, step_sec):
            outcomes.append(Outcome(path, out_dir, "skipped", "finished earlier", 0.0))
            continue
        tasks.append(Task(path, out_dir, model_dir, step_sec, n_jobs if single else 1))
    outcomes += list(_iterate(tasks, n_jobs, backend, scheduler))
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        frame = pd.DataFrame(
            {"path": [str(o.path) for o in failed], "reason": [o.detail for o in failed]}
        )
        write_atomic(Path(out_root) / "failures.csv", lambda t: frame.to_csv(t, index=False))
    return outcomes


def _cmd_annotate(args: argparse.Namespace) -> int:
    from pipelines.config import resolve_work_dir
    from pipelines.provenance import recording_warning
    from pipelines.train_stage import latest_bundle

    work_dir = resolve_work_dir(args.work_dir)
    model = Path(args.model) if args.model else latest_bundle(work_dir)
    if note := recording_warning(model):
        print(note, file=sys.stderr)
    out_root = Path(args.out) if args.out else work_dir / "annotations"
    paths = [Path(p) for p in args.paths]
    if not find_recordings(paths):
        print(f"error: no recordings found in {', '.join(args.paths)}", file=sys.stderr)
        return 2
    outcomes = annotate_files(
        paths,
        out_root,
        model,
        step_sec=args.step,
        n_jobs=args.n_jobs,
        backend=args.backend,
        scheduler=args.scheduler,
        force=args.force,
    )
    if len(outcomes) == 1 and outcomes[0].status == "failed":
        print(f"error: {outcomes[0].detail}", file=sys.stderr)
        return 2
    for o in outcomes:
        label = {"done": "done", "skipped": "skipped", "failed": "FAILED"}[o.status]
        print(f"  {label} {o.path}: {o.detail} ({o.seconds:.1f} s) -> {o.out_dir}")
    counts = {s: sum(o.status == s for o in outcomes) for s in ("done", "skipped", "failed")}
    print(
        f"annotate: {counts['done']} annotated, {counts['skipped']} already done, "
        f"{counts['failed']} failed; outputs under {out_root}"
    )
    return 1 if counts["failed"] else 0


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``hms annotate`` on the ``hms`` subcommand parsers."""
    p = subparsers.add_parser(
        "annotate", help="pattern probabilities every 10 s over whole recordings (EDF, BDF, ...)"
    )
    p.add_argument("paths", nargs="+", help="recording files (any format MNE reads) or folders")
    p.add_argument("--model", default=None, help="bundle folder (default: the latest)")
    p.add_argument("--work-dir", default=None, help="outputs go to WORK_DIR/annotations/{name}")
    p.add_argument("--out", default=None, help="output root instead of WORK_DIR/annotations")
    p.add_argument("--step", type=float, default=10.0, help="seconds between windows (10)")
    p.add_argument("--n-jobs", type=int, default=-1, help="parallel workers (default: all)")
    p.add_argument("--backend", default="loky", choices=["loky", "threading", "dask"])
    p.add_argument("--scheduler", default=None, help="dask scheduler address (--backend dask)")
    p.add_argument("--force", action="store_true", help="redo recordings already annotated")
    p.set_defaults(func=_cmd_annotate)
    return p
