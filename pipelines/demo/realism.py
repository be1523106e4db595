"""How real does the demo data look? A generated set beside a real Kaggle-layout folder.

Both folders go through the project's own feature stage (``hms features``, cached in a work
dir); the check then reports

- **outside share**: for each feature column, the share of the real rows whose value falls
  outside the synthetic rows' 1-99% range (a set drawn from the real distribution would put
  about 2% there, plus sampling noise), overall (all real values of all columns) and per family;
- **discriminator AUC**: LightGBM asked to tell real rows from synthetic ones, out of fold, every
  recording (real or synthetic) in one fold only, so that it is scored on recordings it never
  saw; 0.5 = indistinguishable, 1 = separated perfectly; with the features it leans on most;
- the columns furthest off (largest outside share);
- **spectra**: median log10 power per 1 Hz bin per bipolar chain over the label windows, real
  beside synthetic;
- **sim-to-real**: a model trained on the synthetic rows' votes, scored (KL) on the real rows,
  beside the uniform prediction and the synthetic set's class prior.

Run it as ``hms demo-data OUT --compare REAL_DIR`` or::

    python -m pipelines.demo.realism --real ../shared/hms_real_mini --synthetic data/demo
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.signal import welch
from scipy.stats import rankdata

from features.montage import CHAINS, EEG_CHANNELS, SFREQ, to_bipolar
from features.windows import EEG_WINDOW_SEC
from models.labels import RELIABLE_MIN_VOTES, VOTE_COLUMNS
from models.metric import kl_divergence

LOW_Q, HIGH_Q = 0.01, 0.99
"""The synthetic range a real value is checked against."""

SPECTRUM_BINS_HZ = np.arange(0, 41)
"""Edges of the 1 Hz bins of the spectra (0-1, 1-2, ..., 39-40 Hz)."""

N_FOLDS = 5
N_ROUNDS = 100
LGB_PARAMS = {
    "learning_rate": 0.1,
    "num_leaves": 15,
    "min_child_samples": 10,
    "colsample_bytree": 0.3,
    "max_bin": 63,
    "subsample": 0.8,
    "subsample_freq": 1,
    "verbose": -1,
    "n_jobs": 1,  # threads spin-wait badly on a busy machine; one is steadier
}
"""Settings of the discriminator and the sim-to-real model (small: the real side is small)."""


def _fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray, *, n_classes: int, seed: int):
    """A LightGBM booster (native API: no scikit-learn needed) on ``N_ROUNDS`` rounds."""
    objective = {"objective": "binary"} if n_classes == 2 else {
        "objective": "multiclass", "num_class": n_classes}  # fmt: skip
    data = lgb.Dataset(x, label=y, weight=weight, params={"max_bin": LGB_PARAMS["max_bin"]})
    return lgb.train({**LGB_PARAMS, **objective, "seed": seed}, data, num_boost_round=N_ROUNDS)


def family_of(column: str) -> str:
    """Feature family of a column named ``{source}_{family}_...`` (``eeg_spectral_...``)."""
    parts = column.split("_")
    if len(parts) < 3 or parts[0] not in ("eeg", "spec"):
        raise ValueError(f"column {column!r} is not named {{eeg|spec}}_{{family}}_...")
    return parts[1]


def outside_counts(real: np.ndarray, synthetic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column: real values outside the synthetic [1%, 99%] range, and real values counted.

    Parameters
    ----------
    real : array, shape (n_real, n_columns)
    synthetic : array, shape (n_synthetic, n_columns)
        NaN values are left out on both sides; a column without any finite synthetic value puts
        every finite real value outside.

    Returns
    -------
    outside, counted : arrays, shape (n_columns,), int64
    """
    real = np.asarray(real, dtype=np.float64)
    synthetic = np.asarray(synthetic, dtype=np.float64)
    if real.ndim != 2 or synthetic.ndim != 2 or real.shape[1] != synthetic.shape[1]:
        raise ValueError(f"tables must be 2-D with equal columns: {real.shape}, {synthetic.shape}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN synthetic columns
        lo, hi = np.nanquantile(synthetic, [LOW_Q, HIGH_Q], axis=0)
    finite = np.isfinite(real)
    out = finite & ~((real >= lo) & (real <= hi))  # NaN bounds: every value outside
    return out.sum(axis=0).astype(np.int64), finite.sum(axis=0).astype(np.int64)


def outside_table(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Outside share per column, with family, real and synthetic medians; sorted worst first."""
    outside, counted = outside_counts(real[columns].to_numpy(), synthetic[columns].to_numpy())
    table = pd.DataFrame(
        {
            "column": columns,
            "family": [family_of(c) for c in columns],
            "outside": outside,
            "counted": counted,
            "real_median": real[columns].median().to_numpy(),
            "synthetic_median": synthetic[columns].median().to_numpy(),
        }
    )
    table["share"] = table["outside"] / table["counted"].clip(lower=1)
    return table.sort_values(["share", "column"], ascending=[False, True], kind="stable")


def shares_by_family(table: pd.DataFrame) -> dict[str, float]:
    """``all`` and each family: real values outside / real values counted (all columns pooled)."""
    out = {"all": float(table["outside"].sum() / max(1, table["counted"].sum()))}
    for family, part in table.groupby("family", sort=True):
        out[str(family)] = float(part["outside"].sum() / max(1, part["counted"].sum()))
    return out


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve of ``score`` for binary ``y`` (ties count half)."""
    y = np.asarray(y, dtype=bool)
    if y.all() or not y.any():
        raise ValueError("AUC needs both classes")
    ranks = rankdata(score)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def group_folds(groups: np.ndarray, labels: np.ndarray, n_folds: int, seed: int = 0) -> np.ndarray:
    """Fold of each row: groups shuffled, then dealt round-robin per label so each fold gets
    recordings of both sides; all rows of one group share a fold. Shape (n_rows,), int64."""
    rng = np.random.default_rng(seed)
    fold_of: dict[object, int] = {}
    for label in np.unique(labels):
        names = pd.unique(groups[labels == label])
        for i, g in enumerate(rng.permutation(names)):
            fold_of[g] = i % n_folds
    return np.array([fold_of[g] for g in groups], dtype=np.int64)


def discriminator(
    real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str], *, seed: int = 0
) -> dict:
    """Out-of-fold AUC of LightGBM telling real rows (1) from synthetic ones (0).

    Rows are grouped by recording (``eeg_id``) so that no recording is both trained on and
    scored; the folds number ``min(5, real recordings)``.

    Returns
    -------
    dict
        ``auc`` (float), ``n_folds`` (int), ``top_features`` (list of (column, share of the
        total gain)), 10 of them.
    """
    x = pd.concat([real[columns], synthetic[columns]], ignore_index=True).to_numpy(np.float32)
    y = np.r_[np.ones(len(real)), np.zeros(len(synthetic))]
    groups = np.r_[
        ["r" + str(e) for e in real["eeg_id"]], ["s" + str(e) for e in synthetic["eeg_id"]]
    ]
    n_folds = int(min(N_FOLDS, real["eeg_id"].nunique()))
    if n_folds < 2:
        raise ValueError("the discriminator needs at least 2 real recordings")
    folds = group_folds(groups, y, n_folds, seed)
    score = np.zeros(len(y))
    gain = np.zeros(len(columns))
    for k in range(n_folds):
        train, test = folds != k, folds == k
        # weights balance the two sides, so the small real side is not ignored
        w = np.where(y[train] == 1, 0.5 / y[train].sum(), 0.5 / (1 - y[train]).sum())
        model = _fit(x[train], y[train], w * len(w), n_classes=2, seed=seed)
        score[test] = model.predict(x[test])
        gain += model.feature_importance(importance_type="gain")
    order = np.argsort(-gain)[:10]
    total = max(float(gain.sum()), 1e-12)
    return {
        "auc": auc(y, score),
        "n_folds": n_folds,
        "top_features": [(columns[i], float(gain[i] / total)) for i in order],
    }


def vote_fractions(table: pd.DataFrame) -> np.ndarray:
    """The six vote columns normalised per row, shape (n_rows, 6)."""
    votes = table[list(VOTE_COLUMNS)].to_numpy(np.float64)
    return votes / votes.sum(axis=1, keepdims=True)


def sim_to_real(
    real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str], *, seed: int = 0
) -> dict:
    """KL on the real rows of a LightGBM trained on the synthetic rows' vote distributions.

    The soft targets are fitted with multiclass log loss on each row repeated once per class,
    weighted by that class's vote share. Beside it: the uniform prediction and the synthetic
    set's mean vote distribution (its class prior), on all real rows and on those with
    >= ``RELIABLE_MIN_VOTES`` votes.

    Returns
    -------
    dict
        ``{"all": {...}, "reliable": {...}}``, each ``model``, ``uniform``, ``prior`` (KL) and
        ``n_rows``.
    """
    y_syn = vote_fractions(synthetic)
    n, k = y_syn.shape
    x_syn = synthetic[columns].to_numpy(np.float32)
    keep = y_syn.ravel() > 0  # a class without votes adds nothing to the loss
    model = _fit(
        np.repeat(x_syn, k, axis=0)[keep],
        np.tile(np.arange(k), n)[keep],
        y_syn.ravel()[keep],
        n_classes=k,
        seed=seed,
    )
    pred = model.predict(real[columns].to_numpy(np.float32))
    y_real = vote_fractions(real)
    reliable = real[list(VOTE_COLUMNS)].sum(axis=1).to_numpy() >= RELIABLE_MIN_VOTES
    prior = y_syn.mean(axis=0)
    out = {}
    for name, mask in (("all", np.ones(len(real), bool)), ("reliable", reliable)):
        if not mask.any():
            continue
        y = y_real[mask]
        out[name] = {
            "model": kl_divergence(y, pred[mask]),
            "uniform": kl_divergence(y, np.full_like(y, 1.0 / k)),
            "prior": kl_divergence(y, np.broadcast_to(prior, y.shape)),
            "n_rows": int(mask.sum()),
        }
    return out


