"""``hms inspect``: a self-contained HTML report of a trained bundle, and per-recording views.

The report (``W/reports/{run}/index.html``, images embedded as PNG, opens offline) covers the
data (class balance, votes per row, rows per EEG, EEGs per patient), the scores (the CV
table, KL by class, by vote-count bucket and by fold), the behaviour (confusion of the
blend's arg-max against the expert consensus, reliability curves per class), the features
(importance per model, scalp maps per class, SHAP per class, class-wise distributions of
the top features, an optional family ablation) and example recordings, each on a page of
its own (``eeg_{id}.html``): the bipolar traces of the 50 s window with the labelled 10 s
marked, the Kaggle spectrogram slice per chain, votes beside predicted probabilities, and
the features that pushed the prediction most.
"""

from __future__ import annotations

import base64
import html
import io
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.montage import (
    BIPOLAR_NAMES,
    EEG_CHANNELS,
    KAGGLE_CHAINS,
    SFREQ,
    SPECTROGRAM_FREQS_HZ,
    to_bipolar,
)
from features.windows import (
    CENTRE_SEC,
    EEG_WINDOW_SEC,
    apply_nan_policy,
    cut_eeg_windows,
    spectrogram_slice_rows,
)
from models.bundle import Bundle, load_bundle
from models.labels import CLASSES, CONSENSUS_NAMES, VOTE_COLUMNS, votes_to_probabilities
from pipelines.config import WorkLayout
from pipelines.features_stage import build_features, feature_columns
from pipelines.files import write_text_atomic
from pipelines.kaggle_io import KaggleLayout, read_eeg, read_spectrogram, read_train_labels
from pipelines.train_stage import latest_bundle

CLASS_LABELS = dict(zip(CLASSES, CONSENSUS_NAMES, strict=True))
CLASS_COLORS = {
    "seizure": "#d62728",
    "lpd": "#ff7f0e",
    "gpd": "#bcbd22",
    "lrda": "#1f77b4",
    "grda": "#17becf",
    "other": "#7f7f7f",
}
"""One colour per class, used on every plot."""

CHANNEL_PATTERN = re.compile(r"_(" + "|".join(map(re.escape, BIPOLAR_NAMES)) + r")_")


# --- small helpers ---------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_html(fig, alt: str, *, tight: bool = True) -> str:
    """A matplotlib figure as an embedded PNG ``<img>`` (the figure is closed)."""
    plt = _pyplot()
    buffer = io.BytesIO()
    if tight:
        fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def table_html(frame: pd.DataFrame, floats: str = "{:.4f}") -> str:
    formatters = {c: floats.format for c in frame.columns if frame[c].dtype.kind == "f"}
    return frame.to_html(index=False, border=0, classes="table", formatters=formatters, na_rep="")


def page(title: str, body: str) -> str:
    style = """
    body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1150px;
           color: #222; line-height: 1.45; padding: 0 1em; }
    h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
    table.table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0 1em; }
    table.table th, table.table td { padding: 3px 9px; border-bottom: 1px solid #e5e5e5;
                                     text-align: right; }
    table.table th { background: #f4f4f4; }
    table.table td:first-child, table.table th:first-child { text-align: left; }
    img { max-width: 100%; } .note { color: #555; font-size: 0.92em; }
    nav a { margin-right: 1em; } .grid { display: flex; flex-wrap: wrap; gap: 1em; }
    """
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>{body}</body></html>"
    )


# --- inputs ------------------------------------------------------------------------------------


@dataclass
class ReportInputs:
    bundle: Bundle
    table: pd.DataFrame  # train feature table
    columns: list[str]
    oof: pd.DataFrame
    data_dir: Path
    work_dir: Path


def load_inputs(data_dir: Path, work_dir: Path, model_dir: Path | None) -> ReportInputs:
    bundle = load_bundle(model_dir or latest_bundle(work_dir))
    families = list(bundle.meta["feature_config"]["families"])
    summary = build_features(data_dir, work_dir, split="train", families=families, progress=False)
    table = pd.read_parquet(summary.table)
    columns = feature_columns(table)
    bundle.check_columns(columns)
    oof = pd.read_parquet(bundle.path / "oof.parquet")
    return ReportInputs(bundle, table, columns, oof, Path(data_dir), Path(work_dir))


