"""``make bench-train``: training time and memory as the table grows to Kaggle size.

A Kaggle-size table is built from the demo's train feature table: whole EEGs are redrawn (with
replacement) under fresh ids, their features jittered by a few percent, their patients kept so
that patient folds do not leak. At each size (default about 1/8, 1/2 and the full 106,800
rows) a child process times the stages of ``hms train`` (table load, each model's CV, the final
fits, the nested blend) and reports its peak RSS; a 20-trial tuning run is projected from the
CV times. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from models.blend import blend_out_of_fold
from models.cv import DEFAULT_GROUPS, DEFAULT_STRATEGY, cross_validate, fit_final
from models.gbdt import CATBOOST_DEFAULTS, LIGHTGBM_DEFAULTS
from models.labels import RELIABLE_MIN_VOTES
from models.select import DEFAULT_MAX_FEATURES, ColumnSelector
from pipelines.features_stage import feature_columns

KAGGLE_ROWS = 106_800
DEFAULT_SIZES = (KAGGLE_ROWS // 8, KAGGLE_ROWS // 2, KAGGLE_ROWS)
JITTER = 0.03
"""Relative standard deviation of the multiplicative noise on a redrawn EEG's features."""


def scaled_table(source: pd.DataFrame, n_rows: int, *, seed: int = 0) -> pd.DataFrame:
    """About ``n_rows`` rows made of whole EEGs of ``source`` redrawn with jitter.

    Each redrawn EEG gets a fresh ``eeg_id`` (and ``label_id``); its ``patient_id`` is kept.
    Stops at the first EEG that reaches ``n_rows``, so the result may be a little longer.
    """
    rng = np.random.default_rng(seed)
    columns = feature_columns(source)
    by_eeg = {e: idx for e, idx in source.groupby("eeg_id").indices.items()}
    eegs = np.array(list(by_eeg))
    sizes = np.array([len(by_eeg[e]) for e in eegs])
    n_draws = int(np.ceil(n_rows / sizes.mean() * 1.2)) + 1
    drawn = rng.integers(0, len(eegs), n_draws)
    keep = np.searchsorted(np.cumsum(sizes[drawn]), n_rows) + 1
    drawn = drawn[:keep]
    index = np.concatenate([by_eeg[eegs[d]] for d in drawn])
    copy = np.repeat(np.arange(len(drawn)), sizes[drawn])
    out = source.iloc[index].reset_index(drop=True)
    scale = 1 + rng.normal(0, JITTER, (len(drawn), len(columns))).astype(np.float32)
    out[columns] = out[columns].to_numpy(dtype=np.float32) * scale[copy]
    out["eeg_id"] = 10_000_000 + copy
    if "label_id" in out:
        out["label_id"] = np.arange(len(out), dtype=np.int64)
    return out


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def run_size(
    path: str, models: tuple[str, ...], n_folds: int, max_rounds: int, groups: str, max_features
) -> dict:
    """Time the stages of training on one table (runs in a child process)."""
    from pipelines.training_data import load_table

    data, load_s = _timed(lambda: load_table(Path(path)))
    rows, folds = data.rows(), data.folds(n_folds, 0)
    selector = ColumnSelector(max_features or None, 0)
    out = {"rows": len(data.X), "groups": int(rows.groups.max()) + 1, "load_s": load_s}
    oof = {}
    for kind in models:
        params = {"lightgbm": LIGHTGBM_DEFAULTS, "catboost": CATBOOST_DEFAULTS}[kind]
        result, seconds = _timed(
            lambda kind=kind, params=params: cross_validate(
                kind,
                data.X,
                data.votes,
                folds,
                strategy=DEFAULT_STRATEGY,
                params=params,
                seed=0,
                n_rounds=max_rounds,
                rows=rows,
                group_mode=groups,
                selector=selector,
            )
        )
        oof[kind] = result.oof
        out[f"{kind}_cv_s"] = seconds
        out[f"{kind}_rounds"] = result.final_rounds()[0]
        out[f"{kind}_test_like"] = result.report.get("kl_test_like", float("nan"))
        _, out[f"{kind}_final_s"] = _timed(
            lambda kind=kind, params=params, result=result: fit_final(
                kind,
                data.X,
                data.votes,
                rows=rows,
                group_mode=groups,
                selector=selector,
                strategy=DEFAULT_STRATEGY,
                params=params,
                seed=0,
                n_rounds=result.final_rounds(),
            )
        )
    reliable = data.votes.sum(axis=1) >= RELIABLE_MIN_VOTES
    _, out["blend_s"] = _timed(lambda: blend_out_of_fold(oof, data.votes, folds, reliable))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _print(result: dict, models) -> None:
    total = (
        result["load_s"]
        + result["blend_s"]
        + sum(result[f"{k}_cv_s"] + result[f"{k}_final_s"] for k in models)
    )
    parts = [
        f"{result['rows']:>7} rows ({result['groups']} label groups)",
        f"load {result['load_s']:.1f} s",
    ]
    for k in models:
        parts.append(
            f"{k} CV {result[f'{k}_cv_s']:.0f} s + final {result[f'{k}_final_s']:.0f} s "
            f"({result[f'{k}_rounds']} rounds)"
        )
    parts += [
        f"blend {result['blend_s']:.1f} s",
        f"total {total / 60:.1f} min",
        f"peak RSS {result['peak_rss_mb']:.0f} MB",
    ]
    print("  " + "; ".join(parts), flush=True)
    tune = sum(20 * result[f"{k}_cv_s"] for k in models)
    print(
        f"    projected 20-trial tuning per model, all models: {tune / 3600:.1f} h (no pruning)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source",
        default=None,
        help="a train feature table (default: the "
        "demo's, computed or read from the cache of --data-dir)",
    )
    parser.add_argument("--data-dir", default="data/demo")
    parser.add_argument("--work-dir", default="data")
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--models", default="lightgbm,catboost")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--max-rounds", type=int, default=1000)
    parser.add_argument("--groups", default=DEFAULT_GROUPS)
    parser.add_argument("--max-features", type=int, default=DEFAULT_MAX_FEATURES)
    args = parser.parse_args(argv)
    models = tuple(args.models.split(","))
    if args.source is None:
        from pipelines.training_data import load_training_data

        args.source = load_training_data(Path(args.data_dir), Path(args.work_dir)).table_path
    source = pd.read_parquet(args.source)
    print(
        f"bench-train: source {args.source} ({len(source)} rows); strategy "
        f"{DEFAULT_STRATEGY}, label groups {args.groups}, columns per model "
        f"{args.max_features or 'all'}, {args.folds} folds",
        flush=True,
    )
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        for n_rows in map(int, args.sizes.split(",")):
            path = Path(tmp) / f"table_{n_rows}.parquet"
            scaled_table(source, n_rows, seed=n_rows).to_parquet(path, index=False)
            with ctx.Pool(1) as pool:
                task = (str(path), models, args.folds, args.max_rounds)
                result = pool.apply(run_size, (*task, args.groups, args.max_features))
            _print(result, models)
            path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