def window_log_spectra(eeg: np.ndarray, *, sfreq: float = SFREQ) -> dict[str, np.ndarray]:
    """Mean log10 power (uV^2/Hz) per 1 Hz bin of each bipolar chain of one window.

    Parameters
    ----------
    eeg : array, shape (19, n_samples)
        Referential EEG in ``EEG_CHANNELS`` order, microvolts (NaN counted as 0).

    Returns
    -------
    dict
        Chain name (``CHAINS``) -> array, shape (len(SPECTRUM_BINS_HZ) - 1,): log10 of the mean
        Welch power (2 s Hann segments, half overlap) of the chain's derivations in each bin.
    """
    bipolar = to_bipolar(np.nan_to_num(np.asarray(eeg, dtype=np.float64)))
    freqs, psd = welch(bipolar, fs=sfreq, nperseg=int(2 * sfreq), axis=-1)
    which = np.digitize(freqs, SPECTRUM_BINS_HZ) - 1
    n_bins = len(SPECTRUM_BINS_HZ) - 1
    out = {}
    start = 0
    for chain, pairs in CHAINS.items():
        part = psd[start : start + len(pairs)].mean(axis=0)
        start += len(pairs)
        binned = np.array([part[which == b].mean() for b in range(n_bins)])
        out[chain] = np.log10(np.maximum(binned, 1e-12))
    return out