def _oof_probs(oof: pd.DataFrame, name: str) -> np.ndarray:
    return oof[[f"{name}_{c}" for c in CLASSES]].to_numpy(dtype=np.float64)


# --- sections ----------------------------------------------------------------------------------


def data_section(table: pd.DataFrame) -> str:
    plt = _pyplot()
    votes = table[list(VOTE_COLUMNS)].to_numpy()
    consensus = votes.argmax(axis=1)
    fig, axes = plt.subplots(1, 4, figsize=(17, 3.4))
    counts = np.bincount(consensus, minlength=len(CLASSES))
    axes[0].bar(
        [CLASS_LABELS[c] for c in CLASSES], counts, color=[CLASS_COLORS[c] for c in CLASSES]
    )
    axes[0].set(title="Expert consensus (label rows)", ylabel="rows")
    total = votes.sum(axis=1).astype(int)
    axes[1].hist(total, bins=np.arange(0.5, total.max() + 1.5), color="#555")
    axes[1].axvline(9.5, color="k", ls="--", lw=1)
    axes[1].set(title="Votes per row (dashed: >= 10)", xlabel="votes", ylabel="rows")
    per_eeg = table.groupby("eeg_id").size()
    axes[2].hist(per_eeg, bins=30, color="#555")
    axes[2].set(title="Label rows per EEG", xlabel="rows", ylabel="EEGs")
    per_patient = table.groupby("patient_id")["eeg_id"].nunique()
    axes[3].hist(per_patient, bins=30, color="#555")
    axes[3].set(title="EEGs per patient", xlabel="EEGs", ylabel="patients")
    summary = (
        f"<p>{len(table)} label rows, {table['eeg_id'].nunique()} EEGs, "
        f"{table['patient_id'].nunique()} patients; {int((total >= 10).sum())} rows "
        f"({(total >= 10).mean():.1%}) have at least 10 votes.</p>"
    )
    return "<h2 id='data'>Data</h2>" + summary + figure_html(fig, "data overview")


def scores_section(bundle: Bundle, oof: pd.DataFrame, cv: dict) -> str:
    plt = _pyplot()
    table = pd.DataFrame(bundle.meta["cv_table"])
    keep = {
        "model": "model",
        "kl_all": "KL, all rows",
        "n_all": "rows",
        "kl_reliable": "KL, >= 10 votes",
        "n_reliable": "rows >= 10 votes",
        "kl_one_per_eeg": "KL, one row per EEG",
        "note": "note",
    }
    parts = [
        "<h2 id='scores'>Scores</h2>",
        "<p class='note'>Out-of-fold KL divergence on patient folds (lower is better): on "
        "all rows, on rows with at least 10 votes (the population of the competition's "
        "hidden test set), and on one row per EEG.</p>",
        table_html(table[[c for c in keep if c in table]].rename(columns=keep)),
    ]
    if bundle.meta.get("strategy_table"):
        parts += [
            "<h3>Low-vote strategies</h3>",
            table_html(pd.DataFrame(bundle.meta["strategy_table"])),
        ]
    names = [n for n in ("lightgbm", "catboost", "blend") if n in cv.get("per_class", {})]
    fig, axes = plt.subplots(1, 3, figsize=(17, 3.6))
    width = 0.8 / max(1, len(names))
    x = np.arange(len(CLASSES))
    for i, name in enumerate(names):
        values = [cv["per_class"][name][c] for c in CLASSES]
        axes[0].bar(x + i * width, values, width, label=name)
    axes[0].set_xticks(x + width * (len(names) - 1) / 2, [CLASS_LABELS[c] for c in CLASSES])
    axes[0].set(title="KL contribution by class (all rows)", ylabel="mean KL term")
    axes[0].legend(fontsize=8)
    for name in names:
        buckets = cv["per_vote_bucket"][name]
        axes[1].plot([b[0] for b in buckets], [b[2] for b in buckets], marker="o", label=name)
    axes[1].set(title="KL by votes per row", xlabel="votes", ylabel="KL")
    axes[1].legend(fontsize=8)
    for name, folds in cv.get("per_fold", {}).items():
        axes[2].plot(
            [f["fold"] for f in folds],
            [f["kl_all"] for f in folds],
            marker="o",
            label=f"{name} (all)",
        )
        axes[2].plot(
            [f["fold"] for f in folds],
            [f["kl_reliable"] for f in folds],
            marker="s",
            ls="--",
            label=f"{name} (>= 10 votes)",
        )
    axes[2].set(title="KL by fold", xlabel="fold", ylabel="KL")
    axes[2].xaxis.get_major_locator().set_params(integer=True)
    axes[2].legend(fontsize=8)
    parts.append("<h3>KL by class, by votes per row and by fold</h3>")
    parts.append(figure_html(fig, "scores by class, vote count and fold"))
    return "".join(parts)


