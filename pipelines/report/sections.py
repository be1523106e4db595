"""The report's sections on data, scores, behaviour and the family ablation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.naming import parse_column
from models.bundle import Bundle
from models.labels import CLASSES, VOTE_COLUMNS, votes_to_probabilities
from pipelines.report.html import Html, join, render, table_html
from pipelines.report.inputs import ReportInputs, oof_probs
from pipelines.report.plots import (
    CLASS_COLORS,
    CLASS_LABELS,
    class_colors,
    class_names,
    figure_html,
    pyplot,
)


def data_section(table: pd.DataFrame) -> Html:
    plt = pyplot()
    votes = table[list(VOTE_COLUMNS)].to_numpy()
    consensus = votes.argmax(axis=1)
    fig, axes = plt.subplots(1, 4, figsize=(17, 3.4))
    counts = np.bincount(consensus, minlength=len(CLASSES))
    axes[0].bar(class_names(), counts, color=class_colors())
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
    summary = render(
        "<p>{rows} label rows, {eegs} EEGs, {patients} patients; {n10} rows ({share:.1%}) "
        "have at least 10 votes.</p>",
        rows=len(table),
        eegs=table["eeg_id"].nunique(),
        patients=table["patient_id"].nunique(),
        n10=int((total >= 10).sum()),
        share=(total >= 10).mean(),
    )
    return join([Html("<h2 id='data'>Data</h2>"), summary, figure_html(fig, "data overview")])


CV_COLUMNS = {
    "model": "model",
    "kl_test_like": "KL, test-like (headline)",
    "n_test_like": "test-like rows",
    "kl_all": "KL, all rows",
    "n_all": "rows",
    "kl_reliable": "KL, >= 10 votes",
    "n_reliable": "rows >= 10 votes",
    "kl_one_per_eeg": "KL, one row per EEG",
    "note": "note",
}


def scores_section(bundle: Bundle, oof: pd.DataFrame, cv: dict) -> Html:
    table = pd.DataFrame(bundle.meta["cv_table"])
    parts = [
        Html("<h2 id='scores'>Scores</h2>"),
        Html(
            "<p class='note'>Out-of-fold KL divergence on patient folds (lower is better). The "
            "headline is test-like: one row per EEG among the rows with at least 10 votes, as "
            "the competition's hidden test set. Beside it: all rows, every row with at least "
            "10 votes, and one row per EEG.</p>"
        ),
        table_html(table[[c for c in CV_COLUMNS if c in table]].rename(columns=CV_COLUMNS)),
    ]
    if bundle.meta.get("strategy_table"):
        parts += [
            Html("<h3>Low-vote strategies</h3>"),
            table_html(pd.DataFrame(bundle.meta["strategy_table"])),
        ]
    if cv.get("calibration"):
        parts.append(calibration_block(cv["calibration"]))
    parts.append(Html("<h3>KL by class, by votes per row and by fold</h3>"))
    parts.append(_scores_figure(cv))
    return join(parts)


def calibration_table(report: dict) -> pd.DataFrame:
    """Before/after rows of a calibration report (``models.calibration.calibration_report``): the
    test-like KL and the per-class expected calibration error."""
    rows = []
    for side in ("before", "after"):
        values = report[side]
        rows.append({"blend": side, "KL, test-like": values["kl"], **values["ece"],
                     "mean ECE": values["ece_mean"]})  # fmt: skip
    return pd.DataFrame(rows)


def calibration_block(report: dict) -> Html:
    """The blend's calibration on the test-like rows, before and after, and its fold spread."""
    change = report["kl_change"]
    note = render(
        "<p class='note'>Calibration <b>{mode}</b> ({state}), fitted out of fold on the other "
        "folds' {n} test-like rows (one row per EEG with >= 10 votes). Expected calibration "
        "error per class: {bins} equal-width bins of the predicted probability, the mean gap "
        "between prediction and vote fraction. Change of the test-like KL per fold: "
        "{mean:+.4f} +- {sd:.4f}.</p>",
        mode=report["mode"],
        state="applied" if report["applied"] else "measured only, not applied",
        n=report["n_rows"],
        bins=report["n_bins"],
        mean=change["mean"],
        sd=change["sd"],
    )
    return join([Html("<h3>Calibration</h3>"), note, table_html(calibration_table(report))])