def folder_spectra(data_dir: Path, *, max_rows_per_eeg: int = 3) -> dict[str, np.ndarray]:
    """Median over label windows of ``window_log_spectra``, per chain, of a Kaggle folder.

    At most ``max_rows_per_eeg`` label windows per EEG (evenly spread over its rows).
    """
    labels = pd.read_csv(Path(data_dir) / "train.csv")
    per_chain: dict[str, list[np.ndarray]] = {c: [] for c in CHAINS}
    n = int(EEG_WINDOW_SEC * SFREQ)
    for eeg_id, rows in labels.groupby("eeg_id", sort=True):
        signal = pd.read_parquet(Path(data_dir) / "train_eegs" / f"{eeg_id}.parquet")
        x = signal[list(EEG_CHANNELS)].to_numpy(np.float64).T
        offsets = rows["eeg_label_offset_seconds"].to_numpy()
        pick = offsets[np.linspace(0, len(offsets) - 1, min(max_rows_per_eeg, len(offsets)))
                       .round().astype(int)]  # fmt: skip
        for offset in pick:
            start = int(offset * SFREQ)
            for chain, values in window_log_spectra(x[:, start : start + n]).items():
                per_chain[chain].append(values)
    return {c: np.median(np.stack(v), axis=0) for c, v in per_chain.items()}


def feature_table(data_dir: Path, work_dir: Path, *, n_jobs: int = -1) -> pd.DataFrame:
    """The train feature table of a Kaggle-layout folder (computed or reused from the cache)."""
    from pipelines.features_stage import build_features

    summary = build_features(data_dir, work_dir, split="train", n_jobs=n_jobs, progress=False)
    if summary.failures:
        print(f"note: {len(summary.failures)} recording(s) of {data_dir} left out (features)")
    if summary.n_rows == 0:
        raise ValueError(f"no feature rows for {data_dir}: see {summary.table.parent}")
    return pd.read_parquet(summary.table)


def compare_tables(real: pd.DataFrame, synthetic: pd.DataFrame, *, seed: int = 0) -> dict:
    """Every figure of the check from two feature tables (the spectra aside).

    Returns
    -------
    dict
        ``n_real_rows``, ``n_real_recordings``, ``n_synthetic_rows``, ``n_columns``,
        ``outside`` (``shares_by_family``), ``furthest`` (10 worst columns: column, family,
        share, real and synthetic medians), ``discriminator`` and ``sim_to_real``.
    """
    from pipelines.features_stage import feature_columns

    columns = [c for c in feature_columns(real) if c in set(feature_columns(synthetic))]
    if not columns:
        raise ValueError("the two feature tables share no feature column")
    table = outside_table(real, synthetic, columns)
    furthest = table.head(10)[["column", "family", "share", "real_median", "synthetic_median"]]
    return {
        "n_real_rows": len(real),
        "n_real_recordings": int(real["eeg_id"].nunique()),
        "n_synthetic_rows": len(synthetic),
        "n_columns": len(columns),
        "outside": shares_by_family(table),
        "furthest": furthest.to_dict(orient="records"),
        "discriminator": discriminator(real, synthetic, columns, seed=seed),
        "sim_to_real": sim_to_real(real, synthetic, columns, seed=seed),
    }


