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

from models.bundle import ColumnMismatchError
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


def _print_table(frame, columns, formats) -> None:
    widths = {
        c: max(len(c), *(len(formats.get(c, "{}").format(v)) for v in frame[c])) for c in columns
    }
    print("  " + "  ".join(c.ljust(widths[c]) for c in columns))
    for _, row in frame.iterrows():
        cells = [formats.get(c, "{}").format(row[c]).ljust(widths[c]) for c in columns]
        print("  " + "  ".join(cells))


def _cmd_train(args: argparse.Namespace) -> int:
    from pipelines.train_stage import train

    summary = train(
        resolve_data_dir(args.data_dir),
        resolve_work_dir(args.work_dir),
        models=tuple(args.models.split(",")),
        strategy=args.strategy,
        compare_strategies=args.compare_strategies,
        n_folds=args.folds,
        seed=args.seed,
        families=args.families.split(",") if args.families else None,
        n_jobs=args.n_jobs,
        storage=args.storage,
        use_tuned=not args.defaults,
        max_rounds=args.max_rounds,
        progress=not args.quiet,
        table=Path(args.table) if args.table else None,
        groups=args.groups,
    )
    print(
        f"train: {summary.n_rows} rows ({summary.n_reliable} with >= 10 votes), "
        f"{summary.n_patients} patients, {len(summary.folds)} folds, strategy "
        f"{summary.strategy}, in {summary.seconds:.0f} s"
    )
    for kind, source in summary.params_source.items():
        detail = f" (study {source['study']}, trial {source['trial']})" if "study" in source else ""
        print(f"  {kind} parameters: {source['source']}{detail}")
    if summary.strategy_table is not None:
        print("strategies (out-of-fold KL):")
        _print_table(
            summary.strategy_table,
            ["model", "strategy", "kl_all", "kl_reliable", "kl_one_per_eeg"],
            {k: "{:.4f}" for k in ("kl_all", "kl_reliable", "kl_one_per_eeg")},
        )
    print(
        "cross-validation (out-of-fold KL, patient folds; headline kl_test_like: one row per "
        "EEG among the >= 10-vote rows):"
    )
    _print_table(
        summary.table,
        ["model", "kl_test_like", "kl_all", "kl_reliable", "kl_one_per_eeg", "note"],
        {k: "{:.4f}" for k in ("kl_test_like", "kl_all", "kl_reliable", "kl_one_per_eeg")},
    )
    print(f"  bundle: {summary.bundle}")
    return 0


def _cmd_tune(args: argparse.Namespace) -> int:
    from pipelines.tune_stage import tune

    summaries = tune(
        resolve_data_dir(args.data_dir),
        resolve_work_dir(args.work_dir),
        kinds=tuple(args.models.split(",")),
        n_trials=args.n_trials,
        n_folds=args.folds,
        seed=args.seed,
        storage=args.storage,
        families=args.families.split(",") if args.families else None,
        n_jobs=args.n_jobs,
        timeout_s=args.timeout,
        max_rounds=args.max_rounds,
        progress=not args.quiet,
        table=Path(args.table) if args.table else None,
        groups=args.groups,
    )
    for s in summaries:
        best = "none yet" if s.best_value is None else f"{s.best_value:.4f}"
        print(
            f"tune {s.kind}: study {s.study} holds {s.n_finished} finished trials "
            f"({s.n_run_now} run now, {s.seconds:.0f} s); best KL (>= 10 votes) {best}"
        )
        if s.best_params:
            print(f"  best parameters: {json.dumps(s.best_params)}")
        print(f"  storage: {s.storage}")
    print("make train uses the best parameters found")
    return 0