def _scores_figure(cv: dict) -> Html:
    plt = pyplot()
    names = [n for n in ("lightgbm", "catboost", "blend") if n in cv.get("per_class", {})]
    fig, axes = plt.subplots(1, 3, figsize=(17, 3.6))
    width = 0.8 / max(1, len(names))
    x = np.arange(len(CLASSES))
    for i, name in enumerate(names):
        values = [cv["per_class"][name][c] for c in CLASSES]
        axes[0].bar(x + i * width, values, width, label=name)
    axes[0].set_xticks(x + width * (len(names) - 1) / 2, class_names())
    axes[0].set(title="KL contribution by class (all rows)", ylabel="mean KL term")
    axes[0].legend(fontsize=10)
    for name in names:
        buckets = cv["per_vote_bucket"][name]
        axes[1].plot([b[0] for b in buckets], [b[2] for b in buckets], marker="o", label=name)
    axes[1].set(title="KL by votes per row", xlabel="votes", ylabel="KL")
    axes[1].legend(fontsize=10)
    for name, folds in cv.get("per_fold", {}).items():
        fold_ids = [f["fold"] for f in folds]
        axes[2].plot(fold_ids, [f["kl_all"] for f in folds], marker="o", label=f"{name} (all)")
        axes[2].plot(
            fold_ids,
            [f["kl_reliable"] for f in folds],
            marker="s",
            ls="--",
            label=f"{name} (>= 10 votes)",
        )
    axes[2].set(title="KL by fold", xlabel="fold", ylabel="KL")
    axes[2].xaxis.get_major_locator().set_params(integer=True)
    axes[2].legend(fontsize=10)
    return figure_html(fig, "scores by class, vote count and fold")


def confusion_counts(target: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """(6, 6) row counts: expert consensus (rows) against the predicted arg-max (columns)."""
    confusion = np.zeros((len(CLASSES), len(CLASSES)))
    np.add.at(confusion, (target.argmax(axis=1), pred.argmax(axis=1)), 1)
    return confusion


def _plot_confusion(ax, fig, confusion: np.ndarray) -> None:
    rates = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    im = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(6), class_names())
    ax.set_yticks(range(6), class_names())
    for i in range(6):
        for j in range(6):
            ax.text(
                j,
                i,
                f"{rates[i, j]:.2f}\n({int(confusion[i, j])})",
                ha="center",
                va="center",
                fontsize=9,
                color="white" if rates[i, j] > 0.5 else "black",
            )
    ax.set(
        title="Blend arg-max vs expert consensus (row share)",
        xlabel="predicted",
        ylabel="expert consensus",
    )
    fig.colorbar(im, ax=ax, fraction=0.046)


def _plot_reliability(ax, target: np.ndarray, pred: np.ndarray) -> None:
    bins = np.linspace(0, 1, 11)
    for k, c in enumerate(CLASSES):
        which = np.clip(np.digitize(pred[:, k], bins) - 1, 0, 9)
        xs, ys = [], []
        for b in range(10):
            mask = which == b
            if mask.sum() >= 5:
                xs.append(pred[mask, k].mean())
                ys.append(target[mask, k].mean())
        ax.plot(xs, ys, marker="o", color=CLASS_COLORS[c], label=CLASS_LABELS[c])
    ax.plot([0, 1], [0, 1], color="k", lw=1, ls=":")
    ax.set(
        title="Reliability (bins with >= 5 rows)",
        xlabel="predicted probability",
        ylabel="mean expert vote fraction",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.legend(fontsize=10)


def behaviour_section(oof: pd.DataFrame) -> Html:
    plt = pyplot()
    target = votes_to_probabilities(oof[list(VOTE_COLUMNS)].to_numpy(dtype=float))
    pred = oof_probs(oof, "blend")
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.2))
    _plot_confusion(axes[0], fig, confusion_counts(target, pred))
    _plot_reliability(axes[1], target, pred)
    note = Html(
        "<p class='note'>Left: how often the blend's most probable class is the experts' "
        "consensus, per consensus class (out-of-fold). Right: reliability curves per class: "
        "rows binned by predicted probability, against the experts' mean vote share; on "
        "the dotted line the probabilities are calibrated.</p>"
    )
    return join(
        [
            Html("<h2 id='behaviour'>Behaviour</h2><h3>Confusion and reliability</h3>"),
            note,
            figure_html(fig, "confusion and calibration"),
        ]
    )


def ablation_section(inputs: ReportInputs, n_folds: int, seed: int) -> Html:
    """CV of LightGBM with each feature family removed (same folds and strategy)."""
    from models.cv import cross_validate
    from models.folds import consensus_folds

    table, columns = inputs.table, inputs.columns
    X = table[columns].to_numpy(dtype=np.float32)
    votes = table[list(VOTE_COLUMNS)].to_numpy(dtype=float)
    folds = consensus_folds(table["patient_id"].to_numpy(), votes, n_folds=n_folds, seed=seed)
    params = inputs.bundle.meta["params"].get("lightgbm", {})
    strategy = inputs.bundle.meta["strategy"]
    column_family = [parse_column(c).family for c in columns]
    families = sorted(set(column_family))
    rows = []
    for removed in [None, *(families if len(families) > 1 else [])]:
        keep = [i for i, f in enumerate(column_family) if removed is None or f != removed]
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
    return join(
        [
            Html(
                "<h2 id='ablation'>Family ablation</h2><p class='note'>LightGBM CV with each "
                "family removed; a positive change means the family helped.</p>"
            ),
            table_html(frame),
        ]
    )
