"""The ``hms`` command line: its arguments, one error path, and the entry point.

One subcommand per stage (what each does once parsed is in ``pipelines.commands``), one
convention for paths: every stage takes ``--data-dir`` (a Kaggle-layout folder; default
``$HMS_DATA_DIR``, else ``data/demo``) and ``--work-dir`` (where features, models, reports and
submissions go; default ``$HMS_WORK_DIR``, else ``data/``). Every subcommand takes ``--quiet``
(warnings only, no progress) and ``--verbose`` (debug detail and tracebacks).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence

from models.blend import CALIBRATIONS, DEFAULT_CALIBRATION
from models.cv import DEFAULT_GROUPS, STRATEGIES
from models.groups import GROUP_MODES
from models.select import DEFAULT_MAX_FEATURES
from pipelines import commands
from pipelines.arguments import (
    family_list,
    finite_float,
    model_list,
    non_negative_int,
    storage_url,
)
from pipelines.config import DATA_DIR_ENV, WORK_DIR_ENV
from pipelines.kaggle import package as kaggle_package
from pipelines.progress import configure_logging
from pipelines.recordings import cli as recordings_cli
from pipelines.runs import add_parser as add_runs

Subparsers = argparse._SubParsersAction


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


def _add_verbosity(parser: argparse.ArgumentParser) -> None:
    """``--quiet`` and ``--verbose``, on every subcommand (the ones registered by other
    modules too)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-q", "--quiet", action="store_true", help="warnings only: no progress output"
    )
    group.add_argument(
        "-v", "--verbose", action="store_true", help="debug detail, and tracebacks on errors"
    )


def _add_families(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--families", type=family_list, default=None, help="comma list of feature families "
        "(default: all but the opt-in robust)",
    )  # fmt: skip


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--models", type=model_list, default="lightgbm,catboost", help="comma list of models"
    )
    p.add_argument("--folds", type=int, default=5, help="patient folds (default 5)")
    p.add_argument("--seed", type=int, default=0)
    _add_families(p)
    p.add_argument("--n-jobs", type=int, default=-1, help="feature workers (default: all)")
    p.add_argument(
        "--storage",
        type=storage_url,
        default=None,
        help="Optuna storage URL (default: sqlite under WORK_DIR/tuning)",
    )
    p.add_argument("--max-rounds", type=int, default=1000, help="boosting rounds at most")
    p.add_argument("--table", default=None, help="train on this feature table (parquet)")
    p.add_argument(
        "--groups",
        default=DEFAULT_GROUPS,
        choices=list(GROUP_MODES),
        help=f"how repeated windows of one label count (default {DEFAULT_GROUPS})",
    )
    p.add_argument(
        "--max-features",
        type=non_negative_int,
        default=DEFAULT_MAX_FEATURES,
        help="columns each model keeps, ranked by a quick LightGBM on its training rows "
        f"(default {DEFAULT_MAX_FEATURES}; 0 keeps all)",
    )