def behaviour_section(oof: pd.DataFrame) -> str:
    plt = _pyplot()
    votes = oof[list(VOTE_COLUMNS)].to_numpy(dtype=float)
    target = votes_to_probabilities(votes)
    pred = _oof_probs(oof, "blend")
    consensus, predicted = target.argmax(axis=1), pred.argmax(axis=1)
    confusion = np.zeros((len(CLASSES), len(CLASSES)))
    np.add.at(confusion, (consensus, predicted), 1)
    rates = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.2))
    im = axes[0].imshow(rates, cmap="Blues", vmin=0, vmax=1)
    labels = [CLASS_LABELS[c] for c in CLASSES]
    axes[0].set_xticks(range(6), labels)
    axes[0].set_yticks(range(6), labels)
    for i in range(6):
        for j in range(6):
            axes[0].text(
                j,
                i,
                f"{rates[i, j]:.2f}\n({int(confusion[i, j])})",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if rates[i, j] > 0.5 else "black",
            )
    axes[0].set(
        title="Blend arg-max vs expert consensus (row share)",
        xlabel="predicted",
        ylabel="expert consensus",
    )
    fig.colorbar(im, ax=axes[0], fraction=0.046)
    bins = np.linspace(0, 1, 11)
    for k, c in enumerate(CLASSES):
        which = np.clip(np.digitize(pred[:, k], bins) - 1, 0, 9)
        xs, ys = [], []
        for b in range(10):
            mask = which == b
            if mask.sum() >= 5:
                xs.append(pred[mask, k].mean())
                ys.append(target[mask, k].mean())
        axes[1].plot(xs, ys, marker="o", color=CLASS_COLORS[c], label=CLASS_LABELS[c])
    axes[1].plot([0, 1], [0, 1], color="k", lw=1, ls=":")
    axes[1].set(
        title="Reliability (bins with >= 5 rows)",
        xlabel="predicted probability",
        ylabel="mean expert vote fraction",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    axes[1].legend(fontsize=8)
    note = (
        "<p class='note'>Left: how often the blend's most probable class is the experts' "
        "consensus, per consensus class (out-of-fold). Right: reliability curves per class: "
        "rows binned by predicted probability, against the experts' mean vote share; on "
        "the dotted line the probabilities are calibrated.</p>"
    )
    return (
        "<h2 id='behaviour'>Behaviour</h2><h3>Confusion and reliability</h3>"
        + note
        + figure_html(fig, "confusion and calibration")
    )


def _lightgbm_booster(bundle: Bundle):
    model = bundle.models.get("lightgbm")
    return None if model is None else model.stages[0]


def shap_values(bundle: Bundle, X: np.ndarray) -> np.ndarray | None:
    """LightGBM contributions (TreeSHAP): (n_rows, n_classes, n_features) for the first
    stage's raw scores, or None when the bundle has no LightGBM model."""
    booster = _lightgbm_booster(bundle)
    if booster is None:
        return None
    contrib = booster.predict(
        X, pred_contrib=True, num_iteration=bundle.models["lightgbm"].rounds[0]
    )
    n_features = X.shape[1]
    return contrib.reshape(len(X), len(CLASSES), n_features + 1)[:, :, :n_features]


def importance(bundle: Bundle, columns: list[str]) -> dict[str, pd.Series]:
    out = {}
    if "lightgbm" in bundle.models:
        booster = bundle.models["lightgbm"].stages[0]
        gain = booster.feature_importance(importance_type="gain")
        out["lightgbm"] = pd.Series(gain / max(gain.sum(), 1e-12), index=columns)
    if "catboost" in bundle.models:
        model = bundle.models["catboost"].stages[0]
        values = np.asarray(model.get_feature_importance())
        out["catboost"] = pd.Series(values / max(values.sum(), 1e-12), index=columns)
    return out


def scalp_values(per_feature: pd.Series) -> np.ndarray:
    """Per-channel importance summed per bipolar derivation, shared half-half between its
    two electrodes: (19,) in ``EEG_CHANNELS`` order."""
    electrodes = np.zeros(len(EEG_CHANNELS))
    index = {c.lower(): i for i, c in enumerate(EEG_CHANNELS)}
    for name, value in per_feature.items():
        match = CHANNEL_PATTERN.search(name + "_")
        if match:
            a, b = match.group(1).split("-")
            electrodes[index[a]] += value / 2
            electrodes[index[b]] += value / 2
    return electrodes


def features_section(inputs: ReportInputs, n_rows: int = 600, seed: int = 0) -> str:
    import mne

    plt = _pyplot()
    bundle, columns = inputs.bundle, inputs.columns
    parts = ["<h2 id='features'>Features</h2>"]
    imp = importance(bundle, columns)
    fig, axes = plt.subplots(1, len(imp), figsize=(8 * len(imp), 6.5), squeeze=False)
    for ax, (name, series) in zip(axes[0], imp.items(), strict=True):
        top = series.sort_values().tail(20)
        ax.barh(range(len(top)), top.to_numpy(), color="#4c72b0")
        ax.set_yticks(range(len(top)), top.index, fontsize=7)
        ax.set(title=f"{name}: importance (share of total)", xlabel="share")
    parts.insert(1, "<h3>Importance per model</h3>")
    parts.append(figure_html(fig, "feature importance"))

    rng = np.random.default_rng(seed)
    rows = rng.choice(len(inputs.table), size=min(n_rows, len(inputs.table)), replace=False)
    X = inputs.table[columns].to_numpy(dtype=np.float32)[np.sort(rows)]
    shap = shap_values(bundle, X)
    if shap is not None:
        mean_abs = np.abs(shap).mean(axis=0)  # (classes, features)
        fig, axes = plt.subplots(3, 2, figsize=(16, 13))
        for k, (ax, c) in enumerate(zip(axes.ravel(), CLASSES, strict=True)):
            top = np.argsort(mean_abs[k])[-10:]
            ax.barh(range(10), mean_abs[k, top], color=CLASS_COLORS[c])
            ax.set_yticks(range(10), [columns[i] for i in top], fontsize=7)
            ax.set(title=f"{CLASS_LABELS[c]}: mean |SHAP| (LightGBM, raw score)")
        parts.append(
            "<h3>SHAP per class</h3><p class='note'>TreeSHAP contributions of "
            f"LightGBM's first stage on {len(X)} training rows.</p>"
        )
        parts.append(figure_html(fig, "SHAP per class"))

        info = mne.create_info(list(EEG_CHANNELS), SFREQ, "eeg")
        kinds = mne.channels.get_builtin_montages()  # colin27: not in mne <= 1.11
        kind = "colin27_1020" if "colin27_1020" in kinds else "standard_1020"
        info.set_montage(mne.channels.make_standard_montage(kind))
        fig, axes = plt.subplots(1, 6, figsize=(18, 3.4))
        for k, (ax, c) in enumerate(zip(axes, CLASSES, strict=True)):
            values = scalp_values(pd.Series(mean_abs[k], index=columns))
            mne.viz.plot_topomap(
                values, info, axes=ax, show=False, cmap="Reds", contours=0, sensors=True
            )
            ax.set_title(CLASS_LABELS[c], color=CLASS_COLORS[c])
        parts.append(
            "<h3>Where the important per-channel features sit</h3><p class='note'>"
            "Mean |SHAP| of each bipolar channel's features, split between its two "
            "electrodes, on the standard 10-20 positions; darker is more important, each map "
            "on its own scale. Chain-level and spectrogram features are not drawn.</p>"
        )
        parts.append(figure_html(fig, "scalp maps per class"))

    ranked = next(iter(imp.values())).sort_values(ascending=False).index[:6]
    consensus = inputs.table[list(VOTE_COLUMNS)].to_numpy().argmax(axis=1)
    fig, axes = plt.subplots(2, 3, figsize=(18, 7.5))
    for ax, name in zip(axes.ravel(), ranked, strict=False):
        data = [inputs.table[name].to_numpy()[consensus == k] for k in range(6)]
        box = ax.boxplot(data, patch_artist=True, showfliers=False)
        for patch, c in zip(box["boxes"], CLASSES, strict=True):
            patch.set_facecolor(CLASS_COLORS[c])
        ax.set_xticks(range(1, 7), [CLASS_LABELS[c] for c in CLASSES], fontsize=8)
        ax.set_title(name, fontsize=8)
    parts.append("<h3>Top features by expert consensus</h3>")
    parts.append(figure_html(fig, "top feature distributions by class"))
    return "".join(parts)


def ablation_section(inputs: ReportInputs, n_folds: int, seed: int) -> str:
    """CV of LightGBM with each feature family removed (same folds and strategy)."""
    from models.cv import cross_validate
    from models.folds import patient_folds

    table, columns = inputs.table, inputs.columns
    X = table[columns].to_numpy(dtype=np.float32)
    votes = table[list(VOTE_COLUMNS)].to_numpy(dtype=float)
    folds = patient_folds(
        table["patient_id"].to_numpy(), votes.argmax(1), n_folds=n_folds, seed=seed
    )
    params = inputs.bundle.meta["params"].get("lightgbm", {})
    strategy = inputs.bundle.meta["strategy"]
    families = sorted({c.split("_")[1] for c in columns})
    rows = []
    for removed in [None, *(families if len(families) > 1 else [])]:
        keep = [i for i, c in enumerate(columns) if removed is None or c.split("_")[1] != removed]
        res = cross_validate(
            "lightgbm",
            X[:, keep],
            votes,
            folds,
            strategy=strategy,
            params=params,
            seed=seed,
            eeg_id=table["eeg_id"].to_numpy(),
        )
        rows.append(
            {
                "removed family": removed or "(none)",
                "columns": len(keep),
                "kl_all": res.report["kl_all"],
                "kl_reliable": res.report["kl_reliable"],
            }
        )
    frame = pd.DataFrame(rows)
    frame["change (>= 10 votes)"] = frame["kl_reliable"] - frame["kl_reliable"].iloc[0]
    return (
        "<h2 id='ablation'>Family ablation</h2><p class='note'>LightGBM CV with each "
        "family removed; a positive change means the family helped.</p>" + table_html(frame)
    )


# --- per-recording view ------------------------------------------------------------------------


def recording_page(inputs: ReportInputs, eeg_id: int, row_index: int | None = None) -> str:
    """The HTML page of one label row (the first of the EEG unless ``row_index``)."""
    plt = _pyplot()
    layout = KaggleLayout(inputs.data_dir)
    table = inputs.table
    rows = table.index[table["eeg_id"] == eeg_id]
    if len(rows) == 0:
        raise ValueError(f"eeg_id {eeg_id} is not in the train feature table of {layout.root}")
    row = table.loc[rows[0] if row_index is None else row_index]
    labels = read_train_labels(layout.train_csv)
    label = labels[(labels["eeg_id"] == eeg_id) & (labels["eeg_sub_id"] == row["eeg_sub_id"])]
    offset = float(label["eeg_label_offset_seconds"].iloc[0])
    spec_offset = float(label["spectrogram_label_offset_seconds"].iloc[0])

    raw = read_eeg(layout.eeg_path("train", eeg_id))
    clean = apply_nan_policy(raw[:19])
    window = cut_eeg_windows(to_bipolar(clean.x), np.array([offset]))[0]
    t = np.arange(window.shape[-1]) / SFREQ
    fig, ax = plt.subplots(figsize=(15, 9))
    scale = max(float(np.percentile(np.abs(window), 99)), 1.0)
    for i in range(len(BIPOLAR_NAMES)):
        ax.plot(t, window[i] / (2 * scale) - i, lw=0.5, color="#222")
    lo = (EEG_WINDOW_SEC - CENTRE_SEC) / 2
    ax.axvspan(lo, lo + CENTRE_SEC, color="#ffd54f", alpha=0.3, label="labelled 10 s")
    ax.set_yticks(-np.arange(len(BIPOLAR_NAMES)), BIPOLAR_NAMES, fontsize=8)
    ax.set(
        xlabel="time in the window (s)",
        xlim=(0, EEG_WINDOW_SEC),
        title=f"EEG {eeg_id}, offset {offset:g} s: bipolar montage "
        f"(scale: {2 * scale:.0f} uV between rows)",
    )
    ax.legend(loc="upper right")
    traces = figure_html(fig, "bipolar traces")

    spec_path = layout.spectrogram_path("train", int(row["spectrogram_id"]))
    if not spec_path.is_file():
        spectrogram = f"<p class='note'>{html.escape(str(spec_path))} is not there.</p>"
    else:
        spectrogram = _spectrogram_figure(spec_path, spec_offset)
    return _recording_html(inputs, row, eeg_id, offset, spec_offset, traces, spectrogram)


def _spectrogram_figure(spec_path: Path, spec_offset: float) -> str:
    plt = _pyplot()
    times, power = read_spectrogram(spec_path)
    slice_rows = spectrogram_slice_rows(times, np.array([spec_offset]))[0]
    fig, axes = plt.subplots(1, 4, figsize=(17, 3.2), sharey=True)
    block = np.log10(np.clip(power[slice_rows], 1e-4, None))
    for k, (ax, chain) in enumerate(zip(axes, KAGGLE_CHAINS, strict=True)):
        data = block[:, k * 100 : (k + 1) * 100].T
        im = ax.imshow(
            data,
            aspect="auto",
            origin="lower",
            cmap="magma",
            extent=(0, 600, SPECTROGRAM_FREQS_HZ[0], SPECTROGRAM_FREQS_HZ[-1]),
        )
        ax.axvspan(275, 325, fill=False, edgecolor="cyan", lw=1)
        ax.set(title=f"{chain} chain", xlabel="time in the 10 min slice (s)")
    axes[0].set_ylabel("Hz")
    fig.colorbar(im, ax=axes, fraction=0.02, label="log10 power")
    return figure_html(fig, "spectrogram slice", tight=False)


def _recording_html(inputs, row, eeg_id, offset, spec_offset, traces, spectrogram) -> str:
    plt = _pyplot()

    X = row[inputs.columns].to_numpy(dtype=np.float32)[None]
    probs = inputs.bundle.predict(X)[0]
    votes = row[list(VOTE_COLUMNS)].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    x = np.arange(6)
    ax.bar(
        x - 0.2,
        votes / votes.sum(),
        0.4,
        color=[CLASS_COLORS[c] for c in CLASSES],
        alpha=0.45,
        label="expert votes (share)",
    )
    ax.bar(x + 0.2, probs, 0.4, color=[CLASS_COLORS[c] for c in CLASSES], label="predicted")
    ax.set_xticks(x, [CLASS_LABELS[c] for c in CLASSES])
    ax.set(
        ylim=(0, 1),
        ylabel="probability",
        title=f"{int(votes.sum())} expert votes (light) vs predicted (dark)",
    )
    bars = figure_html(fig, "votes and predictions")

    drivers = ""
    shap = shap_values(inputs.bundle, X)
    if shap is not None:
        k = int(np.argmax(probs))
        contrib = shap[0, k]
        top = np.argsort(-np.abs(contrib))[:12]
        frame = pd.DataFrame(
            {
                "feature": [inputs.columns[i] for i in top],
                "value": X[0, top],
                f"SHAP toward {CLASS_LABELS[CLASSES[k]]}": contrib[top],
            }
        )
        drivers = (
            f"<h2>What pushed the prediction</h2><p class='note'>LightGBM TreeSHAP "
            f"contributions to the raw score of the predicted class "
            f"({CLASS_LABELS[CLASSES[k]]}).</p>" + table_html(frame)
        )
    probs_table = pd.DataFrame(
        {
            "class": [CLASS_LABELS[c] for c in CLASSES],
            "votes": votes.astype(int),
            "predicted": probs,
        }
    )
    body = (
        f"<p><a href='index.html'>back to the report</a></p><h1>EEG {eeg_id}</h1>"
        f"<p>patient {int(row['patient_id'])}, label row {int(row['eeg_sub_id'])}, "
        f"EEG offset {offset:g} s, spectrogram {int(row['spectrogram_id'])} from "
        f"{spec_offset:g} s</p><h2>Votes and prediction</h2><div class='grid'>"
        f"{bars}{table_html(probs_table, '{:.3f}')}</div><h2>EEG window</h2>{traces}"
        f"<h2>Kaggle spectrogram (10 minutes; the EEG window boxed)</h2>{spectrogram}"
        f"{drivers}"
    )
    return page(f"EEG {eeg_id}", body)


# --- the report --------------------------------------------------------------------------------


def example_rows(table: pd.DataFrame, per_class: int = 1) -> list[tuple[int, int]]:
    """(eeg_id, row index) of the most confident expert consensus per class."""
    votes = table[list(VOTE_COLUMNS)].to_numpy(dtype=float)
    share = votes.max(axis=1) / votes.sum(axis=1)
    out = []
    for k in range(len(CLASSES)):
        rows = np.flatnonzero(votes.argmax(axis=1) == k)
        order = rows[np.lexsort((-votes.sum(axis=1)[rows], -share[rows]))]
        out += [(int(table["eeg_id"].iloc[i]), int(table.index[i])) for i in order[:per_class]]
    return out


@dataclass
class InspectSummary:
    index: Path
    pages: list[Path]
    seconds: float


def build_report(
    data_dir: Path,
    work_dir: Path,
    *,
    model_dir: Path | None = None,
    out: Path | None = None,
    ablation: bool = False,
    eeg_id: int | None = None,
) -> InspectSummary:
    """Write the report (or, with ``eeg_id``, only that recording's page)."""
    import json

    start = time.perf_counter()
    inputs = load_inputs(data_dir, work_dir, model_dir)
    out = Path(out) if out else WorkLayout(work_dir).report(inputs.bundle.path.name)
    if eeg_id is not None:
        path = out / f"eeg_{eeg_id}.html"
        write_text_atomic(path, recording_page(inputs, eeg_id))
        return InspectSummary(path, [path], time.perf_counter() - start)

    cv = json.loads((inputs.bundle.path / "cv.json").read_text())
    pages = []
    links = []
    for eeg, index in example_rows(inputs.table):
        path = out / f"eeg_{eeg}.html"
        write_text_atomic(path, recording_page(inputs, eeg, index))
        pages.append(path)
        k = int(inputs.table.loc[index, list(VOTE_COLUMNS)].to_numpy(dtype=float).argmax())
        links.append(
            f"<li><a href='{path.name}'>EEG {eeg}</a>: expert consensus "
            f"{CLASS_LABELS[CLASSES[k]]}</li>"
        )
    meta = inputs.bundle.meta
    sections = [
        data_section(inputs.table),
        scores_section(inputs.bundle, inputs.oof, cv),
        behaviour_section(inputs.oof),
        features_section(inputs),
    ]
    if ablation:
        sections.append(ablation_section(inputs, meta.get("n_folds", 5), meta.get("seed", 0)))
    sections.append("<h2 id='examples'>Example recordings</h2><ul>" + "".join(links) + "</ul>")
    nav = " ".join(
        f"<a href='#{s}'>{s.title()}</a>"
        for s in ("data", "scores", "behaviour", "features", "examples")
    )
    header = (
        f"<h1>HMS harmful brain activity: model report</h1><p class='note'>Bundle "
        f"{html.escape(str(inputs.bundle.path))} (run {meta.get('run')}, strategy "
        f"{meta.get('strategy')}), data {html.escape(str(inputs.data_dir))}.</p>"
        f"<nav>{nav}</nav>"
    )
    index = out / "index.html"
    write_text_atomic(index, page("HMS model report", header + "".join(sections)))
    return InspectSummary(index, [index, *pages], time.perf_counter() - start)