def compare_folders(
    real_dir: Path, synthetic_dir: Path, work_dir: Path, *, n_jobs: int = -1, seed: int = 0
) -> dict:
    """``compare_tables`` on the two folders' features, plus ``spectra``:
    ``{chain: {"real": [...], "synthetic": [...]}}`` (``folder_spectra``, log10 uV^2/Hz)."""
    started = time.perf_counter()
    real = feature_table(Path(real_dir), Path(work_dir), n_jobs=n_jobs)
    synthetic = feature_table(Path(synthetic_dir), Path(work_dir), n_jobs=n_jobs)
    print(f"features ready ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    report = compare_tables(real, synthetic, seed=seed)
    print(f"models done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    spec_real, spec_syn = folder_spectra(Path(real_dir)), folder_spectra(Path(synthetic_dir))
    report["spectra"] = {
        c: {"real": spec_real[c].round(3).tolist(), "synthetic": spec_syn[c].round(3).tolist()}
        for c in CHAINS
    }
    return report


def format_report(report: dict) -> str:
    """The report as plain text (what the command prints)."""
    lines = [
        f"realism check: {report['n_real_rows']} real rows ({report['n_real_recordings']} "
        f"recordings) vs {report['n_synthetic_rows']} synthetic rows, {report['n_columns']} "
        "feature columns",
        "real values outside the synthetic 1-99% range:",
    ]
    lines += [f"  {name:<12} {share:6.1%}" for name, share in report["outside"].items()]
    d = report["discriminator"]
    lines.append(f"discriminator AUC (real vs synthetic, {d['n_folds']} folds): {d['auc']:.3f}")
    lines += [f"  leans on {c} ({g:.1%} of gain)" for c, g in d["top_features"][:5]]
    lines.append("columns furthest off (share outside; median real / synthetic):")
    lines += [
        f"  {r['column']}: {r['share']:.0%}; {r['real_median']:.3g} / {r['synthetic_median']:.3g}"
        for r in report["furthest"]
    ]
    for name, s in report["sim_to_real"].items():
        lines.append(
            f"sim-to-real KL on {s['n_rows']} real rows ({name}): model {s['model']:.3f}, "
            f"uniform {s['uniform']:.3f}, synthetic prior {s['prior']:.3f}"
        )
    if "spectra" in report:
        lines.append("median log10 power (uV^2/Hz) per 1 Hz bin, real / synthetic:")
        for chain, s in report["spectra"].items():
            pairs = [f"{r:.2f}/{y:.2f}" for r, y in zip(s["real"], s["synthetic"], strict=True)]
            lines.append(f"  {chain}: 0-1 Hz {pairs[0]}, 1-2 {pairs[1]}, 4-5 {pairs[4]}, "
                         f"8-9 {pairs[8]}, 10-11 {pairs[10]}, 15-16 {pairs[15]}, "
                         f"20-21 {pairs[20]}, 30-31 {pairs[30]}, 39-40 {pairs[39]}")  # fmt: skip
    return "\n".join(lines)


def run_check(
    real_dir: Path,
    synthetic_dir: Path,
    work_dir: Path,
    *,
    json_path: Path | None = None,
    html_path: Path | None = None,
    n_jobs: int = -1,
) -> dict:
    """``compare_folders``, printed, and written as JSON and HTML where asked; the report."""
    report = compare_folders(Path(real_dir), Path(synthetic_dir), Path(work_dir), n_jobs=n_jobs)
    text = format_report(report)
    print(text)
    if json_path:
        Path(json_path).write_text(json.dumps(report, indent=1))
    if html_path:
        from pipelines.demo.realism_html import write_html

        write_html(report, text, Path(html_path))
    return report


def main(argv: list[str] | None = None) -> int:
    """``python -m pipelines.demo.realism``: compare two folders, print (and save) the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--real", required=True, help="real Kaggle-layout folder")
    parser.add_argument("--synthetic", required=True, help="generated folder (hms demo-data)")
    parser.add_argument("--work-dir", default="data", help="feature cache (default data/)")
    parser.add_argument("--json", default=None, help="also write the report as JSON here")
    parser.add_argument("--html", default=None, help="also write an HTML page with the spectra")
    parser.add_argument("--n-jobs", type=int, default=-1)
    args = parser.parse_args(argv)
    run_check(
        Path(args.real),
        Path(args.synthetic),
        Path(args.work_dir),
        json_path=args.json,
        html_path=args.html,
        n_jobs=args.n_jobs,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