def _validate(sub: Subparsers) -> None:
    p = sub.add_parser("validate", help="check a whole Kaggle-layout folder before a long run")
    _add_dirs(p, work=False)
    p.add_argument("--deep", action="store_true", help="also decode every file's data (slower)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=commands._cmd_validate)


def _features(sub: Subparsers) -> None:
    p = sub.add_parser("features", help="compute (or reuse) the cached feature tables")
    _add_dirs(p)
    p.add_argument("--splits", default="train,test", help="comma list (default train,test)")
    _add_families(p)
    p.add_argument("--n-jobs", type=int, default=-1, help="parallel workers (default: all)")
    p.add_argument("--backend", default="loky", choices=["loky", "threading", "dask"])
    p.add_argument("--scheduler", default=None, help="dask scheduler address (with --backend dask)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=commands._cmd_features)


def _train(sub: Subparsers) -> None:
    p = sub.add_parser("train", help="patient-fold CV, baselines, blend and a model bundle")
    _add_dirs(p)
    _add_model_args(p)
    p.add_argument(
        "--strategy",
        default=None,
        choices=list(STRATEGIES),
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
    p.add_argument(
        "--calibration",
        default=DEFAULT_CALIBRATION,
        choices=list(CALIBRATIONS),
        help="what the blend refits on the test-like rows, out of fold (default "
        f"{DEFAULT_CALIBRATION}: measured for the report, not applied)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=commands._cmd_train)


def _tune(sub: Subparsers) -> None:
    p = sub.add_parser("tune", help="Optuna study per model on the same patient folds")
    _add_dirs(p)
    _add_model_args(p)
    p.add_argument(
        "--n-trials",
        type=int,
        default=20,
        help="run until the study holds this many finished trials",
    )
    p.add_argument("--timeout", type=finite_float, default=None, help="seconds per model, at most")
    p.set_defaults(func=commands._cmd_tune)


def _submit(sub: Subparsers) -> None:
    p = sub.add_parser("submit", help="predict test.csv and write a Kaggle submission")
    _add_dirs(p)
    p.add_argument("--model", default=None, help="bundle folder (default: the latest)")
    p.add_argument("--out", default=None, help="CSV path (default WORK_DIR/submissions/...)")
    p.add_argument("--n-jobs", type=int, default=-1)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=commands._cmd_submit)


def _predict(sub: Subparsers) -> None:
    p = sub.add_parser("predict", help="the six probabilities of one EEG file, as JSON")
    p.add_argument("eeg", help="EEG parquet file (Kaggle layout)")
    p.add_argument("--spectrogram", default=None, help="its Kaggle spectrogram parquet file")
    p.add_argument(
        "--offset", type=finite_float, default=0.0, help="window start, seconds (default 0)"
    )
    p.add_argument("--model", default=None, help="bundle folder (default: the latest)")
    p.add_argument("--work-dir", default=None, help="where the latest bundle is looked for")
    p.set_defaults(func=commands._cmd_predict)


def _inspect(sub: Subparsers) -> None:
    p = sub.add_parser("inspect", help="HTML report of a model bundle, or one recording's view")
    _add_dirs(p)
    p.add_argument("--model", default=None, help="bundle folder (default: the latest)")
    p.add_argument("--out", default=None, help="folder (default WORK_DIR/reports/{run})")
    p.add_argument("--eeg-id", type=int, default=None, help="only this recording's page")
    p.add_argument(
        "--sub-id", type=int, default=None, help="with --eeg-id: this label row (eeg_sub_id)"
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "--ablation", action="store_true", help="add CV with each feature family removed (slow)"
    )
    p.set_defaults(func=commands._cmd_inspect)


def _score(sub: Subparsers) -> None:
    p = sub.add_parser("score", help="KL of a submission against an answer key of vote counts")
    p.add_argument("solution", help="CSV with eeg_id + the six *_vote columns (vote counts)")
    p.add_argument("submission", help="CSV with eeg_id + the six *_vote columns (probabilities)")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.set_defaults(func=commands._cmd_score)


def _demo_data(sub: Subparsers) -> None:
    p = sub.add_parser("demo-data", help="generate a demo data set in the Kaggle layout")
    p.add_argument("out", nargs="?", default=None, help="output folder (default: data/demo)")
    p.add_argument("--n-eegs", type=int, default=300, help="train EEGs to generate (default 300)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--n-jobs", type=int, default=-1, help="parallel workers (default: all cores)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--compare", default=None, help="then run the realism check vs this real folder")
    p.add_argument("--work-dir", default=None, help="feature cache of --compare (default: data/)")
    p.add_argument("--html", default=None, help="with --compare: also write an HTML report here")
    p.set_defaults(func=commands._cmd_demo_data)


SUBCOMMANDS: tuple[Callable[[Subparsers], object], ...] = (
    _validate,
    _features,
    _train,
    _tune,
    _submit,
    _predict,
    _inspect,
    _score,
    _demo_data,
    recordings_cli.add_parser,
    kaggle_package.add_parser,
    add_runs,
)
"""Each registers one subcommand, in the order ``hms --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hms",
        description="Harmful brain activity classification with gradient-boosted trees "
        "(HMS Kaggle layout).",
    )
    parser.add_argument("--version", action="version", version=f"hms {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in SUBCOMMANDS:
        register(sub)
    for p in sub.choices.values():
        _add_verbosity(p)
    return parser


EXIT_FAILED = 1
"""The work could not be done: the operating system refused (permission, full disk), or a bug."""
EXIT_BAD_INPUT = 2
"""Bad input: a bad argument (argparse uses 2 as well), data file, model bundle or path."""


def error_exit(err: Exception, *, verbose: bool = False) -> int:
    """The one place an exception becomes ``error: ...`` on stderr and an exit code.

    Our own errors (``DataError``, ``BundleError``, ``ColumnMismatchError``, all
    ``ValueError``) and a missing file are bad input (2); any other ``OSError`` names its file
    and the system's reason (1); anything else is an internal error (1). The traceback is
    printed only with ``--verbose``.
    """
    if verbose:
        traceback.print_exception(err, file=sys.stderr)
    if isinstance(err, OSError) and err.strerror:
        where = f"{err.filename}: " if err.filename else ""
        message, code = f"{where}{err.strerror}", EXIT_FAILED
        if isinstance(err, FileNotFoundError):
            code = EXIT_BAD_INPUT
    elif isinstance(err, ValueError | OSError):
        message, code = str(err), EXIT_BAD_INPUT
    else:
        hint = "" if verbose else " (rerun with --verbose for the traceback)"
        message, code = f"internal error: {type(err).__name__}: {err}{hint}", EXIT_FAILED
    print(f"error: {message}", file=sys.stderr)
    return code


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hms-gbdt")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _parse(parser: argparse.ArgumentParser, argv) -> argparse.Namespace:
    """Parse; an unknown flag is reported with the usage of its subcommand, not the top's."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        sub.choices[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hms`` console script; returns the process exit code."""
    args = _parse(build_parser(), argv)
    configure_logging(-1 if args.quiet else (1 if args.verbose else 0))
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # every failure reaches the user as one line (see error_exit)
        return error_exit(err, verbose=getattr(args, "verbose", False))


if __name__ == "__main__":
    sys.exit(main())