def _cmd_submit(args: argparse.Namespace) -> int:
    from pipelines.submit_stage import submit

    summary = submit(
        resolve_data_dir(args.data_dir),
        resolve_work_dir(args.work_dir),
        model_dir=Path(args.model) if args.model else None,
        out=Path(args.out) if args.out else None,
        n_jobs=args.n_jobs,
        progress=not args.quiet,
    )
    print(
        f"submit: {summary.n_rows} test EEGs predicted with {summary.bundle} in "
        f"{summary.seconds:.1f} s"
    )
    print(f"  submission: {summary.path}")
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from pipelines.submit_stage import Predictor
    from pipelines.train_stage import latest_bundle

    model = Path(args.model) if args.model else latest_bundle(resolve_work_dir(args.work_dir))
    predictor = Predictor(model)
    start = time.perf_counter()
    probs = predictor.predict(
        Path(args.eeg), Path(args.spectrogram) if args.spectrogram else None, args.offset
    )
    out = {"eeg": args.eeg, "probabilities": probs, "model": str(model)}
    out["seconds"] = round(time.perf_counter() - start, 4)
    print(json.dumps(out, indent=2))
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    from pipelines.inspect_stage import build_report

    summary = build_report(
        resolve_data_dir(args.data_dir),
        resolve_work_dir(args.work_dir),
        model_dir=Path(args.model) if args.model else None,
        out=Path(args.out) if args.out else None,
        ablation=args.ablation,
        eeg_id=args.eeg_id,
    )
    what = f"recording view of EEG {args.eeg_id}" if args.eeg_id else "report"
    print(f"inspect: {what} with {len(summary.pages)} page(s) in {summary.seconds:.1f} s")
    print(f"  open: {summary.index}")
    return 0


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--models", default="lightgbm,catboost", help="comma list of models")
    p.add_argument("--folds", type=int, default=5, help="patient folds (default 5)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--families", default=None, help="feature families (default: all)")
    p.add_argument("--n-jobs", type=int, default=-1, help="feature workers (default: all)")
    p.add_argument(
        "--storage", default=None, help="Optuna storage URL (default: sqlite under WORK_DIR/tuning)"
    )
    p.add_argument("--max-rounds", type=int, default=1000, help="boosting rounds at most")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--table", default=None, help="train on this feature table (parquet)")
    p.add_argument(
        "--groups",
        default="weight",
        choices=["none", "weight", "one", "mean"],
        help="how repeated windows of one label count (default weight)",
    )


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

    p = sub.add_parser("train", help="patient-fold CV, baselines, blend and a model bundle")
    _add_dirs(p)
    _add_model_args(p)
    p.add_argument(
        "--strategy",
        default=None,
        choices=["plain", "weighted", "two_stage"],
        help="how low-vote rows count (default: the one chosen by CV)",
    )
    p.add_argument(
        "--compare-strategies",
        action="store_true",
        help="cross-validate every strategy and use the best",
    )
    p.add_argument(
        "--defaults",
        action="store_true",
        help="use default parameters even if a tuning study exists",
    )
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("tune", help="Optuna study per model on the same patient folds")
    _add_dirs(p)
    _add_model_args(p)
    p.add_argument(
        "--n-trials",
        type=int,
        default=20,
        help="run until the study holds this many finished trials",
    )
    p.add_argument("--timeout", type=float, default=None, help="seconds per model, at most")
    p.set_defaults(func=_cmd_tune)

    p = sub.add_parser("submit", help="predict test.csv and write a Kaggle submission")
    _add_dirs(p)
    p.add_argument("--model", default=None, help="bundle folder (default: the latest)")
    p.add_argument("--out", default=None, help="CSV path (default WORK_DIR/submissions/...)")
    p.add_argument("--n-jobs", type=int, default=-1)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_submit)

    p = sub.add_parser("predict", help="the six probabilities of one EEG file, as JSON")
    p.add_argument("eeg", help="EEG parquet file (Kaggle layout)")
    p.add_argument("--spectrogram", default=None, help="its Kaggle spectrogram parquet file")
    p.add_argument("--offset", type=float, default=0.0, help="window start, seconds (default 0)")
    p.add_argument("--model", default=None, help="bundle folder (default: the latest)")
    p.add_argument("--work-dir", default=None, help="where the latest bundle is looked for")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser("inspect", help="HTML report of a model bundle, or one recording's view")
    _add_dirs(p)
    p.add_argument("--model", default=None, help="bundle folder (default: the latest)")
    p.add_argument("--out", default=None, help="folder (default WORK_DIR/reports/{run})")
    p.add_argument("--eeg-id", type=int, default=None, help="only this recording's page")
    p.add_argument(
        "--ablation", action="store_true", help="add CV with each feature family removed (slow)"
    )
    p.set_defaults(func=_cmd_inspect)

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
    except (DataError, ColumnMismatchError, FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
