"""The ``hms`` command line: one subcommand per stage, one convention for paths.

Every stage takes ``--data-dir`` (a Kaggle-layout folder; default ``$HMS_DATA_DIR``, else
``data/demo``) and ``--work-dir`` (where features, models, reports and submissions go; default
``$HMS_WORK_DIR``, else ``data/``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pipelines.config import DATA_DIR_ENV, WORK_DIR_ENV, resolve_data_dir, resolve_work_dir
from pipelines.kaggle_io import DataError


def _add_dirs(parser: argparse.ArgumentParser, *, work: bool = True) -> None:
    parser.add_argument(
        "--data-dir",
        default=None,
        help=f"Kaggle-layout data folder (default: ${DATA_DIR_ENV}, else data/demo)",
    )
    if work:
        parser.add_argument(
            "--work-dir",
            default=None,
            help=f"where outputs go (default: ${WORK_DIR_ENV}, else data/)",
        )


def _cmd_validate(args: argparse.Namespace) -> int:
    from pipelines.kaggle_io import validate_layout

    data_dir = resolve_data_dir(args.data_dir)
    start = time.perf_counter()
    report = validate_layout(data_dir, deep=args.deep, progress=sys.stderr.isatty())
    for problem in report.problems:
        print(f"PROBLEM: {problem}")
    verdict = "OK" if report.ok else f"{len(report.problems)} problem(s)"
    print(
        f"validate {data_dir}: {verdict}; {report.n_train_rows} train rows, "
        f"{report.n_test_rows} test rows, {report.n_files} signal files checked"
        f"{' (deep)' if args.deep else ''} in {time.perf_counter() - start:.1f} s"
    )
    return 0 if report.ok else 1


def _cmd_score(args: argparse.Namespace) -> int:
    from pipelines.scoring import score_submission

    report = score_submission(Path(args.solution), Path(args.submission))
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"KL divergence: {report['kl_all']:.6f}  ({report['n_all']} rows)")
    if report["n_reliable"]:
        print(
            f"  rows with >= 10 votes: {report['kl_reliable']:.6f}  ({report['n_reliable']} rows)"
        )
    if report["max_row_sum_error"] > 1e-6:
        print(
            f"  note: submission rows do not sum to 1 (largest error "
            f"{report['max_row_sum_error']:.3g}); scored as given, like the competition"
        )
    return 0


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from pipelines.demo_data import write_demo_dataset

    out = Path(args.out) if args.out else resolve_data_dir(None)
    summary = write_demo_dataset(
        out, n_eegs=args.n_eegs, seed=args.seed, n_jobs=args.n_jobs, progress=not args.quiet
    )
    print(
        f"demo data: {summary['n_train_eegs']} train EEGs ({summary['n_label_rows']} label rows, "
        f"{summary['n_patients']} patients), {summary['n_test_eegs']} test EEGs, "
        f"in {summary['seconds']:.1f} s"
    )
    for name, path in summary["paths"].items():
        print(f"  {name}: {path}")
    return 0


def _cmd_features(args: argparse.Namespace) -> int:
    from pipelines.features_stage import build_features

    data_dir, work_dir = resolve_data_dir(args.data_dir), resolve_work_dir(args.work_dir)
    families = args.families.split(",") if args.families else None
    status = 0
    for split in args.splits.split(","):
        summary = build_features(
            data_dir,
            work_dir,
            split=split,
            families=families,
            n_jobs=args.n_jobs,
            backend=args.backend,
            scheduler=args.scheduler,
            progress=not args.quiet,
        )
        print(
            f"features {split}: {summary.n_rows} rows x {summary.n_columns} columns from "
            f"{summary.n_recordings} recordings ({summary.n_computed} computed, "
            f"{summary.n_cached} from cache, {len(summary.failures)} failed) in "
            f"{summary.seconds:.1f} s ({summary.windows_per_second:.0f} windows/s computed)"
        )
        print(f"  table: {summary.table}")
        for eeg_id, reason in summary.failures:
            print(f"  FAILED eeg_id {eeg_id}: {reason}")
        if summary.failures:
            print(f"  failures listed in {summary.table.with_name(f'{split}_failures.csv')}")
            status = 1
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hms",
        description="Harmful brain activity classification with gradient-boosted trees "
        "(HMS Kaggle layout).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a whole Kaggle-layout folder before a long run")
    _add_dirs(p, work=False)
    p.add_argument("--deep", action="store_true", help="also decode every file's data (slower)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("features", help="compute (or reuse) the cached feature tables")
    _add_dirs(p)
    p.add_argument("--splits", default="train,test", help="comma list (default train,test)")
    p.add_argument("--families", default=None, help="comma list of feature families (default: all)")
    p.add_argument("--n-jobs", type=int, default=-1, help="parallel workers (default: all)")
    p.add_argument("--backend", default="loky", choices=["loky", "threading", "dask"])
    p.add_argument("--scheduler", default=None, help="dask scheduler address (with --backend dask)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_features)

    p = sub.add_parser("score", help="KL of a submission against an answer key of vote counts")
    p.add_argument("solution", help="CSV with eeg_id + the six *_vote columns (vote counts)")
    p.add_argument("submission", help="CSV with eeg_id + the six *_vote columns (probabilities)")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser("demo-data", help="generate a demo data set in the Kaggle layout")
    p.add_argument("out", nargs="?", default=None, help="output folder (default: data/demo)")
    p.add_argument("--n-eegs", type=int, default=300, help="train EEGs to generate (default 300)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--n-jobs", type=int, default=-1, help="parallel workers (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_demo_data)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hms`` console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
