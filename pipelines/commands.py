"""What each ``hms`` subcommand does once its arguments are parsed: call its stage and print
the stage's summary (plain text on stdout, or JSON with ``--json``). The arguments themselves
are declared in ``pipelines.cli``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from pipelines.config import resolve_data_dir, resolve_work_dir


def _cmd_validate(args: argparse.Namespace) -> int:
    from pipelines.kaggle_validate import validate_layout

    data_dir = resolve_data_dir(args.data_dir)
    start = time.perf_counter()
    report = validate_layout(
        data_dir, deep=args.deep, progress=not args.quiet and sys.stderr.isatty()
    )
    if args.json:
        _print_json(
            data_dir=str(data_dir),
            ok=report.ok,
            problems=list(report.problems),
            n_train_rows=report.n_train_rows,
            n_test_rows=report.n_test_rows,
            n_files=report.n_files,
            deep=args.deep,
            seconds=round(time.perf_counter() - start, 3),
        )
        return 0 if report.ok else 1
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


DEMO_MARKER = ".hms-demo-data"
"""Written into a folder by ``hms demo-data``, which refuses any other non-empty folder."""


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from pipelines.demo.dataset import write_demo_dataset
    from pipelines.files import claim_output_dir

    out = Path(args.out) if args.out else resolve_data_dir(None)
    # Never into someone's data (e.g. $HMS_DATA_DIR pointing at a Kaggle folder).
    claim_output_dir(out, DEMO_MARKER, command="hms demo-data", signs=("demo_truth.csv",))
    summary = write_demo_dataset(
        out, n_eegs=args.n_eegs, seed=args.seed, n_jobs=args.n_jobs, progress=not args.quiet
    )
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    print(
        f"demo data: {summary['n_train_eegs']} train EEGs ({summary['n_label_rows']} label rows),"
        f" {summary['n_test_eegs']} test EEGs; {summary['n_patients']} patients in train and "
        f"test together, in {summary['seconds']:.1f} s"
    )
    for name, path in summary["paths"].items():
        print(f"  {name}: {path}")
    if args.compare:
        from pipelines.demo.realism import run_check

        run_check(Path(args.compare), out, resolve_work_dir(args.work_dir), html_path=args.html)
    return 0


def _cmd_features(args: argparse.Namespace) -> int:
    from pipelines.features_stage import build_features

    data_dir, work_dir = resolve_data_dir(args.data_dir), resolve_work_dir(args.work_dir)
    families = args.families
    status, summaries = 0, []
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
        status = 1 if summary.failures else status
        if args.json:
            summaries.append(_feature_summary_dict(summary))
            continue
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
    if args.json:
        _print_json(splits=summaries)
    return status


def _feature_summary_dict(summary) -> dict:
    return {
        "split": summary.split,
        "table": str(summary.table),
        "rows": summary.n_rows,
        "columns": summary.n_columns,
        "recordings": summary.n_recordings,
        "computed": summary.n_computed,
        "cached": summary.n_cached,
        "failures": [{"eeg_id": e, "reason": r} for e, r in summary.failures],
        "seconds": round(summary.seconds, 3),
    }


def _print_json(**fields) -> None:
    """A summary as JSON on stdout (NaN is not JSON: it is written as null)."""

    def clean(value):
        if isinstance(value, float) and value != value:
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value

    print(json.dumps(clean(fields), indent=2, default=str, allow_nan=False))


def _print_table(frame, columns, formats) -> None:
    widths = {
        c: max(len(c), *(len(formats.get(c, "{}").format(v)) for v in frame[c])) for c in columns
    }
    print("  " + "  ".join(c.ljust(widths[c]) for c in columns))
    for _, row in frame.iterrows():
        cells = [formats.get(c, "{}").format(row[c]).ljust(widths[c]) for c in columns]
        print("  " + "  ".join(cells))


def _print_train_json(summary) -> None:
    _print_json(
        run=summary.run,
        bundle=str(summary.bundle),
        label_rows=summary.n_rows,
        reliable_rows=summary.n_reliable,
        train_patients=summary.n_patients,
        strategy=summary.strategy,
        seconds=round(summary.seconds, 3),
        cv_table=summary.table.to_dict(orient="records"),
        strategy_table=None
        if summary.strategy_table is None
        else summary.strategy_table.to_dict(orient="records"),
        calibration=summary.calibration,
    )


def calibration_line(report: dict) -> str:
    """One line on the blend's calibration on the test-like rows (before -> after)."""
    kl, ece = report["kl_change"], report["ece_mean_change"]
    state = "applied" if report["applied"] else "measured, not applied"
    return (
        f"calibration ({report['mode']}, fitted out of fold on {report['n_rows']} test-like "
        f"rows; {state}): KL {report['before']['kl']:.4f} -> {report['after']['kl']:.4f} "
        f"(per fold {kl['mean']:+.4f} +- {kl['sd']:.4f}), mean per-class ECE "
        f"{report['before']['ece_mean']:.4f} -> {report['after']['ece_mean']:.4f} "
        f"(per fold {ece['mean']:+.4f} +- {ece['sd']:.4f})"
    )


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
        families=args.families,
        n_jobs=args.n_jobs,
        storage=args.storage,
        use_tuned=not args.defaults,
        max_rounds=args.max_rounds,
        progress=not args.quiet,
        table=Path(args.table) if args.table else None,
        groups=args.groups,
        max_features=args.max_features,
        calibration=args.calibration,
    )
    if args.json:
        _print_train_json(summary)
        return 0
    print(
        f"train: {summary.n_rows} label rows ({summary.n_reliable} with >= 10 votes) of "
        f"{summary.n_patients} train patients, {len(summary.folds)} folds, strategy "
        f"{summary.strategy}, in {summary.seconds:.0f} s"
    )
    for kind, source in summary.params_source.items():
        detail = f" (study {source['study']}, trial {source['trial']})" if "study" in source else ""
        print(f"  {kind} parameters: {source['source']}{detail}")
    if summary.strategy_table is not None:
        print("strategies (out-of-fold KL; chosen by the mean kl_test_like of the models):")
        columns = ("kl_test_like", "kl_all", "kl_reliable", "kl_one_per_eeg")
        _print_table(
            summary.strategy_table,
            ["model", "strategy", *columns],
            {k: "{:.4f}" for k in columns},
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
    if summary.calibration is not None:
        print(calibration_line(summary.calibration))
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
        families=args.families,
        n_jobs=args.n_jobs,
        timeout_s=args.timeout,
        max_rounds=args.max_rounds,
        progress=not args.quiet,
        table=Path(args.table) if args.table else None,
        groups=args.groups,
        max_features=args.max_features,
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
    if summary.warning:
        print(summary.warning, file=sys.stderr)
    if args.json:
        print(json.dumps({"submission": str(summary.path), "rows": summary.n_rows,
                          "bundle": str(summary.bundle), "seconds": round(summary.seconds, 2),
                          "warning": summary.warning}, indent=2))  # fmt: skip
        return 0
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
    data_dir = Path(args.eeg).resolve().parent.parent  # DATA/{train,test}_eegs/ID.parquet
    if (data_dir / "train.csv").is_file():
        from pipelines.provenance import mismatch_warning

        if warning := mismatch_warning(predictor.bundle.meta, data_dir):
            print(warning, file=sys.stderr)
    out = {"eeg": args.eeg, "probabilities": probs, "model": str(model)}
    out["seconds"] = round(time.perf_counter() - start, 4)
    print(json.dumps(out, indent=2, allow_nan=False))  # NaN is not JSON: refuse, never print it
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    from pipelines.report import build_report

    summary = build_report(
        resolve_data_dir(args.data_dir),
        resolve_work_dir(args.work_dir),
        model_dir=Path(args.model) if args.model else None,
        out=Path(args.out) if args.out else None,
        ablation=args.ablation,
        eeg_id=args.eeg_id,
        sub_id=args.sub_id,
    )
    if summary.warning:
        print(summary.warning, file=sys.stderr)
    if args.json:
        print(json.dumps({"index": str(summary.index), "pages": [str(p) for p in summary.pages],
                          "seconds": round(summary.seconds, 2), "warning": summary.warning},
                         indent=2))  # fmt: skip
        return 0
    what = f"recording view of EEG {args.eeg_id}" if args.eeg_id else "report"
    print(f"inspect: {what} with {len(summary.pages)} page(s) in {summary.seconds:.1f} s")
    print(f"  open: {summary.index}")
    return 0
